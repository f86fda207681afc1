// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the Unix socket server answering pyprofctl (protocol in proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pyprof.skel.h"
#include "render/fmt_folded.h"
#include "profile/stacks.h"
#include "profile/profile.h"
#include "proto/proto.h"
#include "base/safedir.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "pyprofd.h"

struct client {
	int fd;
	uid_t uid;
	pid_t peer_pid;
	bool privileged;	/* root or a member of the group: sees every process */
	char in[PROTO_MAX_REQUEST + 1];
	size_t in_len;
	struct strbuf out;
	size_t out_off;
	bool replying;
	bool draining;		/* reply sent: discarding input until the client hangs up */
	__u64 accepted_ns;
	__u64 deadline_ns;
	struct client *next;
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
};

const char *pyprof_counter_name(int c)
{
	return c >= 0 && c < PYPROF_CNT__MAX && counter_names[c] ? counter_names[c] : "unknown";
}

/*
 * The socket systemd passes (sd_listen_fds(3): LISTEN_PID is us, LISTEN_FDS
 * >= 1, the first at fd 3), or -1.
 */
static int activated_socket(void)
{
	const char *lpid = getenv("LISTEN_PID"), *lfds = getenv("LISTEN_FDS");
	long long pid, n;
	int flags;

	if (!lpid || !lfds || parse_int_range(lpid, 1, 0x7fffffff, &pid) < 0 ||
	    parse_int_range(lfds, 1, 1024, &n) < 0 || pid != getpid())
		return -1;
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	flags = fcntl(3, F_GETFD);
	if (flags < 0 || fcntl(3, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -1;
	flags = fcntl(3, F_GETFL);
	if (flags < 0 || fcntl(3, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return 3;
}

/*
 * The socket's directory (0755 if made here): whoever could write there could
 * replace the socket (clients would talk to them) or plant what the daemon
 * later removes.
 */
static int open_socket_dir(struct daemon *d, const char *dir)
{
	char why[256];
	int fd = safedir__open(dir, 0755, why, sizeof(why));

	if (fd < 0)
		log_msg(d, LOG_ERR, "Refusing socket directory '%s': %s", dir, why);
	return fd;
}

/*
 * The socket's address through the directory fd (/proc/self/fd/N/name), so
 * binding and probing happen in the directory that was checked even if its
 * path is swapped meanwhile.
 */
static int socket_addr(int dirfd, const char *name, struct sockaddr_un *sa)
{
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

/* A socket left by a crashed daemon is removed; a live daemon's, or any other file, is not. */
static int clear_stale_socket(int dirfd, const char *name, const struct sockaddr_un *sa)
{
	struct stat st;
	int probe, err = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	if (connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		err = -EADDRINUSE;
	close(probe);
	if (!err && unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		err = -errno;
	return err;
}

int server__listen(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.socket_path, *slash = strrchr(path, '/'), *name;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd = -1, err;

	d->listenfd = activated_socket();
	if (d->listenfd >= 0) {
		d->socket_activated = true;
		return 0;
	}
	/* Clients connect by the path itself: it must fit an address as it is. */
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	name = slash ? slash + 1 : path;
	if (!*name)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	d->sock_dirfd = open_socket_dir(d, dir);
	if (d->sock_dirfd < 0) {
		err = d->sock_dirfd;
		goto fail;
	}
	err = socket_addr(d->sock_dirfd, name, &sa) ?: clear_stale_socket(d->sock_dirfd, name, &sa);
	if (err)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/*
	 * Every user may connect (mode 0666, set before anyone can): what a
	 * client sees is decided per request from its credentials.
	 */
	old = umask(0111);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (err)
		goto fail;
	/* What close_all may remove later: this inode, nothing put there instead. */
	if (fstatat(d->sock_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err = -errno;
		goto fail;
	}
	d->sock_dev = st.st_dev;
	d->sock_ino = st.st_ino;
	if (listen(fd, 64) < 0) {
		err = -errno;
		goto fail;
	}
	d->listenfd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (d->sock_dirfd >= 0)
		close(d->sock_dirfd);
	d->sock_dirfd = -1;
	return err;
}

static void client_close(struct daemon *d, struct client *c)
{
	for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	strbuf__done(&c->out);
	free(c);
	d->nr_clients--;
}

static void reply_err(struct client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_err(struct client *c, int err, const char *fmt, ...)
{
	char msg[PROTO_MAX_MESSAGE], line[PROTO_MAX_MESSAGE + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = proto__format_err(err, msg, line, sizeof(line));
	strbuf__reset(&c->out);
	if (n > 0)
		(void)strbuf__append(&c->out, line, n);
}

/* The reply: header (n bytes, or the error of formatting it) then payload. */
static int reply_with(struct client *c, const char *hdr, int n, const struct strbuf *payload)
{
	if (n < 0)
		return n;
	strbuf__reset(&c->out);
	if (strbuf__append(&c->out, hdr, n) ||
	    strbuf__append(&c->out, payload->buf ? payload->buf : "", payload->len))
		return -ENOMEM;
	return 0;
}

/* Prepends the OK header to a payload built in *payload. */
static int reply_ok(struct client *c, struct strbuf *payload)
{
	char hdr[64];

	return reply_with(c, hdr, proto__format_ok(payload->len, hdr, sizeof(hdr)), payload);
}

/*
 * reply_ok() stating the range [from, to) of profile time a snapshot covers:
 * from down to its window's start, and no earlier than the retention keeps.
 */
static int reply_ok_range(const struct daemon *d, struct client *c, struct strbuf *payload,
			  __u64 from, __u64 to)
{
	__u64 w = d->cfg.window_ns, oldest = to > d->cfg.retention_ns ? to - d->cfg.retention_ns : 0;
	char hdr[96];
	int n;

	from = (from > oldest ? from : oldest) / w * w;
	/* On CLOCK_MONOTONIC: negative for history from before this boot. */
	n = proto__format_ok_range(payload->len, (long long)(from - PYPROFD_EPOCH_NS),
				   (long long)(to - PYPROFD_EPOCH_NS), hdr, sizeof(hdr));
	return reply_with(c, hdr, n, payload);
}

/*
 * Root and the group see every process; anyone else the processes the kernel
 * would let them read (procs__read_owner()), decided again at each request
 * for a live process: its credentials may have changed since discovery.  A
 * process whose owner changed is nobody's from then on, history included
 * (and a pid reused before its exit event was read lends no owner).
 */
static bool can_see(const struct client *c, struct pyproc *p)
{
	__u32 uid;

	if (c->privileged)
		return true;
	if (p->live && procs__read_owner(p->pid, &uid) == 0 && uid != p->uid)
		p->uid = PYPROFD_UID_NONE;
	return p->uid != PYPROFD_UID_NONE && p->uid == c->uid;
}

static const char *proc_state(const struct pyproc *p)
{
	if (!p->live)
		return "exited";
	return p->info.supported ? "profiled" : "unsupported";
}

/*
 * A field of list's table from another user's process (comm, exe, a path in
 * why): escaped, so that no tab or newline in it can forge a column or a row.
 */
static int list_field(struct strbuf *sb, const char *s, char sep)
{
	return term__put_text(sb, s, strlen(s), NULL) ?: strbuf__append(sb, &sep, 1);
}

static int verb_list(struct daemon *d, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { "all", NULL };
	struct strbuf sb = { 0 };
	char err[256], v[32];
	__u64 all = 0;
	int r;

	if (proto_request__check_keys(req, keys, err, sizeof(err)) < 0) {
		reply_err(c, EINVAL, "%s", err);
		return 0;
	}
	r = proto_request__get_u64(req, "all", 0, 1, &all);
	if (r < 0 && r != -ENOENT) {
		reply_err(c, EINVAL, "all must be 0 or 1");
		return 0;
	}
	r = strbuf__puts(&sb, "PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\n");
	procs__for_each(d, p)
	{
		if ((!p->live && !all) || !can_see(c, p))
			continue;
		r = r ?: strbuf__printf(&sb, "%d\t%s\t%s\t%llu\t", p->pid,
					pyinterp__version_str(p->info.version_hex, v, sizeof(v)),
					proc_state(p), (unsigned long long)p->samples);
		r = r ?: list_field(&sb, p->comm, '\t') ?: list_field(&sb, p->exe ? p->exe : "", '\t') ?:
		      list_field(&sb, p->info.supported ? "" : p->info.why, '\n');
	}
	r = r ?: reply_ok(c, &sb);
	strbuf__done(&sb);
	return r;
}

struct collect_ctx {
	struct pyproc *p;
	struct stackset ss;
	struct strbuf text;
	__u32 ids[PROFILE_MAX_DEPTH];
};

/* Reads the profile's frame names back as frames (frame__split: the labels they are). */
static int collect_cb(const __u32 *frames, size_t nr, __u64 count, void *arg)
{
	struct collect_ctx *ctx = arg;
	int err = 0;

	/* profile__add() cuts stacks to this depth; ids[] holds that many. */
	if (nr > PROFILE_MAX_DEPTH)
		return -E2BIG;
	for (size_t i = 0; i < nr && !err; i++) {
		const char *name = profile__name(ctx->p->profile, frames[i]);
		struct frame f;

		strbuf__reset(&ctx->text);
		err = strbuf__puts(&ctx->text, name ? name : "[unknown]");
		if (err)
			break;
		frame__split(ctx->text.buf, i, &f);
		err = stackset__frame(&ctx->ss, &f, &ctx->ids[i]);
	}
	return err ?: stackset__add(&ctx->ss, ctx->ids, nr, count);
}

static void collect_ctx__done(struct collect_ctx *ctx)
{
	stackset__done(&ctx->ss);
	strbuf__done(&ctx->text);
}

/* Checks the keys and reads pid=; false when the client got an error reply. */
static bool pid_request(struct client *c, const struct proto_request *req,
			const char *const *keys, __u64 *ret_pid)
{
	char err[256];
	int r;

	if (proto_request__check_keys(req, keys, err, sizeof(err)) < 0) {
		reply_err(c, EINVAL, "%s", err);
		return false;
	}
	r = proto_request__get_u64(req, "pid", 1, 0x7fffffff, ret_pid);
	if (r < 0) {
		reply_err(c, EINVAL, r == -ENOENT ? "pid is required" : "invalid pid");
		return false;
	}
	return true;
}

/*
 * The error for a pid the client may not see, that is not Python, or that is
 * gone.  An unprivileged client gets one answer for "not there" and "not
 * yours", so that it cannot tell which pids are other users' Python
 * processes; a process of its own that is not Python is still named so.
 */
static void reply_no_process(struct client *c, __u64 pid, const char *gone)
{
	bool alive = procs__proc_alive((int)pid);
	__u32 owner;

	if (!c->privileged && (!alive || procs__read_owner((int)pid, &owner) < 0 || owner != c->uid))
		reply_err(c, ESRCH, "no process %llu of yours%s", (unsigned long long)pid, gone);
	else if (alive)
		reply_err(c, ENOENT, "process %llu is not a Python process pyprofd profiles",
			  (unsigned long long)pid);
	else
		reply_err(c, ESRCH, "no process %llu%s", (unsigned long long)pid, gone);
}

/*
 * Whether the process at pid runs no Python now although it did (it exec'd
 * from Python into another program, or was the fork child of a Python
 * process until its exec), with its start time: records of that very
 * process are its past, not a profile of what it is.
 */
static bool not_python_now(struct daemon *d, int pid, __u64 *ret_start)
{
	return !procs__check_live(d, pid) && procs__start_time(pid, ret_start) == 0;
}

static int verb_snapshot(struct daemon *d, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { "pid", "seconds", "since_ns", "range", NULL };
	struct collect_ctx ctx = { 0 };
	struct strbuf sb = { 0 };
	__u64 pid, seconds = 60, now = now_ns(), from, since = UINT64_MAX, range = 0;
	const struct pyproc *unsupported = NULL;
	bool known = false, away;
	__u64 away_start = 0;
	int r;

	if (!pid_request(c, req, keys, &pid))
		return 0;
	r = proto_request__get_u64(req, "seconds", 1, 100ull * 365 * 86400, &seconds);
	if (r < 0 && r != -ENOENT) {
		reply_err(c, EINVAL, "invalid seconds");
		return 0;
	}
	/* since_ns: a CLOCK_MONOTONIC instant of this host (what pyprofctl top polls from). */
	r = proto_request__get_u64(req, "since_ns", 0, now, &since);
	if (r == -EINVAL) {
		reply_err(c, EINVAL, "invalid since_ns (a CLOCK_MONOTONIC time, not in the future)");
		return 0;
	}
	if (r == 0 && proto_request__get(req, "seconds")) {
		reply_err(c, EINVAL, "seconds and since_ns exclude each other");
		return 0;
	}
	if (proto_request__get_u64(req, "range", 0, 1, &range) == -EINVAL) {
		reply_err(c, EINVAL, "range must be 0 or 1");
		return 0;
	}
	/* On the profiles' clock, where history may predate this boot. */
	if (since != UINT64_MAX)
		from = prof_time(since);
	else if (seconds * 1000000000ull < prof_time(now))
		from = prof_time(now) - seconds * 1000000000ull;
	else
		from = 0;
	away = not_python_now(d, (int)pid, &away_start);
	/* Every record with this pid: a live process and any exited one still retained. */
	r = 0;
	procs__for_each(d, p)
	{
		if (p->pid != (int)pid || r || (away && p->start_time == away_start))
			continue;
		if (!can_see(c, p))
			continue;
		known = true;
		if (p->live && !p->info.supported)
			unsupported = p;
		ctx.p = p;
		r = profile__collect(p->profile, from, prof_time(now) + d->cfg.window_ns, collect_cb,
				     &ctx);
	}
	/*
	 * The process runs an interpreter pyprofd cannot walk.  Samples under its
	 * pid can only come from before its exec (a fork child of a profiled
	 * parent): not what was asked for.
	 */
	if (unsupported && !r) {
		reply_err(c, EPROTONOSUPPORT, "process %llu is not profiled: %s",
			  (unsigned long long)pid, unsupported->info.why);
		collect_ctx__done(&ctx);
		return 0;
	}
	if (!known) {
		reply_no_process(c, pid, " and no history for it");
		collect_ctx__done(&ctx);
		return 0;
	}
	r = r ?: fmt_folded__render(&ctx.ss, &sb);
	r = r ?: range ? reply_ok_range(d, c, &sb, from, prof_time(now)) : reply_ok(c, &sb);
	strbuf__done(&sb);
	collect_ctx__done(&ctx);
	return r;
}

static int verb_dump(struct daemon *d, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { "pid", NULL };
	struct pyproc *found = NULL;
	struct strbuf sb = { 0 };
	__u64 pid;
	int r;

	if (!pid_request(c, req, keys, &pid))
		return 0;
	(void)procs__check_live(d, (int)pid);
	procs__for_each(d, p)
	{
		if (p->pid == (int)pid && p->live && can_see(c, p))
			found = p;
	}
	if (!found) {
		reply_no_process(c, pid, "");
		return 0;
	}
	if (!found->info.supported || !found->runtime_addr) {
		reply_err(c, EPROTONOSUPPORT, "process %llu is not profiled: %s",
			  (unsigned long long)pid, found->info.why);
		return 0;
	}
	r = dump__process(found, &sb);
	if (r == -ESRCH || r == -EFAULT) {
		reply_err(c, -r, r == -ESRCH ? "process %llu has exited"
					      : "process %llu: its interpreter state is unreadable",
			  (unsigned long long)pid);
		r = 0;
	} else if (r == 0) {
		r = reply_ok(c, &sb);
	}
	strbuf__done(&sb);
	return r;
}

static unsigned long long map_entries(int fd)
{
	/* Big enough for every key type: the kernel writes the map's key size. */
	struct pyprof_thread_key key, next;
	unsigned long long n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0 && n < 10000000) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* VmRSS (KiB) and open fds of the daemon itself. */
static void self_usage(unsigned long long *ret_rss_kb, unsigned long long *ret_fds)
{
	char line[256];
	struct dirent *de;
	FILE *f = fopen("/proc/self/status", "re");
	DIR *dir;

	*ret_rss_kb = *ret_fds = 0;
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmRSS: %llu", ret_rss_kb) == 1)
				break;
		fclose(f);
	}
	dir = opendir("/proc/self/fd");
	if (!dir)
		return;
	while ((de = readdir(dir)))
		*ret_fds += de->d_name[0] != '.';
	closedir(dir);
	if (*ret_fds)
		(*ret_fds)--; /* the directory stream's own */
}

/* Reply bytes not yet read: of clients with uid's (NULL: every client), of unprivileged ones. */
static size_t queued_bytes(const struct daemon *d, const uid_t *uid, size_t *ret_unpriv)
{
	size_t n = 0, unpriv = 0;

	for (const struct client *c = d->clients; c; c = c->next) {
		size_t q = c->out.len - c->out_off;

		if (!uid || c->uid == *uid)
			n += q;
		if (!c->privileged)
			unpriv += q;
	}
	if (ret_unpriv)
		*ret_unpriv = unpriv;
	return n;
}

/* Processes and samples the client may see: every process for a privileged one. */
static int status_processes(struct daemon *d, struct client *c, struct strbuf *sb)
{
	unsigned int live = 0, exited = 0;
	__u64 samples = 0, code_gone = 0;

	procs__for_each(d, p)
	{
		if (!can_see(c, p))
			continue;
		live += p->live;
		exited += !p->live;
		samples += p->samples;
		code_gone += p->code_gone;
	}
	return strbuf__printf(sb,
			      "version %s\nabi %u\nrate_hz %u\nwindow_s %llu\nretention_s %llu\n"
			      "uptime_s %llu\nprocesses_live %u\nprocesses_exited %u\n"
			      "samples_profiled %llu\ncode_objects_gone %llu\n",
			      PYPROFD_VERSION, PYPROF_ABI_VERSION, d->cfg.rate_hz,
			      (unsigned long long)(d->cfg.window_ns / NSEC_PER_SEC),
			      (unsigned long long)(d->cfg.retention_ns / NSEC_PER_SEC),
			      (unsigned long long)((now_ns() - d->start_ns) / NSEC_PER_SEC), live,
			      exited, (unsigned long long)samples, (unsigned long long)code_gone);
}

/* The daemon's own counters and every BPF counter, summed over CPUs. */
static int status_counters(struct daemon *d, struct strbuf *sb)
{
	__u64 totals[PYPROF_CNT__MAX] = { 0 };
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int r;

	vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < PYPROF_CNT__MAX; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(d->skel->maps.counters), &k, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			totals[k] += vals[i];
	}
	free(vals);
	r = strbuf__printf(sb,
			   "cpus_sampled %d\nsamples_received %llu\nsamples_unknown_pid %llu\n"
			   "events_exec %llu\nevents_exit %llu\nevents_pyinit %llu\nrequests %llu\n"
			   "clients_connected %d\nclients_rejected %llu\nreplies_refused_memory %llu\n"
			   "reply_bytes_queued %zu\n",
			   d->nr_perf_links, (unsigned long long)d->samples_in,
			   (unsigned long long)d->samples_unknown_pid,
			   (unsigned long long)d->events_exec, (unsigned long long)d->events_exit,
			   (unsigned long long)d->events_pyinit, (unsigned long long)d->requests,
			   d->nr_clients, (unsigned long long)d->clients_rejected,
			   (unsigned long long)d->replies_refused, queued_bytes(d, NULL, NULL));
	for (int k = 0; k < PYPROF_CNT__MAX && !r; k++)
		r = strbuf__printf(sb, "%s %llu\n", pyprof_counter_name(k),
				   (unsigned long long)totals[k]);
	return r;
}

/* BPF run time, map sizes, the daemon's memory and fds. */
static int status_resources(struct daemon *d, struct strbuf *sb)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	unsigned long long rss, fds;
	size_t profile_bytes = 0, codes = 0;

	(void)bpf_obj_get_info_by_fd(bpf_program__fd(d->skel->progs.on_sample), &info, &len);
	self_usage(&rss, &fds);
	procs__for_each(d, p)
	{
		struct profile_stats ps;

		profile__stats(p->profile, &ps);
		profile_bytes += ps.bytes;
		codes += p->code_nr;
	}
	/* run_time_ns/run_cnt count only while kernel.bpf_stats_enabled is 1. */
	return strbuf__printf(sb,
			      "bpf_prog_run_time_ns %llu\nbpf_prog_run_cnt %llu\n"
			      "bpf_procs_entries %llu\nbpf_tstates_entries %llu\n"
			      "daemon_rss_kb %llu\ndaemon_fds %llu\nprofile_bytes %zu\n"
			      "code_objects_cached %zu\n",
			      (unsigned long long)info.run_time_ns, (unsigned long long)info.run_cnt,
			      map_entries(bpf_map__fd(d->skel->maps.procs)),
			      map_entries(bpf_map__fd(d->skel->maps.tstates)), rss, fds,
			      profile_bytes, codes);
}

/* Seedings of the tstate cache for threads BPF's walk does not reach. */
static int status_threads(struct daemon *d, struct strbuf *sb)
{
	return strbuf__printf(sb,
			      "tstate_seeds %llu\ntstate_seeded %llu\ntstate_seed_errors %llu\n"
			      "tstate_seed_rewalks %llu\ntstate_seed_us %llu\n",
			      (unsigned long long)d->tstate_seeds,
			      (unsigned long long)d->tstate_seeded,
			      (unsigned long long)d->tstate_seed_errors,
			      (unsigned long long)d->tstate_seed_rewalks,
			      (unsigned long long)(d->tstate_seed_ns / 1000));
}

static int status_discovery(struct daemon *d, struct strbuf *sb)
{
	return strbuf__printf(sb,
			      "discovered_scan %llu\ndiscovered_exec %llu\ndiscovered_pending %llu\n"
			      "discovered_pyinit %llu\ndiscovered_fork %llu\ndiscovered_dlopen %llu\n"
			      "events_dlopen %llu\n"
			      "elf_analysed %llu\nelf_analysing %zu\nelf_rejected %llu\n"
			      "elf_too_big %llu\nelf_failed %llu\n"
			      "state_dir %s\nstate_write_errors %llu\nstate_files_skipped %llu\n",
			      (unsigned long long)d->discovered[DISCOVER_SCAN],
			      (unsigned long long)d->discovered[DISCOVER_EXEC],
			      (unsigned long long)d->discovered[DISCOVER_PENDING],
			      (unsigned long long)d->discovered[DISCOVER_PYINIT],
			      (unsigned long long)d->discovered[DISCOVER_SAMPLE],
			      (unsigned long long)d->discovered[DISCOVER_DLOPEN],
			      (unsigned long long)d->events_dlopen,
			      (unsigned long long)d->elf_analysed, analyzer__queued(d->analyzer),
			      (unsigned long long)d->elf_rejected, (unsigned long long)d->elf_too_big,
			      (unsigned long long)d->elf_failed, d->cfg.state_dir ? d->cfg.state_dir : "-",
			      (unsigned long long)d->state_write_errors,
			      (unsigned long long)d->state_files_bad);
}

/*
 * An unprivileged client learns the configuration and its own processes'
 * totals; host-wide counts (other users' processes, exec rates, clients,
 * paths) are for root and the group.
 */
static int verb_status(struct daemon *d, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { NULL };
	struct strbuf sb = { 0 };
	char err[256];
	int r;

	if (proto_request__check_keys(req, keys, err, sizeof(err)) < 0) {
		reply_err(c, EINVAL, "%s", err);
		return 0;
	}
	r = status_processes(d, c, &sb);
	if (c->privileged)
		r = r ?: status_counters(d, &sb) ?: status_resources(d, &sb) ?:
		    status_threads(d, &sb) ?: status_discovery(d, &sb);
	r = r ?: reply_ok(c, &sb);
	strbuf__done(&sb);
	return r;
}

static const struct {
	const char *verb;
	int (*fn)(struct daemon *d, struct client *c, const struct proto_request *req);
} verbs[] = {
	{ "list", verb_list },
	{ "snapshot", verb_snapshot },
	{ "status", verb_status },
	{ "dump", verb_dump },
};

/*
 * Whether the reply may be built: clients that do not read their replies
 * must not make the daemon hold unbounded memory, nor one user's make it
 * refuse the others.
 */
static bool reply_budget(struct daemon *d, struct client *c)
{
	size_t unpriv, total = queued_bytes(d, NULL, &unpriv), mine = queued_bytes(d, &c->uid, NULL);

	if (total < PYPROFD_REPLY_MAX_TOTAL &&
	    (c->privileged || (mine < PYPROFD_REPLY_MAX_UID && unpriv < PYPROFD_REPLY_MAX_UNPRIV)))
		return true;
	d->replies_refused++;
	reply_err(c, EBUSY, "too many replies not yet read (%zu MiB of this user's, %zu MiB in all)",
		  mine >> 20, total >> 20);
	return false;
}

static void handle_request(struct daemon *d, struct client *c, size_t len)
{
	struct proto_request req;
	char err[256];
	int r;

	d->requests++;
	r = proto__parse_request(c->in, len, &req, err, sizeof(err));
	if (r < 0) {
		reply_err(c, -r, "%s", err);
		goto done;
	}
	if (!reply_budget(d, c))
		goto done;
	/*
	 * What the kernel has already reported first: a process that exec'd
	 * or exited before the request is answered as what it is now, and
	 * samples the periodic drain has not read yet count (top's refresh).
	 */
	(void)ring_buffer__consume(d->rb);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(req.verb, verbs[i].verb) == 0) {
			r = verbs[i].fn(d, c, &req);
			if (r < 0)
				reply_err(c, -r, "%s failed: %s", req.verb, strerror(-r));
			goto done;
		}
	}
	reply_err(c, EOPNOTSUPP, "unknown verb '%s'", req.verb);
done:
	if (c->out.len && strncmp(c->out.buf, "ERR", 3) == 0)
		d->request_errors++;
	c->replying = true;
}

static int set_events(struct daemon *d, struct client *c, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.u64 = (__u64)(uintptr_t)c };

	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

/*
 * Whether the peer is in the configured group, as primary or supplementary
 * group.  Looked up per connection: the group may be created, or the user
 * added to it, while the daemon runs.
 */
static bool in_group(const struct daemon *d, int fd, gid_t primary)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	char buf[4096];
	struct group gr, *res = NULL;

	if (getgrnam_r(d->cfg.group, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (primary == res->gr_gid)
		return true;
	/* A peer with more groups than fit is not let in on its supplementary ones. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == res->gr_gid)
			return true;
	return false;
}

/* Why a new client is refused, or NULL.  Root and the group keep room of their own. */
static const char *refusal(const struct daemon *d, const struct client *c)
{
	unsigned int unpriv = 0, same_uid = 0;

	if (d->nr_clients >= PYPROFD_MAX_CLIENTS)
		return "ERR EBUSY too many clients\n";
	for (const struct client *o = d->clients; o; o = o->next) {
		unpriv += !o->privileged;
		same_uid += o->uid == c->uid;
	}
	if (same_uid >= PYPROFD_MAX_CLIENTS_UID)
		return "ERR EBUSY too many clients of this user\n";
	if (!c->privileged && unpriv >= PYPROFD_MAX_CLIENTS - PYPROFD_RESERVED_CLIENTS)
		return "ERR EBUSY too many clients\n";
	return NULL;
}

/* A client for a connection, or NULL (closed) when it is refused or on error. */
static struct client *client_new(struct daemon *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	const char *busy;
	struct client *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->fd = fd;
	c->uid = cred.uid;
	c->peer_pid = cred.pid;
	c->privileged = cred.uid == 0 || in_group(d, fd, cred.gid);
	busy = refusal(d, c);
	if (busy) {
		d->clients_rejected++;
		(void)send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
		free(c);
		goto fail;
	}
	c->accepted_ns = now_ns();
	c->deadline_ns = c->accepted_ns + PYPROFD_CLIENT_IDLE_MS * NSEC_PER_MSEC;
	ev.data.u64 = (__u64)(uintptr_t)c;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		goto fail;
	}
	return c;
fail:
	close(fd);
	return NULL;
}

int server__accept(struct daemon *d)
{
	for (;;) {
		struct client *c;
		int fd;

		fd = accept4(d->listenfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		c = client_new(d, fd);
		if (!c)
			continue;
		c->next = d->clients;
		d->clients = c;
		d->nr_clients++;
	}
}

static void flush_out(struct daemon *d, struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				(void)set_events(d, c, EPOLLOUT);
				return;
			}
			break;
		}
		c->out_off += n;
	}
	if (c->out_off < c->out.len || shutdown(c->fd, SHUT_WR) < 0) {
		client_close(d, c);
		return;
	}
	/* Sent: its memory is not held while the client takes its time to hang up. */
	strbuf__done(&c->out);
	c->out_off = 0;
	/*
	 * Closing now, with request bytes still unread (an oversized request),
	 * would make the kernel reset the connection and the client could
	 * lose the reply: wait for its hang-up instead, within its deadline.
	 */
	c->draining = true;
	if (set_events(d, c, EPOLLIN) < 0)
		client_close(d, c);
}

static void drain(struct daemon *d, struct client *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		client_close(d, c);
		return;
	}
}

int server__client_event(struct daemon *d, struct client *c, __u32 events)
{
	if (c->draining) {
		drain(d, c);
		return 0;
	}
	if (c->replying) {
		flush_out(d, c);
		return 0;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_close(d, c);
		return 0;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, PROTO_MAX_REQUEST - c->in_len, 0);
		char *nl;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			client_close(d, c);
			return 0;
		}
		if (n == 0) {
			/* EOF: a request without its newline is still answered. */
			if (c->in_len) {
				handle_request(d, c, c->in_len);
				flush_out(d, c);
			} else {
				client_close(d, c);
			}
			return 0;
		}
		c->in_len += n;
		nl = memchr(c->in, '\n', c->in_len);
		if (nl) {
			handle_request(d, c, (size_t)(nl - c->in) + 1);
			flush_out(d, c);
			return 0;
		}
		if (c->in_len >= PROTO_MAX_REQUEST) {
			reply_err(c, E2BIG, "request longer than %d bytes", PROTO_MAX_REQUEST);
			c->replying = true;
			flush_out(d, c);
			return 0;
		}
	}
}

void server__tick(struct daemon *d)
{
	__u64 now = now_ns();
	struct client *c = d->clients, *next;

	/* With half the slots taken, connections that sent nothing get less time. */
	bool rush = d->nr_clients >= PYPROFD_MAX_CLIENTS / 2;

	for (; c; c = next) {
		next = c->next;
		if (rush && !c->replying && !c->draining &&
		    c->deadline_ns > c->accepted_ns + PYPROFD_CLIENT_RUSH_MS * NSEC_PER_MSEC)
			c->deadline_ns = c->accepted_ns + PYPROFD_CLIENT_RUSH_MS * NSEC_PER_MSEC;
		/*
		 * Idle, or not reading its reply.  Closing here could free a client
		 * with an event pending in this epoll batch: shut it down instead and
		 * let its hang-up event close it.
		 */
		if (now > c->deadline_ns) {
			(void)shutdown(c->fd, SHUT_RDWR);
			c->deadline_ns = UINT64_MAX;
			c->in_len = 0;
		}
	}
}

void server__close_all(struct daemon *d)
{
	while (d->clients)
		client_close(d, d->clients);
	if (d->listenfd >= 0)
		close(d->listenfd);
	/*
	 * Only the socket bound at start, in the directory checked then (an
	 * activated socket is systemd's: it keeps it for the next start).
	 */
	if (d->sock_dirfd >= 0) {
		const char *slash = strrchr(d->cfg.socket_path, '/');
		const char *name = slash ? slash + 1 : d->cfg.socket_path;
		struct stat st;

		if (fstatat(d->sock_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISSOCK(st.st_mode) && st.st_dev == d->sock_dev && st.st_ino == d->sock_ino)
			(void)unlinkat(d->sock_dirfd, name, 0);
		close(d->sock_dirfd);
		d->sock_dirfd = -1;
	}
}
