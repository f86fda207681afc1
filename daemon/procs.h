/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: discovery of Python processes and the table of their records. */
#ifndef PYPROFD_PROCS_H
#define PYPROFD_PROCS_H

#include <linux/types.h>
#include <stddef.h>
#include "pyproc.h"


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

struct config;
struct procs;
struct sampler;

/* What `status` shows of discovery. */
struct procs_stats {
	__u64 discovered[DISCOVER__MAX];	/* Python processes found, by how */
	__u64 elf_analysed, elf_rejected, elf_too_big, elf_failed;
	size_t elf_analysing;			/* with the worker now */
};

/*
 * The process table of the processes under proc_root ("/proc", or a unit
 * test's tree; the string must outlive the table), and the ELF analysis
 * worker (started here: signals must be blocked already, the thread
 * inherits the mask).  NULL with errno set.
 */
struct procs *procs__new(const char *proc_root, const struct config *cfg,
			 struct sampler *sampler);
/* Frees every record, stops the worker, detaches the probes.  NULL is fine. */
void procs__free(struct procs *ps);
/* The fast timer's fd (processes waiting for libpython): procs__pending_tick() when readable. */
int procs__pending_fd(const struct procs *ps);
void procs__pending_tick(struct procs *ps);
/* The worker's fd: procs__analysis_done() when readable. */
int procs__analysis_fd(const struct procs *ps);
void procs__stats(const struct procs *ps, struct procs_stats *ret);

struct pyproc *procs__find_live(struct procs *ps, int pid);
/*
 * procs__find_live(), after checking that the process still runs the program
 * it was found running: one that exec'd (an exec event lost, or not read
 * yet) is handled as the exec event would have been.
 */
struct pyproc *procs__check_live(struct procs *ps, int pid);
int procs__discover(struct procs *ps, int pid, enum discover_how how);
void procs__probe_paths(struct procs *ps, const char *const *paths, size_t n);
/* What --state-dir's files say of a process whose history they hold. */
struct procs_history {
	int pid;
	__u64 start_time;
	__u32 uid;		/* the unprivileged uid that may see it, or PYPROFD_UID_NONE */
	__u32 version_hex;
	bool supported;
	const char *comm, *exe, *why;
	const char *cmdline;	/* NULL or "": not known */
	/* Its labels (proclabel.h's rules, checked by the decoder): copied. */
	const struct proclabel *labels;
	size_t nr_labels;
};
/*
 * The exited record of (h->pid, h->start_time), created if missing, for
 * history loaded from disk: a record not seen running takes h's
 * description.  Discovery makes it live again if the process still runs.
 */
struct pyproc *procs__restore(struct procs *ps, const struct procs_history *h);
/*
 * p->uid, read again for a live process (its credentials may have changed
 * since discovery): a process whose owner changed is nobody's from then on,
 * history included, and a pid reused before its exit event was read lends
 * no owner.
 */
__u32 procs__owner(struct pyproc *p);
void procs__exited(struct procs *ps, int pid, __u64 ts);
/* pid exec'd at ts (monotonic ns): its record ends and the new image is looked at. */
void procs__exec(struct procs *ps, int pid, __u64 ts);
void procs__rescan(struct procs *ps);
void procs__expire(struct procs *ps);
/* Applies the finished ELF analyses and discovers the processes that waited for them. */
void procs__analysis_done(struct procs *ps);
/* Attaches the uretprobe on libc's dlopen that discovers embedders as they load libpython. */
int procs__attach_dlopen(struct procs *ps);
/* dlopen() returned in pid: looks at its mappings soon. */
void procs__dlopened(struct procs *ps, int pid);
/* Whether pid is a process of the host's /proc (as the next three, not proc_root's). */
int procs__proc_alive(int pid);
/* starttime of /proc/PID/stat (clock ticks after boot): 0, -ESRCH or -EINVAL. */
int procs__start_time(int pid, __u64 *ret_start);
/*
 * The uid of the only users besides root and the group who may read process
 * pid, decided as the kernel decides ptrace read access; PYPROFD_UID_NONE
 * for a set-id or otherwise non-dumpable process.  0, -ESRCH, -errno.
 */
int procs__read_owner(int pid, __u32 *ret_uid);
/*
 * Iterates over every process record (live and exited); the body may change
 * records but not add or free any.
 */
struct pyproc *procs__first(const struct procs *ps);
struct pyproc *procs__next(const struct procs *ps, const struct pyproc *p);
#define procs__for_each(ps, p) for (struct pyproc *p = procs__first(ps); p; p = procs__next(ps, p))

#endif /* PYPROFD_PROCS_H */
