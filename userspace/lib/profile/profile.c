// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* profile: one process's samples folded into time windows (see profile.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "base/util.h"

#define NO_ID		((__u32)-1)
#define INDEX_FIRST_CAP 64	/* slots of an interning index at first */
#define WINDOW_FIRST_CAP 8	/* most windows of most processes hold a handful of stacks */

/*
 * An open-addressing index over a table its owner keeps: cap (a power of
 * two, or 0) slots holding item ids, NO_ID = empty, probed linearly.  The
 * interning tables keep theirs at most half full, windows 3/4.  Item ids
 * are 32-bit, hashes too: the slots hold at most 2^32 items.
 */
struct index {
	__u32 *slots;
	size_t cap;
};

/* Whether item id is the key ctx describes. */
typedef bool (*index_eq_fn)(const void *ctx, __u32 id);
/* The hash of item i of the table ctx. */
typedef __u32 (*index_hash_fn)(const void *ctx, __u32 i);

/*
 * Inlined into every caller, eq() included: a sample costs a few probes, and
 * a call per probed slot made profile__add() 20% slower.
 */
#define PROBE_INLINE inline __attribute__((always_inline))

/*
 * The one probe of every table here: from hash h, the slot of the item eq()
 * accepts or, failing that, the empty slot where the key goes (eq NULL: the
 * first empty slot).  The index must have cap > 0 and an empty slot.
 */
static PROBE_INLINE size_t index__probe(const struct index *ix, __u32 h, index_eq_fn eq,
					const void *ctx)
{
	size_t mask = ix->cap - 1, s = h & mask;

	while (ix->slots[s] != NO_ID && !(eq && eq(ctx, ix->slots[s])))
		s = (s + 1) & mask;
	return s;
}

/* The id of the item eq() accepts, or NO_ID. */
static PROBE_INLINE __u32 index__find(const struct index *ix, __u32 h, index_eq_fn eq,
				      const void *ctx)
{
	return ix->cap ? ix->slots[index__probe(ix, h, eq, ctx)] : NO_ID;
}

static void index__insert(struct index *ix, __u32 h, __u32 id)
{
	ix->slots[index__probe(ix, h, NULL, NULL)] = id;
}

/* Makes slots (cap entries) the index of items 0 .. nr - 1, freeing the old ones; cannot fail. */
static void index__fill(struct index *ix, __u32 *slots, size_t cap, __u32 nr, index_hash_fn hash,
			const void *ctx)
{
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	memset(slots, 0xff, cap * sizeof(*slots));
	for (__u32 i = 0; i < nr; i++)
		index__insert(ix, hash(ctx, i), i);
}

/* The capacity that keeps nr items at most half full. */
static size_t index__cap_for(size_t nr)
{
	size_t cap = INDEX_FIRST_CAP;

	while (nr * 2 > cap)
		cap *= 2;
	return cap;
}

/* Makes room for item nr (nr items indexed so far).  0 or -ENOMEM (index unchanged). */
static int index__reserve(struct index *ix, __u32 nr, index_hash_fn hash, const void *ctx)
{
	size_t cap;
	__u32 *slots;

	if (((size_t)nr + 1) * 2 <= ix->cap)
		return 0;
	cap = index__cap_for((size_t)nr + 1);
	slots = malloc(cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	index__fill(ix, slots, cap, nr, hash, ctx);
	return 0;
}

/* An interned string: bytes [off, off + len) of strs_buf, NUL-terminated there. */
struct str {
	__u32 off;
	__u32 len;
	__u32 hash;
};

/* An interned frame: string ids and small integers, made a struct frame on demand. */
struct frec {
	__u32 name;	/* string id */
	__u32 file;	/* string id, NO_ID = none */
	__s32 line, func_line;
	__u8 kind;
};

/*
 * An interned stack: frame ids [off, off + nr) of the stack arena, and the
 * tag that is part of its identity.  nr fits 16 bits (STACK_MAX_DEPTH): the
 * tag takes no room of its own, a srec stays 12 bytes.
 */
struct srec {
	__u32 off;
	__u16 nr;
	sample_tag_t tag;
	__u32 hash;
};

_Static_assert(STACK_MAX_DEPTH <= UINT16_MAX, "struct srec's nr holds a stack's depth");

/*
 * Samples of one window: counts[s] belongs to the key in slots.slots[s], a
 * stack id and the bucket of the window (KEY()).
 */
#define KEY(id, bucket)	 ((id) << PROFILE_BUCKET_BITS | (bucket))
#define KEY_ID(key)	 ((key) >> PROFILE_BUCKET_BITS)
#define KEY_BUCKET(key)	 ((key) & (PROFILE_MAX_BUCKETS - 1))

struct window {
	__u64 index;	/* start = index * window_ns */
	__u64 samples;
	__u64 on_cpu;	/* of samples, those without SAMPLE_OFF_CPU: profile__samples_on_cpu() */
	struct index slots;	/* stack ids */
	__u64 *counts;
	size_t used;
};

struct profile {
	struct profile_opts o;
	char *strs_buf;
	size_t strs_len, strs_cap;
	struct str *strs;
	size_t nr_strs, cap_strs;
	struct index str_index;
	struct frec *frames;
	size_t nr_frames, cap_frames;
	struct index frame_index;
	__u32 overflow_stacks_id, overflow_names_id;
	/* Stacks are interned once: windows only count them. */
	__u32 *stack_ids;	/* the frames of every stack */
	size_t nr_stack_ids, cap_stack_ids;
	struct srec *stacks;
	size_t nr_stacks, cap_stacks;
	struct index stack_index;
	struct window **win;	/* sorted by index */
	size_t nr_win, cap_win;
	__u64 epoch;		/* see profile__epoch() */
	/*
	 * The one frame profile__frame() hands out, made from a frec on each
	 * call (a stored struct frame takes 32 bytes where a frec takes 20); reached
	 * through a pointer because profile__frame() gets the profile const.
	 */
	struct frame *out;
	struct frame out_frame;
};

/* Epochs are drawn from one counter: unique across every profile of the process. */
static __u64 next_epoch(void)
{
	static __u64 last;

	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

static __u32 fold32(__u64 h)
{
	return (__u32)(h ^ (h >> 32));
}

static __u32 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdull;
	return fold32(h ^ (h >> 29));
}

static __u32 hash_bytes(const char *s, size_t len)
{
	__u64 h = fnv1a(FNV1A_OFFSET, s, len);

	return fold32(h ^ (h >> 29));
}

static __u32 hash_frec(const struct frec *f)
{
	__u64 h = mix(mix(f->kind, f->name), f->file);

	return mix(mix(h, (__u32)f->line), (__u32)f->func_line);
}

static __u32 hash_ids(const __u32 *ids, size_t nr, sample_tag_t tag)
{
	__u64 h = 0x9e3779b97f4a7c15ull ^ nr ^ (__u64)tag << 32;

	for (size_t i = 0; i < nr; i++) {
		h ^= ids[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return fold32(h);
}

static __u32 str_hash_at(const void *ctx, __u32 i)
{
	return ((const struct profile *)ctx)->strs[i].hash;
}

static __u32 frame_hash_at(const void *ctx, __u32 i)
{
	return hash_frec(&((const struct profile *)ctx)->frames[i]);
}

static __u32 stack_hash_at(const void *ctx, __u32 i)
{
	return ((const struct profile *)ctx)->stacks[i].hash;
}

/* Strings. */

struct str_key {
	const struct profile *p;
	const char *s;
	size_t len;
	__u32 hash;
};

static bool str_eq(const void *ctx, __u32 id)
{
	const struct str_key *k = ctx;
	const struct str *st = &k->p->strs[id];

	return st->hash == k->hash && st->len == k->len &&
	       memcmp(k->p->strs_buf + st->off, k->s, k->len) == 0;
}

static __u32 find_str(const struct profile *p, const struct str_key *k)
{
	return index__find(&p->str_index, k->hash, str_eq, k);
}

/* The id of string k, added if new.  0 or -ENOMEM. */
static int intern_str(struct profile *p, const struct str_key *k, __u32 *ret_id)
{
	__u32 id = find_str(p, k);
	struct str *st;

	if (id != NO_ID) {
		*ret_id = id;
		return 0;
	}
	if (p->strs_len + k->len + 1 > 0xffffffffu ||
	    index__reserve(&p->str_index, (__u32)p->nr_strs, str_hash_at, p) ||
	    grow_array((void **)&p->strs, &p->cap_strs, p->nr_strs + 1, sizeof(*p->strs)) ||
	    grow_array((void **)&p->strs_buf, &p->strs_cap, p->strs_len + k->len + 1, 1))
		return -ENOMEM;
	st = &p->strs[p->nr_strs];
	*st = (struct str){ .off = (__u32)p->strs_len, .len = (__u32)k->len, .hash = k->hash };
	memcpy(p->strs_buf + p->strs_len, k->s, k->len);
	p->strs_buf[p->strs_len + k->len] = '\0';
	p->strs_len += k->len + 1;
	index__insert(&p->str_index, k->hash, (__u32)p->nr_strs);
	*ret_id = (__u32)p->nr_strs++;
	return 0;
}

static struct str_key str_key(const struct profile *p, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return (struct str_key){ .p = p, .s = s, .len = len, .hash = hash_bytes(s, len) };
}

/* Frames. */

struct frame_key {
	const struct profile *p;
	struct frec f;
};

static bool frame_eq(const void *ctx, __u32 id)
{
	const struct frame_key *k = ctx;
	const struct frec *f = &k->p->frames[id];

	return f->name == k->f.name && f->file == k->f.file && f->line == k->f.line &&
	       f->func_line == k->f.func_line && f->kind == k->f.kind;
}

static __u32 find_frame(const struct profile *p, const struct frec *f)
{
	struct frame_key k = { .p = p, .f = *f };

	return index__find(&p->frame_index, hash_frec(f), frame_eq, &k);
}

/* Adds f (known to be new) without the max_frames check.  0 or -ENOMEM. */
static int add_frame(struct profile *p, const struct frec *f, __u32 *ret_id)
{
	if (index__reserve(&p->frame_index, (__u32)p->nr_frames, frame_hash_at, p) ||
	    grow_array((void **)&p->frames, &p->cap_frames, p->nr_frames + 1, sizeof(*p->frames)))
		return -ENOMEM;
	p->frames[p->nr_frames] = *f;
	index__insert(&p->frame_index, hash_frec(f), (__u32)p->nr_frames);
	*ret_id = (__u32)p->nr_frames++;
	return 0;
}

static int add_marker(struct profile *p, const char *name, __u32 *ret_id)
{
	struct str_key k = str_key(p, name);
	struct frec f = { .file = NO_ID, .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE,
			  .kind = FRAME_MARKER };

	return intern_str(p, &k, &f.name) ?: add_frame(p, &f, ret_id);
}

struct profile *profile__new(const struct profile_opts *opts)
{
	struct profile *p;

	if (!opts->window_ns || !opts->max_stacks || opts->max_frames < 2 ||
	    (opts->bucket_ns && (opts->window_ns % opts->bucket_ns ||
				 opts->window_ns / opts->bucket_ns > PROFILE_MAX_BUCKETS))) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->o = *opts;
	if (!p->o.bucket_ns)
		p->o.bucket_ns = p->o.window_ns;
	p->epoch = next_epoch();
	p->out = &p->out_frame;
	if (add_marker(p, PROFILE_OVERFLOW_STACKS, &p->overflow_stacks_id) ||
	    add_marker(p, PROFILE_OVERFLOW_NAMES, &p->overflow_names_id)) {
		profile__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

static void window_free(struct window *w)
{
	if (!w)
		return;
	free(w->slots.slots);
	free(w->counts);
	free(w);
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_win; i++)
		window_free(p->win[i]);
	free(p->win);
	free(p->strs_buf);
	free(p->strs);
	free(p->str_index.slots);
	free(p->frames);
	free(p->frame_index.slots);
	free(p->stack_ids);
	free(p->stacks);
	free(p->stack_index.slots);
	free(p);
}

static bool frame_ok(const struct frame *f, const struct str_key *name, const struct str_key *file)
{
	return (unsigned int)f->kind < FRAME__MAX && f->name && name->len <= FRAME_MAX_STRING &&
	       file->len <= FRAME_MAX_STRING && f->line >= FRAME_LINE_NONE &&
	       f->func_line >= FRAME_LINE_NONE;
}

int profile__intern(struct profile *p, const struct frame *f, __u32 *ret_id)
{
	struct str_key name = str_key(p, f->name), file = str_key(p, f->file);
	struct frec r = { .line = f->line, .func_line = f->func_line, .kind = (__u8)f->kind };
	__u32 id = NO_ID;
	int err;

	if (!frame_ok(f, &name, &file))
		return -EINVAL;
	/* A frame one of whose strings is unknown is new: no string is added to look. */
	r.name = find_str(p, &name);
	r.file = f->file ? find_str(p, &file) : NO_ID;
	if (r.name != NO_ID && (r.file != NO_ID || !f->file))
		id = find_frame(p, &r);
	if (id != NO_ID) {
		*ret_id = id;
		return 0;
	}
	if (p->nr_frames >= p->o.max_frames) {
		*ret_id = p->overflow_names_id;
		return 0;
	}
	/* A failure below leaves at most strings no frame uses: compaction drops them. */
	err = intern_str(p, &name, &r.name);
	if (!err && f->file)
		err = intern_str(p, &file, &r.file);
	return err ?: add_frame(p, &r, ret_id);
}

__u64 profile__epoch(const struct profile *p)
{
	return p->epoch;
}

const struct frame *profile__frame(const struct profile *p, __u32 id)
{
	const struct frec *r;

	if (id >= p->nr_frames)
		return NULL;
	r = &p->frames[id];
	*p->out = (struct frame){
		.kind = (enum frame_kind)r->kind,
		.name = p->strs_buf + p->strs[r->name].off,
		.file = r->file == NO_ID ? NULL : p->strs_buf + p->strs[r->file].off,
		.line = r->line,
		.func_line = r->func_line,
	};
	return p->out;
}

/* Stacks. */

struct stack_key {
	const struct profile *p;
	const __u32 *ids;
	size_t nr;
	sample_tag_t tag;
	__u32 hash;
};

static bool stack_eq(const void *ctx, __u32 id)
{
	const struct stack_key *k = ctx;
	const struct srec *st = &k->p->stacks[id];

	return st->hash == k->hash && st->nr == k->nr && st->tag == k->tag &&
	       memcmp(k->p->stack_ids + st->off, k->ids, k->nr * sizeof(*k->ids)) == 0;
}

static __u32 find_stack(const struct profile *p, const struct stack_key *k)
{
	return index__find(&p->stack_index, k->hash, stack_eq, k);
}

/* The id of stack k, interned if new.  0 or -ENOMEM. */
static int intern_stack(struct profile *p, const struct stack_key *k, __u32 *ret_id)
{
	__u32 id = find_stack(p, k);
	struct srec *st;

	if (id != NO_ID) {
		*ret_id = id;
		return 0;
	}
	if (p->nr_stack_ids + k->nr > 0xffffffffu ||
	    index__reserve(&p->stack_index, (__u32)p->nr_stacks, stack_hash_at, p) ||
	    grow_array((void **)&p->stack_ids, &p->cap_stack_ids, p->nr_stack_ids + k->nr,
		       sizeof(*p->stack_ids)) ||
	    grow_array((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1, sizeof(*p->stacks)))
		return -ENOMEM;
	st = &p->stacks[p->nr_stacks];
	*st = (struct srec){ .off = (__u32)p->nr_stack_ids, .nr = (__u16)k->nr, .tag = k->tag,
			     .hash = k->hash };
	memcpy(p->stack_ids + p->nr_stack_ids, k->ids, k->nr * sizeof(*k->ids));
	p->nr_stack_ids += k->nr;
	index__insert(&p->stack_index, k->hash, (__u32)p->nr_stacks);
	*ret_id = (__u32)p->nr_stacks++;
	return 0;
}

/* Windows. */

/* The window for index, created (in order) if missing. */
static struct window *get_window(struct profile *p, __u64 index)
{
	size_t lo = 0, hi = p->nr_win;
	struct window *w;

	/* Samples arrive almost in order: the newest window is the usual answer. */
	if (p->nr_win && p->win[p->nr_win - 1]->index == index)
		return p->win[p->nr_win - 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->win[mid]->index == index)
			return p->win[mid];
		if (p->win[mid]->index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (grow_array((void **)&p->win, &p->cap_win, p->nr_win + 1, sizeof(*p->win)))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->index = index;
	memmove(p->win + lo + 1, p->win + lo, (p->nr_win - lo) * sizeof(*p->win));
	p->win[lo] = w;
	p->nr_win++;
	return w;
}

static __u32 mix_id(__u32 id)
{
	return id * 0x9e3779b1u;
}

static bool id_eq(const void *ctx, __u32 id)
{
	return *(const __u32 *)ctx == id;
}

/* The slot of stack id in w: its own, or the empty one where it goes.  w->slots.cap > 0. */
static size_t window_probe(const struct window *w, __u32 id)
{
	return index__probe(&w->slots, mix_id(id), id_eq, &id);
}

/*
 * Moves w's counts into slots/counts (cap entries), each stack renamed
 * through map (NULL: kept), freeing the old arrays; cannot fail.
 */
static void window_refill(struct window *w, __u32 *slots, __u64 *counts, size_t cap,
			  const __u32 *map)
{
	struct index old = w->slots;
	__u64 *old_counts = w->counts;

	w->slots = (struct index){ .slots = slots, .cap = cap };
	w->counts = counts;
	memset(slots, 0xff, cap * sizeof(*slots));
	for (size_t s = 0; s < old.cap; s++) {
		__u32 id = old.slots[s];
		size_t k;

		if (id == NO_ID)
			continue;
		id = map ? KEY(map[KEY_ID(id)], KEY_BUCKET(id)) : id;
		k = window_probe(w, id);
		slots[k] = id;
		counts[k] = old_counts[s];
	}
	free(old.slots);
	free(old_counts);
}

static int window_grow(struct window *w)
{
	size_t cap = w->slots.cap ? w->slots.cap * 2 : WINDOW_FIRST_CAP;
	__u32 *slots = malloc(cap * sizeof(*slots));
	__u64 *counts = malloc(cap * sizeof(*counts));

	if (!slots || !counts) {
		free(slots);
		free(counts);
		return -ENOMEM;
	}
	window_refill(w, slots, counts, cap, NULL);
	return 0;
}

static bool window_has(const struct window *w, __u32 id)
{
	return w->slots.cap && w->slots.slots[window_probe(w, id)] == id;
}

static int window_add(struct window *w, __u32 id, sample_tag_t tag, __u64 count)
{
	size_t s = 0;

	if (!w->slots.cap || w->slots.slots[s = window_probe(w, id)] != id) {
		if ((w->used + 1) * 4 > w->slots.cap * 3) {
			if (window_grow(w))
				return -ENOMEM;
			s = window_probe(w, id);
		}
		w->slots.slots[s] = id;
		w->counts[s] = 0;
		w->used++;
	}
	w->counts[s] += count;
	w->samples += count;
	if (!(tag & SAMPLE_OFF_CPU))
		w->on_cpu += count;
	return 0;
}

int profile__add(struct profile *p, __u64 ts, sample_tag_t tag, const __u32 *ids, size_t nr,
		 __u64 count)
{
	struct stack_key k = { .p = p, .ids = ids, .tag = tag };
	__u32 over[2], id, b = (__u32)(ts % p->o.window_ns / p->o.bucket_ns);
	struct window *w;

	if (!nr || !count || !sample_tag__valid(tag))
		return -EINVAL;
	for (size_t i = 0; i < nr; i++)
		if (ids[i] >= p->nr_frames)
			return -EINVAL;
	k.nr = nr > STACK_MAX_DEPTH ? STACK_MAX_DEPTH : nr;
	k.hash = hash_ids(ids, k.nr, tag);
	w = get_window(p, ts / p->o.window_ns);
	if (!w)
		return -ENOMEM;
	id = find_stack(p, &k);
	if (id != NO_ID && window_has(w, KEY(id, b)))
		return window_add(w, KEY(id, b), tag, count);
	/*
	 * A new stack for this window.  Past the window's limit, or past the
	 * limit of stacks the profile keeps at all, it is counted under the
	 * root frame and a marker, with its tag: never dropped, never
	 * counted in another unit.
	 */
	if (w->used >= p->o.max_stacks * (p->o.window_ns / p->o.bucket_ns) ||
	    (id == NO_ID && p->nr_stacks >= 4 * p->o.max_stacks)) {
		over[0] = ids[0];
		over[1] = p->overflow_stacks_id;
		k = (struct stack_key){ .p = p, .ids = over, .nr = 2, .tag = tag,
					.hash = hash_ids(over, 2, tag) };
		id = NO_ID;
	}
	if (id == NO_ID) {
		int err = intern_stack(p, &k, &id);

		if (err)
			return err;
	}
	return window_add(w, KEY(id, b), tag, count);
}

static bool overlaps(const struct profile *p, const struct window *w, __u64 from, __u64 to)
{
	__u64 start = w->index * p->o.window_ns;

	return start < to && start + p->o.window_ns > from;
}

/* Whether bucket b of window w overlaps [from, to). */
static bool bucket_in(const struct profile *p, const struct window *w, __u32 b, __u64 from,
		      __u64 to)
{
	__u64 start = w->index * p->o.window_ns + b * p->o.bucket_ns;

	return start < to && start + p->o.bucket_ns > from;
}

int profile__collect(const struct profile *p, __u64 from, __u64 to, profile_collect_fn fn,
		     void *arg)
{
	__u64 *sum;
	int r = 0;

	if (!p->nr_stacks)
		return 0;
	/* Summed over the windows first: each stack is handed out once. */
	sum = calloc(p->nr_stacks, sizeof(*sum));
	if (!sum)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_win; i++) {
		const struct window *w = p->win[i];

		if (!overlaps(p, w, from, to))
			continue;
		for (size_t s = 0; s < w->slots.cap; s++) {
			__u32 key = w->slots.slots[s];

			if (key != NO_ID && bucket_in(p, w, KEY_BUCKET(key), from, to))
				sum[KEY_ID(key)] += w->counts[s];
		}
	}
	for (size_t id = 0; id < p->nr_stacks && !r; id++) {
		const struct srec *st = &p->stacks[id];

		if (sum[id])
			r = fn(p->stack_ids + st->off, st->nr, st->tag, sum[id], arg);
	}
	free(sum);
	return r;
}

/*
 * The samples of the windows overlapping [from, to), or only those without
 * SAMPLE_OFF_CPU: a window inside the range by its total, the others bucket
 * by bucket.
 */
static __u64 samples_in(const struct profile *p, __u64 from, __u64 to, bool on_cpu)
{
	__u64 n = 0;

	for (size_t i = 0; i < p->nr_win; i++) {
		const struct window *w = p->win[i];
		__u64 start = w->index * p->o.window_ns;

		if (!overlaps(p, w, from, to))
			continue;
		if (start >= from && start + p->o.window_ns <= to) {
			n += on_cpu ? w->on_cpu : w->samples;
			continue;
		}
		for (size_t s = 0; s < w->slots.cap; s++) {
			__u32 key = w->slots.slots[s];

			if (key != NO_ID && bucket_in(p, w, KEY_BUCKET(key), from, to) &&
			    !(on_cpu && (p->stacks[KEY_ID(key)].tag & SAMPLE_OFF_CPU)))
				n += w->counts[s];
		}
	}
	return n;
}

__u64 profile__samples(const struct profile *p, __u64 from, __u64 to)
{
	return samples_in(p, from, to, false);
}

__u64 profile__samples_on_cpu(const struct profile *p, __u64 from, __u64 to)
{
	return samples_in(p, from, to, true);
}

/*
 * Compaction: forgets the stacks no window counts, the frames no stack uses
 * and the strings no frame uses, renumbering the rest in place.  All memory
 * is taken first: on failure nothing changes (the tables only stay bigger
 * than they need to be).
 */
struct compaction {
	/* old id -> new id, NO_ID = dead */
	__u32 *stack_map, *frame_map, *str_map;
	size_t live_stacks, live_frames, live_strs;
	/* the new indexes, and each window's new slots and counts */
	__u32 *str_slots, *frame_slots, *stack_slots;
	__u32 **win_slots;
	__u64 **win_counts;
};

static __u32 *new_map(size_t nr)
{
	__u32 *map = malloc((nr ? nr : 1) * sizeof(*map));

	if (map)
		memset(map, 0xff, (nr ? nr : 1) * sizeof(*map));
	return map;
}

/* Marks (0) what is still used, from the windows down; counts it.  0 or -ENOMEM. */
static int compaction__mark(const struct profile *p, struct compaction *c)
{
	c->stack_map = new_map(p->nr_stacks);
	c->frame_map = new_map(p->nr_frames);
	c->str_map = new_map(p->nr_strs);
	if (!c->stack_map || !c->frame_map || !c->str_map)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_win; i++)
		for (size_t s = 0; s < p->win[i]->slots.cap; s++)
			if (p->win[i]->slots.slots[s] != NO_ID)
				c->stack_map[KEY_ID(p->win[i]->slots.slots[s])] = 0;
	c->frame_map[p->overflow_stacks_id] = c->frame_map[p->overflow_names_id] = 0;
	for (size_t i = 0; i < p->nr_stacks; i++) {
		if (c->stack_map[i] == NO_ID)
			continue;
		c->live_stacks++;
		for (__u32 k = 0; k < p->stacks[i].nr; k++)
			c->frame_map[p->stack_ids[p->stacks[i].off + k]] = 0;
	}
	for (size_t i = 0; i < p->nr_frames; i++) {
		if (c->frame_map[i] == NO_ID)
			continue;
		c->live_frames++;
		c->str_map[p->frames[i].name] = 0;
		if (p->frames[i].file != NO_ID)
			c->str_map[p->frames[i].file] = 0;
	}
	for (size_t i = 0; i < p->nr_strs; i++)
		c->live_strs += c->str_map[i] != NO_ID;
	return 0;
}

/* Only worth it once a good part of a table is dead. */
static bool worth_compacting(size_t live, size_t all)
{
	return live * 2 <= all || all - live >= 4096;
}

/* Takes the memory the new indexes and windows need.  0 or -ENOMEM. */
static int compaction__reserve(const struct profile *p, struct compaction *c)
{
	c->str_slots = malloc(index__cap_for(c->live_strs) * sizeof(__u32));
	c->frame_slots = malloc(index__cap_for(c->live_frames) * sizeof(__u32));
	c->stack_slots = malloc(index__cap_for(c->live_stacks) * sizeof(__u32));
	c->win_slots = calloc(p->nr_win ? p->nr_win : 1, sizeof(*c->win_slots));
	c->win_counts = calloc(p->nr_win ? p->nr_win : 1, sizeof(*c->win_counts));
	if (!c->str_slots || !c->frame_slots || !c->stack_slots || !c->win_slots || !c->win_counts)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_win; i++) {
		c->win_slots[i] = malloc(p->win[i]->slots.cap * sizeof(**c->win_slots));
		c->win_counts[i] = malloc(p->win[i]->slots.cap * sizeof(**c->win_counts));
		if (!c->win_slots[i] || !c->win_counts[i])
			return -ENOMEM;
	}
	return 0;
}

static void compaction__free(const struct profile *p, struct compaction *c)
{
	for (size_t i = 0; c->win_slots && i < p->nr_win; i++)
		free(c->win_slots[i]);
	for (size_t i = 0; c->win_counts && i < p->nr_win; i++)
		free(c->win_counts[i]);
	free(c->win_slots);
	free(c->win_counts);
	free(c->str_slots);
	free(c->frame_slots);
	free(c->stack_slots);
	free(c->stack_map);
	free(c->frame_map);
	free(c->str_map);
}

/* Gives back what a table no longer needs: failing to is harmless. */
static void shrink(void **arr, size_t *cap, size_t nr, size_t elem)
{
	void *n = realloc(*arr, (nr ? nr : 1) * elem);

	if (n) {
		*arr = n;
		*cap = nr ? nr : 1;
	}
}

/* Strings move down over the dead ones: a live string's new place is never after its old. */
static void compact_strings(struct profile *p, struct compaction *c)
{
	size_t live = 0, len = 0;

	for (size_t i = 0; i < p->nr_strs; i++) {
		struct str st = p->strs[i];

		if (c->str_map[i] == NO_ID)
			continue;
		memmove(p->strs_buf + len, p->strs_buf + st.off, st.len + 1);
		st.off = (__u32)len;
		len += st.len + 1;
		c->str_map[i] = (__u32)live;
		p->strs[live++] = st;
	}
	p->nr_strs = live;
	p->strs_len = len;
	shrink((void **)&p->strs_buf, &p->strs_cap, len, 1);
	shrink((void **)&p->strs, &p->cap_strs, live, sizeof(*p->strs));
	index__fill(&p->str_index, c->str_slots, index__cap_for(live), (__u32)live, str_hash_at, p);
	c->str_slots = NULL;
}

/* Frames keep their order, with their strings renumbered (so their hashes change). */
static void compact_frames(struct profile *p, struct compaction *c)
{
	size_t live = 0;

	for (size_t i = 0; i < p->nr_frames; i++) {
		struct frec f = p->frames[i];

		if (c->frame_map[i] == NO_ID)
			continue;
		f.name = c->str_map[f.name];
		if (f.file != NO_ID)
			f.file = c->str_map[f.file];
		c->frame_map[i] = (__u32)live;
		p->frames[live++] = f;
	}
	p->nr_frames = live;
	p->overflow_stacks_id = c->frame_map[p->overflow_stacks_id];
	p->overflow_names_id = c->frame_map[p->overflow_names_id];
	shrink((void **)&p->frames, &p->cap_frames, live, sizeof(*p->frames));
	index__fill(&p->frame_index, c->frame_slots, index__cap_for(live), (__u32)live,
		    frame_hash_at, p);
	c->frame_slots = NULL;
}

/* Stacks and their frame ids move down the same way, with their frames renumbered. */
static void compact_stacks(struct profile *p, struct compaction *c)
{
	size_t live = 0, nr_ids = 0;

	for (size_t i = 0; i < p->nr_stacks; i++) {
		struct srec st = p->stacks[i];
		__u32 *ids = p->stack_ids + nr_ids;

		if (c->stack_map[i] == NO_ID)
			continue;
		memmove(ids, p->stack_ids + st.off, st.nr * sizeof(*ids));
		for (__u32 k = 0; k < st.nr; k++)
			ids[k] = c->frame_map[ids[k]];
		st.off = (__u32)nr_ids;
		st.hash = hash_ids(ids, st.nr, st.tag);
		nr_ids += st.nr;
		c->stack_map[i] = (__u32)live;
		p->stacks[live++] = st;
	}
	p->nr_stacks = live;
	p->nr_stack_ids = nr_ids;
	shrink((void **)&p->stack_ids, &p->cap_stack_ids, nr_ids, sizeof(*p->stack_ids));
	shrink((void **)&p->stacks, &p->cap_stacks, live, sizeof(*p->stacks));
	index__fill(&p->stack_index, c->stack_slots, index__cap_for(live), (__u32)live,
		    stack_hash_at, p);
	c->stack_slots = NULL;
}

static void compact(struct profile *p)
{
	struct compaction c = { 0 };

	if (compaction__mark(p, &c) ||
	    (!worth_compacting(c.live_stacks, p->nr_stacks) &&
	     !worth_compacting(c.live_frames, p->nr_frames) &&
	     !worth_compacting(c.live_strs, p->nr_strs)) ||
	    compaction__reserve(p, &c))
		goto cleanup;
	/* From here on nothing fails, and ids handed out before are void. */
	p->epoch = next_epoch();
	compact_strings(p, &c);
	compact_frames(p, &c);
	compact_stacks(p, &c);
	/* Windows count the new stack ids. */
	for (size_t i = 0; i < p->nr_win; i++) {
		window_refill(p->win[i], c.win_slots[i], c.win_counts[i], p->win[i]->slots.cap,
			      c.stack_map);
		c.win_slots[i] = NULL;
		c.win_counts[i] = NULL;
	}
cleanup:
	compaction__free(p, &c);
}

void profile__expire(struct profile *p, __u64 now)
{
	size_t drop = 0;

	while (drop < p->nr_win &&
	       (p->win[drop]->index + 1) * p->o.window_ns + p->o.retention_ns <= now)
		window_free(p->win[drop++]);
	if (!drop)
		return;
	memmove(p->win, p->win + drop, (p->nr_win - drop) * sizeof(*p->win));
	p->nr_win -= drop;
	compact(p);
}

bool profile__empty(const struct profile *p)
{
	return p->nr_win == 0;
}

void profile__stats(const struct profile *p, struct profile_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->windows = p->nr_win;
	ret->frames = p->nr_frames;
	ret->strings = p->nr_strs;
	ret->stacks = p->nr_stacks;
	ret->bytes = sizeof(*p) + p->strs_cap + p->cap_strs * sizeof(struct str) +
		     p->cap_frames * sizeof(struct frec) + p->cap_win * sizeof(struct window *) +
		     p->cap_stack_ids * sizeof(__u32) + p->cap_stacks * sizeof(struct srec) +
		     (p->str_index.cap + p->frame_index.cap + p->stack_index.cap) * sizeof(__u32);
	for (size_t i = 0; i < p->nr_win; i++)
		ret->bytes += sizeof(struct window) +
			      p->win[i]->slots.cap * (sizeof(__u32) + sizeof(__u64));
}
