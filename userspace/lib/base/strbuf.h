/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* strbuf: a growable, always NUL-terminated byte buffer. */
#ifndef PYPROF_STRBUF_H
#define PYPROF_STRBUF_H

#include <stddef.h>

/* Zero-initialise ({ 0 }) to get an empty buffer; buf stays NULL until the first append. */
struct strbuf {
	char *buf;
	size_t len;	/* bytes used, not counting the terminating NUL */
	size_t cap;	/* bytes allocated */
};

/* Appends n bytes (which may hold NULs); allocates even for n == 0. Returns 0 or -ENOMEM. */
int strbuf__append(struct strbuf *sb, const void *data, size_t n);

/* Appends a C string. Returns 0 or -ENOMEM. */
int strbuf__puts(struct strbuf *sb, const char *s);

/* Appends printf-formatted text. Returns 0, -ENOMEM or -EINVAL (bad format). */
int strbuf__printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory. */
void strbuf__reset(struct strbuf *sb);

/* Hands the buffer (NUL-terminated, or NULL if never allocated) to the caller; sb is empty after. */
char *strbuf__detach(struct strbuf *sb, size_t *ret_len);

/* Frees the memory; sb is empty and reusable after. */
void strbuf__done(struct strbuf *sb);

#endif /* PYPROF_STRBUF_H */
