// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wire: the binary profile encoding of PYPROF/2 and /3 (format in wire.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proto/wire.h"
#include "proto/proto.h"
#include "base/strbuf.h"
#include "base/util.h"

/* Kinds go on the wire as their enum values. */
_Static_assert(FRAME_PROCESS == 0 && FRAME_PYTHON == 1 && FRAME_KERNEL == 2 &&
		       FRAME_MARKER == 3 && FRAME_OTHER == 4 && FRAME_THREAD == 5 &&
		       FRAME_NATIVE == 6 && FRAME__MAX == 7,
	       "enum frame_kind is part of PYPROF/2");

#define FRAME_BYTES	17	/* u8 kind, u32 name, u32 file, s32 line, s32 func_line */
#define STACK_MIN_BYTES 16	/* u32 nr, one u32 frame, u64 count (version 3: u8 tag more) */

static int put_u32(struct strbuf *out, __u32 v)
{
	__u8 b[4] = { (__u8)v, (__u8)(v >> 8), (__u8)(v >> 16), (__u8)(v >> 24) };

	return strbuf__append(out, b, sizeof(b));
}

static int put_u64(struct strbuf *out, __u64 v)
{
	return put_u32(out, (__u32)v) ?: put_u32(out, (__u32)(v >> 32));
}

/* The encoder's string table: distinct strings by content, first use first. */
struct strtab {
	const char **s;
	size_t nr, cap;
	size_t *slots, nr_slots;
};

static __u64 str_hash(const char *s)
{
	return fnv1a(FNV1A_OFFSET, s, strlen(s));
}

static __u64 strtab_hash_at(const void *ctx, size_t i)
{
	return str_hash(((const struct strtab *)ctx)->s[i]);
}

static int strtab_index(struct strtab *t, const char *s, __u32 *ret)
{
	size_t mask, i;

	if (strlen(s) > WIRE_MAX_STRING)
		return -EINVAL;
	if (slots__reserve(&t->slots, &t->nr_slots, t->nr, strtab_hash_at, t))
		return -ENOMEM;
	mask = t->nr_slots - 1;
	for (i = str_hash(s) & mask; t->slots[i]; i = (i + 1) & mask) {
		if (!strcmp(t->s[t->slots[i] - 1], s)) {
			*ret = (__u32)(t->slots[i] - 1);
			return 0;
		}
	}
	if (grow_array((void **)&t->s, &t->cap, t->nr + 1, sizeof(*t->s)))
		return -ENOMEM;
	t->s[t->nr++] = s;
	t->slots[i] = t->nr;
	*ret = (__u32)(t->nr - 1);
	return 0;
}

/* The frames, with the string indexes in names[2 * i], names[2 * i + 1]. */
static int put_strings(const struct stackset *ss, struct strtab *t, __u32 *names,
		       struct strbuf *out)
{
	int err = 0;

	for (size_t i = 0; i < ss->nr_frames && !err; i++) {
		const struct frame *f = &ss->frames[i];

		names[2 * i + 1] = WIRE_NO_STRING;
		err = strtab_index(t, f->name, &names[2 * i]);
		if (!err && f->file)
			err = strtab_index(t, f->file, &names[2 * i + 1]);
	}
	err = err ?: put_u32(out, (__u32)t->nr);
	for (size_t i = 0; i < t->nr && !err; i++) {
		size_t len = strlen(t->s[i]);

		err = put_u32(out, (__u32)len) ?: strbuf__append(out, t->s[i], len);
	}
	return err;
}

static int put_body(const struct stackset *ss, unsigned int version, const __u32 *names,
		    struct strbuf *out)
{
	size_t nr_stacks = 0;
	int err;

	err = put_u32(out, (__u32)ss->nr_frames);
	for (size_t i = 0; i < ss->nr_frames && !err; i++) {
		const struct frame *f = &ss->frames[i];
		__u8 kind = (__u8)f->kind;

		err = strbuf__append(out, &kind, 1) ?: put_u32(out, names[2 * i]) ?:
		      put_u32(out, names[2 * i + 1]) ?: put_u32(out, (__u32)f->line) ?:
		      put_u32(out, (__u32)f->func_line);
	}
	for (size_t i = 0; i < ss->nr; i++)
		nr_stacks += ss->stacks[i].count != 0;
	err = err ?: put_u32(out, (__u32)nr_stacks);
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);

		if (!st->count)
			continue;
		err = put_u32(out, st->nr);
		for (size_t k = 0; k < st->nr && !err; k++)
			err = put_u32(out, ids[k]);
		err = err ?: put_u64(out, st->count);
		if (!err && version >= 3)
			err = strbuf__append(out, &st->tag, 1);
		if (!err && out->len > PROTO_MAX_REPLY)
			err = -E2BIG;
	}
	return err;
}

/* Whether version can carry every stack of ss (version 2: no tags). */
static bool wire__fits(const struct stackset *ss, unsigned int version)
{
	for (size_t i = 0; i < ss->nr; i++)
		if (!sample_tag__valid(ss->stacks[i].tag) ||
		    (version == 2 && ss->stacks[i].tag != SAMPLE_ON_CPU))
			return false;
	return version == 2 || version == WIRE_VERSION;
}

int wire__encode(const struct stackset *ss, unsigned int version, struct strbuf *out)
{
	struct strtab t = { 0 };
	size_t start = out->len;
	__u32 *names;
	int err;

	if (!wire__fits(ss, version))
		return -EINVAL;
	if (ss->nr_frames > UINT32_MAX / 2 || ss->nr > UINT32_MAX)
		return -E2BIG;
	names = malloc((ss->nr_frames ? ss->nr_frames : 1) * 2 * sizeof(*names));
	if (!names)
		return -ENOMEM;
	err = strbuf__append(out, version == 2 ? WIRE_MAGIC_V2 : WIRE_MAGIC, WIRE_MAGIC_LEN) ?:
	      put_strings(ss, &t, names, out) ?: put_body(ss, version, names, out);
	if (!err && out->len - start > PROTO_MAX_REPLY)
		err = -E2BIG;
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	free(names);
	free(t.s);
	free(t.slots);
	return err;
}

/* A bounds-checked reader: once bad, every read fails and returns 0. */
struct reader {
	const __u8 *p, *end;
	bool bad;
};

static size_t left(const struct reader *r)
{
	return (size_t)(r->end - r->p);
}

static const __u8 *take(struct reader *r, size_t n)
{
	const __u8 *p = r->p;

	if (r->bad || left(r) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return p;
}

static __u32 get_u32(struct reader *r)
{
	const __u8 *b = take(r, 4);

	return b ? (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 | (__u32)b[3] << 24 : 0;
}

static __u64 get_u64(struct reader *r)
{
	__u64 lo = get_u32(r);

	return lo | (__u64)get_u32(r) << 32;
}

/* A count of items of at least min bytes each: never more than the bytes left allow. */
static __u32 get_count(struct reader *r, size_t min)
{
	__u32 n = get_u32(r);

	if (!r->bad && n > left(r) / min)
		r->bad = true;
	return r->bad ? 0 : n;
}

struct decoder {
	struct reader r;
	char **strings;		/* NUL-terminated copies */
	__u32 nr_strings;
	__u32 *frame_idx;	/* wire frame index -> ss->frames index */
	__u32 nr_frames;
	unsigned int version;	/* 2 or WIRE_VERSION, from the magic */
};

static int get_strings(struct decoder *d)
{
	d->nr_strings = get_count(&d->r, 4);
	if (d->r.bad)
		return -EBADMSG;
	d->strings = calloc(d->nr_strings ? d->nr_strings : 1, sizeof(*d->strings));
	if (!d->strings)
		return -ENOMEM;
	for (__u32 i = 0; i < d->nr_strings; i++) {
		__u32 len = get_u32(&d->r);
		const __u8 *s = len <= WIRE_MAX_STRING ? take(&d->r, len) : NULL;

		if (!s || memchr(s, '\0', len))
			return -EBADMSG;
		d->strings[i] = malloc((size_t)len + 1);
		if (!d->strings[i])
			return -ENOMEM;
		memcpy(d->strings[i], s, len);
		d->strings[i][len] = '\0';
	}
	return 0;
}

static int get_frames(struct decoder *d, struct stackset *ss)
{
	d->nr_frames = get_count(&d->r, FRAME_BYTES);
	if (d->r.bad)
		return -EBADMSG;
	d->frame_idx = malloc((d->nr_frames ? d->nr_frames : 1) * sizeof(*d->frame_idx));
	if (!d->frame_idx)
		return -ENOMEM;
	for (__u32 i = 0; i < d->nr_frames; i++) {
		const __u8 *kind = take(&d->r, 1);
		__u32 name = get_u32(&d->r), file = get_u32(&d->r);
		__s32 line = (__s32)get_u32(&d->r), func_line = (__s32)get_u32(&d->r);
		struct frame f;
		int err;

		if (d->r.bad || *kind >= FRAME__MAX || name >= d->nr_strings ||
		    (file >= d->nr_strings && file != WIRE_NO_STRING) || line < FRAME_LINE_NONE ||
		    func_line < FRAME_LINE_NONE)
			return -EBADMSG;
		f = (struct frame){ .kind = (enum frame_kind)*kind, .name = d->strings[name],
				    .file = file == WIRE_NO_STRING ? NULL : d->strings[file],
				    .line = line, .func_line = func_line };
		err = stackset__frame(ss, &f, &d->frame_idx[i]);
		if (err)
			return err == -EINVAL ? -EBADMSG : err;
	}
	return 0;
}

static int get_stacks(struct decoder *d, struct stackset *ss)
{
	__u32 ids[STACK_MAX_DEPTH], nr_stacks;

	nr_stacks = get_count(&d->r, STACK_MIN_BYTES + (d->version > 2));

	if (d->r.bad)
		return -EBADMSG;
	for (__u32 i = 0; i < nr_stacks; i++) {
		__u32 nr = get_u32(&d->r);
		sample_tag_t tag = SAMPLE_ON_CPU;
		const __u8 *t;
		__u64 count;
		int err;

		if (d->r.bad || !nr || nr > STACK_MAX_DEPTH)
			return -EBADMSG;
		for (__u32 k = 0; k < nr; k++) {
			__u32 f = get_u32(&d->r);

			if (d->r.bad || f >= d->nr_frames)
				return -EBADMSG;
			ids[k] = d->frame_idx[f];
		}
		count = get_u64(&d->r);
		if (d->version > 2) {
			t = take(&d->r, 1);
			tag = t ? *t : SAMPLE_ON_CPU;
		}
		if (d->r.bad || !count || !sample_tag__valid(tag))
			return -EBADMSG;
		/* -EINVAL here: the counts sum past 2^64 */
		err = stackset__add(ss, ids, nr, tag, count);
		if (err)
			return err == -EINVAL ? -EBADMSG : err;
	}
	return left(&d->r) ? -EBADMSG : 0;
}

int wire__decode(const __u8 *buf, size_t len, struct stackset *ss)
{
	struct decoder d = { .r = { .p = buf, .end = buf + len } };
	int err;

	if (len > PROTO_MAX_REPLY || len < WIRE_MAGIC_LEN)
		return -EBADMSG;
	if (!memcmp(buf, WIRE_MAGIC, WIRE_MAGIC_LEN))
		d.version = WIRE_VERSION;
	else if (!memcmp(buf, WIRE_MAGIC_V2, WIRE_MAGIC_LEN))
		d.version = 2;
	else
		return -EBADMSG;
	d.r.p += WIRE_MAGIC_LEN;
	err = get_strings(&d) ?: get_frames(&d, ss) ?: get_stacks(&d, ss);
	for (__u32 i = 0; d.strings && i < d.nr_strings; i++)
		free(d.strings[i]);
	free(d.strings);
	free(d.frame_idx);
	if (err)
		stackset__done(ss);
	return err;
}
