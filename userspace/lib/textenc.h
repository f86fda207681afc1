/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* textenc: UTF-8 checking and JSON string escaping shared by the output formats. */
#ifndef PYPROF_TEXTENC_H
#define PYPROF_TEXTENC_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/*
 * Bytes of the character at s[0..n), n > 0: a well-formed UTF-8 sequence
 * (*valid true), or else its maximal ill-formed prefix, at least one byte,
 * which stands for one U+FFFD (*valid false).
 */
size_t utf8__char(const unsigned char *s, size_t n, bool *valid);

/*
 * Appends s[0..len) as a JSON string, quotes included: '"' and '\' escaped,
 * control characters and DEL as \u00XX, ill-formed UTF-8 as \ufffd.
 * Returns 0 or -ENOMEM.
 */
int json__put_string(struct strbuf *out, const char *s, size_t len);

#endif /* PYPROF_TEXTENC_H */
