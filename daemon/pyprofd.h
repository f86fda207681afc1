/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: state shared by the daemon's modules. */
#ifndef PYPROFD_H
#define PYPROFD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pyinterp.h"
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
#define PYPROFD_RESERVED_CLIENTS 8	/* of those, only root and the group may take */
#define PYPROFD_MAX_CLIENTS_UID	16	/* clients at once per peer uid */
#define PYPROFD_CLIENT_IDLE_MS	10000	/* to send the request and read the reply */
#define PYPROFD_CLIENT_RUSH_MS	1000	/* to send the request, with half the slots taken */
/*
 * Reply bytes built but not yet read by their clients: per unprivileged uid,
 * for all unprivileged clients, and in all.  A request over its budget is
 * refused (EBUSY) before its reply is built.
 */
#define PYPROFD_REPLY_MAX_UID	 (32u << 20)
#define PYPROFD_REPLY_MAX_UNPRIV (192u << 20)
#define PYPROFD_REPLY_MAX_TOTAL	 (256u << 20)
#define PYPROFD_MAX_STACKS	65536	/* distinct stacks per process per window */
#define PYPROFD_MAX_FRAMES	262144	/* distinct frame names per process */
#define PYPROFD_CODE_CACHE_MAX	65536	/* code objects cached per process */
#define PYPROFD_PROC_BUCKETS	1024
#define PYPROFD_UID_NONE	((__u32)-1)	/* no unprivileged client may see it */
#define PYPROFD_MAX_INTERPS	64	/* interpreters per process walked (corrupt-list bound) */
#define PYPROFD_ANALYSIS_QUEUE_MAX 1024	/* ELF files waiting for the analysis worker */
#define PYPROFD_ANALYSIS_WAITERS 4096	/* processes waiting for one file's analysis */

#define PYPROFD_MAX_PROBE_PATHS 64

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
	__u64 exe_dev, exe_ino;		/* the program it was found running */
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

struct daemon {
	struct config cfg;
	struct pyprof_bpf *skel;
	struct bpf_link **perf_links;
	int nr_perf_links;
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	int epfd, sigfd, timerfd, pendfd, listenfd;
	int state_dirfd;		/* --state-dir, opened and checked once; -1 = none */
	int sock_dirfd;			/* the socket's directory, opened and checked once */
	__u64 sock_dev, sock_ino;	/* the socket file bound there: only it is unlinked */
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
	struct analyzer *analyzer;		/* the ELF analysis worker thread */
	struct bpf_link *dlopen_link;		/* uretprobe on libc's dlopen */
	__u64 elf_rejected, elf_too_big, elf_failed, elf_analysed;
	struct client *clients;
	int nr_clients;
	/* Daemon-side counters. */
	__u64 samples_in, samples_unknown_pid, events_exec, events_exit, events_pyinit;
	__u64 events_dlopen;
	__u64 clients_rejected, requests, request_errors, replies_refused;
	__u64 discovered[DISCOVER__MAX];
	__u64 state_written;		/* next window index to save */
	bool fast_poll_on;		/* pendfd armed */
	bool ring_budgeted;		/* a drain from the loop: stops after PYPROFD_RING_BATCH */
	__u64 state_write_errors, state_files_bad;
	__u64 tstate_seeds, tstate_seeded, tstate_seed_errors, tstate_seed_rewalks, tstate_seed_ns;
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

/* analyzer.c */
#define ANALYSIS_INIT_FUNCS 2

/* One ELF file to analyse, then the result (the worker's between submit and take). */
struct analysis {
	__u32 dev_major, dev_minor;
	__u64 inode;
	char path[4160];		/* PATH_MAX under /proc/PID/root */
	int err;			/* 0 Python, -ENOENT not Python, else why not known */
	struct elf_file *ef;		/* Python: kept open, the taker's */
	struct pyinterp_info info;
	bool needs_libpython;		/* not Python, but DT_NEEDED names a libpython */
	__u64 init_offset[ANALYSIS_INIT_FUNCS];	/* file offsets of the init functions, 0 = none */
	struct analysis *next;
};

struct analyzer;
/* Starts the worker thread (signals must be blocked already).  NULL with errno set. */
struct analyzer *analyzer__new(void);
/* The eventfd that is readable when results are waiting. */
int analyzer__fd(const struct analyzer *an);
/* Queues a job: 0, or -EBUSY when PYPROFD_ANALYSIS_QUEUE_MAX are queued. */
int analyzer__submit(struct analyzer *an, struct analysis *a);
/* Finished jobs, oldest first (a list through ->next), the caller's to free. */
struct analysis *analyzer__take(struct analyzer *an);
/* Jobs queued or in progress. */
size_t analyzer__queued(struct analyzer *an);
void analysis__free(struct analysis *a);
/* Stops the worker (after the job in progress) and frees what is queued. NULL is fine. */
void analyzer__free(struct analyzer *an);

/* main.c */
__u64 now_ns(void);
void log_msg(struct daemon *d, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define LOG_ERR	  3
#define LOG_WARN  4
#define LOG_INFO  6
#define LOG_DEBUG 7

/* procs.c */
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

/* symbolize.c */
/* Reads target memory; a short read is -EFAULT (the target may be exiting or corrupt). */
int target_read(int pid, __u64 addr, void *buf, size_t len);
/* The pointer-sized field at offset off of a copy of size bytes; 0 if absent (-1) or outside. */
__u64 target_field_u64(const __u8 *buf, size_t size, __s16 off);
/* Reads the pointer at addr + off, as target_read(); -EINVAL when off is -1 (field absent). */
int target_read_ptr(int pid, __u64 addr, __s16 off, __u64 *ret);
/* Writes "func (file:line)" for a frame, or a bracketed marker; 0 or -ENOMEM. */
int symbolize__code_fp(const struct pyproc *p, __u64 addr, __u32 *fp);
int symbolize__frame(struct pyproc *p, const struct pyprof_frame *f, struct strbuf *sb);
int symbolize__sample(struct daemon *d, const struct pyprof_sample *s, size_t size);
void symbolize__free_codes(struct pyproc *p);

/* threads.c */
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
int threads__seed(struct daemon *d, struct pyproc *p);
/*
 * A sample (taken at ts, of thread tid) says BPF did not reach its thread:
 * seeds now, or once the rate limit allows.
 */
void threads__walk_limit(struct daemon *d, struct pyproc *p, __u64 ts, __u32 tid);
/* Seeds that the rate limit put off. */
void threads__tick(struct daemon *d);

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
