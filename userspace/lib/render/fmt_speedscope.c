// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_speedscope: a profile as speedscope's JSON file format (see formats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"

/*
 * Frames are shared by their name string; the root is keyed apart because
 * frame__split() reads it differently (a process named "x_[k]" is no kernel
 * frame).
 */
struct frame_key {
	const char *name;
	size_t len;
	__u64 hash;	/* bit 0: is the root */
};

struct frames {
	struct frame_key *items;	/* frame index */
	size_t nr, cap;
	size_t *slots;			/* index + 1, 0 = empty; power-of-two sized */
	size_t nr_slots;
	size_t *stack_idx;		/* every stack's frame indexes, root first, in a row */
};

static __u64 hash_frame(const char *s, size_t len, bool root)
{
	return (fnv1a(FNV1A_OFFSET, s, len) & ~1ull) | root;
}

static __u64 frame_hash_at(const void *ctx, size_t i)
{
	return ((const struct frames *)ctx)->items[i].hash;
}

static int frames_intern(struct frames *f, const char *name, bool root, size_t *ret_idx)
{
	size_t len = strlen(name), s;
	__u64 h = hash_frame(name, len, root);

	if (slots__reserve(&f->slots, &f->nr_slots, f->nr, frame_hash_at, f))
		return -ENOMEM;
	for (s = h & (f->nr_slots - 1); f->slots[s]; s = (s + 1) & (f->nr_slots - 1)) {
		const struct frame_key *k = &f->items[f->slots[s] - 1];

		if (k->hash == h && k->len == len && memcmp(k->name, name, len) == 0) {
			*ret_idx = f->slots[s] - 1;
			return 0;
		}
	}
	if (grow_array((void **)&f->items, &f->cap, f->nr + 1, sizeof(*f->items)))
		return -ENOMEM;
	f->items[f->nr] = (struct frame_key){ .name = name, .len = len, .hash = h };
	f->slots[s] = ++f->nr;
	*ret_idx = f->nr - 1;
	return 0;
}

static int collect(struct frames *f, const struct stackset *ss)
{
	size_t nr_frames = 0, at = 0;
	int err = 0;

	for (size_t i = 0; i < ss->nr; i++)
		nr_frames += ss->stacks[i].nr;
	f->stack_idx = calloc(nr_frames ? nr_frames : 1, sizeof(*f->stack_idx));
	if (!f->stack_idx)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];

		for (size_t d = 0; d < st->nr && !err; d++)
			err = frames_intern(f, st->frames[d], d == 0, &f->stack_idx[at + d]);
		at += st->nr;
	}
	return err;
}

static int put_frame(struct strbuf *out, const struct frame_key *k, bool first)
{
	struct frame_parts fp;
	int err;

	frame__split(k->name, k->hash & 1 ? 0 : 1, &fp);
	err = strbuf__puts(out, first ? "{\"name\":" : ",{\"name\":") ?:
	      json__put_string(out, fp.name, fp.name_len);
	if (!err && fp.kind == FRAME_PYTHON)
		err = strbuf__puts(out, ",\"file\":") ?: json__put_string(out, fp.file, fp.file_len);
	else if (!err && fp.kind == FRAME_KERNEL)
		err = strbuf__puts(out, ",\"file\":\"[kernel]\"");
	if (!err && fp.line)
		err = strbuf__printf(out, ",\"line\":%d", fp.line);
	return err ?: strbuf__puts(out, "}");
}

static int put_name(struct strbuf *out, const struct fmt_meta *m)
{
	struct strbuf name = { 0 };
	int err;

	if (m && m->comm && m->pid)
		err = strbuf__printf(&name, "%s (pid %d)", m->comm, m->pid);
	else if (m && m->comm)
		err = strbuf__puts(&name, m->comm);
	else if (m && m->pid)
		err = strbuf__printf(&name, "pid %d", m->pid);
	else
		err = strbuf__puts(&name, "pyprof profile");
	if (m && m->seconds)
		err = err ?: strbuf__printf(&name, ", last %llu s", (unsigned long long)m->seconds);
	err = err ?: json__put_string(out, name.buf, name.len);
	strbuf__done(&name);
	return err;
}

/* A sample's weight: its CPU time in ns, rounded, or its count when the rate is unknown. */
static __u64 weight_of(__u64 count, __u32 rate_hz)
{
	if (!rate_hz)
		return count;
	return (__u64)(((unsigned __int128)count * NSEC_PER_SEC + rate_hz / 2) / rate_hz);
}

static int render(const struct frames *f, const struct stackset *ss, const struct fmt_meta *m,
		  struct strbuf *out)
{
	__u32 rate = m ? m->rate_hz : 0;
	__u64 end = 0;
	size_t at = 0;
	int err;

	err = strbuf__puts(out, "{\"$schema\":"
				"\"https://www.speedscope.app/file-format-schema.json\","
				"\"shared\":{\"frames\":[");
	for (size_t i = 0; i < f->nr && !err; i++)
		err = put_frame(out, &f->items[i], i == 0);
	err = err ?: strbuf__puts(out, "]},\"profiles\":[{\"type\":\"sampled\",\"name\":") ?:
	      put_name(out, m) ?:
	      strbuf__printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":",
			     rate ? "nanoseconds" : "none");
	for (size_t i = 0; i < ss->nr; i++)
		end += weight_of(ss->stacks[i].count, rate);
	err = err ?: strbuf__printf(out, "%llu,\"samples\":[", (unsigned long long)end);
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];

		err = strbuf__puts(out, i ? ",[" : "[");
		for (size_t d = 0; d < st->nr && !err; d++)
			err = strbuf__printf(out, d ? ",%zu" : "%zu", f->stack_idx[at + d]);
		err = err ?: strbuf__puts(out, "]");
		at += st->nr;
	}
	err = err ?: strbuf__puts(out, "],\"weights\":[");
	for (size_t i = 0; i < ss->nr && !err; i++)
		err = strbuf__printf(out, i ? ",%llu" : "%llu",
				     (unsigned long long)weight_of(ss->stacks[i].count, rate));
	err = err ?: strbuf__puts(out, "]}],\"name\":") ?: put_name(out, m);
	return err ?: strbuf__puts(out, ",\"activeProfileIndex\":0,\"exporter\":\"pyprof\"}\n");
}

int fmt_speedscope__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	struct frames f;
	size_t start = out->len;
	int err;

	memset(&f, 0, sizeof(f));
	err = collect(&f, ss) ?: render(&f, ss, m, out);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	free(f.items);
	free(f.slots);
	free(f.stack_idx);
	return err;
}
