/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the BPF side.  The only module that sees the BPF skeleton and
 * writes BPF maps: it loads and attaches the programs, reads the ring
 * buffer, and does for the other modules what they need of BPF.
 */
#ifndef PYPROFD_SAMPLER_H
#define PYPROFD_SAMPLER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"

struct bpf_link;
struct config;
struct sampler;

/* Called for each ring buffer event (at least a header's size). */
typedef void (*sampler_event_fn)(void *ctx, const struct pyprof_event_hdr *h, size_t size);

/*
 * Opens, configures and loads the BPF programs, attaches the sched
 * tracepoints and sets up the ring buffer, whose events go to fn.  No
 * sampling yet (sampler__start).  NULL with errno set (the reason logged,
 * unless it is ENOMEM).
 */
struct sampler *sampler__new(const struct config *cfg, sampler_event_fn fn, void *ctx);
/* Attaches cpu-clock sampling on every online CPU.  0 or -Exxx. */
int sampler__start(struct sampler *s);
/* Stops sampling (before the last drains: samples can come faster than a drain ends). */
void sampler__stop(struct sampler *s);
/* Detaches and frees everything.  NULL is fine. */
void sampler__free(struct sampler *s);
/* CPUs sampled. */
int sampler__nr_cpus(const struct sampler *s);

/* The fd that is readable when the ring buffer holds events. */
int sampler__ring_fd(const struct sampler *s);
/*
 * Handles at most a batch of events (a client waiting is served between
 * batches); true when more are waiting.
 */
bool sampler__drain(struct sampler *s);
/* Handles every event the ring holds now. */
void sampler__drain_all(struct sampler *s);

/* Configures a process for the BPF side (pid -> layout and _PyRuntime address): 0 or -errno. */
int sampler__set_proc(struct sampler *s, int pid, const struct pyprof_proc *cfg);
/* The BPF side's configuration of pid (what it counts there too): 0 or -errno. */
int sampler__get_proc(struct sampler *s, int pid, struct pyprof_proc *ret);
/* Forgets pid on the BPF side (exited, or not profiled). */
void sampler__clear_proc(struct sampler *s, int pid);
/* A sample came from a pid no record is for: forgets it on the BPF side, and counts it. */
void sampler__unknown_pid(struct sampler *s, int pid);
/* Adds nr thread -> tstate entries to the BPF tstate cache: 0 or -errno. */
int sampler__seed_tstates(struct sampler *s, const struct pyprof_thread_key *keys,
			  const __u64 *tstates, size_t nr);
/* Removes one entry of the tstate cache. */
void sampler__drop_tstate(struct sampler *s, const struct pyprof_thread_key *key);

/* The init uprobe at file offset off of path, or NULL (errno set). */
struct bpf_link *sampler__attach_init(struct sampler *s, const char *path, __u64 off);
/* The uretprobe on dlopen at file offset off of libc path, or NULL (errno set). */
struct bpf_link *sampler__attach_dlopen(struct sampler *s, const char *path, __u64 off);

#define SAMPLER_EV_KINDS (PYPROF_EV_NATIVE + 1)

/* What `status` shows of the BPF side. */
struct sampler_stats {
	__u64 events[SAMPLER_EV_KINDS];		/* ring buffer events read, by kind */
	__u64 samples_unknown_pid;		/* of no process of ours, or of an image exec replaced */
	__u64 offcpu_mark_errors;		/* processes whose threads could not be marked */
	__u64 counters[PYPROF_CNT__MAX];	/* summed over CPUs */
	__u64 run_time_ns, run_cnt;		/* of the sampling program (bpf_stats_enabled) */
	bool offcpu;				/* the off-CPU programs are attached */
	__u64 offcpu_min_ns, offcpu_sample_ns;
	__u64 switch_run_time_ns, switch_run_cnt;	/* of the sched_switch program */
	__u64 resume_run_time_ns, resume_run_cnt;	/* of the rseq_update program */
	__u64 procs_entries, tstates_entries;
};
/* 0 or -ENOMEM. */
int sampler__stats(struct sampler *s, struct sampler_stats *ret);
/* The name `status` gives BPF counter c. */
const char *sampler__counter_name(int c);

/* The off-CPU programs are attached: the offcpu storage says since when a thread is off. */
bool sampler__offcpu(const struct sampler *s);
/*
 * What the kernel says of every thread of process pid now (the task iterator
 * dump_tasks), at most max records into *ret (malloc'd, the caller frees it,
 * NULL when none): 0, -ESRCH when the process is gone, -EOPNOTSUPP when the
 * iterator cannot run (an older kernel), -ENOMEM.
 */
int sampler__tasks(struct sampler *s, int pid, size_t max, struct pyprof_task_info **ret,
		   size_t *ret_nr);

#endif /* PYPROFD_SAMPLER_H */
