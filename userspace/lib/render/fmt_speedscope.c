// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_speedscope: a profile as speedscope's JSON file format (see formats.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "render/formats.h"
#include "render/units.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "render/labels.h"

/*
 * Shared frames are the set's frames in the order stacks first use them;
 * map[i] is frame i's number + 1.
 */
struct frames {
	__u32 *map;
	__u32 *order;
	size_t nr;
	struct labels labels;	/* names of frames speedscope has no field for */
};

static int collect(struct frames *f, const struct stackset *ss)
{
	f->map = calloc(ss->nr_frames ? ss->nr_frames : 1, sizeof(*f->map));
	f->order = malloc((ss->nr_frames ? ss->nr_frames : 1) * sizeof(*f->order));
	if (!f->map || !f->order)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr; i++) {
		const __u32 *ids = stack__ids(ss, &ss->stacks[i]);

		for (size_t d = 0; d < ss->stacks[i].nr; d++) {
			if (!f->map[ids[d]]) {
				f->order[f->nr++] = ids[d];
				f->map[ids[d]] = (__u32)f->nr;
			}
		}
	}
	return labels__make(&f->labels, ss, false);
}

static int put_frame(struct strbuf *out, const struct frames *fs, const struct stackset *ss,
		     __u32 idx, bool first)
{
	const struct frame *f = &ss->frames[idx];
	const char *name = f->kind == FRAME_THREAD ? labels__get(&fs->labels, idx) : f->name;
	int err;

	err = strbuf__puts(out, first ? "{\"name\":" : ",{\"name\":") ?:
	      json__put_string(out, name, strlen(name));
	if (!err && (f->kind == FRAME_PYTHON || f->kind == FRAME_NATIVE) && f->file)
		err = strbuf__puts(out, ",\"file\":") ?:
		      json__put_string(out, f->file, strlen(f->file));
	else if (!err && f->kind == FRAME_KERNEL)
		err = strbuf__puts(out, ",\"file\":\"[kernel]\"");
	/* line 0 is no line a program has: left out like an unknown one */
	if (!err && f->kind != FRAME_THREAD && f->line > 0)
		err = strbuf__printf(out, ",\"line\":%d", f->line);
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
	if (m && m->end_unix_ns && (m->duration_ns || m->seconds))
		err = err ?: strbuf__puts(&name, ", ") ?: fmt_meta__put_range(&name, m, "\u2013");
	else if (m && m->seconds)
		err = err ?: strbuf__printf(&name, ", last %llu s", (unsigned long long)m->seconds);
	/* cpu, the default, as before modes; the others say what they count */
	if (m && m->mode != VIEW_MODE_CPU && units__what(m->mode))
		err = err ?: strbuf__printf(&name, ", %s", units__what(m->mode));
	err = err ?: json__put_string(out, name.buf, name.len);
	strbuf__done(&name);
	return err;
}

/*
 * A stack's weight: its CPU time in ns, rounded, or its count when the rate
 * is unknown (rate_hz 0) or the count is already ns (a time view).
 */
static __u64 weight_of(__u64 count, __u32 rate_hz)
{
	if (!rate_hz)
		return count;
	return (__u64)(((unsigned __int128)count * NSEC_PER_SEC + rate_hz / 2) / rate_hz);
}

static int render(const struct frames *f, const struct stackset *ss, const struct fmt_meta *m,
		  struct strbuf *out)
{
	bool time = m && view_mode__unit(m->mode) == VIEW_UNIT_NS;
	__u32 rate = m && !time ? m->rate_hz : 0;
	unsigned __int128 ns = 0;
	__u64 end = 0;
	int err;

	/* Samples whose time would pass 2^64 ns in all are weighed as samples ("none"). */
	for (size_t i = 0; i < ss->nr && rate; i++)
		ns += (unsigned __int128)ss->stacks[i].count * NSEC_PER_SEC / rate + 1;
	if (ns > UINT64_MAX)
		rate = 0;

	err = strbuf__puts(out, "{\"$schema\":"
				"\"https://www.speedscope.app/file-format-schema.json\","
				"\"shared\":{\"frames\":[");
	for (size_t i = 0; i < f->nr && !err; i++)
		err = put_frame(out, f, ss, f->order[i], i == 0);
	err = err ?: strbuf__puts(out, "]},\"profiles\":[{\"type\":\"sampled\",\"name\":") ?:
	      put_name(out, m) ?:
	      strbuf__printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":",
			     rate || time ? "nanoseconds" : "none");
	for (size_t i = 0; i < ss->nr; i++)
		end += weight_of(ss->stacks[i].count, rate);
	err = err ?: strbuf__printf(out, "%llu,\"samples\":[", (unsigned long long)end);
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);

		err = strbuf__puts(out, i ? ",[" : "[");
		for (size_t d = 0; d < st->nr && !err; d++)
			err = strbuf__printf(out, d ? ",%u" : "%u", f->map[ids[d]] - 1);
		err = err ?: strbuf__puts(out, "]");
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
	free(f.map);
	free(f.order);
	labels__done(&f.labels);
	return err;
}
