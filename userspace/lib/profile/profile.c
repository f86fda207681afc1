// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* profile: one process's samples folded into time windows (see profile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profile/profile.h"
#include "base/util.h"

#define NO_ID ((__u32)-1)

struct name {
	__u32 off;	/* into names_buf */
	__u32 len;
	__u64 hash;
};

/* An interned stack: ids[off .. off + nr) of the profile's stack arena. */
struct stack {
	__u64 hash;
	__u32 off;
	__u32 nr;
};

/* A window's count for one stack; open addressing, id NO_ID = empty slot. */
struct wslot {
	__u32 id;
	__u32 pad;
	__u64 count;
};

struct window {
	__u64 index;	/* start = index * window_ns */
	__u64 samples;
	struct wslot *slots;
	__u32 cap, used;	/* cap a power of two */
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
	/* Stacks are interned once: windows only count them. */
	__u32 *stack_ids;	/* the frames of every stack */
	size_t nr_stack_ids, cap_stack_ids;
	struct stack *stacks;
	size_t nr_stacks, cap_stacks;
	__u32 *stack_slots;	/* open addressing over stacks, NO_ID = empty */
	size_t stack_cap;
	struct window **win;	/* sorted by index */
	size_t nr_win, cap_win;
	__u64 epoch;		/* see profile__epoch() */
};

/* Epochs are drawn from one counter: unique across every profile of the process. */
static __u64 next_epoch(void)
{
	static __u64 last;

	return __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
}

static __u64 hash_bytes(const void *data, size_t len)
{
	__u64 h = fnv1a(FNV1A_OFFSET, data, len);

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
	p->epoch = next_epoch();
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
	free(p->stack_ids);
	free(p->stacks);
	free(p->stack_slots);
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

__u64 profile__epoch(const struct profile *p)
{
	return p->epoch;
}

const char *profile__name(const struct profile *p, __u32 id)
{
	return id < p->nr_names ? p->names_buf + p->names[id].off : NULL;
}

/* Rebuilds the stack hash table into slots (stack_cap entries); cannot fail. */
static void fill_stack_slots(struct profile *p, __u32 *slots)
{
	memset(slots, 0xff, p->stack_cap * sizeof(*slots));
	for (size_t i = 0; i < p->nr_stacks; i++) {
		size_t s = p->stacks[i].hash & (p->stack_cap - 1);

		while (slots[s] != NO_ID)
			s = (s + 1) & (p->stack_cap - 1);
		slots[s] = (__u32)i;
	}
	free(p->stack_slots);
	p->stack_slots = slots;
}

static __u32 find_stack(const struct profile *p, const __u32 *ids, size_t nr, __u64 h)
{
	if (!p->stack_cap)
		return NO_ID;
	for (size_t s = h & (p->stack_cap - 1); p->stack_slots[s] != NO_ID;
	     s = (s + 1) & (p->stack_cap - 1)) {
		const struct stack *st = &p->stacks[p->stack_slots[s]];

		if (st->hash == h && st->nr == nr &&
		    memcmp(p->stack_ids + st->off, ids, nr * sizeof(*ids)) == 0)
			return p->stack_slots[s];
	}
	return NO_ID;
}

/* The id of stack ids[0..nr), interned if new.  0 or -ENOMEM. */
static int intern_stack(struct profile *p, const __u32 *ids, size_t nr, __u64 h, __u32 *ret_id)
{
	__u32 id = find_stack(p, ids, nr, h);
	struct stack *st;
	size_t s;

	if (id != NO_ID) {
		*ret_id = id;
		return 0;
	}
	if ((p->nr_stacks + 1) * 2 > p->stack_cap) {
		size_t cap = p->stack_cap ? p->stack_cap * 2 : 64;
		__u32 *slots = malloc(cap * sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		p->stack_cap = cap;
		fill_stack_slots(p, slots);
	}
	if (p->nr_stack_ids + nr > 0xffffffffu ||
	    grow_array((void **)&p->stack_ids, &p->cap_stack_ids, p->nr_stack_ids + nr,
		       sizeof(*p->stack_ids)) ||
	    grow_array((void **)&p->stacks, &p->cap_stacks, p->nr_stacks + 1, sizeof(*p->stacks)))
		return -ENOMEM;
	st = &p->stacks[p->nr_stacks];
	st->hash = h;
	st->off = (__u32)p->nr_stack_ids;
	st->nr = (__u32)nr;
	memcpy(p->stack_ids + p->nr_stack_ids, ids, nr * sizeof(*ids));
	p->nr_stack_ids += nr;
	for (s = h & (p->stack_cap - 1); p->stack_slots[s] != NO_ID; s = (s + 1) & (p->stack_cap - 1))
		;
	p->stack_slots[s] = (__u32)p->nr_stacks;
	*ret_id = (__u32)p->nr_stacks++;
	return 0;
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

static __u32 mix_id(__u32 id)
{
	return id * 0x9e3779b1u;
}

static int window_rehash(struct window *w, __u32 cap)
{
	struct wslot *slots = malloc(cap * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (__u32 i = 0; i < cap; i++)
		slots[i].id = NO_ID;
	for (__u32 i = 0; i < w->cap; i++) {
		__u32 s;

		if (w->slots[i].id == NO_ID)
			continue;
		for (s = mix_id(w->slots[i].id) & (cap - 1); slots[s].id != NO_ID; s = (s + 1) & (cap - 1))
			;
		slots[s] = w->slots[i];
	}
	free(w->slots);
	w->slots = slots;
	w->cap = cap;
	return 0;
}

/* The slot of stack id in w, or NULL. */
static struct wslot *window_find(struct window *w, __u32 id)
{
	if (!w->cap)
		return NULL;
	for (__u32 s = mix_id(id) & (w->cap - 1); w->slots[s].id != NO_ID; s = (s + 1) & (w->cap - 1))
		if (w->slots[s].id == id)
			return &w->slots[s];
	return NULL;
}

static int window_add(struct window *w, __u32 id, __u64 count)
{
	struct wslot *slot = window_find(w, id);
	__u32 s;

	if (!slot) {
		/* Most windows of most processes hold a handful of stacks: start small. */
		if ((w->used + 1) * 4 > w->cap * 3 && window_rehash(w, w->cap ? w->cap * 2 : 8))
			return -ENOMEM;
		for (s = mix_id(id) & (w->cap - 1); w->slots[s].id != NO_ID; s = (s + 1) & (w->cap - 1))
			;
		slot = &w->slots[s];
		slot->id = id;
		slot->count = 0;
		w->used++;
	}
	slot->count += count;
	w->samples += count;
	return 0;
}

int profile__add(struct profile *p, __u64 ts, const __u32 *ids, size_t nr, __u64 count)
{
	struct window *w;
	__u32 over[2], id;
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
	id = find_stack(p, ids, nr, hash_ids(ids, nr));
	if (id != NO_ID && window_find(w, id))
		return window_add(w, id, count);
	/*
	 * A new stack for this window.  Past the window's limit, or past the
	 * limit of stacks the profile keeps at all, it is counted under the
	 * root frame and a marker: never dropped.
	 */
	if (w->used >= p->o.max_stacks ||
	    (id == NO_ID && p->nr_stacks >= 4 * p->o.max_stacks)) {
		over[0] = ids[0];
		over[1] = p->overflow_stacks_id;
		ids = over;
		nr = 2;
		id = NO_ID;
	}
	if (id == NO_ID) {
		err = intern_stack(p, ids, nr, hash_ids(ids, nr), &id);
		if (err)
			return err;
	}
	return window_add(w, id, count);
}

static bool overlaps(const struct profile *p, const struct window *w, __u64 from, __u64 to)
{
	__u64 start = w->index * p->o.window_ns;

	return start < to && start + p->o.window_ns > from;
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
		for (__u32 s = 0; s < w->cap; s++)
			if (w->slots[s].id != NO_ID)
				sum[w->slots[s].id] += w->slots[s].count;
	}
	for (size_t id = 0; id < p->nr_stacks && !r; id++)
		if (sum[id])
			r = fn(p->stack_ids + p->stacks[id].off, p->stacks[id].nr, sum[id], arg);
	free(sum);
	return r;
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

/* Only worth it once a good part of a table is dead. */
static bool worth_compacting(size_t live, size_t all)
{
	return live * 2 <= all || all - live >= 4096;
}

/*
 * Forgets the stacks no window counts and the names no stack uses any more,
 * renumbering the rest.  All memory is taken first: on failure nothing
 * changes (the tables only stay bigger than they need to be).
 */
static void compact(struct profile *p)
{
	__u32 *smap = NULL, *nmap = NULL, *sslots = NULL, *nslots = NULL, *nids = NULL;
	struct stack *nstacks = NULL;
	struct wslot **wslots = NULL;
	size_t live_s = 0, live_n = 0, nr_ids = 0, nl = 0;
	char *nbuf = NULL;

	smap = malloc((p->nr_stacks + 1) * sizeof(*smap));
	nmap = malloc(p->nr_names * sizeof(*nmap));
	if (!smap || !nmap)
		goto cleanup;
	memset(smap, 0xff, (p->nr_stacks + 1) * sizeof(*smap));
	memset(nmap, 0xff, p->nr_names * sizeof(*nmap));
	for (size_t i = 0; i < p->nr_win; i++)
		for (__u32 s = 0; s < p->win[i]->cap; s++)
			if (p->win[i]->slots[s].id != NO_ID)
				smap[p->win[i]->slots[s].id] = 0;
	nmap[p->overflow_stacks_id] = 0;
	nmap[p->overflow_names_id] = 0;
	for (size_t i = 0; i < p->nr_stacks; i++) {
		if (smap[i] == NO_ID)
			continue;
		live_s++;
		nr_ids += p->stacks[i].nr;
		for (__u32 k = 0; k < p->stacks[i].nr; k++)
			nmap[p->stack_ids[p->stacks[i].off + k]] = 0;
	}
	for (size_t i = 0; i < p->nr_names; i++)
		live_n += nmap[i] != NO_ID;
	if (!worth_compacting(live_s, p->nr_stacks) && !worth_compacting(live_n, p->nr_names))
		goto cleanup;

	nbuf = malloc(p->names_len ? p->names_len : 1);
	nslots = malloc(p->name_cap * sizeof(*nslots));
	nids = malloc((nr_ids ? nr_ids : 1) * sizeof(*nids));
	nstacks = malloc((live_s ? live_s : 1) * sizeof(*nstacks));
	sslots = malloc((p->stack_cap ? p->stack_cap : 1) * sizeof(*sslots));
	wslots = calloc(p->nr_win ? p->nr_win : 1, sizeof(*wslots));
	if (!nbuf || !nslots || !nids || !nstacks || !sslots || !wslots)
		goto cleanup;
	for (size_t i = 0; i < p->nr_win; i++) {
		wslots[i] = malloc(p->win[i]->cap * sizeof(**wslots));
		if (!wslots[i])
			goto cleanup;
	}

	/* Names (ids handed out before are void from here on). */
	p->epoch = next_epoch();
	live_n = 0;
	for (size_t i = 0; i < p->nr_names; i++) {
		struct name n = p->names[i];

		if (nmap[i] == NO_ID)
			continue;
		memcpy(nbuf + nl, p->names_buf + n.off, n.len + 1);
		n.off = (__u32)nl;
		nl += n.len + 1;
		nmap[i] = (__u32)live_n;
		p->names[live_n++] = n;
	}
	free(p->names_buf);
	p->names_buf = nbuf;
	nbuf = NULL;
	p->names_len = nl;
	p->names_cap = nl ? nl : 1;
	p->nr_names = live_n;
	p->overflow_stacks_id = nmap[p->overflow_stacks_id];
	p->overflow_names_id = nmap[p->overflow_names_id];
	fill_name_slots(p, nslots);
	nslots = NULL;

	/* Stacks, with their names renumbered (so their hashes change). */
	live_s = 0;
	nr_ids = 0;
	for (size_t i = 0; i < p->nr_stacks; i++) {
		struct stack *st = &nstacks[live_s];

		if (smap[i] == NO_ID)
			continue;
		for (__u32 k = 0; k < p->stacks[i].nr; k++)
			nids[nr_ids + k] = nmap[p->stack_ids[p->stacks[i].off + k]];
		st->off = (__u32)nr_ids;
		st->nr = p->stacks[i].nr;
		st->hash = hash_ids(nids + nr_ids, st->nr);
		nr_ids += st->nr;
		smap[i] = (__u32)live_s++;
	}
	free(p->stack_ids);
	p->stack_ids = nids;
	p->nr_stack_ids = p->cap_stack_ids = nr_ids;
	nids = NULL;
	free(p->stacks);
	p->stacks = nstacks;
	p->nr_stacks = p->cap_stacks = live_s;
	nstacks = NULL;
	fill_stack_slots(p, sslots);
	sslots = NULL;

	/* Windows count the new stack ids. */
	for (size_t i = 0; i < p->nr_win; i++) {
		struct window *w = p->win[i];
		struct wslot *old = w->slots;

		w->slots = wslots[i];
		wslots[i] = NULL;
		for (__u32 s = 0; s < w->cap; s++)
			w->slots[s].id = NO_ID;
		for (__u32 s = 0; s < w->cap; s++) {
			__u32 id, k;

			if (old[s].id == NO_ID)
				continue;
			id = smap[old[s].id];
			for (k = mix_id(id) & (w->cap - 1); w->slots[k].id != NO_ID; k = (k + 1) & (w->cap - 1))
				;
			w->slots[k].id = id;
			w->slots[k].pad = 0;
			w->slots[k].count = old[s].count;
		}
		free(old);
	}
cleanup:
	if (wslots)
		for (size_t i = 0; i < p->nr_win; i++)
			free(wslots[i]);
	free(wslots);
	free(sslots);
	free(nstacks);
	free(nids);
	free(nslots);
	free(nbuf);
	free(nmap);
	free(smap);
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
	ret->names = p->nr_names;
	ret->stacks = p->nr_stacks;
	ret->bytes = sizeof(*p) + p->names_cap + p->cap_names * sizeof(struct name) +
		     p->name_cap * sizeof(__u32) + p->cap_win * sizeof(struct window *) +
		     p->cap_stack_ids * sizeof(__u32) + p->cap_stacks * sizeof(struct stack) +
		     p->stack_cap * sizeof(__u32);
	for (size_t i = 0; i < p->nr_win; i++)
		ret->bytes += sizeof(struct window) + p->win[i]->cap * sizeof(struct wslot);
}
