// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_folded: Brendan Gregg's FlameGraph "folded" format (rules in fmt_folded.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "render/fmt_folded.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/stacks.h"
#include "render/labels.h"

/* Start of a trailing \d+(\.\d*)? in s[0..len), or len when there is none. */
static size_t trailing_number(const char *s, size_t len)
{
	size_t i = len, dot;

	while (i > 0 && isdigit((unsigned char)s[i - 1]))
		i--;
	if (i > 0 && s[i - 1] == '.') {
		dot = i - 1;
		while (dot > 0 && isdigit((unsigned char)s[dot - 1]))
			dot--;
		if (dot < i - 1)
			return dot;
	}
	return i;
}

int folded__encode_frame(struct strbuf *out, const char *name)
{
	size_t start = out->len, len = strlen(name), i;
	int err;

	if (!len)
		return strbuf__puts(out, "[unknown]");
	err = strbuf__append(out, name, len);
	if (err)
		return err;
	for (i = start; i < out->len; i++) {
		unsigned char c = (unsigned char)out->buf[i];

		if (c == ';')
			out->buf[i] = ':';
		else if (c < ' ' || c == 0x7f)
			out->buf[i] = '?';
	}
	/* flamegraph.pl reads a trailing " <digits>[.<digits>]" as a (second) count. */
	i = trailing_number(out->buf + start, out->len - start);
	if (i > 0 && i < out->len - start && isspace((unsigned char)out->buf[start + i - 1]))
		out->buf[start + i - 1] = '_';
	return 0;
}

/* One distinct stack's line in the text being rendered. */
struct line {
	size_t off, len;
	__u64 count;
};

static int cmp_line(const void *a, const void *b, void *arg)
{
	const struct line *x = a, *y = b;
	const char *text = arg;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(text + x->off, text + y->off, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Every stack's encoded line into text (back to back), in lines[]. */
static int make_lines(const struct stackset *ss, const struct labels *l, struct strbuf *text,
		      struct line *lines)
{
	int err = 0;

	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);

		lines[i] = (struct line){ .off = text->len, .count = st->count };
		for (size_t k = 0; k < st->nr && !err; k++)
			err = (k ? strbuf__append(text, ";", 1) : 0) ?:
			      strbuf__puts(text, labels__get(l, ids[k]));
		lines[i].len = text->len - lines[i].off;
	}
	return err;
}

int fmt_folded__render(const struct stackset *ss, struct strbuf *out)
{
	struct strbuf text = { 0 };
	struct labels l;
	struct line *lines;
	size_t start = out->len;
	int err;

	lines = malloc((ss->nr ? ss->nr : 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	err = labels__make(&l, ss, true) ?: make_lines(ss, &l, &text, lines);
	if (!err)
		qsort_r(lines, ss->nr, sizeof(*lines), cmp_line, text.buf);
	for (size_t i = 0; i < ss->nr && !err; i++) {
		__u64 count = lines[i].count;

		/* sorted: stacks whose encoded lines are equal are neighbours */
		while (i + 1 < ss->nr && !cmp_line(&lines[i], &lines[i + 1], text.buf))
			count += lines[++i].count;
		err = strbuf__append(out, text.buf + lines[i].off, lines[i].len) ?:
		      strbuf__printf(out, " %llu\n", (unsigned long long)count);
	}
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	labels__done(&l);
	strbuf__done(&text);
	free(lines);
	return err;
}
