// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the BPF side: programs, perf events, the ring buffer and the maps. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "pyprof.skel.h"
#include "base/util.h"
#include "config.h"
#include "log.h"
#include "sampler.h"

#define SAMPLER_RING_BATCH 64	/* ring buffer events per bounded drain, clients between */
#define SAMPLER_MAX_CPUS   4096

struct sampler {
	const struct config *cfg;
	struct pyprof_bpf *skel;
	struct bpf_link **perf_links;
	int nr_perf_links;
	struct ring_buffer *rb;
	sampler_event_fn fn;
	void *ctx;
	bool budgeted;		/* a bounded drain: stops after SAMPLER_RING_BATCH */
	unsigned int batch;	/* events handled in the current drain */
	__u64 events[SAMPLER_EV_KINDS];
	__u64 samples_unknown_pid;
	__u64 mark_errors;			/* mark_threads() runs that failed */
};

static const char *const counter_names[PYPROF_CNT__MAX] = {
	[PYPROF_CNT_SAMPLES] = "bpf_samples",
	[PYPROF_CNT_IDLE] = "bpf_idle",
	[PYPROF_CNT_NOT_PYTHON] = "bpf_not_python",
	[PYPROF_CNT_EMITTED] = "bpf_emitted",
	[PYPROF_CNT_RINGBUF_FULL] = "bpf_lost_ringbuf_full",
	[PYPROF_CNT_EVENT_LOST] = "bpf_lost_events",
	[PYPROF_CNT_NO_SCRATCH] = "bpf_err_no_scratch",
	[PYPROF_CNT_NO_INTERP] = "bpf_err_no_interp",
	[PYPROF_CNT_NO_TSTATE] = "bpf_err_no_tstate",
	[PYPROF_CNT_NO_FRAME] = "bpf_err_no_frame",
	[PYPROF_CNT_READ_RUNTIME] = "bpf_err_read_runtime",
	[PYPROF_CNT_READ_TSTATE] = "bpf_err_read_tstate",
	[PYPROF_CNT_READ_FRAME] = "bpf_err_read_frame",
	[PYPROF_CNT_READ_CODE] = "bpf_err_read_code",
	[PYPROF_CNT_THREAD_WALK_LIMIT] = "bpf_err_thread_walk_limit",
	[PYPROF_CNT_TRUNCATED] = "bpf_truncated",
	[PYPROF_CNT_KSTACK_FAIL] = "bpf_err_kstack",
	[PYPROF_CNT_TSTATE_CACHE_HIT] = "bpf_tstate_cache_hit",
	[PYPROF_CNT_TSTATE_CACHE_STALE] = "bpf_tstate_cache_stale",
	[PYPROF_CNT_FORK_INHERIT] = "bpf_fork_inherit",
	[PYPROF_CNT_FORK_FULL] = "bpf_err_fork_procs_full",
	[PYPROF_CNT_PARTIAL] = "bpf_partial_stack",
	[PYPROF_CNT_READ_TLBC] = "bpf_err_read_tlbc",
	[PYPROF_CNT_BAD_TLBC] = "bpf_err_bad_tlbc",
	[PYPROF_CNT_OFFCPU_SWITCH_OUT] = "bpf_offcpu_switch_out",
	[PYPROF_CNT_OFFCPU_NO_STORAGE] = "bpf_offcpu_err_no_storage",
	[PYPROF_CNT_OFFCPU_SHORT] = "bpf_offcpu_short",
	[PYPROF_CNT_OFFCPU_SHORT_NS] = "bpf_offcpu_short_ns",
	[PYPROF_CNT_OFFCPU_KEPT] = "bpf_offcpu_kept",
	[PYPROF_CNT_OFFCPU_SENT] = "bpf_offcpu_sent",
	[PYPROF_CNT_OFFCPU_SENT_NS] = "bpf_offcpu_sent_ns",
	[PYPROF_CNT_OFFCPU_AT_SWITCH] = "bpf_offcpu_walked_at_switch",
	[PYPROF_CNT_OFFCPU_WALK_ERR] = "bpf_offcpu_walk_error",
	[PYPROF_CNT_OFFCPU_GIL_WAIT] = "bpf_offcpu_gil_wait",
	[PYPROF_CNT_OFFCPU_LOST_RINGBUF] = "bpf_offcpu_lost_ringbuf_full",
	[PYPROF_CNT_OFFCPU_LOST_RINGBUF_NS] = "bpf_offcpu_lost_ringbuf_full_ns",
	[PYPROF_CNT_OFFCPU_LOST_EXIT] = "bpf_offcpu_lost_thread_exit",
	[PYPROF_CNT_OFFCPU_LOST_EXIT_NS] = "bpf_offcpu_lost_thread_exit_ns",
	[PYPROF_CNT_OFFCPU_LOST_REPLACED] = "bpf_offcpu_lost_replaced",
	[PYPROF_CNT_OFFCPU_LOST_REPLACED_NS] = "bpf_offcpu_lost_replaced_ns",
	[PYPROF_CNT_OFFCPU_LOST_UNPROFILED] = "bpf_offcpu_lost_unprofiled",
	[PYPROF_CNT_OFFCPU_LOST_UNPROFILED_NS] = "bpf_offcpu_lost_unprofiled_ns",
	[PYPROF_CNT_OFFCPU_BUSY] = "bpf_offcpu_put_off_busy",
	[PYPROF_CNT_READ_GIL] = "bpf_err_read_gil",
	[PYPROF_CNT_READ_GC] = "bpf_err_read_gc",
	[PYPROF_CNT_SNAP_SENT] = "bpf_code_snap_sent",
	[PYPROF_CNT_SNAP_LOST] = "bpf_code_snap_lost_ringbuf_full",
	[PYPROF_CNT_SNAP_CHANGED] = "bpf_code_snap_changed",
	[PYPROF_CNT_SNAP_PART] = "bpf_code_snap_region_unreadable",
	[PYPROF_CNT_OFFCPU_SHORT_DRAWN] = "bpf_offcpu_short_drawn",
	[PYPROF_CNT_OFFCPU_MARKED] = "bpf_offcpu_threads_marked",
	[PYPROF_CNT_NATIVE_SENT] = "bpf_native_sent",
	[PYPROF_CNT_NATIVE_LOST] = "bpf_native_lost_ringbuf_full",
	[PYPROF_CNT_NATIVE_SHORT] = "bpf_native_stack_short",
	[PYPROF_CNT_NATIVE_UNREADABLE] = "bpf_native_stack_unreadable",
	[PYPROF_CNT_NATIVE_NO_REGS] = "bpf_native_no_regs",
	[PYPROF_CNT_OFFCPU_KSTACK_REUSED] = "bpf_offcpu_kstack_reused",
	[PYPROF_CNT_OFFCPU_NO_SLOT] = "bpf_offcpu_no_slot",
	[PYPROF_CNT_OFFCPU_MARKED_OFF] = "bpf_offcpu_marked_off_cpu",
	[PYPROF_CNT_OFFCPU_LOST_BUSY] = "bpf_offcpu_lost_busy",
	[PYPROF_CNT_OFFCPU_LOST_BUSY_NS] = "bpf_offcpu_lost_busy_ns",
	[PYPROF_CNT_NATIVE_NO_TSTATE] = "bpf_native_no_tstate",
};

const char *sampler__counter_name(int c)
{
	return c >= 0 && c < PYPROF_CNT__MAX && counter_names[c] ? counter_names[c] : "unknown";
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && log_verbose() < 2)
		return 0;
	if (level == LIBBPF_INFO && log_verbose() < 1)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int ring_event(void *ctx, void *data, size_t size)
{
	const struct pyprof_event_hdr *h = data;
	struct sampler *s = ctx;

	if (size >= sizeof(*h)) {
		if (h->kind < SAMPLER_EV_KINDS)
			s->events[h->kind]++;
		s->fn(s->ctx, h, size);
	}
	/* This event is consumed either way; -EAGAIN only stops a bounded drain here. */
	return s->budgeted && ++s->batch >= SAMPLER_RING_BATCH ? -EAGAIN : 0;
}

/* The off-CPU programs: the scheduler's switches and threads' returns to user mode (rseq). */
static int attach_offcpu(struct sampler *s)
{
	int err;

	s->skel->links.on_switch = bpf_program__attach(s->skel->progs.on_switch);
	if (!s->skel->links.on_switch)
		goto fail;
	s->skel->links.on_resume = bpf_program__attach(s->skel->progs.on_resume);
	if (!s->skel->links.on_resume)
		goto fail;
	return 0;
fail:
	err = -errno;
	log_msg(LOG_ERR, "Failed to attach the off-CPU programs: %s (--no-offcpu runs without)",
		strerror(-err));
	return err;
}

/* Open, configure, load, attach the tracepoints. */
static int load(struct sampler *s)
{
	int err;

	s->skel = pyprof_bpf__open();
	if (!s->skel) {
		err = -errno;
		log_msg(LOG_ERR, "Failed to open BPF skeleton: %s", strerror(-err));
		return err;
	}
	s->skel->rodata->collect_kernel = s->cfg->kernel_stacks;
	s->skel->rodata->daemon_pid = getpid();
	s->skel->rodata->offcpu_min_ns = s->cfg->offcpu_min_ns;
	s->skel->rodata->offcpu_sample_ns = s->cfg->offcpu_sample_ns;
	s->skel->rodata->offcpu_enabled = s->cfg->offcpu;
	s->skel->rodata->native_enabled = s->cfg->native;
	if (s->cfg->native) {
		/* Each sample brings a stack copy: 16 MiB holds ~2000 of them between drains. */
		bpf_map__set_max_entries(s->skel->maps.events, PYPROF_RINGBUF_NATIVE_BYTES);
		s->skel->rodata->wakeup_bytes = PYPROF_RINGBUF_NATIVE_BYTES / 4;
	}
	/* --no-offcpu: the scheduler programs are not even loaded (no verifier time, no cost). */
	bpf_program__set_autoload(s->skel->progs.on_switch, s->cfg->offcpu);
	bpf_program__set_autoload(s->skel->progs.on_resume, s->cfg->offcpu);
	bpf_program__set_autoload(s->skel->progs.mark_tasks, s->cfg->offcpu);
	if (s->skel->rodata->abi_version != PYPROF_ABI_VERSION) {
		log_msg(LOG_ERR, "BPF object ABI %u does not match pyprofd ABI %u",
			s->skel->rodata->abi_version, PYPROF_ABI_VERSION);
		return -EPROTO;
	}
	err = pyprof_bpf__load(s->skel);
	if (err) {
		log_msg(LOG_ERR, "Failed to load BPF programs: %s (need root, or CAP_BPF + CAP_PERFMON)",
			strerror(-err));
		return err;
	}
	s->skel->links.on_exec = bpf_program__attach(s->skel->progs.on_exec);
	s->skel->links.on_exit = bpf_program__attach(s->skel->progs.on_exit);
	s->skel->links.on_fork = bpf_program__attach(s->skel->progs.on_fork);
	if (!s->skel->links.on_exec || !s->skel->links.on_exit || !s->skel->links.on_fork) {
		err = -errno;
		log_msg(LOG_ERR, "Failed to attach sched tracepoints: %s", strerror(-err));
		return err;
	}
	return s->cfg->offcpu ? attach_offcpu(s) : 0;
}

struct sampler *sampler__new(const struct config *cfg, sampler_event_fn fn, void *ctx)
{
	struct sampler *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->cfg = cfg;
	s->fn = fn;
	s->ctx = ctx;
	libbpf_set_print(libbpf_print);
	err = load(s);
	if (!err) {
		s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), ring_event, s, NULL);
		if (!s->rb) {
			err = -errno;
			log_msg(LOG_ERR, "Failed to create ring buffer: %s", strerror(-err));
		}
	}
	if (err) {
		sampler__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

/* Parses /sys/devices/system/cpu/online ("0-3,5") into a bitmap of up to max CPUs. */
static int online_cpus(bool *online, int max)
{
	char buf[4096], *p, *end;
	FILE *f;
	int n = 0;

	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			p++;
			b = strtol(p, &end, 10);
			if (end == p)
				return -EINVAL;
			p = end;
		}
		for (long i = a; i <= b && i < max; i++, n++)
			online[i] = true;
		if (*p == ',')
			p++;
	}
	return n;
}

/* The cpu-clock perf event of one CPU, with the sampling program on it. */
static int attach_cpu(struct sampler *s, int cpu)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = s->cfg->rate_hz,
	};
	struct bpf_link *link;
	int fd, err;

	fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENODEV)
			return 0; /* went offline meanwhile */
		log_msg(LOG_ERR, "Failed to open cpu-clock perf event on CPU %d: %s", cpu,
			strerror(-err));
		return err;
	}
	link = bpf_program__attach_perf_event(s->skel->progs.on_sample, fd);
	if (!link) {
		err = -errno;
		close(fd);
		log_msg(LOG_ERR, "Failed to attach to perf event on CPU %d: %s", cpu, strerror(-err));
		return err;
	}
	s->perf_links[s->nr_perf_links++] = link;
	return 0;
}

int sampler__start(struct sampler *s)
{
	static bool online[SAMPLER_MAX_CPUS];
	int ncpu = libbpf_num_possible_cpus(), err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	if (ncpu > SAMPLER_MAX_CPUS)
		ncpu = SAMPLER_MAX_CPUS;
	err = online_cpus(online, ncpu);
	if (err < 0)
		return err;
	s->perf_links = calloc(ncpu, sizeof(*s->perf_links));
	if (!s->perf_links)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		if (!online[cpu])
			continue;
		err = attach_cpu(s, cpu);
		if (err)
			return err;
	}
	return s->nr_perf_links ? 0 : -ENODEV;
}

void sampler__stop(struct sampler *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nr_perf_links; i++)
		bpf_link__destroy(s->perf_links[i]);
	free(s->perf_links);
	s->perf_links = NULL;
	s->nr_perf_links = 0;
}

void sampler__free(struct sampler *s)
{
	if (!s)
		return;
	sampler__stop(s);
	ring_buffer__free(s->rb);
	pyprof_bpf__destroy(s->skel);
	free(s);
}

int sampler__nr_cpus(const struct sampler *s)
{
	return s->nr_perf_links;
}

int sampler__ring_fd(const struct sampler *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

/*
 * At most SAMPLER_RING_BATCH events: on a busy host the ring can hold
 * thousands (libbpf's consume goes on while records keep arriving, and a
 * starved daemon may never catch up).
 */
bool sampler__drain(struct sampler *s)
{
	bool more;

	s->batch = 0;
	s->budgeted = true;
	more = ring_buffer__consume(s->rb) == -EAGAIN;
	s->budgeted = false;
	return more;
}

void sampler__drain_all(struct sampler *s)
{
	(void)ring_buffer__consume(s->rb);
}

/*
 * Starts the task iterator prog over pid's threads: returns the fd its
 * output is read from (the walk runs as it is read), with its link in
 * *ret_link to destroy after closing the fd; or -ESRCH (no such pid) or
 * -EOPNOTSUPP.
 */
static int task_iter_open(struct bpf_program *prog, int pid, struct bpf_link **ret_link)
{
	union bpf_iter_link_info info = { .task.pid = (__u32)pid };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info,
		    .link_info_len = sizeof(info));
	struct bpf_link *link;
	int fd;

	link = bpf_program__attach_iter(prog, &opts);
	if (!link)
		return errno == ESRCH || errno == ENOENT ? -ESRCH : -EOPNOTSUPP;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		bpf_link__destroy(link);
		return -EOPNOTSUPP;
	}
	*ret_link = link;
	return fd;
}

/*
 * Runs mark_tasks over pid's threads: they get the task storage on_switch
 * records off-CPU time in.  A thread it misses is only not recorded
 * (bpf_offcpu_threads_marked says how many were).
 */
static void mark_threads(struct sampler *s, int pid)
{
	struct bpf_link *link;
	char buf[64];
	ssize_t n;
	int fd;

	if (!s->cfg->offcpu)
		return;
	fd = task_iter_open(s->skel->progs.mark_tasks, pid, &link);
	if (fd < 0) {
		s->mark_errors++;
		return;
	}
	/* The walk runs as the iterator is read; mark_tasks writes nothing. */
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		s->mark_errors++;
	close(fd);
	bpf_link__destroy(link);
}

/* Puts pid in procs (first, so that on_fork marks its new threads), then marks its threads. */
int sampler__set_proc(struct sampler *s, int pid, const struct pyprof_proc *cfg)
{
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.procs), &pid, cfg, BPF_ANY) < 0)
		return -errno;
	mark_threads(s, pid);
	return 0;
}

int sampler__get_proc(struct sampler *s, int pid, struct pyprof_proc *ret)
{
	__u32 key = (__u32)pid;

	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.procs), &key, ret) < 0 ? -errno : 0;
}

void sampler__clear_proc(struct sampler *s, int pid)
{
	(void)bpf_map_delete_elem(bpf_map__fd(s->skel->maps.procs), &pid);
}

void sampler__unknown_pid(struct sampler *s, int pid)
{
	s->samples_unknown_pid++;
	sampler__clear_proc(s, pid);
}

int sampler__seed_tstates(struct sampler *s, const struct pyprof_thread_key *keys,
			  const __u64 *tstates, size_t nr)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	int fd = bpf_map__fd(s->skel->maps.tstates);
	__u32 count = (__u32)nr;

	if (!nr || bpf_map_update_batch(fd, keys, tstates, &count, &opts) == 0)
		return 0;
	/* Kernels without batch updates of LRU maps: one at a time. */
	for (size_t i = 0; i < nr; i++)
		if (bpf_map_update_elem(fd, &keys[i], &tstates[i], BPF_ANY) < 0)
			return -errno;
	return 0;
}

void sampler__drop_tstate(struct sampler *s, const struct pyprof_thread_key *key)
{
	(void)bpf_map_delete_elem(bpf_map__fd(s->skel->maps.tstates), key);
}

/* By file offset: libbpf resolving a name would read the (hostile) symbol table itself. */
struct bpf_link *sampler__attach_init(struct sampler *s, const char *path, __u64 off)
{
	return bpf_program__attach_uprobe_opts(s->skel->progs.on_py_init, -1, path, off, NULL);
}

struct bpf_link *sampler__attach_dlopen(struct sampler *s, const char *path, __u64 off)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = true);

	return bpf_program__attach_uprobe_opts(s->skel->progs.on_dlopen_ret, -1, path, off, &opts);
}

static __u64 map_entries(int fd)
{
	/* Big enough for every key type: the kernel writes the map's key size. */
	struct pyprof_thread_key key, next;
	__u64 n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0 && n < 10000000) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* A program's run time and count (while kernel.bpf_stats_enabled is 1), 0 if not loaded. */
static void prog_runs(const struct bpf_program *prog, __u64 *time_ns, __u64 *cnt)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	*time_ns = *cnt = 0;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	*time_ns = info.run_time_ns;
	*cnt = info.run_cnt;
}

int sampler__stats(struct sampler *s, struct sampler_stats *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	memset(ret, 0, sizeof(*ret));
	memcpy(ret->events, s->events, sizeof(ret->events));
	ret->samples_unknown_pid = s->samples_unknown_pid;
	ret->offcpu_mark_errors = s->mark_errors;
	vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < PYPROF_CNT__MAX; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.counters), &k, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			ret->counters[k] += vals[i];
	}
	free(vals);
	prog_runs(s->skel->progs.on_sample, &ret->run_time_ns, &ret->run_cnt);
	ret->offcpu = s->skel->links.on_switch && s->skel->links.on_resume;
	ret->offcpu_min_ns = s->cfg->offcpu_min_ns;
	ret->offcpu_sample_ns = s->cfg->offcpu_sample_ns;
	prog_runs(s->skel->progs.on_switch, &ret->switch_run_time_ns, &ret->switch_run_cnt);
	prog_runs(s->skel->progs.on_resume, &ret->resume_run_time_ns, &ret->resume_run_cnt);
	ret->procs_entries = map_entries(bpf_map__fd(s->skel->maps.procs));
	ret->tstates_entries = map_entries(bpf_map__fd(s->skel->maps.tstates));
	return 0;
}

bool sampler__offcpu(const struct sampler *s)
{
	return s->skel->links.on_switch && s->skel->links.on_resume;
}

/* Reads an iterator's output to its end, or until max records: their number, or -Exxx. */
static ssize_t read_tasks(int fd, size_t max, struct pyprof_task_info **recs)
{
	size_t cap = 0, bytes = 0, rec = sizeof(**recs);
	ssize_t n;

	while (bytes / rec < max) {
		if (grow_array((void **)recs, &cap, bytes / rec + 16, rec))
			return -ENOMEM;
		n = read(fd, (char *)*recs + bytes, cap * rec - bytes);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		bytes += (size_t)n;
	}
	return (ssize_t)(bytes / rec < max ? bytes / rec : max);
}

int sampler__tasks(struct sampler *s, int pid, size_t max, struct pyprof_task_info **ret,
		   size_t *ret_nr)
{
	struct pyprof_task_info *recs = NULL;
	struct bpf_link *link;
	ssize_t nr;
	int fd;

	*ret = NULL;
	*ret_nr = 0;
	if (pid <= 0)
		return -ESRCH;
	fd = task_iter_open(s->skel->progs.dump_tasks, pid, &link);
	if (fd < 0)
		return fd;
	nr = read_tasks(fd, max, &recs);
	close(fd);
	bpf_link__destroy(link);
	if (nr < 0) {
		free(recs);
		return (int)nr;
	}
	*ret = recs;
	*ret_nr = (size_t)nr;
	return 0;
}
