// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: logging to stderr, in a form journald reads the priority from. */
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

static int verbosity;

void log_set_verbose(int verbose)
{
	verbosity = verbose;
}

int log_verbose(void)
{
	return verbosity;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && verbosity < 1)
		return;
	/* "<N>" lets journald set the priority; plain stderr otherwise. */
	fprintf(stderr, "<%d>pyprofd: ", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
