// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* strbuf: a growable, always NUL-terminated byte buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"

static int grow(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *nb;

	if (extra > (size_t)-1 / 2 - sb->len)
		return -ENOMEM;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb)
		return -ENOMEM;
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

int strbuf__append(struct strbuf *sb, const void *data, size_t n)
{
	if (grow(sb, n))
		return -ENOMEM;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf__puts(struct strbuf *sb, const char *s)
{
	return strbuf__append(sb, s, strlen(s));
}

int strbuf__printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (grow(sb, 0))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		return -EINVAL;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		if (grow(sb, (size_t)n)) {
			sb->buf[sb->len] = '\0';
			return -ENOMEM;
		}
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->buf[sb->len] = '\0';
			return -EINVAL;
		}
	}
	sb->len += (size_t)n;
	return 0;
}

void strbuf__reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *strbuf__detach(struct strbuf *sb, size_t *ret_len)
{
	char *b = sb->buf;

	if (ret_len)
		*ret_len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return b;
}

void strbuf__done(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}
