/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the record of one Python process.  procs.c creates it, frees it
 * and is the only writer of its fields; other modules read them.  What
 * another module keeps per process hangs off the record behind a pointer
 * to a type only that module defines: it alone creates, writes and frees
 * it (procs.c's free path calls its forget function), so no other module
 * can even see the layout.
 */
#ifndef PYPROFD_PYPROC_H
#define PYPROFD_PYPROC_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pyinterp.h"
#include "pyprof_abi.h"

#define PYPROFD_UID_NONE	((__u32)-1)	/* no unprivileged client may see it */

struct profile;
struct proclabel;
struct pynames_proc;
struct symbolize_proc;
struct threads_proc;

/* One Python process: live, or exited with history still retained. */
struct pyproc {
	/* Written by procs.c only (discovery, exit, history restored through procs__restore()). */
	int pid;
	__u64 start_time;		/* /proc/PID/stat starttime, tells pid reuse apart */
	char comm[PYPROF_COMM_LEN + 1];
	char *exe;
	__u64 exe_dev, exe_ino;		/* the program it was found running */
	struct proclabel *labels;	/* sorted, one allocation (proclabel_builder__pack()) */
	size_t nr_labels;
	/*
	 * The one unprivileged uid that may see the process, or
	 * PYPROFD_UID_NONE: procs__owner() reads it again for a live process.
	 */
	__u32 uid;
	/*
	 * Who it is, as found (list shows them; none is a basis for access
	 * control): its command line (profile/procident.h's, NULL: unknown),
	 * effective uid (PYPROFD_UID_NONE: unknown) and wall-clock start
	 * (CLOCK_REALTIME ns, 0: unknown).
	 */
	char *cmdline;
	__u32 user;
	__u64 start_wall_ns;
	struct pyinterp_info info;
	__u64 runtime_addr;
	bool live;
	bool in_bpf;			/* configured in the BPF "procs" map */
	bool restored;			/* history loaded from --state-dir, process not seen yet */
	__u64 first_ts, exit_ts;	/* monotonic ns */
	/*
	 * Created and freed by procs.c, which also expires it; its contents
	 * change only through profile.h (symbolize.c and state.c add to it).
	 */
	struct profile *profile;
	struct pyproc *next;		/* hash chain */

	/* symbolize.c's: code object and frame caches, sample counters (symbolize__forget()). */
	struct symbolize_proc *sym;
	/* threads.c's: when to seed the BPF tstate cache again (threads__forget()). */
	struct threads_proc *seeding;
	/* pynames.c's: the names of its threads (pynames__forget()). */
	struct pynames_proc *names;
};

#endif /* PYPROFD_PYPROC_H */
