/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: discovery of Python processes and the table of their records. */
#ifndef PYPROFD_PROCS_H
#define PYPROFD_PROCS_H

#include <linux/types.h>
#include <stddef.h>
#include "pyproc.h"

#define PYPROFD_PROC_BUCKETS	1024
#define PYPROFD_MAX_STACKS	65536	/* distinct stacks per process per window */
#define PYPROFD_MAX_FRAMES	262144	/* distinct frame names per process */

struct daemon;

/* Why pyprofd looked at a process when it found it to be Python. */
enum discover_how {
	DISCOVER_SCAN,		/* /proc scan */
	DISCOVER_EXEC,		/* exec event */
	DISCOVER_PENDING,	/* after exec, once libpython was mapped */
	DISCOVER_PYINIT,	/* init uprobe: an interpreter starting */
	DISCOVER_SAMPLE,	/* a sample of an unknown pid: a fork child */
	DISCOVER_DLOPEN,	/* dlopen() returned: maybe a libpython was mapped */
	DISCOVER__MAX,
};

/* A pid to look at again soon: seen by exec before its libpython was mapped, or by dlopen. */
struct pending {
	int pid;
	enum discover_how how;
	__u64 deadline_ns;
	struct pending *next;
};

/* (pid, starttime) pairs known not to be Python, sorted by pid. */
struct seen_set {
	int *pid;
	__u64 *start;
	size_t nr, cap_pid, cap_start;
};

struct pyproc *procs__find_live(struct daemon *d, int pid);
/*
 * procs__find_live(), after checking that the process still runs the program
 * it was found running: one that exec'd (an exec event lost, or not read
 * yet) is handled as the exec event would have been.
 */
struct pyproc *procs__check_live(struct daemon *d, int pid);
int procs__discover(struct daemon *d, int pid, enum discover_how how);
void procs__probe_paths(struct daemon *d, const char *const *paths, size_t n);
/*
 * The exited record of (pid, start), created empty if missing, for history
 * loaded from disk; discovery makes it live again if the process still runs.
 */
struct pyproc *procs__restore(struct daemon *d, int pid, __u64 start);
void procs__exited(struct daemon *d, int pid, __u64 ts);
void procs__rescan(struct daemon *d);
void procs__retry_pending(struct daemon *d);
/* Arms or disarms the fast timer (processes waiting for libpython). */
void procs__fast_poll(struct daemon *d);
void procs__expire(struct daemon *d);
void procs__free_all(struct daemon *d);
/* Applies the finished ELF analyses and discovers the processes that waited for them. */
void procs__analysis_done(struct daemon *d);
/* Attaches the uretprobe on libc's dlopen that discovers embedders as they load libpython. */
int procs__attach_dlopen(struct daemon *d);
/* dlopen() returned in pid: looks at its mappings soon. */
void procs__dlopened(struct daemon *d, int pid);
int procs__proc_alive(int pid);
/* starttime of /proc/PID/stat (clock ticks after boot): 0, -ESRCH or -EINVAL. */
int procs__start_time(int pid, __u64 *ret_start);
/*
 * The uid of the only users besides root and the group who may read process
 * pid, decided as the kernel decides ptrace read access; PYPROFD_UID_NONE
 * for a set-id or otherwise non-dumpable process.  0, -ESRCH, -errno.
 */
int procs__read_owner(int pid, __u32 *ret_uid);
/* Iterates over every process record (live and exited). */
#define procs__for_each(d, p)                                                                      \
	for (size_t _b = 0; _b < PYPROFD_PROC_BUCKETS; _b++)                                       \
		for (struct pyproc *p = (d)->procs[_b]; p; p = p->next)

#endif /* PYPROFD_PROCS_H */
