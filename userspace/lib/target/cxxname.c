// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* C++ names by libstdc++'s __cxa_demangle (extern "C" there, linked with -lstdc++). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxxname.h"

/* libstdc++'s <cxxabi.h>, a C++ header: the one declaration, by its ABI. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

int cxxname__demangle(const char *sym, char *buf, size_t size)
{
	int status = 0;
	char *out;

	if (strncmp(sym, "_Z", 2) != 0)
		return -EINVAL;
	out = __cxa_demangle(sym, NULL, NULL, &status);
	if (!out)
		return status == -1 ? -ENOMEM : -EINVAL;
	snprintf(buf, size, "%s", out);
	free(out);
	return 0;
}
