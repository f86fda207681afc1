// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procns: the NSpid line of /proc/PID/task/TID/status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "target/procns.h"

/*
 * A status file is a few kB; NSpid comes well before its end on every kernel
 * that has it (after the ids and groups: a long Groups line can push it past
 * one page, so two).
 */
#define PROCNS_MAX_STATUS 8192

/* The id at *p (advanced past it), or -1 when there is none or it is out of range. */
static long parse_id(const char **p, const char *end)
{
	long v = 0;

	if (*p == end || **p < '0' || **p > '9')
		return -1;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		v = v * 10 + (**p - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v > 0 ? v : -1;
}

int procns__parse(const char *text, size_t len, long *ret_first, long *ret_last)
{
	static const char key[] = "NSpid:";
	const char *p = text, *end = text + len, *eol;
	long first = -1, last = -1;

	/* The key at the start of a line. */
	for (;;) {
		if ((size_t)(end - p) >= sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0)
			break;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return -ENOENT;
		p = eol + 1;
	}
	p += sizeof(key) - 1;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol)
		end = eol;
	while (p < end) {
		long v;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		v = parse_id(&p, end);
		if (v < 0 || (p < end && *p != ' ' && *p != '\t'))
			return -EINVAL;
		if (first < 0)
			first = v;
		last = v;
	}
	if (first < 0)
		return -EINVAL;
	*ret_first = first;
	*ret_last = last;
	return 0;
}

int procns__read(int pid, long tid, long *ret_first, long *ret_last)
{
	char path[64], buf[PROCNS_MAX_STATUS];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/status", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	/* A task that exits while its file is open reads as an error (ESRCH). */
	if (n < 0 && !len) {
		int err = errno == ESRCH ? -ESRCH : -errno;

		close(fd);
		return err;
	}
	close(fd);
	return procns__parse(buf, len, ret_first, ret_last);
}
