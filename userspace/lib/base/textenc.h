/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* textenc: UTF-8 checking, JSON and terminal escaping shared by the output formats. */
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
 * control characters (C0, DEL, C1) as \u00XX, ill-formed UTF-8 as \ufffd.
 * Returns 0 or -ENOMEM.
 */
int json__put_string(struct strbuf *out, const char *s, size_t len);

/*
 * Appends s[0..len) made safe for a terminal: every control character (C0
 * bytes, DEL, and C1 U+0080-U+009F as UTF-8) and every byte of ill-formed
 * UTF-8 becomes \xHH (one per byte), except the bytes listed in keep (e.g.
 * "\n" for text whose lines are its own).  Text from other users' processes
 * can then neither move the cursor, retitle or clear the terminal, nor
 * forge a row or a line.  Returns 0 or -ENOMEM.
 */
int term__put_text(struct strbuf *out, const char *s, size_t len, const char *keep);

#endif /* PYPROF_TEXTENC_H */
