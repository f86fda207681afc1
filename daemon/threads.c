// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the thread lists of a process, and seeding the BPF tstate cache from them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/util.h"
#include "clock.h"
#include "log.h"
#include "procs.h"
#include "sampler.h"
#include "target.h"
#include "threads.h"

/*
 * Seedings of one process for a thread not seen missing before are at
 * least this far apart, and SEED_COST_FACTOR times what the last took
 * (seeding then takes at most a tenth of a CPU while threads keep missing).
 */
#define SEED_FAST_GAP_NS (10 * NSEC_PER_MSEC)
#define SEED_COST_FACTOR 10
/* For threads that seeding did not find (no Python state, or started since). */
#define SEED_SLOW_GAP_NS (5000 * NSEC_PER_MSEC)

#define SEED_MISS_SLOTS 64	/* threads remembered per process that BPF missed */

/* When to seed a process's BPF tstate cache again: what threads.c keeps per process. */
struct threads_proc {
	__u64 due_ns;		/* seed at or after then; 0 = not wanted */
	__u64 start_ns;		/* when the last seeding began */
	__u64 fast_gap_ns;	/* least time between seedings, from what the last took */
	/*
	 * Threads are added at the head of the list: while none exits, the
	 * next seeding needs only what lies before the last one's head.
	 */
	__u64 head, head_id;	/* main interpreter's first tstate and its thread_id */
	__u64 exits;		/* BPF's thread_exits count when the last seeding began */
	bool full;		/* next seeding walks every list */
	__u32 nr;		/* seedings done */
	/* Threads missed, direct-mapped by tid: which missed again after a seeding. */
	struct {
		__u32 tid;
		__u32 seeding;	/* nr when it first missed */
		bool stubborn;	/* missed after a seeding: no Python state, or deeper */
	} miss[SEED_MISS_SLOTS];
};

struct threads {
	struct sampler *sampler;
	struct procs *procs;
	struct threads_stats stats;
};

struct threads *threads__new(struct sampler *sampler, struct procs *procs)
{
	struct threads *th = calloc(1, sizeof(*th));

	if (!th)
		return NULL;
	th->sampler = sampler;
	th->procs = procs;
	return th;
}

void threads__free(struct threads *th)
{
	free(th);
}

void threads__forget(struct pyproc *p)
{
	free(p->seeding);
	p->seeding = NULL;
}

/* p's seeding state, made on first use; NULL on ENOMEM. */
static struct threads_proc *seeding_of(struct pyproc *p)
{
	if (!p->seeding)
		p->seeding = calloc(1, sizeof(*p->seeding));
	return p->seeding;
}

void threads__stats(const struct threads *th, struct threads_stats *ret)
{
	*ret = th->stats;
}

int threads__walk(const struct pyproc *p, size_t max, threads_fn fn, void *ctx)
{
	const struct pyprof_layout *l = &p->info.layout;
	__u8 buf[PYPROF_TSTATE_READ];
	__u64 interp = 0, ts;
	size_t seen = 0;
	int err;

	err = target_read_ptr(p->pid, p->runtime_addr, l->runtime_interp_head, &interp);
	if (err)
		return procs__proc_alive(p->pid) ? err : -ESRCH;
	for (unsigned int ni = 0; interp && ni < PYPROFD_MAX_INTERPS; ni++) {
		if (target_read_ptr(p->pid, interp, l->interp_threads_head, &ts))
			return -EFAULT;
		for (; ts && seen < max; seen++) {
			if (target_read(p->pid, ts, buf, sizeof(buf)))
				return -EFAULT;
			err = fn(ctx, ts, buf, sizeof(buf), ni);
			if (err == THREADS_NEXT_INTERP)
				break;
			if (err)
				return err;
			ts = target_field_u64(buf, sizeof(buf), l->tstate_next);
		}
		if (target_read_ptr(p->pid, interp, l->interp_next, &interp))
			break;
	}
	return 0;
}

/* (thread pointer, tstate) pairs of one walk. */
struct seed_set {
	const struct pyproc *p;
	__u64 stop, stop_id;	/* main interpreter: stop at this tstate with this thread_id */
	__u64 head, head_id;	/* main interpreter's first tstate seen */
	struct pyprof_thread_key *keys;
	__u64 *tstates;
	size_t nr, cap_keys, cap_tstates;
};

static int seed_collect(void *ctx, __u64 tstate, const __u8 *buf, size_t size, unsigned int interp)
{
	struct seed_set *s = ctx;
	__u64 fsbase = target_field_u64(buf, size, s->p->info.layout.tstate_thread_id);

	if (interp == 0 && !s->head) {
		s->head = tstate;
		s->head_id = fsbase;
	}
	if (interp == 0 && s->stop && tstate == s->stop && fsbase == s->stop_id)
		return THREADS_NEXT_INTERP;
	if (!fsbase)
		return 0; /* not bound to a thread (yet) */
	if (grow_array((void **)&s->keys, &s->cap_keys, s->nr + 1, sizeof(*s->keys)) ||
	    grow_array((void **)&s->tstates, &s->cap_tstates, s->nr + 1, sizeof(*s->tstates)))
		return -ENOMEM;
	s->keys[s->nr] = (struct pyprof_thread_key){ .tgid = (__u32)s->p->pid, .fsbase = fsbase };
	s->tstates[s->nr] = tstate;
	s->nr++;
	return 0;
}

static void seed_set_done(struct seed_set *s)
{
	free(s->keys);
	free(s->tstates);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * A thread that exits while we walk is unlinked from the list, its tstate
 * freed with its thread_id still in place, and its cache entry deleted by
 * BPF at exit, maybe before we add it back: a later thread that reuses its
 * stack (and so its fs base) would then pass the check on the dead tstate.
 * If any thread exited meanwhile (BPF counts them), a second walk after the
 * update lists what is still linked; a thread unlinked after that exits
 * after the update, and BPF deletes its entry.
 */
static void seed_drop_gone(struct threads *th, struct pyproc *p, const struct seed_set *added,
			   __u64 exits_before)
{
	struct seed_set now = { .p = p };
	struct pyprof_proc cfg;
	int err;

	if (sampler__get_proc(th->sampler, p->pid, &cfg) == 0 && cfg.thread_exits == exits_before)
		return;
	th->stats.rewalks++;
	err = threads__walk(p, PYPROF_MAX_THREADS, seed_collect, &now);
	if (!err)
		qsort(now.tstates, now.nr, sizeof(*now.tstates), cmp_u64);
	for (size_t i = 0; i < added->nr; i++)
		if (err || !bsearch(&added->tstates[i], now.tstates, now.nr, sizeof(*now.tstates),
				    cmp_u64))
			sampler__drop_tstate(th->sampler, &added->keys[i]);
	seed_set_done(&now);
}

int threads__seed(struct threads *th, struct pyproc *p)
{
	struct threads_proc *st = seeding_of(p);
	struct seed_set added = { .p = p };
	struct pyprof_proc cfg;
	__u64 took;
	int err;

	if (!st) {
		th->stats.errors++;
		return -ENOMEM;
	}
	st->due_ns = 0;
	st->start_ns = now_ns();
	err = sampler__get_proc(th->sampler, p->pid, &cfg);
	/*
	 * No thread exited since the last seeding: its head is still linked (a
	 * tstate outlives its thread's Python code only briefly), and what came
	 * since lies before it.  A tstate deleted without its thread exiting
	 * (PyGILState_Release) can make this stop early: threads missed again
	 * after it ask for a full walk.
	 */
	if (!err && !st->full && cfg.thread_exits == st->exits) {
		added.stop = st->head;
		added.stop_id = st->head_id;
	}
	err = err ?: threads__walk(p, PYPROF_MAX_THREADS, seed_collect, &added);
	err = err ?: sampler__seed_tstates(th->sampler, added.keys, added.tstates, added.nr);
	if (!err) {
		seed_drop_gone(th, p, &added, cfg.thread_exits);
		st->head = added.head;
		st->head_id = added.head_id;
		st->exits = cfg.thread_exits;
		st->full = false;
		st->nr++;
		th->stats.seeds++;
		th->stats.seeded += added.nr;
	} else {
		th->stats.errors++;
	}
	took = now_ns() - st->start_ns;
	th->stats.ns += took;
	st->fast_gap_ns = took * SEED_COST_FACTOR > SEED_FAST_GAP_NS ? took * SEED_COST_FACTOR
								   : SEED_FAST_GAP_NS;
	log_msg(LOG_DEBUG, "pid %d: %zu threads put in the tstate cache in %llu us: %s", p->pid,
		added.nr, (unsigned long long)(took / NSEC_PER_USEC), err ? strerror(-err) : "ok");
	seed_set_done(&added);
	return err;
}

/* Asks for a seeding gap_ns after the last one began, unless one is due sooner. */
static void seed_want(struct threads_proc *st, __u64 gap_ns)
{
	__u64 due = st->start_ns + gap_ns;

	if (!st->due_ns || due < st->due_ns)
		st->due_ns = due ? due : 1;
}

void threads__walk_limit(struct threads *th, struct pyproc *p, __u64 ts, __u32 tid)
{
	struct threads_proc *st = seeding_of(p);
	__typeof__(st->miss[0]) *m;

	if (!st)
		return;
	m = &st->miss[tid % SEED_MISS_SLOTS];
	/* The last seeding began after this sample: it saw the thread, if it has a tstate. */
	if (ts < st->start_ns)
		return;
	if (m->tid != tid) {
		m->tid = tid;
		m->seeding = st->nr;
		m->stubborn = false;
	} else if (!m->stubborn && m->seeding != st->nr) {
		m->stubborn = true;
		st->full = true;
	}
	seed_want(st, m->stubborn ? SEED_SLOW_GAP_NS : st->fast_gap_ns);
	if (p->in_bpf && now_ns() >= st->due_ns)
		(void)threads__seed(th, p);
}

void threads__tick(struct threads *th)
{
	__u64 now = now_ns();

	procs__for_each(th->procs, p)
	{
		if (p->live && p->in_bpf && p->seeding && p->seeding->due_ns &&
		    now >= p->seeding->due_ns)
			(void)threads__seed(th, p);
	}
}
