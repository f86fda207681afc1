/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the record of one Python process, shared by the modules that work on it. */
#ifndef PYPROFD_PYPROC_H
#define PYPROFD_PYPROC_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pyinterp.h"
#include "pyprof_abi.h"

#define PYPROFD_UID_NONE	((__u32)-1)	/* no unprivileged client may see it */
#define PYPROFD_SEED_MISS_SLOTS 64	/* threads remembered per process that BPF missed */

/* When to seed a process's BPF tstate cache again (threads.c). */
struct seed_state {
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
	} miss[PYPROFD_SEED_MISS_SLOTS];
};

struct codeinfo;
struct kframe_cache;
struct profile;
struct proclabel;

/* One Python process: live, or exited with history still retained. */
struct pyproc {
	int pid;
	__u64 start_time;		/* /proc/PID/stat starttime, tells pid reuse apart */
	char comm[PYPROF_COMM_LEN + 1];
	char *exe;
	__u64 exe_dev, exe_ino;		/* the program it was found running */
	struct proclabel *labels;	/* sorted, one allocation (proclabel_builder__pack()) */
	size_t nr_labels;
	/*
	 * The one unprivileged uid that may see the process (procs__read_owner()),
	 * or PYPROFD_UID_NONE.  Re-read for live processes on every request.
	 */
	__u32 uid;
	struct pyinterp_info info;
	__u64 runtime_addr;
	bool live;
	bool in_bpf;			/* configured in the BPF "procs" map */
	bool restored;			/* history loaded from --state-dir, process not seen yet */
	__u64 first_ts, exit_ts;	/* monotonic ns */
	__u64 samples;
	__u64 errors[PYPROF_UNWIND__MAX];
	__u64 code_gone;		/* sampled code objects freed before they were named */
	struct seed_state seed;		/* threads.c */
	struct profile *profile;
	struct codeinfo **code_buckets;	/* code object address -> codeinfo */
	size_t code_nr;
	struct kframe_cache *kframes;	/* kernel address -> name id (symbolize.c) */
	struct pyproc *next;		/* hash chain */
};

#endif /* PYPROFD_PYPROC_H */
