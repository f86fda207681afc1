// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* textenc: UTF-8 checking, JSON and terminal escaping shared by the output formats. */
#include <stdio.h>
#include <string.h>
#include "base/strbuf.h"
#include "base/textenc.h"

size_t utf8__char(const unsigned char *s, size_t n, bool *valid)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	*valid = false;
	if (s[0] < 0x80) {
		*valid = true;
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*valid = true;
	return i;
}

/* C1 controls: U+0080-U+009F, in UTF-8 0xc2 0x80-0x9f (terminals act on them, e.g. CSI 0x9b). */
static bool is_c1(const unsigned char *s, size_t n)
{
	return n == 2 && s[0] == 0xc2 && s[1] <= 0x9f;
}

int json__put_string(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int err = strbuf__append(out, "\"", 1);

	while (i < len && !err) {
		char esc[8];
		const char *rep = NULL;
		bool valid;
		size_t n = utf8__char(p + i, len - i, &valid);

		if (!valid) {
			rep = "\\ufffd";
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			rep = esc;
		} else if (is_c1(p + i, n)) {
			/* Valid JSON raw, but JSON gets printed to terminals too. */
			snprintf(esc, sizeof(esc), "\\u%04x", p[i + 1]);
			rep = esc;
		} else if (p[i] == '"') {
			rep = "\\\"";
		} else if (p[i] == '\\') {
			rep = "\\\\";
		}
		if (rep) {
			err = strbuf__append(out, s + run, i - run) ?: strbuf__puts(out, rep);
			run = i + n;
		}
		i += n;
	}
	return err ?: strbuf__append(out, s + run, i - run) ?: strbuf__append(out, "\"", 1);
}

int term__put_text(struct strbuf *out, const char *s, size_t len, const char *keep)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int err = 0;

	while (i < len && !err) {
		bool valid;
		size_t n = utf8__char(p + i, len - i, &valid);
		bool ctl = p[i] < 0x20 || p[i] == 0x7f;

		if (ctl && p[i] && keep && strchr(keep, p[i]))
			ctl = false;
		if (ctl || !valid || is_c1(p + i, n)) {
			err = strbuf__append(out, s + run, i - run);
			for (size_t k = 0; k < n && !err; k++)
				err = strbuf__printf(out, "\\x%02x", p[i + k]);
			run = i + n;
		}
		i += n;
	}
	return err ?: strbuf__append(out, s + run, i - run);
}
