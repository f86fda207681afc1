// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_json: pyprof's own JSON profile, for scripts (schema in formats.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"

struct frames {
	struct frame_parts *parts;	/* distinct frames, first seen first */
	size_t nr, cap;
	size_t *slots;			/* open addressing: index + 1, 0 = empty */
	size_t nr_slots;
};

static const char *const kind_names[] = {
	[FRAME_PROCESS] = "process", [FRAME_PYTHON] = "python", [FRAME_KERNEL] = "kernel",
	[FRAME_MARKER] = "marker",   [FRAME_OTHER] = "other",
};

static __u64 hash_parts(const struct frame_parts *fp)
{
	__u64 h = fnv1a(FNV1A_OFFSET, fp->name, fp->name_len);

	h = (h ^ (__u64)fp->kind) * FNV1A_PRIME;
	if (fp->file)
		h = fnv1a(h ^ 0xff, fp->file, fp->file_len);
	h = (h ^ (__u64)(unsigned int)fp->line) * FNV1A_PRIME;
	return h ^ (h >> 29);
}

static bool same_parts(const struct frame_parts *a, const struct frame_parts *b)
{
	return a->kind == b->kind && a->line == b->line && a->name_len == b->name_len &&
	       !memcmp(a->name, b->name, a->name_len) && !a->file == !b->file &&
	       (!a->file || (a->file_len == b->file_len && !memcmp(a->file, b->file, a->file_len)));
}

static __u64 parts_hash_at(const void *ctx, size_t i)
{
	return hash_parts(&((const struct frames *)ctx)->parts[i]);
}

/* Stores the index of fp in *ret, adding it when it is new. */
static int intern(struct frames *f, const struct frame_parts *fp, size_t *ret)
{
	size_t s;

	if (slots__reserve(&f->slots, &f->nr_slots, f->nr, parts_hash_at, f))
		return -ENOMEM;
	for (s = hash_parts(fp) & (f->nr_slots - 1); f->slots[s]; s = (s + 1) & (f->nr_slots - 1)) {
		if (same_parts(&f->parts[f->slots[s] - 1], fp)) {
			*ret = f->slots[s] - 1;
			return 0;
		}
	}
	if (grow_array((void **)&f->parts, &f->cap, f->nr + 1, sizeof(*f->parts)))
		return -ENOMEM;
	f->parts[f->nr] = *fp;
	f->slots[s] = ++f->nr;
	*ret = f->nr - 1;
	return 0;
}

static int put_frame(struct strbuf *out, const struct frame_parts *fp, bool first)
{
	int err;

	err = strbuf__puts(out, first ? "{\"name\":" : ",\n{\"name\":");
	err = err ?: json__put_string(out, fp->name, fp->name_len);
	err = err ?: strbuf__printf(out, ",\"kind\":\"%s\"", kind_names[fp->kind]);
	if (fp->file) {
		err = err ?: strbuf__puts(out, ",\"file\":");
		err = err ?: json__put_string(out, fp->file, fp->file_len);
	}
	if (fp->line)
		err = err ?: strbuf__printf(out, ",\"line\":%d", fp->line);
	return err ?: strbuf__puts(out, "}");
}

static int render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	struct frames f = { 0 };
	size_t *idx, nr_idx = 0, k = 0;
	int err;

	for (size_t i = 0; i < ss->nr; i++)
		nr_idx += ss->stacks[i].nr;
	idx = malloc((nr_idx ? nr_idx : 1) * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	err = 0;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];

		for (size_t d = 0; d < st->nr && !err; d++) {
			struct frame_parts fp;

			frame__split(st->frames[d], d, &fp);
			err = intern(&f, &fp, &idx[k++]);
		}
	}
	err = err ?: strbuf__printf(out, "{\"version\":1,\"pid\":%d,\"comm\":", m->pid);
	err = err ?: json__put_string(out, m->comm ? m->comm : "", m->comm ? strlen(m->comm) : 0);
	err = err ?: strbuf__printf(out,
				    ",\"seconds\":%llu,\"duration_ns\":%llu,\"rate_hz\":%u,"
				    "\"total\":%llu,\n\"frames\":[\n",
				    (unsigned long long)m->seconds,
				    (unsigned long long)(m->duration_ns ?: m->seconds * 1000000000ull),
				    m->rate_hz,
				    (unsigned long long)ss->total);
	for (size_t i = 0; i < f.nr && !err; i++)
		err = put_frame(out, &f.parts[i], i == 0);
	err = err ?: strbuf__puts(out, "],\n\"stacks\":[\n");
	k = 0;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];

		err = strbuf__puts(out, i ? ",\n{\"frames\":[" : "{\"frames\":[");
		for (size_t d = 0; d < st->nr && !err; d++)
			err = strbuf__printf(out, d ? ",%zu" : "%zu", idx[k++]);
		err = err ?: strbuf__printf(out, "],\"count\":%llu}",
					    (unsigned long long)st->count);
	}
	err = err ?: strbuf__puts(out, "]}\n");
	free(idx);
	free(f.parts);
	free(f.slots);
	return err;
}

int fmt_json__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	static const struct fmt_meta none;
	size_t start;
	int err;

	if (!ss || !out)
		return -EINVAL;
	start = out->len;
	err = render(ss, m ? m : &none, out);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return err;
}
