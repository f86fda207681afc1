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

struct entry {
	__u64 hash;
	__u64 count;
	size_t off, len;	/* line in f->text */
};

struct folded {
	struct strbuf text;	/* encoded lines, NUL-separated */
	struct entry *slots;	/* open addressing; len 0 = empty (no line is empty) */
	size_t cap, used;
	__u64 total;
	struct strbuf scratch;
};

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

struct folded *folded__new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (!f)
		errno = ENOMEM;
	return f;
}

void folded__free(struct folded *f)
{
	if (!f)
		return;
	strbuf__done(&f->text);
	strbuf__done(&f->scratch);
	free(f->slots);
	free(f);
}

static int rehash(struct folded *f, size_t cap)
{
	struct entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		size_t s;

		if (!f->slots[i].len)
			continue;
		for (s = f->slots[i].hash & (cap - 1); slots[s].len; s = (s + 1) & (cap - 1))
			;
		slots[s] = f->slots[i];
	}
	free(f->slots);
	f->slots = slots;
	f->cap = cap;
	return 0;
}

int folded__add(struct folded *f, const char *const *names, size_t nr, __u64 count)
{
	struct strbuf *sb = &f->scratch;
	__u64 h;
	size_t s;
	int err = 0;

	if (!nr)
		return -EINVAL;
	strbuf__reset(sb);
	for (size_t i = 0; i < nr && !err; i++) {
		if (i)
			err = strbuf__append(sb, ";", 1);
		err = err ?: folded__encode_frame(sb, names[i]);
	}
	if (err)
		return err;
	h = fnv1a(FNV1A_OFFSET, sb->buf, sb->len);
	if (f->cap) {
		for (s = h & (f->cap - 1); f->slots[s].len; s = (s + 1) & (f->cap - 1)) {
			struct entry *e = &f->slots[s];

			if (e->hash == h && e->len == sb->len &&
			    memcmp(f->text.buf + e->off, sb->buf, sb->len) == 0) {
				e->count += count;
				f->total += count;
				return 0;
			}
		}
	}
	if ((f->used + 1) * 4 > f->cap * 3 && rehash(f, f->cap ? f->cap * 2 : 256))
		return -ENOMEM;
	for (s = h & (f->cap - 1); f->slots[s].len; s = (s + 1) & (f->cap - 1))
		;
	f->slots[s] = (struct entry){ .hash = h, .count = count, .off = f->text.len, .len = sb->len };
	if (strbuf__append(&f->text, sb->buf, sb->len + 1)) {
		f->slots[s].len = 0;
		return -ENOMEM;
	}
	f->used++;
	f->total += count;
	return 0;
}

size_t folded__nr_stacks(const struct folded *f)
{
	return f->used;
}

__u64 folded__total(const struct folded *f)
{
	return f->total;
}

static int cmp_entry(const void *a, const void *b, void *arg)
{
	const struct entry *x = a, *y = b;
	const char *sort_text = arg;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(sort_text + x->off, sort_text + y->off, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int folded__foreach(struct folded *f, int (*fn)(const char *line, size_t len, __u64 count, void *arg),
		    void *arg)
{
	struct entry *sorted;
	size_t n = 0;
	int r = 0;

	if (!f->used)
		return 0;
	sorted = malloc(f->used * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++)
		if (f->slots[i].len)
			sorted[n++] = f->slots[i];
	qsort_r(sorted, n, sizeof(*sorted), cmp_entry, f->text.buf);
	for (size_t i = 0; i < n && !r; i++)
		r = fn(f->text.buf + sorted[i].off, sorted[i].len, sorted[i].count, arg);
	free(sorted);
	return r;
}

static int render_line(const char *line, size_t len, __u64 count, void *arg)
{
	struct strbuf *out = arg;

	return strbuf__append(out, line, len) ?: strbuf__printf(out, " %llu\n", (unsigned long long)count);
}

int folded__render(struct folded *f, struct strbuf *out)
{
	return folded__foreach(f, render_line, out);
}
