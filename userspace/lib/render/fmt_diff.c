// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_diff: differential folded text, difffolded.pl's (rules in fmt_diff.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "render/fmt_diff.h"
#include "base/strbuf.h"
#include "profile/stacks.h"
#include "render/fmt_folded.h"

/* One stack of a profile's folded text: its bytes (the line less " count\n") and count. */
struct dline {
	const char *stack;
	size_t len;
	__u64 count;
};

/* One profile as folded text, and its lines sorted by stack. */
struct side {
	struct strbuf text;
	struct dline *lines;
	size_t nr;
	__u64 total;
};

static int cmp_dline(const void *a, const void *b)
{
	const struct dline *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->stack, y->stack, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * s's lines from ss's folded text.  fmt_folded sorts whole lines, not
 * stacks ("a 1x 2" before "a 5" though stack "a" is less), and merges
 * lines of equal text: each stack comes once, sorted again here.
 */
static int side__make(struct side *s, const struct stackset *ss)
{
	const char *p, *end;
	int err;

	err = fmt_folded__render(ss, &s->text);
	if (err)
		return err;
	p = s->text.buf ? s->text.buf : "";
	end = p + s->text.len;
	s->lines = malloc((ss->nr ? ss->nr : 1) * sizeof(*s->lines));
	if (!s->lines)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp = nl;

		while (sp > p && sp[-1] != ' ')
			sp--;
		/* fmt_folded writes "stack count\n", at most one line per stack */
		if (!nl || sp <= p || s->nr >= ss->nr)
			return -EINVAL;
		s->lines[s->nr] = (struct dline){ .stack = p, .len = (size_t)(sp - 1 - p),
						  .count = strtoull(sp, NULL, 10) };
		if (__builtin_add_overflow(s->total, s->lines[s->nr].count, &s->total))
			return -EINVAL;
		s->nr++;
		p = nl + 1;
	}
	qsort(s->lines, s->nr, sizeof(*s->lines), cmp_dline);
	return 0;
}

static void side__done(struct side *s)
{
	strbuf__done(&s->text);
	free(s->lines);
}

/* difffolded.pl -n: A's count scaled to B's total, rounded down (exact: 128-bit). */
static __u64 scale(__u64 count, __u64 from, __u64 to)
{
	return (__u64)((unsigned __int128)count * to / from);
}

static int put_line(struct strbuf *out, const struct dline *l, __u64 a, __u64 b)
{
	return strbuf__append(out, l->stack, l->len) ?:
	       strbuf__printf(out, " %llu %llu\n", (unsigned long long)a, (unsigned long long)b);
}

/* Both sides' lines merged by stack, each once, with both counts. */
static int merge(const struct side *a, const struct side *b, bool normalize, struct strbuf *out)
{
	bool scaled = normalize && a->total && b->total && a->total != b->total;
	size_t i = 0, k = 0;
	int err = 0;

	while ((i < a->nr || k < b->nr) && !err) {
		int c = i == a->nr ? 1 : k == b->nr ? -1 : cmp_dline(&a->lines[i], &b->lines[k]);
		__u64 ca = c <= 0 ? a->lines[i].count : 0, cb = c >= 0 ? b->lines[k].count : 0;

		if (scaled)
			ca = scale(ca, a->total, b->total);
		err = put_line(out, c <= 0 ? &a->lines[i] : &b->lines[k], ca, cb);
		i += c <= 0;
		k += c >= 0;
	}
	return err;
}

int fmt_diff__render(const struct stackset *a, const struct stackset *b, bool normalize,
		     struct strbuf *out)
{
	struct side sa = { 0 }, sb = { 0 };
	size_t start;
	int err;

	if (!a || !b || !out)
		return -EINVAL;
	start = out->len;
	err = side__make(&sa, a) ?: side__make(&sb, b) ?: merge(&sa, &sb, normalize, out);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	side__done(&sa);
	side__done(&sb);
	return err;
}
