/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: state shared by the daemon's modules. */
#ifndef PYPROFD_H
#define PYPROFD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyinterp.h"
#include "pyprof_abi.h"

#define PYPROFD_VERSION		"0.1.0"
#define PYPROFD_DEFAULT_SOCKET	"/run/pyprof/pyprofd.sock"
#define PYPROFD_TICK_MS		200	/* ring buffer drain and housekeeping period */
#define PYPROFD_RESCAN_MS	5000	/* full /proc rescan, catches what events missed */
#define PYPROFD_RING_BATCH	64	/* ring buffer events per loop iteration, clients between */
#define PYPROFD_PENDING_MS	3000	/* how long to wait for libpython to be mapped after exec */
#define PYPROFD_PENDING_POLL_MS	5	/* how often to look meanwhile */
#define PYPROFD_YOUNG_MS	5000	/* younger processes: fingerprints, a wakeup per sample */
#define PYPROFD_DEFAULT_GROUP	"pyprof"	/* members see every process, like root */
#define PYPROFD_MAX_CLIENTS	64
#define PYPROFD_MAX_CLIENTS_UID	16	/* clients at once per peer uid */
#define PYPROFD_CLIENT_IDLE_MS	10000	/* a client must send its request within this */
#define PYPROFD_MAX_STACKS	65536	/* distinct stacks per process per window */
#define PYPROFD_MAX_FRAMES	262144	/* distinct frame names per process */
#define PYPROFD_CODE_CACHE_MAX	65536	/* code objects cached per process */
#define PYPROFD_PROC_BUCKETS	1024

#define PYPROFD_MAX_PROBE_PATHS 64

/* Why pyprofd looked at a process when it found it to be Python. */
enum discover_how {
	DISCOVER_SCAN,		/* /proc scan */
	DISCOVER_EXEC,		/* exec event */
	DISCOVER_PENDING,	/* after exec, once libpython was mapped */
	DISCOVER_PYINIT,	/* init uprobe: an interpreter starting */
	DISCOVER_SAMPLE,	/* a sample of an unknown pid: a fork child */
	DISCOVER__MAX,
};

struct config {
	const char *socket_path;
	const char *group;	/* members see every process */
	const char *state_dir;	/* history kept across restarts; NULL = memory only */
	__u32 rate_hz;
	__u64 window_ns;
	__u64 retention_ns;
	bool kernel_stacks;
	int verbose;
	const char *probe_paths[PYPROFD_MAX_PROBE_PATHS];	/* --probe, then the defaults */
	size_t nr_probe_paths;
};

struct codeinfo;
struct kframe_cache;
struct profile;
struct pyprof_bpf;
struct ring_buffer;
struct ksyms;
struct interp_file;
struct strbuf;

/* One Python process: live, or exited with history still retained. */
struct pyproc {
	int pid;
	__u64 start_time;		/* /proc/PID/stat starttime, tells pid reuse apart */
	char comm[PYPROF_COMM_LEN + 1];
	char *exe;
	__u32 ruid, euid;		/* owners: a client with either uid sees the process */
	struct pyinterp_info info;
	__u64 runtime_addr;
	bool live;
	bool in_bpf;			/* configured in the BPF "procs" map */
	bool restored;			/* history loaded from --state-dir, process not seen yet */
	__u64 first_ts, exit_ts;	/* monotonic ns */
	__u64 samples;
	__u64 errors[PYPROF_UNWIND__MAX];
	__u64 code_gone;		/* sampled code objects freed before they were named */
	struct profile *profile;
	struct codeinfo **code_buckets;	/* code object address -> codeinfo */
	size_t code_nr;
	struct kframe_cache *kframes;	/* kernel address -> name id (symbolize.c) */
	struct pyproc *next;		/* hash chain */
};

/* A pid seen by exec whose libpython is not mapped yet. */
struct pending {
	int pid;
	__u64 deadline_ns;
	struct pending *next;
};

/* (pid, starttime) pairs known not to be Python, sorted by pid. */
struct seen_set {
	int *pid;
	__u64 *start;
	size_t nr, cap_pid, cap_start;
};

struct daemon {
	struct config cfg;
	struct pyprof_bpf *skel;
	struct bpf_link **perf_links;
	int nr_perf_links;
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	int epfd, sigfd, timerfd, pendfd, listenfd;
	bool exiting;
	bool ring_more;		/* the last drain stopped at its batch: events are waiting */
	unsigned int ring_batch;	/* events handled in the current drain */
	bool socket_activated;	/* listenfd came from systemd */
	__u64 start_ns, last_rescan_ns, last_expire_ns;
	struct pyproc *procs[PYPROFD_PROC_BUCKETS];
	struct pending *pending;
	struct seen_set not_python;
	struct interp_file *interp_files;	/* analysed ELF files, by dev/inode */
	size_t nr_interp_files;
	struct client *clients;
	int nr_clients;
	/* Daemon-side counters. */
	__u64 samples_in, samples_unknown_pid, events_exec, events_exit, events_pyinit;
	__u64 clients_rejected, requests, request_errors;
	__u64 discovered[DISCOVER__MAX];
	__u64 state_written;		/* next window index to save */
	bool fast_poll_on;		/* pendfd armed */
	__u64 state_write_errors, state_files_bad;
};

/*
 * The clock of the profiles: CLOCK_MONOTONIC (what BPF stamps samples with)
 * moved forward by a constant, so that history from before this boot, loaded
 * from --state-dir, still has a place on it however short the uptime.
 */
#define PYPROFD_EPOCH_NS (1ull << 56)

static inline __u64 prof_time(__u64 mono_ns)
{
	return mono_ns + PYPROFD_EPOCH_NS;
}

/* main.c */
__u64 now_ns(void);
void log_msg(struct daemon *d, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define LOG_ERR	  3
#define LOG_WARN  4
#define LOG_INFO  6
#define LOG_DEBUG 7

/* procs.c */
struct pyproc *procs__find_live(struct daemon *d, int pid);
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
int procs__proc_alive(int pid);
/* Iterates over every process record (live and exited). */
#define procs__for_each(d, p)                                                                      \
	for (size_t _b = 0; _b < PYPROFD_PROC_BUCKETS; _b++)                                       \
		for (struct pyproc *p = (d)->procs[_b]; p; p = p->next)

/* symbolize.c */
/* Reads target memory; a short read is -EFAULT (the target may be exiting or corrupt). */
int target_read(int pid, __u64 addr, void *buf, size_t len);
/* Writes "func (file:line)" for a frame, or a bracketed marker; 0 or -ENOMEM. */
int symbolize__code_fp(const struct pyproc *p, __u64 addr, __u32 *fp);
int symbolize__frame(struct pyproc *p, const struct pyprof_frame *f, struct strbuf *sb);
int symbolize__sample(struct daemon *d, const struct pyprof_sample *s, size_t size);
void symbolize__free_codes(struct pyproc *p);

/* dump.c */
/*
 * Appends the current Python stack of every thread of a live process, read
 * from its memory now (leaf first, like py-spy dump).  0, -ESRCH when the
 * process is gone, -EFAULT when its memory does not hold what the layout
 * says, -ENOMEM.
 */
int dump__process(struct pyproc *p, struct strbuf *out);

/* state.c */
int state__load(struct daemon *d);
void state__tick(struct daemon *d);
void state__flush(struct daemon *d);

/* server.c */
int server__listen(struct daemon *d);
int server__accept(struct daemon *d);
int server__client_event(struct daemon *d, struct client *c, __u32 events);
void server__tick(struct daemon *d);
void server__close_all(struct daemon *d);
const char *pyprof_counter_name(int c);

#endif /* PYPROFD_H */
