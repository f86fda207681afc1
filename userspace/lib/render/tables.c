// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tables: per-function (top) and per-line rankings of a profile, as text tables. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/strbuf.h"
#include "render/tables.h"
#include "base/util.h"

struct row {
	char *key;		/* "name (file)" or "file:line" */
	char *label;		/* function name, for --lines */
	char *file;
	int line;
	__u64 own, total;
	__u64 gil;		/* of total, in stacks tagged SAMPLE_GIL */
	size_t seen;		/* last stack counted in total, + 1 */
};

struct rows {
	struct row *v;
	size_t nr, cap;
	size_t *slots;		/* open addressing: index + 1, 0 = empty */
	size_t nslots;
};

static __u64 hash_str(const char *s)
{
	return fnv1a(FNV1A_OFFSET, s, strlen(s));
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->v[i].key);
		free(r->v[i].label);
		free(r->v[i].file);
	}
	free(r->v);
	free(r->slots);
}

static __u64 row_hash_at(const void *ctx, size_t i)
{
	return hash_str(((const struct rows *)ctx)->v[i].key);
}

/* The row for key, added (with copies of label and file) if new; NULL on ENOMEM. */
static struct row *row_get(struct rows *r, const char *key, const char *label, size_t label_len,
			   const char *file, size_t file_len, int line)
{
	struct row *row;
	size_t s;

	if (slots__reserve(&r->slots, &r->nslots, r->nr, row_hash_at, r))
		return NULL;
	for (s = hash_str(key) & (r->nslots - 1); r->slots[s]; s = (s + 1) & (r->nslots - 1))
		if (strcmp(r->v[r->slots[s] - 1].key, key) == 0)
			return &r->v[r->slots[s] - 1];
	if (grow_array((void **)&r->v, &r->cap, r->nr + 1, sizeof(*r->v)))
		return NULL;
	row = &r->v[r->nr];
	memset(row, 0, sizeof(*row));
	row->key = strdup(key);
	row->label = strndup(label, label_len);
	row->file = file ? strndup(file, file_len) : NULL;
	row->line = line;
	if (!row->key || !row->label || (file && !row->file)) {
		free(row->key);
		free(row->label);
		free(row->file);
		return NULL;
	}
	r->slots[s] = ++r->nr;
	return row;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	enum table_sort sort_key = *(const enum table_sort *)arg;
	const struct row *x = a, *y = b;
	__u64 kx = sort_key == TABLE_SORT_OWN ? x->own : x->total;
	__u64 ky = sort_key == TABLE_SORT_OWN ? y->own : y->total;
	__u64 sx = sort_key == TABLE_SORT_OWN ? x->total : x->own;
	__u64 sy = sort_key == TABLE_SORT_OWN ? y->total : y->own;

	if (kx != ky)
		return kx > ky ? -1 : 1;
	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Collects one row per function (by_line false) or per source line. */
static int collect(const struct stackset *ss, bool by_line, struct rows *r)
{
	struct strbuf key = { 0 };
	int err = 0;

	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);
		bool leaf_done = false;

		/* Leaf first: the first eligible frame from the top is "own". */
		for (size_t k = st->nr; k-- > 1 && !err;) {
			const struct frame *fp = &ss->frames[ids[k]];
			int line = fp->line > 0 ? fp->line : 0;
			struct row *row;
			bool py;

			if (fp->kind == FRAME_KERNEL || fp->kind == FRAME_PROCESS ||
			    fp->kind == FRAME_THREAD)
				continue;
			if (by_line && (fp->kind != FRAME_PYTHON || !fp->file || !line))
				continue;
			strbuf__reset(&key);
			if (by_line)
				err = strbuf__printf(&key, "%s:%d", fp->file, line);
			else if (fp->kind == FRAME_PYTHON && fp->file)
				err = strbuf__printf(&key, "%s (%s)", fp->name, fp->file);
			else
				err = frame__label(fp, &key);
			if (err)
				break;
			py = fp->kind == FRAME_PYTHON;
			row = row_get(r, key.buf, py ? fp->name : key.buf,
				      py ? strlen(fp->name) : key.len, py ? fp->file : NULL,
				      py && fp->file ? strlen(fp->file) : 0, line);
			if (!row) {
				err = -ENOMEM;
				break;
			}
			if (!leaf_done)
				row->own += st->count;
			leaf_done = true;
			if (row->seen != i + 1) {
				row->total += st->count;
				if (st->tag & SAMPLE_GIL)
					row->gil += st->count;
				row->seen = i + 1;
			}
		}
	}
	strbuf__done(&key);
	return err;
}

static double pct(__u64 n, __u64 total)
{
	return total ? 100.0 * (double)n / (double)total : 0.0;
}

#define SOURCE_MAX_BYTES (64u << 20) /* bigger files are no Python source */

/*
 * Source line n of file (1-based), trimmed; "" when unreadable.  The name
 * comes from a profiled process, maybe another user's, and the reader may be
 * root: only a world-readable regular file is read (not /etc/shadow, not a
 * FIFO that would block, not /dev/zero that never ends).
 */
static void source_line(const char *file, int n, char *buf, size_t sz)
{
	struct stat st;
	FILE *f;
	int i = 0, fd;

	buf[0] = '\0';
	if (!file || file[0] != '/')
		return;
	fd = open(file, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IROTH) ||
	    st.st_size > SOURCE_MAX_BYTES) {
		close(fd);
		return;
	}
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return;
	}
	while (fgets(buf, (int)sz, f)) {
		size_t len = strlen(buf);

		if (++i == n) {
			char *s = buf;

			while (*s == ' ' || *s == '\t')
				s++;
			memmove(buf, s, strlen(s) + 1);
			len = strlen(buf);
			while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				buf[--len] = '\0';
			fclose(f);
			return;
		}
		/* A line longer than the buffer: skip the rest of it. */
		while (len && buf[len - 1] != '\n' && fgets(buf, (int)sz, f))
			len = strlen(buf);
	}
	buf[0] = '\0';
	fclose(f);
}

/* Whether any stack says its thread held the GIL: else a %GIL column says nothing. */
static bool gil_known(const struct stackset *ss)
{
	for (size_t i = 0; i < ss->nr; i++)
		if (ss->stacks[i].tag & SAMPLE_GIL)
			return true;
	return false;
}

/* The header line: shares, then samples or times, [%GIL], then what a row is. */
static int put_header(const struct table_opts *o, bool by_line, struct strbuf *out)
{
	bool time = o->rate_hz || o->unit == VIEW_UNIT_NS;
	const char *a = by_line ? "Total" : "Own", *b = by_line ? "Own" : "Total";
	char pa[16], pb[16], ta[16], tb[16];

	snprintf(pa, sizeof(pa), "%%%s", a);
	snprintf(pb, sizeof(pb), "%%%s", b);
	snprintf(ta, sizeof(ta), "%s%s", a, time ? "Time" : "");
	snprintf(tb, sizeof(tb), "%s%s", b, time ? "Time" : "");
	return strbuf__printf(out, "%7s %7s %9s %9s  %s%s\n", pa, pb, ta, tb,
			      o->gil && !by_line ? "   %GIL  " : "",
			      by_line ? "Line" : "Function (file)");
}

/*
 * A row's columns before its name: shares, then samples, or the CPU time
 * they stand for (rate_hz), or the time they are (VIEW_UNIT_NS), [%GIL].
 */
static int put_counts(const struct table_opts *o, const struct row *row, bool by_line,
		      __u64 total, bool gil, struct strbuf *out)
{
	__u64 a = by_line ? row->total : row->own, b = by_line ? row->own : row->total;
	int err;

	if (o->unit == VIEW_UNIT_NS)
		err = strbuf__printf(out, "%6.2f%% %6.2f%% %8.2fs %8.2fs  ", pct(a, total),
				     pct(b, total), (double)a / NSEC_PER_SEC,
				     (double)b / NSEC_PER_SEC);
	else if (o->rate_hz)
		err = strbuf__printf(out, "%6.2f%% %6.2f%% %8.2fs %8.2fs  ", pct(a, total),
				     pct(b, total), (double)a / o->rate_hz,
				     (double)b / o->rate_hz);
	else
		err = strbuf__printf(out, "%6.2f%% %6.2f%% %9llu %9llu  ", pct(a, total),
				     pct(b, total), (unsigned long long)a, (unsigned long long)b);
	if (err || !o->gil || by_line)
		return err;
	if (!gil)
		return strbuf__printf(out, "%7s  ", "-");
	return strbuf__printf(out, "%6.2f%%  ", pct(row->gil, row->total));
}

static int render(const struct stackset *ss, const struct table_opts *o, bool by_line,
		  struct strbuf *out)
{
	struct rows r = { 0 };
	bool gil = gil_known(ss);
	size_t n;
	int err;

	err = collect(ss, by_line, &r);
	if (err)
		goto cleanup;
	if (r.nr)
		qsort_r(r.v, r.nr, sizeof(*r.v), cmp_rows, (void *)&o->sort);
	n = o->max_rows && o->max_rows < r.nr ? o->max_rows : r.nr;
	err = put_header(o, by_line, out);
	for (size_t i = 0; i < n && !err; i++) {
		const struct row *row = &r.v[i];
		char src[256];

		err = put_counts(o, row, by_line, ss->total, gil, out);
		if (err)
			break;
		if (!by_line) {
			err = strbuf__printf(out, "%s\n", row->key);
			continue;
		}
		src[0] = '\0';
		if (o->source)
			source_line(row->file, row->line, src, sizeof(src));
		err = strbuf__printf(out, "%s (%s)%s%s\n", row->key, row->label, src[0] ? "  " : "",
				     src);
	}
cleanup:
	rows_free(&r);
	return err;
}

int table_top__render(const struct stackset *ss, const struct table_opts *o, struct strbuf *out)
{
	return render(ss, o, false, out);
}

int table_lines__render(const struct stackset *ss, const struct table_opts *o, struct strbuf *out)
{
	return render(ss, o, true, out);
}
