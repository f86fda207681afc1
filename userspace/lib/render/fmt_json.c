// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_json: pyprof's own JSON profile, for scripts (schema in formats.h). */
#include <errno.h>
#include <time.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"

static const char *const kind_names[] = {
	[FRAME_PROCESS] = "process", [FRAME_PYTHON] = "python", [FRAME_KERNEL] = "kernel",
	[FRAME_MARKER] = "marker",   [FRAME_OTHER] = "other",   [FRAME_THREAD] = "thread",
	[FRAME_NATIVE] = "native",
};

static int put_frame(struct strbuf *out, const struct frame *f, bool first)
{
	int err;

	err = strbuf__puts(out, first ? "{\"name\":" : ",\n{\"name\":");
	err = err ?: json__put_string(out, f->name, strlen(f->name));
	err = err ?: strbuf__printf(out, ",\"kind\":\"%s\"", kind_names[f->kind]);
	if (f->file) {
		err = err ?: strbuf__puts(out, ",\"file\":");
		err = err ?: json__put_string(out, f->file, strlen(f->file));
	}
	/* line 0 is no line a program has: left out like an unknown one */
	if (f->line > 0)
		err = err ?: strbuf__printf(out, ",\"line\":%d", f->line);
	if (f->func_line > 0)
		err = err ?: strbuf__printf(out, ",\"func_line\":%d", f->func_line);
	return err ?: strbuf__puts(out, "}");
}

/* What a frame shows in JSON: frames that show the same are one JSON frame. */
static bool same_json(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && a->name == b->name && a->file == b->file &&
	       (a->line > 0 ? a->line : 0) == (b->line > 0 ? b->line : 0) &&
	       (a->func_line > 0 ? a->func_line : 0) == (b->func_line > 0 ? b->func_line : 0);
}

struct numbering {
	const struct stackset *ss;
	__u32 *map;		/* frame index -> JSON frame number + 1, 0 until used */
	__u32 *order;		/* JSON frame number -> a frame index */
	size_t nr;
	size_t *slots, nr_slots;
};

/* Over the set's interned string pointers: equal strings, equal pointers. */
static __u64 json_hash(const struct frame *f)
{
	__u64 h = (__u64)(uintptr_t)f->name * FNV1A_PRIME ^ (__u64)(uintptr_t)f->file;

	h = (h ^ (__u64)f->kind) * FNV1A_PRIME;
	h = (h ^ (__u64)(__u32)(f->line > 0 ? f->line : 0)) * FNV1A_PRIME;
	h = (h ^ (__u64)(__u32)(f->func_line > 0 ? f->func_line : 0)) * FNV1A_PRIME;
	return h ^ (h >> 29);
}

static __u64 json_hash_at(const void *ctx, size_t i)
{
	const struct numbering *n = ctx;

	return json_hash(&n->ss->frames[n->order[i]]);
}

static int number_frame(struct numbering *n, __u32 idx)
{
	const struct frame *f = &n->ss->frames[idx];
	size_t mask, s;

	if (slots__reserve(&n->slots, &n->nr_slots, n->nr, json_hash_at, n))
		return -ENOMEM;
	mask = n->nr_slots - 1;
	for (s = json_hash(f) & mask; n->slots[s]; s = (s + 1) & mask) {
		if (same_json(&n->ss->frames[n->order[n->slots[s] - 1]], f)) {
			n->map[idx] = (__u32)n->slots[s];
			return 0;
		}
	}
	n->order[n->nr++] = idx;
	n->slots[s] = n->nr;
	n->map[idx] = (__u32)n->nr;
	return 0;
}

/* JSON frames are numbered in the order stacks first use them. */
static int number_frames(struct numbering *n)
{
	const struct stackset *ss = n->ss;
	int err = 0;

	n->map = calloc(ss->nr_frames ? ss->nr_frames : 1, sizeof(*n->map));
	n->order = malloc((ss->nr_frames ? ss->nr_frames : 1) * sizeof(*n->order));
	if (!n->map || !n->order)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const __u32 *ids = stack__ids(ss, &ss->stacks[i]);

		for (size_t d = 0; d < ss->stacks[i].nr && !err; d++)
			if (!n->map[ids[d]])
				err = number_frame(n, ids[d]);
	}
	return err;
}

/*
 * "from","to": the wall-clock range covered, ISO 8601 in UTC to the ns (RFC 3339),
 * when the meta has an end; nothing otherwise (the keys are absent, not null).
 */
static int put_range(struct strbuf *out, const struct fmt_meta *m)
{
	__u64 d = m->duration_ns ?: m->seconds * NSEC_PER_SEC,
	      t[2] = { m->end_unix_ns > d ? m->end_unix_ns - d : 0, m->end_unix_ns };
	static const char *const key[2] = { "from", "to" };
	int err = 0;

	if (!m->end_unix_ns)
		return 0;
	for (int i = 0; i < 2 && !err; i++) {
		time_t s = (time_t)(t[i] / NSEC_PER_SEC);
		struct tm tm;
		char buf[32];

		if (!gmtime_r(&s, &tm))
			return -EINVAL;
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		err = strbuf__printf(out, "\"%s\":\"%s.%09lluZ\",", key[i], buf,
				     (unsigned long long)(t[i] % NSEC_PER_SEC));
	}
	return err;
}

static int render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	struct numbering n = { .ss = ss };
	int err;

	err = number_frames(&n);
	err = err ?: strbuf__printf(out, "{\"version\":1,\"pid\":%d,\"comm\":", m->pid);
	err = err ?: json__put_string(out, m->comm ? m->comm : "", m->comm ? strlen(m->comm) : 0);
	err = err ?: strbuf__printf(out,
				    ",\"seconds\":%llu,\"duration_ns\":%llu,\"rate_hz\":%u,"
				    "\"mode\":\"%s\",\"unit\":\"%s\",\"period_ns\":%llu,"
				    "\"total\":%llu,",
				    (unsigned long long)m->seconds,
				    (unsigned long long)(m->duration_ns ?:
							 m->seconds * NSEC_PER_SEC),
				    m->rate_hz, view_mode__name(m->mode) ?: "cpu",
				    view_mode__unit(m->mode) == VIEW_UNIT_NS ? "nanoseconds" : "samples",
				    (unsigned long long)m->period_ns, (unsigned long long)ss->total);
	err = err ?: put_range(out, m) ?: strbuf__puts(out, "\n\"frames\":[\n");
	for (size_t i = 0; i < n.nr && !err; i++)
		err = put_frame(out, &ss->frames[n.order[i]], i == 0);
	err = err ?: strbuf__puts(out, "],\n\"stacks\":[\n");
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);

		err = strbuf__puts(out, i ? ",\n{\"frames\":[" : "{\"frames\":[");
		for (size_t d = 0; d < st->nr && !err; d++)
			err = strbuf__printf(out, d ? ",%u" : "%u", n.map[ids[d]] - 1);
		err = err ?: strbuf__printf(out, "],\"count\":%llu}",
					    (unsigned long long)st->count);
	}
	err = err ?: strbuf__puts(out, "]}\n");
	free(n.order);
	free(n.map);
	free(n.slots);
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
