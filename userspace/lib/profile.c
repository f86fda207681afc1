// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* profile: one process's samples folded into time windows (see profile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"

#define NO_ID ((__u32)-1)

struct name {
	__u32 off;	/* into names_buf */
	__u32 len;
	__u64 hash;
};

struct stack {
	__u64 hash;
	__u64 count;
	__u32 off;	/* into window ids */
	__u32 nr;	/* 0 = empty slot */
};

struct window {
	__u64 index;	/* start = index * window_ns */
	__u64 samples;
	struct stack *slots;
	size_t cap, used;	/* open addressing, cap a power of two */
	__u32 *ids;
	size_t nr_ids, cap_ids;
};

struct profile {
	struct profile_opts o;
	char *names_buf;
	size_t names_len, names_cap;
	struct name *names;
	size_t nr_names, cap_names;
	__u32 *name_slots;	/* open addressing over names, NO_ID = empty */
	size_t name_cap;
	__u32 overflow_stacks_id, overflow_names_id;
	struct window **win;	/* sorted by index */
	size_t nr_win, cap_win;
};

static __u64 hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	__u64 h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static __u64 hash_ids(const __u32 *ids, size_t nr)
{
	__u64 h = 0x9e3779b97f4a7c15ull ^ nr;

	for (size_t i = 0; i < nr; i++) {
		h ^= ids[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > ((size_t)-1 / 2) / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static void fill_name_slots(struct profile *p, __u32 *slots);

static int name_rehash(struct profile *p, size_t cap)
{
	__u32 *slots = malloc(cap * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	p->name_cap = cap;
	fill_name_slots(p, slots);
	return 0;
}

/* Adds a name without the max_frames check. */
static int intern_raw(struct profile *p, const char *s, size_t len, __u64 h, __u32 *ret_id)
{
	size_t slot;
	struct name *n;

	if ((p->nr_names + 1) * 2 > p->name_cap && name_rehash(p, p->name_cap ? p->name_cap * 2 : 256))
		return -ENOMEM;
	if (len > 0xffffffu || p->names_len + len + 1 > 0xffffffffu)
		return -ENOMEM;
	if (grow_array((void **)&p->names, &p->cap_names, p->nr_names + 1, sizeof(*p->names)) ||
	    grow_array((void **)&p->names_buf, &p->names_cap, p->names_len + len + 1, 1))
		return -ENOMEM;
	n = &p->names[p->nr_names];
	n->off = (__u32)p->names_len;
	n->len = (__u32)len;
	n->hash = h;
	memcpy(p->names_buf + p->names_len, s, len);
	p->names_buf[p->names_len + len] = '\0';
	p->names_len += len + 1;
	slot = h & (p->name_cap - 1);
	while (p->name_slots[slot] != NO_ID)
		slot = (slot + 1) & (p->name_cap - 1);
	p->name_slots[slot] = (__u32)p->nr_names;
	*ret_id = (__u32)p->nr_names++;
	return 0;
}

static __u32 find_name(const struct profile *p, const char *s, size_t len, __u64 h)
{
	size_t slot;

	if (!p->name_cap)
		return NO_ID;
	for (slot = h & (p->name_cap - 1); p->name_slots[slot] != NO_ID;
	     slot = (slot + 1) & (p->name_cap - 1)) {
		const struct name *n = &p->names[p->name_slots[slot]];

		if (n->hash == h && n->len == len && memcmp(p->names_buf + n->off, s, len) == 0)
			return p->name_slots[slot];
	}
	return NO_ID;
}

static int add_builtin_names(struct profile *p)
{
	static const char a[] = PROFILE_OVERFLOW_STACKS, b[] = PROFILE_OVERFLOW_NAMES;

	return intern_raw(p, a, sizeof(a) - 1, hash_bytes(a, sizeof(a) - 1), &p->overflow_stacks_id) ?:
	       intern_raw(p, b, sizeof(b) - 1, hash_bytes(b, sizeof(b) - 1), &p->overflow_names_id);
}

struct profile *profile__new(const struct profile_opts *opts)
{
	struct profile *p;

	if (!opts->window_ns || !opts->max_stacks || opts->max_frames < 2) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->o = *opts;
	if (add_builtin_names(p)) {
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
	free(w->slots);
	free(w->ids);
	free(w);
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_win; i++)
		window_free(p->win[i]);
	free(p->win);
	free(p->names_buf);
	free(p->names);
	free(p->name_slots);
	free(p);
}

int profile__intern(struct profile *p, const char *s, size_t len, __u32 *ret_id)
{
	__u64 h = hash_bytes(s, len);
	__u32 id = find_name(p, s, len, h);

	if (id != NO_ID) {
		*ret_id = id;
		return 0;
	}
	if (memchr(s, '\0', len))
		return -EINVAL;
	if (p->nr_names >= p->o.max_frames) {
		*ret_id = p->overflow_names_id;
		return 0;
	}
	return intern_raw(p, s, len, h, ret_id);
}

const char *profile__name(const struct profile *p, __u32 id)
{
	return id < p->nr_names ? p->names_buf + p->names[id].off : NULL;
}

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

static int window_rehash(struct window *w, size_t cap)
{
	struct stack *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < w->cap; i++) {
		const struct stack *st = &w->slots[i];
		size_t s;

		if (!st->nr)
			continue;
		for (s = st->hash & (cap - 1); slots[s].nr; s = (s + 1) & (cap - 1))
			;
		slots[s] = *st;
	}
	free(w->slots);
	w->slots = slots;
	w->cap = cap;
	return 0;
}

static int window_add(struct window *w, const __u32 *ids, size_t nr, __u64 h, __u64 count,
		      bool may_insert)
{
	size_t s;

	if (w->cap) {
		for (s = h & (w->cap - 1); w->slots[s].nr; s = (s + 1) & (w->cap - 1)) {
			struct stack *st = &w->slots[s];

			if (st->hash == h && st->nr == nr &&
			    memcmp(w->ids + st->off, ids, nr * sizeof(*ids)) == 0) {
				st->count += count;
				w->samples += count;
				return 0;
			}
		}
	}
	if (!may_insert)
		return -ENOSPC;
	if ((w->used + 1) * 4 > w->cap * 3 && window_rehash(w, w->cap ? w->cap * 2 : 64))
		return -ENOMEM;
	if (w->nr_ids + nr > 0xffffffffu ||
	    grow_array((void **)&w->ids, &w->cap_ids, w->nr_ids + nr, sizeof(*w->ids)))
		return -ENOMEM;
	for (s = h & (w->cap - 1); w->slots[s].nr; s = (s + 1) & (w->cap - 1))
		;
	memcpy(w->ids + w->nr_ids, ids, nr * sizeof(*ids));
	w->slots[s] = (struct stack){ .hash = h, .count = count, .off = (__u32)w->nr_ids,
				      .nr = (__u32)nr };
	w->nr_ids += nr;
	w->used++;
	w->samples += count;
	return 0;
}

int profile__add(struct profile *p, __u64 ts, const __u32 *ids, size_t nr, __u64 count)
{
	struct window *w;
	__u32 over[2];
	int err;

	if (!nr || !count)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++)
		if (ids[i] >= p->nr_names)
			return -EINVAL;
	if (nr > PROFILE_MAX_DEPTH)
		nr = PROFILE_MAX_DEPTH;
	w = get_window(p, ts / p->o.window_ns);
	if (!w)
		return -ENOMEM;
	err = window_add(w, ids, nr, hash_ids(ids, nr), count, w->used < p->o.max_stacks);
	if (err != -ENOSPC)
		return err;
	/* Window full: count it under the root frame and a marker, never drop it. */
	over[0] = ids[0];
	over[1] = p->overflow_stacks_id;
	return window_add(w, over, 2, hash_ids(over, 2), count, true);
}

static bool overlaps(const struct profile *p, const struct window *w, __u64 from, __u64 to)
{
	__u64 start = w->index * p->o.window_ns;

	return start < to && start + p->o.window_ns > from;
}

int profile__collect(const struct profile *p, __u64 from, __u64 to, profile_collect_fn fn,
		     void *arg)
{
	for (size_t i = 0; i < p->nr_win; i++) {
		const struct window *w = p->win[i];

		if (!overlaps(p, w, from, to))
			continue;
		for (size_t s = 0; s < w->cap; s++) {
			const struct stack *st = &w->slots[s];
			int r;

			if (!st->nr)
				continue;
			r = fn(w->ids + st->off, st->nr, st->count, arg);
			if (r)
				return r;
		}
	}
	return 0;
}

__u64 profile__samples(const struct profile *p, __u64 from, __u64 to)
{
	__u64 n = 0;

	for (size_t i = 0; i < p->nr_win; i++)
		if (overlaps(p, p->win[i], from, to))
			n += p->win[i]->samples;
	return n;
}

/* Rebuilds the name hash table into slots (name_cap entries); cannot fail. */
static void fill_name_slots(struct profile *p, __u32 *slots)
{
	memset(slots, 0xff, p->name_cap * sizeof(*slots));
	for (size_t i = 0; i < p->nr_names; i++) {
		size_t s = p->names[i].hash & (p->name_cap - 1);

		while (slots[s] != NO_ID)
			s = (s + 1) & (p->name_cap - 1);
		slots[s] = (__u32)i;
	}
	free(p->name_slots);
	p->name_slots = slots;
}

/*
 * Forgets the names no window uses any more, renumbering the rest.  All
 * memory is taken first: on failure nothing changes (the table only stays
 * bigger than it needs to be).
 */
static void compact_names(struct profile *p)
{
	__u32 *map = NULL, *slots = NULL;
	size_t live = 0, nl = 0;
	char *nbuf = NULL;

	map = malloc(p->nr_names * sizeof(*map));
	if (!map)
		return;
	memset(map, 0xff, p->nr_names * sizeof(*map));
	map[p->overflow_stacks_id] = 0;
	map[p->overflow_names_id] = 0;
	for (size_t i = 0; i < p->nr_win; i++)
		for (size_t k = 0; k < p->win[i]->nr_ids; k++)
			map[p->win[i]->ids[k]] = 0;
	for (size_t i = 0; i < p->nr_names; i++)
		if (map[i] != NO_ID)
			live++;
	/* Only worth it once a good part of the table is dead. */
	if (live * 2 > p->nr_names && p->nr_names - live < 4096)
		goto cleanup;
	nbuf = malloc(p->names_len ? p->names_len : 1);
	slots = malloc(p->name_cap * sizeof(*slots));
	if (!nbuf || !slots)
		goto cleanup;
	live = 0;
	for (size_t i = 0; i < p->nr_names; i++) {
		struct name n = p->names[i];

		if (map[i] == NO_ID)
			continue;
		memcpy(nbuf + nl, p->names_buf + n.off, n.len + 1);
		n.off = (__u32)nl;
		nl += n.len + 1;
		map[i] = (__u32)live;
		p->names[live++] = n;
	}
	free(p->names_buf);
	p->names_buf = nbuf;
	nbuf = NULL;
	p->names_len = nl;
	p->names_cap = nl ? nl : 1;
	p->nr_names = live;
	p->overflow_stacks_id = map[p->overflow_stacks_id];
	p->overflow_names_id = map[p->overflow_names_id];
	fill_name_slots(p, slots);
	slots = NULL;
	for (size_t i = 0; i < p->nr_win; i++) {
		struct window *w = p->win[i];

		for (size_t k = 0; k < w->nr_ids; k++)
			w->ids[k] = map[w->ids[k]];
		for (size_t s = 0; s < w->cap; s++)
			if (w->slots[s].nr)
				w->slots[s].hash = hash_ids(w->ids + w->slots[s].off, w->slots[s].nr);
		/*
		 * New hashes need new slots.  Without memory for them the window
		 * keeps its counts but may later hold a stack twice, which every
		 * reader merges anyway.
		 */
		(void)window_rehash(w, w->cap);
	}
cleanup:
	free(slots);
	free(nbuf);
	free(map);
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
	compact_names(p);
}

bool profile__empty(const struct profile *p)
{
	return p->nr_win == 0;
}

void profile__stats(const struct profile *p, struct profile_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->windows = p->nr_win;
	ret->names = p->nr_names;
	ret->bytes = sizeof(*p) + p->names_cap + p->cap_names * sizeof(struct name) +
		     p->name_cap * sizeof(__u32) + p->cap_win * sizeof(struct window *);
	for (size_t i = 0; i < p->nr_win; i++) {
		const struct window *w = p->win[i];

		ret->stacks += w->used;
		ret->bytes += sizeof(*w) + w->cap * sizeof(struct stack) + w->cap_ids * sizeof(__u32);
	}
}
