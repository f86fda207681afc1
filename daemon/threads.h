/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the thread lists of a process, and seeding the BPF tstate cache from them. */
#ifndef PYPROFD_THREADS_H
#define PYPROFD_THREADS_H

#include <linux/types.h>
#include <stddef.h>

#define PYPROFD_MAX_INTERPS	64	/* interpreters per process walked (corrupt-list bound) */

struct procs;
struct pyproc;
struct sampler;
struct threads;

/* What `status` shows of the seedings. */
struct threads_stats {
	__u64 seeds, seeded, errors, rewalks;	/* seedings, threads put in the cache, failures */
	__u64 ns;				/* time they took */
};

/* The seeder of the BPF tstate cache for the processes of procs.  NULL on ENOMEM. */
struct threads *threads__new(struct sampler *sampler, struct procs *procs);
void threads__free(struct threads *th);
void threads__stats(const struct threads *th, struct threads_stats *ret);
/* Frees what threads.c keeps of the process (the record goes). */
void threads__forget(struct pyproc *p);

/*
 * Called per PyThreadState with PYPROF_TSTATE_READ bytes read from it and
 * the index of its interpreter (0 = main); THREADS_NEXT_INTERP goes on
 * with the next interpreter, any other nonzero value stops the walk.
 */
#define THREADS_NEXT_INTERP 1
typedef int (*threads_fn)(void *ctx, __u64 tstate, const __u8 *buf, size_t size,
			  unsigned int interp);
/*
 * Walks the thread lists of every interpreter of a live process, newest
 * thread first, at most max tstates.  Returns 0, fn's nonzero return,
 * -ESRCH when the process is gone, -EFAULT when its lists are unreadable.
 */
int threads__walk(const struct pyproc *p, size_t max, threads_fn fn, void *ctx);
/*
 * Adds every thread of the process to the BPF tstate cache, keyed by the
 * thread pointer each tstate records: BPF walks only the newest
 * PYPROF_THREAD_WALK.  0 or -Exxx.
 */
int threads__seed(struct threads *th, struct pyproc *p);
/*
 * A sample (taken at ts, of thread tid) says BPF did not reach its thread:
 * seeds now, or once the rate limit allows.
 */
void threads__walk_limit(struct threads *th, struct pyproc *p, __u64 ts, __u32 tid);
/* Seeds that the rate limit put off. */
void threads__tick(struct threads *th);

#endif /* PYPROFD_THREADS_H */
