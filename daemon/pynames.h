/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the names of a process's threads, threading.Thread.name read from
 * the interpreter (threading._active), and on 3.14+ the OS thread name
 * CPython sets where the Python one cannot be read.  Cached per process,
 * read again at most every PYNAMES_REFRESH_NS (a thread can be renamed) or
 * PYNAMES_MISS_NS after a thread it does not know.
 */
#ifndef PYPROFD_PYNAMES_H
#define PYPROFD_PYNAMES_H

#include <linux/types.h>

struct pyproc;

#define PYNAMES_MAX_THREADS 4096		/* names kept per process */
#define PYNAMES_MAX_NAME    128			/* bytes of a name, NUL included (cut) */

/* Where a name comes from. */
enum pynames_source {
	PYNAMES_PYTHON = 1,	/* threading.Thread.name */
	PYNAMES_OS,		/* /proc/PID/task/TID/comm, as CPython 3.14+ sets it */
};

/* What `status` shows, summed over processes. */
struct pynames_stats {
	__u64 known;		/* names cached now */
	__u64 refreshes;	/* reads of threading._active */
	__u64 unreadable;	/* threads of those reads whose name or id was unreadable */
	__u64 failed;		/* reads that found no _active (unreadable memory) */
	__u64 corrupt;		/* reads that met a corrupt dict, str or int */
};

/*
 * The name of the thread with host tid tid of a live process (ts: now, in
 * CLOCK_MONOTONIC ns), refreshing the cache when due; NULL when it has
 * none.  The string stays valid until the next call for the process.
 * *source (may be NULL) says where it comes from.
 */
const char *pynames__name(struct pyproc *p, __u32 tid, __u64 ts, enum pynames_source *source);

/*
 * The tid in the process's pid namespace and on the host of the thread
 * whose threading.get_ident() (tstate->thread_id, pthread_self()) is ident,
 * for 3.9 and 3.10 whose thread states lack native_thread_id.  0 or -ENOENT.
 */
int pynames__by_ident(struct pyproc *p, __u64 ident, __u64 ts, long *ns_tid, long *host_tid);

/*
 * Reads the names again now, whenever they were last read: for dump, which
 * shows every thread once, new ones included.
 */
void pynames__refresh(struct pyproc *p, __u64 ts);

/* Adds the process's counters to *st. */
void pynames__stats(const struct pyproc *p, struct pynames_stats *st);
/* Frees what pynames.c keeps of the process (it exited, or the record goes). */
void pynames__forget(struct pyproc *p);

#endif /* PYPROFD_PYNAMES_H */
