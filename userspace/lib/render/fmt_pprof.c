// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fmt_pprof: a profile as pprof's gzip-compressed profile.proto (see formats.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/util.h"

/*
 * A profile of unknown rate was most likely taken at pyprofd's default rate,
 * so one sample is taken to weigh 1e9 / 99 ns.
 */
#define DEFAULT_RATE_HZ 99

/* Field numbers of github.com/google/pprof/proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_FILENAME = 4,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* One interned item: a string (s, a = length) or a pair of ids (s = NULL, a, b). */
struct entry {
	__u64 hash;
	const char *s;
	__u64 a, b;
};

/* Interning table; item ids are 1-based, in order of first appearance. */
struct table {
	struct entry *items;	/* id - 1 */
	size_t nr, cap;
	size_t *slots;		/* id, 0 = empty; power-of-two sized */
	size_t nr_slots;
};

struct pprof {
	struct table strings;	/* string table index = id - 1 */
	struct table funcs;	/* (name index, file index) */
	struct table locs;	/* (function id, line) */
	__u64 *frame_loc;	/* frame index -> location id, 0 until a stack uses the frame */
	__u64 comm;		/* string index of the process name, 0 when unknown */
	struct strbuf msg, field;
};

static __u64 hash_pair(__u64 a, __u64 b)
{
	__u64 h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static bool entry_eq(const struct entry *x, const struct entry *y)
{
	if (x->hash != y->hash || x->a != y->a)
		return false;
	if (x->s)
		return memcmp(x->s, y->s, x->a) == 0;
	return x->b == y->b;
}

static __u64 entry_hash_at(const void *ctx, size_t i)
{
	return ((const struct table *)ctx)->items[i].hash;
}

static int table_intern(struct table *t, const struct entry *e, __u64 *ret_id)
{
	size_t s;

	if (slots__reserve(&t->slots, &t->nr_slots, t->nr, entry_hash_at, t))
		return -ENOMEM;
	for (s = e->hash & (t->nr_slots - 1); t->slots[s]; s = (s + 1) & (t->nr_slots - 1)) {
		if (entry_eq(&t->items[t->slots[s] - 1], e)) {
			*ret_id = t->slots[s];
			return 0;
		}
	}
	if (grow_array((void **)&t->items, &t->cap, t->nr + 1, sizeof(*t->items)))
		return -ENOMEM;
	t->items[t->nr++] = *e;
	t->slots[s] = t->nr;
	*ret_id = t->nr;
	return 0;
}

static void table_done(struct table *t)
{
	free(t->items);
	free(t->slots);
}

/* Index of s[0..len) in the string table. */
static int intern_string(struct pprof *p, const char *s, size_t len, __u64 *ret_idx)
{
	struct entry e = { .hash = fnv1a(FNV1A_OFFSET, s, len), .s = s, .a = len };
	__u64 id;
	int err = table_intern(&p->strings, &e, &id);

	*ret_idx = id - 1;
	return err;
}

static int intern_cstring(struct pprof *p, const char *s, __u64 *ret_idx)
{
	return intern_string(p, s, strlen(s), ret_idx);
}

static int intern_pair(struct table *t, __u64 a, __u64 b, __u64 *ret_id)
{
	struct entry e = { .hash = hash_pair(a, b), .a = a, .b = b };

	return table_intern(t, &e, ret_id);
}

static int location_of(struct pprof *p, const struct frame *f, __u64 *ret_id)
{
	static const char kernel[] = "[kernel]";
	__u64 name, file = 0, func;
	int err;

	err = intern_cstring(p, f->name, &name);
	if (!err && (f->kind == FRAME_PYTHON || f->kind == FRAME_NATIVE) && f->file)
		err = intern_cstring(p, f->file, &file);
	else if (!err && f->kind == FRAME_KERNEL)
		err = intern_string(p, kernel, sizeof(kernel) - 1, &file);
	err = err ?: intern_pair(&p->funcs, name, file, &func);
	/* line 0 is proto3's default: no line */
	return err ?: intern_pair(&p->locs, func, f->line > 0 ? (__u64)f->line : 0, ret_id);
}

/*
 * Interns every string, function and location, in a fixed order: the order
 * stacks first use them, root first.
 */
static int collect(struct pprof *p, const struct stackset *ss, const struct fmt_meta *m)
{
	static const char *const fixed[] = { "", "samples", "count", "cpu", "nanoseconds" };
	__u64 idx;
	int err = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && !err; i++)
		err = intern_cstring(p, fixed[i], &idx);
	/* A time view's one sample type, STR_TIME (what Pyroscope names wall profiles). */
	if (!err && m && view_mode__unit(m->mode) == VIEW_UNIT_NS)
		err = intern_cstring(p, m->mode == VIEW_MODE_WALL ? "wall" : "off_cpu", &idx);
	if (!err && m && m->comm && *m->comm)
		err = intern_cstring(p, m->comm, &p->comm);
	if (err)
		return err;
	p->frame_loc = calloc(ss->nr_frames ? ss->nr_frames : 1, sizeof(*p->frame_loc));
	if (!p->frame_loc)
		return -ENOMEM;
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const __u32 *ids = stack__ids(ss, &ss->stacks[i]);

		for (size_t d = 0; d < ss->stacks[i].nr && !err; d++)
			if (!p->frame_loc[ids[d]])
				err = location_of(p, &ss->frames[ids[d]], &p->frame_loc[ids[d]]);
	}
	return err;
}

static int put_varint(struct strbuf *sb, __u64 v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	return strbuf__append(sb, b, n);
}

static int put_key(struct strbuf *sb, unsigned int field, unsigned int wire)
{
	return put_varint(sb, (__u64)field << 3 | wire);
}

/* proto3 leaves fields at their default (0) out. */
static int put_uint(struct strbuf *sb, unsigned int field, __u64 v)
{
	if (!v)
		return 0;
	return put_key(sb, field, WIRE_VARINT) ?: put_varint(sb, v);
}

static int put_bytes(struct strbuf *sb, unsigned int field, const void *data, size_t len)
{
	return put_key(sb, field, WIRE_LEN) ?: put_varint(sb, len) ?: strbuf__append(sb, data, len);
}

/* Appends p->msg as field of sb, and empties p->msg for the next message. */
static int put_msg(struct pprof *p, struct strbuf *sb, unsigned int field)
{
	int err = put_bytes(sb, field, p->msg.buf, p->msg.len);

	strbuf__reset(&p->msg);
	return err;
}

static int put_packed(struct pprof *p, unsigned int field, const __u64 *v, size_t n)
{
	int err = 0;

	strbuf__reset(&p->field);
	for (size_t i = 0; i < n && !err; i++)
		err = put_varint(&p->field, v[i]);
	return err ?: put_bytes(&p->msg, field, p->field.buf, p->field.len);
}

/* A sample's location ids: leaf first. */
static int put_locations(struct pprof *p, const struct stackset *ss, const struct stack *st)
{
	const __u32 *ids = stack__ids(ss, st);
	int err = 0;

	strbuf__reset(&p->field);
	for (size_t d = st->nr; d-- > 0 && !err;)
		err = put_varint(&p->field, p->frame_loc[ids[d]]);
	return err ?: put_bytes(&p->msg, SAMPLE_LOCATION_ID, p->field.buf, p->field.len);
}

static int put_value_type(struct pprof *p, struct strbuf *sb, unsigned int field, __u64 type,
			  __u64 unit)
{
	return put_uint(&p->msg, VALUE_TYPE_TYPE, type) ?: put_uint(&p->msg, VALUE_TYPE_UNIT, unit)
		?: put_msg(p, sb, field);
}

/*
 * String indexes fixed by collect(): sample types samples/count and
 * cpu/nanoseconds, or for a time view (wall, offcpu) STR_TIME/nanoseconds.
 */
enum { STR_SAMPLES = 1, STR_COUNT, STR_CPU, STR_NANOSECONDS, STR_TIME };

/* The sample types, and each stack's values in them. */
static int put_samples(struct pprof *p, const struct stackset *ss, bool time, __u64 period,
		       struct strbuf *pb)
{
	int err;

	if (time)
		err = put_value_type(p, pb, PROFILE_SAMPLE_TYPE, STR_TIME, STR_NANOSECONDS);
	else
		err = put_value_type(p, pb, PROFILE_SAMPLE_TYPE, STR_SAMPLES, STR_COUNT) ?:
		      put_value_type(p, pb, PROFILE_SAMPLE_TYPE, STR_CPU, STR_NANOSECONDS);
	for (size_t i = 0; i < ss->nr && !err; i++) {
		const struct stack *st = &ss->stacks[i];
		/* samples and their CPU time; or a time view's ns alone */
		__u64 values[2] = { st->count, st->count * period };

		err = put_locations(p, ss, st) ?: put_packed(p, SAMPLE_VALUE, values, time ? 1 : 2)
			?: put_msg(p, pb, PROFILE_SAMPLE);
	}
	return err;
}

static int encode(struct pprof *p, const struct stackset *ss, const struct fmt_meta *m,
		  struct strbuf *pb)
{
	__u32 rate = m && m->rate_hz ? m->rate_hz : DEFAULT_RATE_HZ;
	__u64 period = NSEC_PER_SEC / rate, duration = 0;
	bool time = m && view_mode__unit(m->mode) == VIEW_UNIT_NS;
	int err;

	err = put_samples(p, ss, time, period, pb);
	/*
	 * One Mapping, marked symbolized, for all code: without it pprof tries to
	 * symbolize the locations itself and complains that the main binary is unknown.
	 */
	err = err ?: put_uint(&p->msg, MAPPING_ID, 1) ?:
	      put_uint(&p->msg, MAPPING_FILENAME, p->comm) ?:
	      put_uint(&p->msg, MAPPING_HAS_FUNCTIONS, 1) ?:
	      put_uint(&p->msg, MAPPING_HAS_FILENAMES, 1) ?:
	      put_uint(&p->msg, MAPPING_HAS_LINE_NUMBERS, 1) ?: put_msg(p, pb, PROFILE_MAPPING);
	for (size_t id = 1; id <= p->locs.nr && !err; id++) {
		const struct entry *loc = &p->locs.items[id - 1];

		/* The one Line, in p->field, then the Location around it in p->msg. */
		strbuf__reset(&p->field);
		err = put_uint(&p->field, LINE_FUNCTION_ID, loc->a) ?:
		      put_uint(&p->field, LINE_LINE, loc->b) ?:
		      put_uint(&p->msg, LOCATION_ID, id) ?:
		      put_uint(&p->msg, LOCATION_MAPPING_ID, 1) ?:
		      put_bytes(&p->msg, LOCATION_LINE, p->field.buf, p->field.len) ?:
		      put_msg(p, pb, PROFILE_LOCATION);
	}
	for (size_t id = 1; id <= p->funcs.nr && !err; id++) {
		const struct entry *fn = &p->funcs.items[id - 1];

		/*
		 * No system_name: pprof would take the name for a mangled one and
		 * "simplify" it as C++, "<lambda>" and "<module>" to nothing.
		 */
		err = put_uint(&p->msg, FUNCTION_ID, id) ?:
		      put_uint(&p->msg, FUNCTION_NAME, fn->a) ?:
		      put_uint(&p->msg, FUNCTION_FILENAME, fn->b) ?:
		      put_msg(p, pb, PROFILE_FUNCTION);
	}
	for (size_t id = 1; id <= p->strings.nr && !err; id++) {
		const struct entry *s = &p->strings.items[id - 1];

		err = put_bytes(pb, PROFILE_STRING_TABLE, s->s, s->a);
	}
	if (m)
		duration = m->duration_ns ?: m->seconds * NSEC_PER_SEC;
	if (!err && m && m->end_unix_ns > duration)
		err = put_uint(pb, PROFILE_TIME_NANOS, m->end_unix_ns - duration);
	/* A wall view's period is its on-CPU samples'; off-CPU intervals have none. */
	if (time)
		period = m->mode == VIEW_MODE_WALL ? m->period_ns : 0;
	return err ?: put_uint(pb, PROFILE_DURATION_NANOS, duration) ?:
	       put_value_type(p, pb, PROFILE_PERIOD_TYPE, time ? STR_TIME : STR_CPU,
			      STR_NANOSECONDS) ?:
	       put_uint(pb, PROFILE_PERIOD, period);
}

static int gzip_append(struct strbuf *out, const char *data, size_t len)
{
	unsigned char chunk[16384];
	z_stream zs;
	int zr, err = 0;

	memset(&zs, 0, sizeof(zs));
	zr = deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	zs.next_in = (Bytef *)data;
	do {
		/* avail_in is a uInt: feed a larger buffer in slices. */
		size_t left = len - (size_t)((const char *)zs.next_in - data);

		if (!zs.avail_in)
			zs.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = deflate(&zs, left > zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			err = -EINVAL;
			break;
		}
		err = strbuf__append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (!err && zr != Z_STREAM_END);
	deflateEnd(&zs);
	return err;
}

int fmt_pprof__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out)
{
	struct pprof p;
	struct strbuf pb = { 0 };
	size_t start = out->len;
	int err;

	memset(&p, 0, sizeof(p));
	err = collect(&p, ss, m) ?: encode(&p, ss, m, &pb) ?: gzip_append(out, pb.buf, pb.len);
	if (err && out->buf) {
		out->len = start;
		out->buf[start] = '\0';
	}
	strbuf__done(&pb);
	strbuf__done(&p.msg);
	strbuf__done(&p.field);
	free(p.frame_loc);
	table_done(&p.strings);
	table_done(&p.funcs);
	table_done(&p.locs);
	return err;
}
