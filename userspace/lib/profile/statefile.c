// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* statefile: encoder and checking decoder of pyprofd's window files (format in statefile.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "profile/statefile.h"
#include "profile/stacks.h"
#include "base/strbuf.h"
#include "base/util.h"

#define RAW_HDR_LEN	(8 * 3 + STATEFILE_BOOT_ID + 4)	/* W5 and older; W6 has bucket_ns too */
#define PROC_W2_MIN_LEN	(4 + 8 + 4 * 4 + 3 * 4 + 4 + 4)	/* empty strings, no names, no stacks */
#define PROC_W3_MIN_LEN	(PROC_W2_MIN_LEN + 4)		/* no strings, no frames, no stacks */
#define PROC_MIN_LEN	(PROC_W3_MIN_LEN + 4)		/* W4: no labels either */
#define FRAME_LEN	(1 + 4 * 4)
#define STACK_MIN_LEN	(4 + 4 + 8)			/* one frame (W4: and a tag byte, W6: a bucket) */
#define ZLIB_MAX_RATIO	1032u	/* deflate expands at most this much: a larger size is a lie */

/* A bucket index is a byte. */
_Static_assert(PROFILE_MAX_BUCKETS <= 256, "a bucket index must fit a u8");

/* Buckets that cut the window evenly, no more of them than a profile keeps. */
static bool buckets_ok(__u64 window_ns, __u64 bucket_ns)
{
	return bucket_ns && window_ns % bucket_ns == 0 &&
	       window_ns / bucket_ns <= PROFILE_MAX_BUCKETS;
}

/* A boot id as the kernel prints it (hex and dashes), or the writer's all-'0' fallback. */
static bool boot_id_ok(const char *id)
{
	for (size_t i = 0; i < STATEFILE_BOOT_ID; i++)
		if (id[i] != '-' && hex_digit(id[i]) < 0)
			return false;
	return true;
}

static bool str_ok(const char *s, size_t max)
{
	return s && strlen(s) <= max;
}

static int put(struct strbuf *sb, const void *v, size_t n)
{
	return strbuf__append(sb, v, n);
}

static int put_u32(struct strbuf *sb, __u32 v)
{
	return put(sb, &v, sizeof(v));
}

static int put_u64(struct strbuf *sb, __u64 v)
{
	return put(sb, &v, sizeof(v));
}

static int put_str(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	return put_u32(sb, (__u32)n) ?: put(sb, s, n);
}

static bool frame_ok(const struct frame *f)
{
	return (unsigned int)f->kind < FRAME__MAX && str_ok(f->name, STATEFILE_MAX_STRING) &&
	       (!f->file || str_ok(f->file, STATEFILE_MAX_STRING)) &&
	       f->line >= FRAME_LINE_NONE && f->func_line >= FRAME_LINE_NONE;
}

/* The rules decode_proc() enforces, for what the encoder is given. */
static bool proc_ok(const struct statefile_proc *p, __u64 nr_buckets)
{
	__u64 samples = 0;

	if (p->pid < 1 || !str_ok(p->comm, PYPROF_COMM_LEN) || !str_ok(p->exe, STATEFILE_MAX_EXE) ||
	    !str_ok(p->why, STATEFILE_MAX_WHY) ||
	    (p->cmdline && !str_ok(p->cmdline, STATEFILE_MAX_CMDLINE)) ||
	    (p->nr_labels && !p->labels) ||
	    !proclabel__valid_set(p->labels, p->nr_labels))
		return false;
	for (__u32 i = 0; i < p->nr_frames; i++)
		if (!frame_ok(&p->frames[i]))
			return false;
	for (__u32 i = 0; i < p->nr_stacks; i++) {
		const struct statefile_stack *s = &p->stacks[i];

		if (!s->nr || s->nr > STACK_MAX_DEPTH || !s->count ||
		    s->count > UINT64_MAX - samples || !sample_tag__valid(s->tag) ||
		    s->bucket >= nr_buckets)
			return false;
		samples += s->count;
		for (__u32 k = 0; k < s->nr; k++)
			if (p->ids[s->off + k] >= p->nr_frames)
				return false;
	}
	return true;
}

/* The encoder's table of the distinct strings of one process's frames. */
struct strtab {
	const char **strs;
	__u64 *hashes;
	size_t nr, cap_strs, cap_hashes;
	size_t *slots, nr_slots;
};

static __u64 strtab_hash_at(const void *ctx, size_t i)
{
	return ((const struct strtab *)ctx)->hashes[i];
}

/* The index of string s in t, added if new.  0 or -ENOMEM. */
static int strtab__index(struct strtab *t, const char *s, __u32 *ret)
{
	__u64 h = fnv1a(FNV1A_OFFSET, s, strlen(s));
	size_t slot;

	if (slots__reserve(&t->slots, &t->nr_slots, t->nr, strtab_hash_at, t))
		return -ENOMEM;
	for (slot = h & (t->nr_slots - 1); t->slots[slot]; slot = (slot + 1) & (t->nr_slots - 1)) {
		size_t i = t->slots[slot] - 1;

		if (t->hashes[i] == h && strcmp(t->strs[i], s) == 0) {
			*ret = (__u32)i;
			return 0;
		}
	}
	if (grow_array((void **)&t->strs, &t->cap_strs, t->nr + 1, sizeof(*t->strs)) ||
	    grow_array((void **)&t->hashes, &t->cap_hashes, t->nr + 1, sizeof(*t->hashes)))
		return -ENOMEM;
	t->strs[t->nr] = s;
	t->hashes[t->nr] = h;
	t->slots[slot] = ++t->nr;
	*ret = (__u32)(t->nr - 1);
	return 0;
}

static void strtab__done(struct strtab *t)
{
	free(t->strs);
	free(t->hashes);
	free(t->slots);
}

/*
 * The string table and frames of p, column by column (the file format):
 * kinds, names, files, lines, func_lines.
 */
static int encode_frames(struct strbuf *out, const struct statefile_proc *p)
{
	__u32 *refs = malloc(((size_t)p->nr_frames * 2 + 1) * sizeof(*refs)), n = p->nr_frames;
	struct strtab t = { 0 };
	int err = refs ? 0 : -ENOMEM;

	/* refs[i]: frame i's name; refs[n + i]: its file. */
	for (__u32 i = 0; i < n && !err; i++) {
		refs[n + i] = STATEFILE_NO_FILE;
		err = strtab__index(&t, p->frames[i].name, &refs[i]);
		if (!err && p->frames[i].file)
			err = strtab__index(&t, p->frames[i].file, &refs[n + i]);
	}
	err = err ?: put_u32(out, (__u32)t.nr);
	for (size_t i = 0; i < t.nr && !err; i++)
		err = put_str(out, t.strs[i]);
	err = err ?: put_u32(out, n);
	for (__u32 i = 0; i < n && !err; i++) {
		__u8 kind = (__u8)p->frames[i].kind;

		err = put(out, &kind, 1);
	}
	err = err ?: put(out, refs, (size_t)n * 2 * sizeof(*refs));
	for (__u32 i = 0; i < n && !err; i++)
		err = put_u32(out, (__u32)p->frames[i].line);
	for (__u32 i = 0; i < n && !err; i++)
		err = put_u32(out, (__u32)p->frames[i].func_line);
	strtab__done(&t);
	free(refs);
	return err;
}

static int encode_labels(struct strbuf *out, const struct statefile_proc *p)
{
	int err = put_u32(out, p->nr_labels);

	for (__u32 i = 0; i < p->nr_labels && !err; i++)
		err = put_str(out, p->labels[i].key) ?: put_str(out, p->labels[i].value);
	return err;
}

/*
 * The stacks, then their tags and their buckets as columns of their own
 * (mostly one value, or a few, in order: zlib's runs).
 */
static int encode_stacks(struct strbuf *out, const struct statefile_proc *p)
{
	int err = put_u32(out, p->nr_stacks);

	for (__u32 i = 0; i < p->nr_stacks && !err; i++) {
		const struct statefile_stack *s = &p->stacks[i];

		err = put_u32(out, s->nr) ?: put(out, p->ids + s->off, s->nr * sizeof(__u32)) ?:
		      put_u64(out, s->count);
	}
	for (__u32 i = 0; i < p->nr_stacks && !err; i++)
		err = put(out, &p->stacks[i].tag, 1);
	for (__u32 i = 0; i < p->nr_stacks && !err; i++)
		err = put(out, &p->stacks[i].bucket, 1);
	return err;
}

static int encode_proc(struct strbuf *out, const struct statefile_proc *p, __u64 nr_buckets)
{
	if (!proc_ok(p, nr_buckets))
		return -EINVAL;
	return put_u32(out, (__u32)p->pid) ?: put_u64(out, p->start_time) ?:
	       put_u32(out, p->ruid) ?: put_u32(out, p->euid) ?: put_u32(out, p->version_hex) ?:
	       put_u32(out, p->supported) ?: put_str(out, p->comm) ?: put_str(out, p->exe) ?:
	       put_str(out, p->why) ?: encode_labels(out, p) ?: encode_frames(out, p) ?:
	       encode_stacks(out, p) ?: put_str(out, p->cmdline ? p->cmdline : "");
}

int statefile__encode_raw(const struct statefile *sf, struct strbuf *out)
{
	int err;

	if (!sf->window_ns || sf->start > UINT64_MAX - sf->window_ns || !boot_id_ok(sf->boot_id) ||
	    !sf->nr_procs || !buckets_ok(sf->window_ns, sf->bucket_ns))
		return -EINVAL;
	err = put_u64(out, sf->window_ns) ?: put_u64(out, sf->start) ?:
	      put_u64(out, sf->start_wall) ?: put(out, sf->boot_id, STATEFILE_BOOT_ID) ?:
	      put_u64(out, sf->bucket_ns) ?: put_u32(out, sf->nr_procs);
	for (__u32 i = 0; i < sf->nr_procs && !err; i++)
		err = encode_proc(out, &sf->procs[i], sf->window_ns / sf->bucket_ns);
	if (!err && out->len > STATEFILE_MAX_RAW)
		err = -EINVAL;
	return err;
}

int statefile__compress(const __u8 *raw, size_t raw_len, __u8 **ret, size_t *ret_len)
{
	uLongf zlen = compressBound(raw_len);
	__u64 len64 = raw_len;
	__u8 *z;

	z = malloc(STATEFILE_HDR_LEN + zlen);
	if (!z)
		return -ENOMEM;
	if (compress2(z + STATEFILE_HDR_LEN, &zlen, raw, raw_len, Z_BEST_SPEED) != Z_OK) {
		free(z);
		return -EIO;
	}
	memcpy(z, STATEFILE_MAGIC, 8);
	memcpy(z + 8, &len64, 8);
	*ret = z;
	*ret_len = STATEFILE_HDR_LEN + zlen;
	return 0;
}

/* Bounds-checked reader: past the end, every read yields zeros and sets bad. */
struct reader {
	const __u8 *p, *end;
	bool bad;
};

static size_t left(const struct reader *r)
{
	return (size_t)(r->end - r->p);
}

static void get(struct reader *r, void *v, size_t n)
{
	if (r->bad || left(r) < n) {
		r->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p, n);
	r->p += n;
}

static __u32 get_u32(struct reader *r)
{
	__u32 v;

	get(r, &v, sizeof(v));
	return v;
}

static __u64 get_u64(struct reader *r)
{
	__u64 v;

	get(r, &v, sizeof(v));
	return v;
}

/* A malloc'd NUL-terminated copy of the next string, or NULL (r->bad: corrupt). */
static char *get_str(struct reader *r, size_t max, int *err)
{
	__u32 n = get_u32(r);
	char *s;

	if (r->bad || n > max || left(r) < n || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	return s;
}

/*
 * nr strings, NUL-terminated back to back in one new arena *ret_arena, and
 * the new array *ret pointing at them: two allocations however many there
 * are (both the caller's to free, on error too).
 */
static int decode_strs(struct reader *r, __u32 nr, char **ret_arena, char ***ret)
{
	struct reader scan = *r;
	size_t bytes = 0;
	char *at;

	if (r->bad || nr > left(r) / 4)
		return -EBADMSG;
	/* Checked and measured first. */
	for (__u32 i = 0; i < nr; i++) {
		__u32 n = get_u32(&scan);

		if (scan.bad || n > STATEFILE_MAX_STRING || left(&scan) < n ||
		    memchr(scan.p, '\0', n))
			return -EBADMSG;
		scan.p += n;
		bytes += (size_t)n + 1;
	}
	*ret_arena = malloc(bytes ? bytes : 1);
	*ret = malloc((nr ? nr : 1) * sizeof(**ret));
	if (!*ret_arena || !*ret)
		return -ENOMEM;
	at = *ret_arena;
	for (__u32 i = 0; i < nr; i++) {
		__u32 n = get_u32(r);

		memcpy(at, r->p, n);
		at[n] = '\0';
		(*ret)[i] = at;
		r->p += n;
		at += n + 1;
	}
	return 0;
}

/* Column c (of 4-byte values) of n frames starting at base: the value of frame i. */
static __u32 column_u32(const __u8 *base, __u32 n, int c, __u32 i)
{
	__u32 v;

	memcpy(&v, base + n + ((size_t)c * n + i) * 4, 4);
	return v;
}

/*
 * W3 frames, column by column: each kind known, its strings among the
 * process's, lines in range.
 */
static int decode_frames(struct reader *r, struct statefile_proc *p)
{
	__u32 nr = get_u32(r);
	const __u8 *base = r->p;

	if (r->bad || nr > left(r) / FRAME_LEN)
		return -EBADMSG;
	p->frames = calloc(nr ? nr : 1, sizeof(*p->frames));
	if (!p->frames)
		return -ENOMEM;
	for (__u32 i = 0; i < nr; i++) {
		struct frame *f = &p->frames[i];
		__u32 name = column_u32(base, nr, 0, i), file = column_u32(base, nr, 1, i);

		f->line = (__s32)column_u32(base, nr, 2, i);
		f->func_line = (__s32)column_u32(base, nr, 3, i);
		if (base[i] >= FRAME__MAX || name >= p->nr_strings ||
		    (file != STATEFILE_NO_FILE && file >= p->nr_strings) ||
		    f->line < FRAME_LINE_NONE || f->func_line < FRAME_LINE_NONE)
			return -EBADMSG;
		f->kind = (enum frame_kind)base[i];
		f->name = p->strings[name];
		f->file = file == STATEFILE_NO_FILE ? NULL : p->strings[file];
		p->nr_frames = i + 1;
	}
	r->p += (size_t)nr * FRAME_LEN;
	return 0;
}

/*
 * W4 labels: nr {key, value} pairs, in one allocation with their strings
 * (p->labels, freed whole), held to proclabel.h's rules.
 */
static int decode_labels(struct reader *r, struct statefile_proc *p)
{
	__u32 nr = get_u32(r);
	struct reader scan = *r;
	size_t bytes = 0;
	char *at;

	if (r->bad || nr > PROCLABEL_MAX)
		return -EBADMSG;
	if (!nr)
		return 0;
	/* Checked and measured first: keys, then values, each within its limit. */
	for (__u32 i = 0; i < 2 * nr; i++) {
		__u32 n = get_u32(&scan);

		if (scan.bad || n > (i % 2 ? PROCLABEL_MAX_VALUE : PROCLABEL_MAX_KEY) ||
		    left(&scan) < n || memchr(scan.p, '\0', n))
			return -EBADMSG;
		scan.p += n;
		bytes += (size_t)n + 1;
	}
	p->labels = malloc(nr * sizeof(*p->labels) + bytes);
	if (!p->labels)
		return -ENOMEM;
	at = (char *)(p->labels + nr);
	for (__u32 i = 0; i < 2 * nr; i++) {
		__u32 n = get_u32(r);

		memcpy(at, r->p, n);
		at[n] = '\0';
		if (i % 2)
			p->labels[i / 2].value = at;
		else
			p->labels[i / 2].key = at;
		r->p += n;
		at += n + 1;
	}
	p->nr_labels = nr;
	return proclabel__valid_set(p->labels, nr) ? 0 : -EBADMSG;
}

/* W4: a tag per stack, after the stacks. */
static int decode_tags(struct reader *r, struct statefile_proc *p)
{
	if (r->bad || left(r) < p->nr_stacks)
		return -EBADMSG;
	for (__u32 i = 0; i < p->nr_stacks; i++) {
		if (!sample_tag__valid(r->p[i]))
			return -EBADMSG;
		p->stacks[i].tag = r->p[i];
	}
	r->p += p->nr_stacks;
	return 0;
}

/* W6: a bucket per stack, after the tags; each one of the window's nr_buckets. */
static int decode_buckets(struct reader *r, struct statefile_proc *p, __u64 nr_buckets)
{
	if (r->bad || left(r) < p->nr_stacks)
		return -EBADMSG;
	for (__u32 i = 0; i < p->nr_stacks; i++) {
		if (r->p[i] >= nr_buckets)
			return -EBADMSG;
		p->stacks[i].bucket = r->p[i];
	}
	r->p += p->nr_stacks;
	return 0;
}

/* The stacks of one process: at most max_depth deep, each index below nr_refs. */
static int decode_stacks(struct reader *r, struct statefile_proc *p, __u32 max_depth,
			 __u32 nr_refs, size_t min_len)
{
	size_t cap = 0, nr_ids = 0;
	__u32 nr_stacks = get_u32(r);

	if (r->bad || nr_stacks > left(r) / min_len)
		return -EBADMSG;
	p->stacks = calloc(nr_stacks ? nr_stacks : 1, sizeof(*p->stacks));
	if (!p->stacks)
		return -ENOMEM;
	for (__u32 i = 0; i < nr_stacks; i++) {
		struct statefile_stack *s = &p->stacks[i];

		s->nr = get_u32(r);
		if (r->bad || !s->nr || s->nr > max_depth || s->nr > left(r) / 4)
			return -EBADMSG;
		if (grow_array((void **)&p->ids, &cap, nr_ids + s->nr, sizeof(*p->ids)))
			return -ENOMEM;
		s->off = (__u32)nr_ids;
		for (__u32 k = 0; k < s->nr; k++) {
			__u32 id = get_u32(r);

			if (id >= nr_refs)
				return -EBADMSG;
			p->ids[nr_ids++] = id;
		}
		s->count = get_u64(r);
		if (r->bad || !s->count || s->count > UINT64_MAX - p->samples)
			return -EBADMSG;
		p->samples += s->count;
		p->nr_stacks = i + 1;
	}
	return 0;
}

/* Where W2 name id used at depth has its frame: its depth class (see w2_frames()). */
static size_t w2_key(__u32 id, __u32 depth)
{
	return (size_t)id * 3 + (depth < 2 ? depth : 2);
}

/*
 * W2 stacks hold name indices: they become frame indices, each frame
 * frame__split() of a copy of its name (in p->arena).  frame__split() tells
 * depth 0 (the root), 1 (a thread frame's place) and the rest apart, so a
 * name gets at most three frames: map[w2_key()], in the order first used.
 */
static int w2_frames(struct statefile_proc *p, char *const *names, __u32 nr_names)
{
	size_t nr_map = (size_t)nr_names * 3, bytes = 0;
	__u32 *map = malloc((nr_map ? nr_map : 1) * sizeof(*map)), nr_frames = 0;
	int err = 0;
	char *at;

	if (!map)
		return -ENOMEM;
	memset(map, 0xff, nr_map * sizeof(*map));
	for (__u32 i = 0; i < p->nr_stacks; i++) {
		for (__u32 k = 0; k < p->stacks[i].nr; k++) {
			__u32 id = p->ids[p->stacks[i].off + k];

			if (map[w2_key(id, k)] == UINT32_MAX) {
				map[w2_key(id, k)] = nr_frames++;
				bytes += strlen(names[id]) + 1;
			}
		}
	}
	p->frames = calloc(nr_frames ? nr_frames : 1, sizeof(*p->frames));
	p->arena = malloc(bytes ? bytes : 1);
	if (!p->frames || !p->arena) {
		err = -ENOMEM;
		goto cleanup;
	}
	p->nr_frames = nr_frames;
	at = p->arena;
	for (size_t key = 0; key < nr_map; key++) {
		size_t n = strlen(names[key / 3]) + 1;

		if (map[key] == UINT32_MAX)
			continue;
		memcpy(at, names[key / 3], n);
		frame__split(at, key % 3, &p->frames[map[key]]);
		at += n;
	}
	for (__u32 i = 0; i < p->nr_stacks; i++)
		for (__u32 k = 0; k < p->stacks[i].nr; k++)
			p->ids[p->stacks[i].off + k] = map[w2_key(p->ids[p->stacks[i].off + k], k)];
cleanup:
	free(map);
	return err;
}

/* W2: a table of names, stacks of name indices. */
static int decode_w2_frames(struct reader *r, struct statefile_proc *p)
{
	char *arena = NULL, **names = NULL;
	__u32 nr_names = get_u32(r);
	int err;

	err = decode_strs(r, nr_names, &arena, &names) ?:
	      decode_stacks(r, p, PYPROF_MAX_STACK, nr_names, STACK_MIN_LEN) ?:
	      w2_frames(p, names, nr_names);
	free(names);
	free(arena);
	return err;
}

static int decode_proc(struct reader *r, struct statefile_proc *p, unsigned int version,
		       __u64 nr_buckets)
{
	__u32 pid, supported;
	int err = 0;

	pid = get_u32(r);
	p->start_time = get_u64(r);
	p->ruid = get_u32(r);
	p->euid = get_u32(r);
	p->version_hex = get_u32(r);
	supported = get_u32(r);
	if (r->bad || !pid || pid > INT32_MAX || supported > 1)
		return -EBADMSG;
	p->pid = (__s32)pid;
	p->supported = supported;
	p->comm = get_str(r, PYPROF_COMM_LEN, &err);
	p->exe = err ? NULL : get_str(r, STATEFILE_MAX_EXE, &err);
	p->why = err ? NULL : get_str(r, STATEFILE_MAX_WHY, &err);
	if (err || r->bad)
		return err ?: -EBADMSG;
	if (version == 2)
		return decode_w2_frames(r, p);
	if (version >= 4)
		err = decode_labels(r, p);
	if (err)
		return err;
	p->nr_strings = get_u32(r);
	err = decode_strs(r, p->nr_strings, &p->arena, &p->strings);
	if (err)
		p->nr_strings = 0;
	err = err ?: decode_frames(r, p) ?:
	      decode_stacks(r, p, STACK_MAX_DEPTH, p->nr_frames,
			    STACK_MIN_LEN + (version >= 4) + (version >= STATEFILE_VERSION_BUCKETS));
	err = err ?: version >= 4 ? decode_tags(r, p) : 0;
	if (err || version < STATEFILE_VERSION_BUCKETS)
		return err;
	err = decode_buckets(r, p, nr_buckets);
	p->cmdline = err ? NULL : get_str(r, STATEFILE_MAX_CMDLINE, &err);
	return err ?: r->bad ? -EBADMSG : 0;
}

int statefile__decode_raw(const __u8 *raw, size_t len, unsigned int version,
			  struct statefile *sf)
{
	struct reader r = { .p = raw, .end = raw + len };
	size_t proc_min = version == 2 ? PROC_W2_MIN_LEN : version == 3 ? PROC_W3_MIN_LEN
									  : PROC_MIN_LEN;
	__u32 nr;
	int err = 0;

	memset(sf, 0, sizeof(*sf));
	if (version < 2 || version > STATEFILE_VERSION)
		return -EBADMSG;
	sf->owned = true;
	sf->old_clock = version < STATEFILE_VERSION_WALL;
	sf->window_ns = get_u64(&r);
	sf->start = get_u64(&r);
	sf->start_wall = get_u64(&r);
	get(&r, sf->boot_id, STATEFILE_BOOT_ID);
	/* Older files are one bucket: the whole window, every stack in bucket 0. */
	sf->bucket_ns = version >= STATEFILE_VERSION_BUCKETS ? get_u64(&r) : sf->window_ns;
	nr = get_u32(&r);
	if (r.bad || !sf->window_ns || sf->start > UINT64_MAX - sf->window_ns ||
	    !boot_id_ok(sf->boot_id) || !buckets_ok(sf->window_ns, sf->bucket_ns) || !nr ||
	    nr > left(&r) / proc_min) {
		err = -EBADMSG;
		goto cleanup;
	}
	sf->procs = calloc(nr, sizeof(*sf->procs));
	if (!sf->procs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (__u32 i = 0; i < nr && !err; i++) {
		sf->nr_procs = i + 1;
		err = decode_proc(&r, &sf->procs[i], version, sf->window_ns / sf->bucket_ns);
	}
	/* A file is exactly what its writer wrote: bytes past the last process are damage. */
	if (!err && left(&r))
		err = -EBADMSG;
cleanup:
	if (err)
		statefile__fini(sf);
	return err;
}

int statefile__decode(const __u8 *file, size_t len, struct statefile *sf)
{
	uLong src_len, raw_len;
	unsigned int version;
	__u64 len64;
	__u8 *raw;
	int err = 0;

	memset(sf, 0, sizeof(*sf));
	if (len < STATEFILE_HDR_LEN || len > STATEFILE_MAX_FILE)
		return -EBADMSG;
	if (memcmp(file, STATEFILE_MAGIC, 8) == 0)
		version = STATEFILE_VERSION;
	else if (memcmp(file, STATEFILE_MAGIC_W5, 8) == 0)
		version = 5;
	else if (memcmp(file, STATEFILE_MAGIC_W4, 8) == 0)
		version = 4;
	else if (memcmp(file, STATEFILE_MAGIC_W3, 8) == 0)
		version = 3;
	else if (memcmp(file, STATEFILE_MAGIC_W2, 8) == 0)
		version = 2;
	else
		return -EBADMSG;
	memcpy(&len64, file + 8, 8);
	src_len = len - STATEFILE_HDR_LEN;
	if (len64 < RAW_HDR_LEN || len64 > STATEFILE_MAX_RAW || len64 / ZLIB_MAX_RATIO > src_len)
		return -EBADMSG;
	raw = malloc(len64);
	if (!raw)
		return -ENOMEM;
	raw_len = len64;
	/* The stream must fill the size it claims and end where the file does. */
	if (uncompress2(raw, &raw_len, file + STATEFILE_HDR_LEN, &src_len) != Z_OK ||
	    raw_len != len64 || src_len != len - STATEFILE_HDR_LEN)
		err = -EBADMSG;
	err = err ?: statefile__decode_raw(raw, raw_len, version, sf);
	free(raw);
	return err;
}

void statefile__fini(struct statefile *sf)
{
	if (!sf)
		return;
	for (__u32 i = 0; sf->owned && i < sf->nr_procs; i++) {
		struct statefile_proc *p = &sf->procs[i];

		free((char *)p->comm);
		free((char *)p->exe);
		free((char *)p->why);
		free((char *)p->cmdline);
		free(p->arena);
		free(p->strings);
		free(p->frames);
		free(p->stacks);
		free(p->ids);
		free(p->labels);
	}
	if (sf->owned)
		free(sf->procs);
	memset(sf, 0, sizeof(*sf));
}

int statefile__place(const struct statefile *sf, const struct statefile_clock *c,
		     __u64 *ret_start)
{
	__u64 start = sf->start, age;

	if (!sf->old_clock) {
		/* The reader's clock: a window that has not begun yet was never written by it. */
		if (start > c->now)
			return -ERANGE;
	} else {
		/* A clock that started elsewhere: the wall clock says how long ago. */
		if (sf->start_wall > c->wall)
			return -ERANGE;
		age = c->wall - sf->start_wall;
		if (age >= c->now)
			return -ESTALE;
		start = c->now - age;
	}
	/* start <= now here, so the differences cannot wrap. */
	if (c->now - start >= sf->window_ns && c->now - start - sf->window_ns >= c->retention_ns)
		return -ESTALE;
	*ret_start = start;
	return 0;
}
