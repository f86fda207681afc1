/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers for the libFuzzer targets: a reader that takes fixed-size fields
 * off the front of the input, and a memfd holding bytes for the parsers that
 * only take a path.  A target aborts (which libFuzzer reports as a crash)
 * when a parser breaks one of its documented promises.
 */
#ifndef PYPROF_FUZZHELP_H
#define PYPROF_FUZZHELP_H

#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_in {
	const __u8 *p;
	size_t len;
};

/* Up to n bytes off the front as a little-endian number; missing bytes read as zero. */
static inline __u64 fuzz__take(struct fuzz_in *in, size_t n)
{
	__u64 v = 0;

	for (size_t i = 0; i < n && in->len; i++, in->p++, in->len--)
		v |= (__u64)in->p[0] << (8 * i);
	return v;
}

/* A malloc()ed copy of exactly len bytes (ASan catches a read past it); NULL for 0 bytes too. */
static inline void *fuzz__dup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (!q)
		abort();
	memcpy(q, p, len);
	return q;
}

/* The same bytes NUL-terminated, in an allocation of exactly len + 1 bytes. */
static inline char *fuzz__strndup(const void *p, size_t len)
{
	char *q = malloc(len + 1);

	if (!q)
		abort();
	memcpy(q, p, len);
	q[len] = '\0';
	return q;
}

/* A memfd holding buf; *path gets its /proc/self/fd name.  Returns the fd. */
static inline int fuzz__memfd(const void *buf, size_t len, char *path, size_t sz)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		abort();
	while (off < len) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(path, sz, "/proc/self/fd/%d", fd);
	return fd;
}

#define FUZZ_CHECK(c)                                                                    \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif /* PYPROF_FUZZHELP_H */
