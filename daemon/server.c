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
#include "render/fmt_folded.h"
#include "profile/proclabel.h"
#include "profile/procident.h"
#include "profile/profile.h"
#include "profile/stacks.h"
#include "proto/proto.h"
#include "proto/wire.h"
#include "base/safedir.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "clock.h"
#include "config.h"
#include "dump.h"
#include "log.h"
#include "native.h"
#include "procs.h"
#include "pynames.h"
#include "sampler.h"
#include "select.h"
#include "server.h"
#include "state.h"
#include "symbolize.h"
#include "threads.h"

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

struct server {
	const struct config *cfg;
	int epfd;			/* the loop's: clients are added to it */
	struct server_deps m;		/* what requests are answered from */
	int listenfd;
	bool socket_activated;		/* listenfd came from systemd */
	int sock_dirfd;			/* the socket's directory, opened and checked once */
	__u64 sock_dev, sock_ino;	/* the socket file bound there: only it is unlinked */
	struct client *clients;
	int nr_clients;
	__u64 clients_rejected, requests, request_errors, replies_refused;
	int (*status_hook)(const void *ctx, struct strbuf *sb);	/* server__set_status_hook() */
	const void *status_ctx;
};

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
static int open_socket_dir(struct server *srv, const char *dir)
{
	char why[256];
	int fd = safedir__open(dir, 0755, why, sizeof(why));

	if (fd < 0)
		log_msg(LOG_ERR, "Refusing socket directory '%s': %s", dir, why);
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

/* The credentials of the process at the other end of fd, and its supplementary groups. */
static int socket_peer(int fd, struct server_peer *ret)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	ret->uid = cred.uid;
	ret->gid = cred.gid;
	ret->pid = cred.pid;
	/* A peer with more groups than fit is not let in on its supplementary ones. */
	len = sizeof(ret->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, ret->groups, &len) < 0)
		len = 0;
	ret->nr_groups = len / sizeof(gid_t);
	return 0;
}

struct server *server__new(const struct config *cfg, int epfd, const struct server_deps *m)
{
	struct server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->cfg = cfg;
	srv->epfd = epfd;
	srv->m = *m;
	if (!srv->m.peer)
		srv->m.peer = socket_peer;
	if (!srv->m.now)
		srv->m.now = now_ns;
	srv->listenfd = srv->sock_dirfd = -1;
	return srv;
}

int server__fd(const struct server *srv)
{
	return srv->listenfd;
}

int server__listen(struct server *srv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = srv->cfg->socket_path, *slash = strrchr(path, '/'), *name;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd = -1, err;

	srv->listenfd = activated_socket();
	if (srv->listenfd >= 0) {
		srv->socket_activated = true;
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
	srv->sock_dirfd = open_socket_dir(srv, dir);
	if (srv->sock_dirfd < 0) {
		err = srv->sock_dirfd;
		goto fail;
	}
	err = socket_addr(srv->sock_dirfd, name, &sa)
		      ?: clear_stale_socket(srv->sock_dirfd, name, &sa);
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
	if (fstatat(srv->sock_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		err = -errno;
		goto fail;
	}
	srv->sock_dev = st.st_dev;
	srv->sock_ino = st.st_ino;
	if (listen(fd, 64) < 0) {
		err = -errno;
		goto fail;
	}
	srv->listenfd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (srv->sock_dirfd >= 0)
		close(srv->sock_dirfd);
	srv->sock_dirfd = -1;
	return err;
}

static void client_close(struct server *srv, struct client *c)
{
	for (struct client **pp = &srv->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	strbuf__done(&c->out);
	free(c);
	srv->nr_clients--;
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
 * reply_ok() with the fields a snapshot asked for: the range [from, to) of
 * profile time it covers (from down to its bucket's start, config__bucket_ns(),
 * and no earlier than the retention keeps), the sampling period.
 */
static int reply_ok_snapshot(const struct server *srv, struct client *c, struct strbuf *payload,
			     __u64 from, __u64 to, bool range, bool period)
{
	__u64 w = config__bucket_ns(srv->cfg),
	      oldest = to > srv->cfg->retention_ns ? to - srv->cfg->retention_ns : 0;
	struct proto_field f[5];
	size_t nr = 0;
	char hdr[256];

	from = (from > oldest ? from : oldest) / w * w;
	/* Whole buckets are what the data holds: to up to its bucket's end, but not past now. */
	if (to % w && to / w * w + w < prof_time(now_ns()))
		to = to / w * w + w;
	/* from_ns, to_ns on CLOCK_MONOTONIC (negative: before this boot), as before; *_wall_ns
	 * on the profiles' clock, wall-clock ns since the epoch. */
	if (range) {
		f[nr++] = (struct proto_field){ "from_ns", prof_to_mono(from) };
		f[nr++] = (struct proto_field){ "to_ns", prof_to_mono(to) };
		f[nr++] = (struct proto_field){ "from_wall_ns", (long long)from };
		f[nr++] = (struct proto_field){ "to_wall_ns", (long long)to };
	}
	/* cpu-clock at a frequency is a fixed period of NSEC_PER_SEC / rate (the kernel's). */
	if (period)
		f[nr++] = (struct proto_field){ "period_ns",
						(long long)(NSEC_PER_SEC / srv->cfg->rate_hz) };
	return reply_with(c, hdr, proto__format_ok_fields(payload->len, f, nr, hdr, sizeof(hdr)),
			  payload);
}

/*
 * Root and the group see every process; anyone else the processes the kernel
 * would let them read, decided again at each request for a live process
 * (procs__owner()).
 */
static bool can_see(const struct client *c, struct pyproc *p)
{
	__u32 uid;

	if (c->privileged)
		return true;
	uid = procs__owner(p);
	return uid != PYPROFD_UID_NONE && uid == c->uid;
}

static __u64 samples_of(const struct pyproc *p)
{
	struct symbolize_proc_stats st;

	symbolize__proc_stats(p, &st);
	return st.samples;
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

/* Why a process is not profiled, or that its build was never tested. */
static const char *list_note(const struct pyproc *p)
{
	if (!p->info.supported)
		return p->info.why;
	return p->info.derived ? PYINTERP_DERIVED_NOTE : "";
}

/*
 * The identity columns (proto.h): effective uid, wall-clock start, CPU share
 * over the last minute it ran while seen (procident.h), command line; an
 * empty field for what is not known (history from --state-dir).
 */
static int list_identity(struct server *srv, struct strbuf *sb, const struct pyproc *p)
{
	__u64 end = p->live ? now_ns() : p->exit_ts, from, to;
	int r = 0;

	if (p->user != PYPROFD_UID_NONE)
		r = strbuf__printf(sb, "%u", p->user);
	r = r ?: strbuf__puts(sb, "\t");
	if (!r && p->start_wall_ns)
		r = strbuf__printf(sb, "%llu", (unsigned long long)p->start_wall_ns);
	r = r ?: strbuf__puts(sb, "\t");
	if (!r && p->first_ts && end > p->first_ts) {
		procident__cpu_range(prof_time(end), prof_time(p->first_ts), srv->cfg->window_ns,
				     PROCIDENT_CPU_SPAN_NS, &from, &to);
		r = strbuf__printf(sb, "%llu", (unsigned long long)procident__cpu_permille(
				   profile__samples_on_cpu(p->profile, from, to),
				   NSEC_PER_SEC / srv->cfg->rate_hz, to - from));
	}
	return r ?: strbuf__puts(sb, "\t") ?: list_field(sb, p->cmdline ? p->cmdline : "", '\n');
}

static int verb_list(struct server *srv, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { "all", "identity", NULL };
	struct strbuf sb = { 0 };
	char err[256], v[32];
	__u64 all = 0, ident = 0;
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
	r = proto_request__get_u64(req, "identity", 0, 1, &ident);
	if (r < 0 && r != -ENOENT) {
		reply_err(c, EINVAL, "identity must be 0 or 1");
		return 0;
	}
	r = strbuf__puts(&sb, ident ? "PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\tLABELS\t"
				      "UID\tSTART_NS\tCPU_PERMILLE\tCMDLINE\n"
				    : "PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\tLABELS\n");
	procs__for_each(srv->m.procs, p)
	{
		if ((!p->live && !all) || !can_see(c, p))
			continue;
		r = r ?: strbuf__printf(&sb, "%d\t%s\t%s\t%llu\t", p->pid,
					pyinterp__build_str(&p->info, v, sizeof(v)),
					proc_state(p), (unsigned long long)samples_of(p));
		r = r ?: list_field(&sb, p->comm, '\t') ?: list_field(&sb, p->exe ? p->exe : "", '\t') ?:
		      list_field(&sb, list_note(p), '\t');
		/* Escaped by the format (proto.h): no tab, newline or terminal sequence. */
		r = r ?: proclabel__format(&sb, p->labels, p->nr_labels);
		if (ident)
			r = r ?: strbuf__puts(&sb, "\t") ?: list_identity(srv, &sb, p);
		else
			r = r ?: strbuf__puts(&sb, "\n");
	}
	r = r ?: reply_ok(c, &sb);
	strbuf__done(&sb);
	return r;
}

/*
 * A snapshot being built: the stacks of every record of one pid as one set.
 * Each profile's frame ids are mapped to set indexes once per snapshot.
 */
struct snapshot {
	struct stackset ss;
	const struct profile *prof;	/* the profile being collected */
	__u32 *map;			/* its frame id -> set index + 1, 0: not seen yet */
	size_t nr_map, cap_map;
	bool threads;			/* keep FRAME_THREAD frames (PYPROF/2, /3) */
	bool tags;			/* keep every stack and its tag (PYPROF/3) */
	const struct frame *root;	/* per_process=1: what FRAME_PROCESS frames become */
	__u32 idx[STACK_MAX_DEPTH];
};

#define SNAPSHOT_DROPPED UINT32_MAX	/* map[]: a frame the reply leaves out */

/* The set index of profile frame id, into *m. */
static int snapshot__frame(struct snapshot *s, __u32 id, __u32 *m)
{
	const struct frame *f = profile__frame(s->prof, id);
	__u32 idx;
	int err;

	if (!f)
		return -EINVAL;
	/* PYPROF/1 replies are what they were before there were thread frames. */
	if (f->kind == FRAME_THREAD && !s->threads) {
		*m = SNAPSHOT_DROPPED;
		return 0;
	}
	if (f->kind == FRAME_PROCESS && s->root)
		f = s->root;
	err = stackset__frame(&s->ss, f, &idx);
	if (!err)
		*m = idx + 1;
	return err;
}

static int collect_cb(const __u32 *frames, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct snapshot *s = arg;
	size_t n = 0;
	int err = 0;

	/* Before PYPROF/3 there were on-CPU samples only: counts in samples, no tags. */
	if (!s->tags && (tag & SAMPLE_OFF_CPU))
		return 0;
	/* profile__add() cuts stacks to this depth; idx[] holds that many. */
	if (nr > STACK_MAX_DEPTH)
		return -E2BIG;
	for (size_t i = 0; i < nr && !err; i++) {
		__u32 *m = frames[i] < s->nr_map ? &s->map[frames[i]] : NULL;

		if (!m)
			return -EINVAL;
		if (!*m)
			err = snapshot__frame(s, frames[i], m);
		if (!err && *m != SNAPSHOT_DROPPED)
			s->idx[n++] = *m - 1;
	}
	/* Stacks equal without their thread frames (or tags) merge here; none is only threads. */
	if (!s->tags)
		tag = SAMPLE_ON_CPU;
	return err ?: n ? stackset__add(&s->ss, s->idx, n, tag, count) : 0;
}

/* Adds the stacks of profile p's windows overlapping [from, to). */
static int snapshot__collect(struct snapshot *s, const struct profile *p, __u64 from, __u64 to)
{
	struct profile_stats ps;

	profile__stats(p, &ps);
	if (grow_array((void **)&s->map, &s->cap_map, ps.frames, sizeof(*s->map)))
		return -ENOMEM;
	memset(s->map, 0, ps.frames * sizeof(*s->map));
	s->nr_map = ps.frames;
	s->prof = p;
	return profile__collect(p, from, to, collect_cb, s);
}

/*
 * Adds record p's stacks of [from, to); per_process: under a root frame of
 * its own (selector__root_name()) instead of its comm, one tower per
 * process.  *merged counts the records that added samples.
 */
static int snapshot__add(struct snapshot *s, const struct pyproc *p, bool per_process,
			 __u64 from, __u64 to, size_t *merged)
{
	struct frame root = { FRAME_PROCESS, "", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE };
	struct strbuf name = { 0 };
	__u64 before = s->ss.total;
	int r = 0;

	if (per_process) {
		r = selector__root_name(p, &name);
		root.name = name.buf ? name.buf : "";
		s->root = &root;
	}
	/* The set copies the name: it need not outlive this collection. */
	r = r ?: snapshot__collect(s, p->profile, from, to);
	s->root = NULL;
	strbuf__done(&name);
	*merged += s->ss.total > before;
	return r;
}

static void snapshot__done(struct snapshot *s)
{
	stackset__done(&s->ss);
	free(s->map);
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
static bool not_python_now(struct server *srv, int pid, __u64 *ret_start)
{
	return !procs__check_live(srv->m.procs, pid) && procs__start_time(pid, ret_start) == 0;
}

/* A snapshot request's arguments. */
struct snapshot_args {
	__u64 pid;
	__u64 from, to;		/* the range [from, to), on the profiles' clock */
	bool range, period;	/* the OK line's fields asked for (proto.h) */
};

/* Reads a 0-or-1 argument key into *ret.  False when the client got an error reply. */
static bool flag_arg(struct client *c, const struct proto_request *req, const char *key,
		     bool *ret)
{
	__u64 v = 0;

	if (proto_request__get_u64(req, key, 0, 1, &v) == -EINVAL) {
		reply_err(c, EINVAL, "%s must be 0 or 1", key);
		return false;
	}
	*ret = v;
	return true;
}

/*
 * Reads from_wall_ns= and to_wall_ns= (profile clock: wall-clock ns since the
 * epoch) into *a.  -ENOENT when neither is there; false with an error reply.
 */
static bool wall_args(struct client *c, const struct proto_request *req, __u64 now,
		      struct snapshot_args *a, bool *ret_given)
{
	__u64 from = 0, to = UINT64_MAX;
	int rf, rt;

	rf = proto_request__get_u64(req, "from_wall_ns", 0, now, &from);
	rt = proto_request__get_u64(req, "to_wall_ns", 1, UINT64_MAX, &to);
	*ret_given = rf != -ENOENT || rt != -ENOENT;
	if (rf == -EINVAL) {
		reply_err(c, EINVAL, "invalid from_wall_ns (wall-clock ns since the epoch, "
				     "not in the future)");
		return false;
	}
	if (rt == -EINVAL || to <= from) {
		reply_err(c, EINVAL, "invalid to_wall_ns (wall-clock ns since the epoch, "
				     "after from_wall_ns)");
		return false;
	}
	if (*ret_given && (proto_request__get(req, "seconds") || proto_request__get(req, "since_ns"))) {
		reply_err(c, EINVAL, "from_wall_ns/to_wall_ns exclude seconds and since_ns");
		return false;
	}
	a->from = from;
	/* A range that ends later ends now: what the data can cover. */
	a->to = to < now ? to : now;
	return true;
}

/* Reads a snapshot's arguments.  False when the client got an error reply. */
static bool snapshot_args(struct client *c, const struct proto_request *req, __u64 now,
			  struct snapshot_args *a)
{
	static const char *const keys[] = { "pid",	  "seconds", "since_ns", "from_wall_ns",
					    "to_wall_ns", "range",   "period",	 NULL };
	__u64 seconds = 60, since = UINT64_MAX;
	bool wall = false;
	int r;

	if (!pid_request(c, req, keys, &a->pid))
		return false;
	r = proto_request__get_u64(req, "seconds", 1, 100ull * 365 * 86400, &seconds);
	if (r < 0 && r != -ENOENT) {
		reply_err(c, EINVAL, "invalid seconds");
		return false;
	}
	/* since_ns: a CLOCK_MONOTONIC instant of this host (what pyprofctl top polls from). */
	r = proto_request__get_u64(req, "since_ns", 0, now, &since);
	if (r == -EINVAL) {
		reply_err(c, EINVAL, "invalid since_ns (a CLOCK_MONOTONIC time, not in the future)");
		return false;
	}
	if (r == 0 && proto_request__get(req, "seconds")) {
		reply_err(c, EINVAL, "seconds and since_ns exclude each other");
		return false;
	}
	if (!flag_arg(c, req, "range", &a->range) || !flag_arg(c, req, "period", &a->period))
		return false;
	if (!wall_args(c, req, prof_time(now), a, &wall))
		return false;
	if (wall)
		return true;
	a->to = prof_time(now);
	/* On the profiles' clock, where history may predate this boot. */
	if (since != UINT64_MAX)
		a->from = prof_time(since);
	else if (seconds * NSEC_PER_SEC < prof_time(now))
		a->from = prof_time(now) - seconds * NSEC_PER_SEC;
	else
		a->from = 0;
	return true;
}

/*
 * Reads a snapshot request's selector (select.h) into *sel, and into *rest
 * what snapshot_args() reads: the other keys, and the pid= it requires (a
 * single pid's own; a stand-in for a selection, which is sel's alone).
 * processes=1 asks for the OK line's processes= field, into *ret_count.
 * False when the client got an error reply; else selector__done() after.
 */
static bool snapshot_select(struct client *c, const struct proto_request *req,
			    struct selector *sel, struct proto_request *rest, bool *ret_count)
{
	char err[256];
	int r;

	if (!flag_arg(c, req, "processes", ret_count))
		return false;
	r = selector__parse(sel, req, err, sizeof(err));
	if (r < 0) {
		reply_err(c, r == -ENOENT ? EINVAL : -r, "%s",
			  r == -ENOMEM ? "snapshot failed: out of memory" : err);
		return false;
	}
	*rest = (struct proto_request){ .version = req->version };
	memcpy(rest->verb, req->verb, sizeof(rest->verb));
	for (unsigned int i = 0; i < req->nr_args; i++)
		if (!selector__is_key(req->args[i].key) && strcmp(req->args[i].key, "processes"))
			rest->args[rest->nr_args++] = req->args[i];
	if (proto_request__add(rest, "pid",
			       selector__single_pid(sel) ? proto_request__get(req, "pid") : "1")) {
		selector__done(sel);
		reply_err(c, E2BIG, "too many arguments");
		return false;
	}
	return true;
}

/*
 * Adds " key=value" to the OK line of the reply already built: a field
 * only this verb's loop knows, after reply_ok_snapshot() made the rest.
 */
static int reply_add_field(struct client *c, const char *key, long long value)
{
	const char *nl = c->out.buf ? memchr(c->out.buf, '\n', c->out.len) : NULL;
	struct strbuf sb = { 0 };
	size_t at;
	int r;

	if (!nl || strncmp(c->out.buf, "OK ", 3))
		return -EPROTO;
	at = (size_t)(nl - c->out.buf);
	r = strbuf__append(&sb, c->out.buf, at) ?: strbuf__printf(&sb, " %s=%lld", key, value) ?:
	    strbuf__append(&sb, nl, c->out.len - at);
	if (r) {
		strbuf__done(&sb);
		return r;
	}
	strbuf__done(&c->out);
	c->out = sb;
	return 0;
}

/* The error for a selection with no record the client may see: the same whoever else matches. */
static void reply_no_match(struct client *c)
{
	reply_err(c, ESRCH, c->privileged ? "no process matches the selection"
					  : "no process of yours matches the selection");
}

/* The payload of a snapshot of version, from snap (filled for that version). */
static int snapshot__encode(const struct snapshot *snap, unsigned int version, struct strbuf *sb)
{
	if (version == 1)
		return fmt_folded__render(&snap->ss, sb);
	return wire__encode(&snap->ss, version == 2 ? 2 : WIRE_VERSION, sb);
}

/*
 * PYPROF/1: folded text, thread frames left out, byte for byte what it has
 * always been; PYPROF/2: every frame as recorded, in the encoding of wire.h,
 * version 2: the on-CPU stacks, untagged; PYPROF/3: every stack with its tag
 * (wire.h version 3).  See proto.h.
 */
static int verb_snapshot(struct server *srv, struct client *c, const struct proto_request *req)
{
	struct snapshot snap = { .threads = req->version >= 2, .tags = req->version >= 3 };
	struct strbuf sb = { 0 };
	__u64 now = now_ns(), away_start = 0;
	const struct pyproc *unsupported = NULL;
	struct proto_request rest;
	struct snapshot_args a;
	struct selector sel;
	bool known = false, away, single, count;
	size_t merged = 0;
	int r = 0;

	if (!snapshot_select(c, req, &sel, &rest, &count))
		return 0;
	if (!snapshot_args(c, &rest, now, &a))
		goto cleanup;
	single = selector__single_pid(&sel);
	away = single && not_python_now(srv, (int)a.pid, &away_start);
	/*
	 * Every record selected: live processes and exited ones still retained
	 * (a service's processes from before its restart too), each if the
	 * client may see it; the others are left out without a word.
	 */
	procs__for_each(srv->m.procs, p)
	{
		if (r || !selector__match(&sel, p) || (away && p->start_time == away_start))
			continue;
		if (!can_see(c, p))
			continue;
		known = true;
		if (p->live && !p->info.supported)
			unsupported = p;
		/* In a selection it is one process among others: it has no samples to add. */
		if (p->live && !p->info.supported && !single)
			continue;
		/* A range ending now takes the window that begins now too. */
		r = snapshot__add(&snap, p, sel.per_process, a.from,
				  a.to + (a.to == prof_time(now)), &merged);
	}
	/*
	 * The process runs an interpreter pyprofd cannot walk.  Samples under its
	 * pid can only come from before its exec (a fork child of a profiled
	 * parent): not what was asked for.
	 */
	if (unsupported && single && !r)
		reply_err(c, EPROTONOSUPPORT, "process %llu is not profiled: %s",
			  (unsigned long long)a.pid, unsupported->info.why);
	else if (sel.too_slow)
		reply_err(c, E2BIG, "cmdline pattern too slow to match (over %llu ms): simplify it",
			  (unsigned long long)(SELECT_REGEX_BUDGET_NS / NSEC_PER_MSEC));
	else if (!known && single)
		reply_no_process(c, a.pid, " and no history for it");
	else if (!known)
		reply_no_match(c);
	else if (!r)
		r = snapshot__encode(&snap, req->version, &sb) ?:
		    reply_ok_snapshot(srv, c, &sb, a.from, a.to, a.range, a.period) ?:
		    (count ? reply_add_field(c, "processes", (long long)merged) : 0);
cleanup:
	selector__done(&sel);
	strbuf__done(&sb);
	snapshot__done(&snap);
	return r;
}

static int verb_dump(struct server *srv, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { "pid", NULL };
	struct pyproc *found = NULL;
	struct strbuf sb = { 0 };
	__u64 pid;
	int r;

	if (!pid_request(c, req, keys, &pid))
		return 0;
	(void)procs__check_live(srv->m.procs, (int)pid);
	procs__for_each(srv->m.procs, p)
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
	r = dump__process(found, &(struct dump_deps){ srv->m.sampler, srv->m.ksyms }, &sb);
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
static size_t queued_bytes(const struct server *srv, const uid_t *uid, size_t *ret_unpriv)
{
	size_t n = 0, unpriv = 0;

	for (const struct client *c = srv->clients; c; c = c->next) {
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
static int status_processes(struct server *srv, struct client *c, struct strbuf *sb)
{
	unsigned int live = 0, exited = 0;
	__u64 samples = 0, code_gone = 0, code_snaps = 0;

	procs__for_each(srv->m.procs, p)
	{
		struct symbolize_proc_stats st;

		if (!can_see(c, p))
			continue;
		symbolize__proc_stats(p, &st);
		live += p->live;
		exited += !p->live;
		samples += st.samples;
		code_gone += st.code_gone;
		code_snaps += st.code_snaps;
	}
	return strbuf__printf(sb,
			      "version %s\nabi %u\nrate_hz %u\nwindow_s %llu\nretention_s %llu\n"
			      "uptime_s %llu\nprocesses_live %u\nprocesses_exited %u\n"
			      "samples_profiled %llu\ncode_objects_gone %llu\n"
			      "code_objects_from_snapshots %llu\n",
			      PYPROFD_VERSION, PYPROF_ABI_VERSION, srv->cfg->rate_hz,
			      (unsigned long long)(srv->cfg->window_ns / NSEC_PER_SEC),
			      (unsigned long long)(srv->cfg->retention_ns / NSEC_PER_SEC),
			      (unsigned long long)((now_ns() - srv->m.start_ns) / NSEC_PER_SEC),
			      live, exited, (unsigned long long)samples,
			      (unsigned long long)code_gone, (unsigned long long)code_snaps);
}

/* --native: on or off, and what the daemon counted of the stack copies. */
static int status_native(struct server *srv, struct strbuf *sb)
{
	struct native_stats ns;

	native__stats(srv->m.native, &ns);
	return strbuf__printf(sb,
			      "native %s\nnative_copies_received %llu\nnative_copies_malformed %llu\n"
			      "native_copies_orphaned %llu\nnative_unwound %llu\n"
			      "native_truncated %llu\nnative_unmatched %llu\nnative_no_elf %llu\n"
			      "native_too_deep %llu\nnative_unwind_ns %llu\n"
			      "native_symtabs_read %llu\nnative_symtabs_shared %llu\n"
			      "native_symtabs_debug %llu\n",
			      srv->m.native ? "on" : "off", (unsigned long long)ns.received,
			      (unsigned long long)ns.malformed, (unsigned long long)ns.orphaned,
			      (unsigned long long)ns.unwound, (unsigned long long)ns.truncated,
			      (unsigned long long)ns.unmatched, (unsigned long long)ns.no_elf,
			      (unsigned long long)ns.too_deep, (unsigned long long)ns.unwind_ns,
			      (unsigned long long)ns.symtabs_read,
			      (unsigned long long)ns.symtabs_shared,
			      (unsigned long long)ns.symtabs_debug);
}

/* The daemon's own counters and every BPF counter, summed over CPUs. */
static int status_counters(struct server *srv, const struct sampler_stats *st, struct strbuf *sb)
{
	int r;

	r = strbuf__printf(sb,
			   "cpus_sampled %d\nsamples_received %llu\nsamples_unknown_pid %llu\n"
			   "events_exec %llu\nevents_exit %llu\nevents_pyinit %llu\nrequests %llu\n"
			   "clients_connected %d\nclients_rejected %llu\nreplies_refused_memory %llu\n"
			   "reply_bytes_queued %zu\n",
			   sampler__nr_cpus(srv->m.sampler),
			   (unsigned long long)st->events[PYPROF_EV_SAMPLE],
			   (unsigned long long)st->samples_unknown_pid,
			   (unsigned long long)st->events[PYPROF_EV_EXEC],
			   (unsigned long long)st->events[PYPROF_EV_EXIT],
			   (unsigned long long)st->events[PYPROF_EV_PYINIT],
			   (unsigned long long)srv->requests,
			   srv->nr_clients, (unsigned long long)srv->clients_rejected,
			   (unsigned long long)srv->replies_refused, queued_bytes(srv, NULL, NULL));
	for (int k = 0; k < PYPROF_CNT__MAX && !r; k++)
		r = strbuf__printf(sb, "%s %llu\n", sampler__counter_name(k),
				   (unsigned long long)st->counters[k]);
	return r ?: status_native(srv, sb);
}

/* BPF run time, map sizes, the daemon's memory and fds. */
static int status_resources(struct server *srv, const struct sampler_stats *st, struct strbuf *sb)
{
	unsigned long long rss, fds;
	size_t profile_bytes = 0, codes = 0;

	self_usage(&rss, &fds);
	procs__for_each(srv->m.procs, p)
	{
		struct symbolize_proc_stats st;
		struct profile_stats ps;

		profile__stats(p->profile, &ps);
		symbolize__proc_stats(p, &st);
		profile_bytes += ps.bytes;
		codes += st.codes_cached;
	}
	/* run_time_ns/run_cnt count only while kernel.bpf_stats_enabled is 1. */
	return strbuf__printf(sb,
			      "bpf_prog_run_time_ns %llu\nbpf_prog_run_cnt %llu\n"
			      "bpf_procs_entries %llu\nbpf_tstates_entries %llu\n"
			      "daemon_rss_kb %llu\ndaemon_fds %llu\nprofile_bytes %zu\n"
			      "code_objects_cached %zu\n",
			      (unsigned long long)st->run_time_ns, (unsigned long long)st->run_cnt,
			      (unsigned long long)st->procs_entries,
			      (unsigned long long)st->tstates_entries, rss, fds, profile_bytes,
			      codes);
}

/*
 * Seedings of the tstate cache for threads BPF's walk does not reach, and
 * the thread names read from live processes (pynames.h).
 */
static int status_threads(struct server *srv, struct strbuf *sb)
{
	struct pynames_stats ns = { 0 };
	struct threads_stats ts;

	threads__stats(srv->m.threads, &ts);
	procs__for_each(srv->m.procs, p)
	{
		pynames__stats(p, &ns);
	}
	return strbuf__printf(sb,
			      "tstate_seeds %llu\ntstate_seeded %llu\ntstate_seed_errors %llu\n"
			      "tstate_seed_rewalks %llu\ntstate_seed_us %llu\n"
			      "thread_names_known %llu\nthread_name_reads %llu\n"
			      "thread_names_unreadable %llu\nthread_name_reads_failed %llu\n"
			      "thread_name_reads_corrupt %llu\n",
			      (unsigned long long)ts.seeds, (unsigned long long)ts.seeded,
			      (unsigned long long)ts.errors, (unsigned long long)ts.rewalks,
			      (unsigned long long)(ts.ns / NSEC_PER_USEC),
			      (unsigned long long)ns.known, (unsigned long long)ns.refreshes,
			      (unsigned long long)ns.unreadable, (unsigned long long)ns.failed,
			      (unsigned long long)ns.corrupt);
}

static int status_discovery(struct server *srv, const struct sampler_stats *st, struct strbuf *sb)
{
	struct procs_stats ps;
	struct state_stats ss;

	procs__stats(srv->m.procs, &ps);
	state__stats(srv->m.state, &ss);
	return strbuf__printf(
		sb,
		"discovered_scan %llu\ndiscovered_exec %llu\ndiscovered_pending %llu\n"
		"discovered_pyinit %llu\ndiscovered_fork %llu\ndiscovered_dlopen %llu\n"
		"events_dlopen %llu\n"
		"elf_analysed %llu\nelf_analysing %zu\nelf_rejected %llu\n"
		"elf_too_big %llu\nelf_failed %llu\n"
		"state_dir %s\nstate_write_errors %llu\nstate_files_skipped %llu\n",
		(unsigned long long)ps.discovered[DISCOVER_SCAN],
		(unsigned long long)ps.discovered[DISCOVER_EXEC],
		(unsigned long long)ps.discovered[DISCOVER_PENDING],
		(unsigned long long)ps.discovered[DISCOVER_PYINIT],
		(unsigned long long)ps.discovered[DISCOVER_SAMPLE],
		(unsigned long long)ps.discovered[DISCOVER_DLOPEN],
		(unsigned long long)st->events[PYPROF_EV_DLOPEN],
		(unsigned long long)ps.elf_analysed, ps.elf_analysing,
		(unsigned long long)ps.elf_rejected, (unsigned long long)ps.elf_too_big,
		(unsigned long long)ps.elf_failed, srv->cfg->state_dir ? srv->cfg->state_dir : "-",
		(unsigned long long)ss.write_errors, (unsigned long long)ss.files_bad);
}

/*
 * An unprivileged client learns the configuration and its own processes'
 * totals; host-wide counts (other users' processes, exec rates, clients,
 * paths) are for root and the group.
 */
/* Whether off-CPU time is recorded, and what its programs cost (see the bpf_offcpu_ counters). */
static int status_offcpu(const struct sampler_stats *st, struct strbuf *sb)
{
	return strbuf__printf(sb,
			      "offcpu %s\noffcpu_min_ns %llu\noffcpu_sample_ns %llu\n"
			      "offcpu_mark_errors %llu\n"
			      "bpf_switch_run_time_ns %llu\nbpf_switch_run_cnt %llu\n"
			      "bpf_resume_run_time_ns %llu\nbpf_resume_run_cnt %llu\n",
			      st->offcpu ? "on" : "off", (unsigned long long)st->offcpu_min_ns,
			      (unsigned long long)st->offcpu_sample_ns,
			      (unsigned long long)st->offcpu_mark_errors,
			      (unsigned long long)st->switch_run_time_ns,
			      (unsigned long long)st->switch_run_cnt,
			      (unsigned long long)st->resume_run_time_ns,
			      (unsigned long long)st->resume_run_cnt);
}

static int verb_status(struct server *srv, struct client *c, const struct proto_request *req)
{
	static const char *const keys[] = { NULL };
	struct strbuf sb = { 0 };
	char err[256];
	int r;

	if (proto_request__check_keys(req, keys, err, sizeof(err)) < 0) {
		reply_err(c, EINVAL, "%s", err);
		return 0;
	}
	r = status_processes(srv, c, &sb);
	if (c->privileged) {
		struct sampler_stats st;

		r = r ?: sampler__stats(srv->m.sampler, &st);
		r = r ?: status_counters(srv, &st, &sb) ?: status_resources(srv, &st, &sb) ?:
		    status_threads(srv, &sb) ?: status_discovery(srv, &st, &sb) ?:
		    status_offcpu(&st, &sb);
		if (srv->status_hook)
			r = r ?: srv->status_hook(srv->status_ctx, &sb);
	}
	r = r ?: reply_ok(c, &sb);
	strbuf__done(&sb);
	return r;
}

static const struct {
	const char *verb;
	int (*fn)(struct server *srv, struct client *c, const struct proto_request *req);
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
static bool reply_budget(struct server *srv, struct client *c)
{
	size_t unpriv, total = queued_bytes(srv, NULL, &unpriv),
		       mine = queued_bytes(srv, &c->uid, NULL);

	if (total < PYPROFD_REPLY_MAX_TOTAL &&
	    (c->privileged || (mine < PYPROFD_REPLY_MAX_UID && unpriv < PYPROFD_REPLY_MAX_UNPRIV)))
		return true;
	srv->replies_refused++;
	reply_err(c, EBUSY, "too many replies not yet read (%zu MiB of this user's, %zu MiB in all)",
		  mine >> 20, total >> 20);
	return false;
}

/* Answers a parsed request into c->out. */
static void dispatch(struct server *srv, struct client *c, const struct proto_request *req)
{
	int r;

	if (!reply_budget(srv, c))
		return;
	/*
	 * What the kernel has already reported first: a process that exec'd
	 * or exited before the request is answered as what it is now, and
	 * samples the periodic drain has not read yet count (top's refresh).
	 */
	sampler__drain_all(srv->m.sampler);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(req->verb, verbs[i].verb) == 0) {
			r = verbs[i].fn(srv, c, req);
			if (r < 0)
				reply_err(c, -r, "%s failed: %s", req->verb, strerror(-r));
			return;
		}
	}
	reply_err(c, EOPNOTSUPP, "unknown verb '%s'", req->verb);
}

static void handle_request(struct server *srv, struct client *c, size_t len)
{
	struct proto_request req;
	char err[256];
	int r;

	srv->requests++;
	r = proto__parse_request(c->in, len, &req, err, sizeof(err));
	if (r < 0)
		reply_err(c, -r, "%s", err);
	else
		dispatch(srv, c, &req);
	if (c->out.len && strncmp(c->out.buf, "ERR", 3) == 0)
		srv->request_errors++;
	c->replying = true;
}

void server__set_status_hook(struct server *srv, int (*fn)(const void *ctx, struct strbuf *sb),
			     const void *ctx)
{
	srv->status_hook = fn;
	srv->status_ctx = ctx;
}

int server__query(struct server *srv, const struct proto_request *req, bool privileged,
		  struct strbuf *reply)
{
	/* A client of no uid (PYPROFD_UID_NONE: no process is its own); privileged: root's view. */
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->uid = PYPROFD_UID_NONE;
	c->privileged = privileged;
	srv->requests++;
	dispatch(srv, c, req);
	if (c->out.len && strncmp(c->out.buf, "ERR", 3) == 0)
		srv->request_errors++;
	strbuf__done(reply);
	*reply = c->out;
	free(c);
	return reply->len ? 0 : -ENOMEM;
}

static int set_events(struct server *srv, struct client *c, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.u64 = (__u64)(uintptr_t)c };

	return epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

/*
 * Whether the peer is in the configured group, as primary or supplementary
 * group.  Looked up per connection: the group may be created, or the user
 * added to it, while the daemon runs.
 */
static bool in_group(const struct server *srv, const struct server_peer *peer)
{
	char buf[4096];
	struct group gr, *res = NULL;

	if (getgrnam_r(srv->cfg->group, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (peer->gid == res->gr_gid)
		return true;
	for (size_t i = 0; i < peer->nr_groups && i < PYPROFD_PEER_GROUPS; i++)
		if (peer->groups[i] == res->gr_gid)
			return true;
	return false;
}

/* Why a new client is refused, or NULL.  Root and the group keep room of their own. */
static const char *refusal(const struct server *srv, const struct client *c)
{
	unsigned int unpriv = 0, same_uid = 0;

	if (srv->nr_clients >= PYPROFD_MAX_CLIENTS)
		return "ERR EBUSY too many clients\n";
	for (const struct client *o = srv->clients; o; o = o->next) {
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
static struct client *client_new(struct server *srv, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct server_peer peer;
	const char *busy;
	struct client *c;

	if (srv->m.peer(fd, &peer) < 0)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->fd = fd;
	c->uid = peer.uid;
	c->peer_pid = peer.pid;
	c->privileged = peer.uid == 0 || in_group(srv, &peer);
	busy = refusal(srv, c);
	if (busy) {
		srv->clients_rejected++;
		(void)send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
		free(c);
		goto fail;
	}
	c->accepted_ns = srv->m.now();
	c->deadline_ns = c->accepted_ns + PYPROFD_CLIENT_IDLE_MS * NSEC_PER_MSEC;
	ev.data.u64 = (__u64)(uintptr_t)c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		goto fail;
	}
	return c;
fail:
	close(fd);
	return NULL;
}

int server__accept(struct server *srv)
{
	for (;;) {
		struct client *c;
		int fd;

		fd = accept4(srv->listenfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		c = client_new(srv, fd);
		if (!c)
			continue;
		c->next = srv->clients;
		srv->clients = c;
		srv->nr_clients++;
	}
}

static void flush_out(struct server *srv, struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				(void)set_events(srv, c, EPOLLOUT);
				return;
			}
			break;
		}
		c->out_off += n;
	}
	if (c->out_off < c->out.len || shutdown(c->fd, SHUT_WR) < 0) {
		client_close(srv, c);
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
	if (set_events(srv, c, EPOLLIN) < 0)
		client_close(srv, c);
}

static void drain(struct server *srv, struct client *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		client_close(srv, c);
		return;
	}
}

int server__client_event(struct server *srv, struct client *c, __u32 events)
{
	if (c->draining) {
		drain(srv, c);
		return 0;
	}
	if (c->replying) {
		flush_out(srv, c);
		return 0;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_close(srv, c);
		return 0;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, PROTO_MAX_REQUEST - c->in_len, 0);
		char *nl;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			client_close(srv, c);
			return 0;
		}
		if (n == 0) {
			/* EOF: a request without its newline is still answered. */
			if (c->in_len) {
				handle_request(srv, c, c->in_len);
				flush_out(srv, c);
			} else {
				client_close(srv, c);
			}
			return 0;
		}
		c->in_len += n;
		nl = memchr(c->in, '\n', c->in_len);
		if (nl) {
			handle_request(srv, c, (size_t)(nl - c->in) + 1);
			flush_out(srv, c);
			return 0;
		}
		if (c->in_len >= PROTO_MAX_REQUEST) {
			reply_err(c, E2BIG, "request longer than %d bytes", PROTO_MAX_REQUEST);
			c->replying = true;
			flush_out(srv, c);
			return 0;
		}
	}
}

void server__tick(struct server *srv)
{
	__u64 now = srv->m.now();
	struct client *c = srv->clients, *next;

	/* With half the slots taken, connections that sent nothing get less time. */
	bool rush = srv->nr_clients >= PYPROFD_MAX_CLIENTS / 2;

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

void server__free(struct server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		client_close(srv, srv->clients);
	if (srv->listenfd >= 0)
		close(srv->listenfd);
	/*
	 * Only the socket bound at start, in the directory checked then (an
	 * activated socket is systemd's: it keeps it for the next start).
	 */
	if (srv->sock_dirfd >= 0) {
		const char *slash = strrchr(srv->cfg->socket_path, '/');
		const char *name = slash ? slash + 1 : srv->cfg->socket_path;
		struct stat st;

		if (fstatat(srv->sock_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISSOCK(st.st_mode) && st.st_dev == srv->sock_dev &&
		    st.st_ino == srv->sock_ino)
			(void)unlinkat(srv->sock_dirfd, name, 0);
		close(srv->sock_dirfd);
		srv->sock_dirfd = -1;
	}
	free(srv);
}
