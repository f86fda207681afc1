// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for the socket verbs (daemon/server.c): the real server, listening
 * on a socket in a temporary directory and run by this test's own epoll
 * loop, answers requests from a real process table (daemon/procs.c over a
 * /proc tree made here, fakeproc.h) whose records hold profiles filled
 * here.  The BPF side is a fake sampler with fixed counters (fakesampler.h),
 * and dump__process() a fake: the real ones need BPF and a live process.
 *
 * Fake pids are above the host's pid_max, so the host's /proc (which the
 * server asks whether a pid is alive and whose it is) never has them.
 * Peer credentials are the real ones (as root the test also connects as an
 * unprivileged uid: a child that drops to it hands the socket over), except
 * in the tests of access rules, client limits and reply budgets: there the
 * server's peer seam says who each connection is (fake_peer()), and its
 * client clock can be moved ahead (fake_now()).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testhelp.h"
#include "fakeproc.h"
#include "fakesampler.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "profile/procident.h"
#include "profile/profile.h"
#include "profile/stacks.h"
#include "proto/proto.h"
#include "proto/wire.h"
#include "target/pyinterp.h"
#include "clock.h"
#include "config.h"
#include "dump.h"
#include "procs.h"
#include "pyproc.h"
#include "server.h"
#include "state.h"
#include "symbolize.h"
#include "threads.h"

#define PYTHON	     "/usr/bin/python3.11"
#define PID_A	     4194401	/* above any pid_max (PID_MAX_LIMIT is 4194304) */
#define PID_B	     4194402
#define PID_C	     4194403
#define PID_NONE     4194499	/* no record, no process */
#define NOBODY	     65534
#define REPLY_WAIT_NS (10 * NSEC_PER_SEC)

/*
 * The fake dump: what the next dump__process() returns (size > 0: that many
 * bytes), the pid it was last asked for, and how many times it was.
 */
static struct {
	int err;
	int pid;
	size_t size;
	unsigned int calls;
} dump;

int dump__process(struct pyproc *p, const struct dump_deps *deps, struct strbuf *out)
{
	static char chunk[1 << 20];

	dump.pid = p->pid;
	dump.calls++;
	if (dump.err)
		return dump.err;
	if (!dump.size)
		return strbuf__printf(out, "Thread %d (idle)\n    main (app.py:10)\n", p->pid);
	memset(chunk, 'x', sizeof(chunk));
	for (size_t n = 0; n < dump.size; n += sizeof(chunk))
		if (strbuf__append(out, chunk,
				   dump.size - n < sizeof(chunk) ? dump.size - n : sizeof(chunk)))
			return -ENOMEM;
	return 0;
}

/*
 * The server's seams: who the next connection is (fake.peers: every one is
 * fake.next, instead of its socket's credentials), and how far the clock
 * of client deadlines is moved ahead of now_ns().
 */
static struct {
	bool peers;
	struct server_peer next;
	__u64 ahead_ns;
} fake;

static int fake_peer(int fd, struct server_peer *ret)
{
	*ret = fake.next;
	return 0;
}

static __u64 fake_now(void)
{
	return now_ns() + fake.ahead_ns;
}

/* One test's world: a /proc tree, a process table over it, and a server. */
struct world {
	char sockdir[64], sock[96];
	struct fakeproc fp;
	struct config cfg;
	struct procs *ps;
	struct threads *th;
	struct state *state;
	struct server *srv;
	int epfd;
};

/* The world; fake_peers: connections are who fake.next says, not who made them. */
static void world_start(struct world *w, bool fake_peers)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	struct server_deps deps;

	if (access(PYTHON, R_OK))
		TEST_SKIP("%s not installed", PYTHON);
	fakesampler__reset();
	memset(&dump, 0, sizeof(dump));
	memset(&fake, 0, sizeof(fake));
	fake.peers = fake_peers;
	fakeproc__init(&w->fp);
	snprintf(w->sockdir, sizeof(w->sockdir), "/tmp/pyprof-sock-XXXXXX");
	ASSERT_TRUE(mkdtemp(w->sockdir) != NULL);
	/* Searchable by the unprivileged client; writable by nobody else, as the server wants. */
	ASSERT_EQ(chmod(w->sockdir, 0755), 0);
	snprintf(w->sock, sizeof(w->sock), "%s/pyprofd.sock", w->sockdir);
	w->cfg = (struct config){
		.socket_path = w->sock,
		.group = "pyprof-test-no-such-group",
		.rate_hz = 99,
		.window_ns = 10 * NSEC_PER_SEC,
		.retention_ns = 600 * NSEC_PER_SEC,
	};
	w->ps = procs__new(w->fp.root, &w->cfg, NULL);
	ASSERT_TRUE(w->ps != NULL);
	w->th = threads__new(NULL, w->ps);
	ASSERT_TRUE(w->th != NULL);
	w->state = state__new(&w->cfg, w->ps);
	ASSERT_TRUE(w->state != NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_TRUE(w->epfd >= 0);
	deps = (struct server_deps){ .procs = w->ps, .threads = w->th, .state = w->state,
				     .start_ns = now_ns(), .peer = fake.peers ? fake_peer : NULL,
				     .now = fake_now };
	w->srv = server__new(&w->cfg, w->epfd, &deps);
	ASSERT_TRUE(w->srv != NULL);
	ASSERT_OK(server__listen(w->srv));
	/* Tag 0 is the listening socket: the server tags clients with their (non-NULL) pointer. */
	ASSERT_EQ(epoll_ctl(w->epfd, EPOLL_CTL_ADD, server__fd(w->srv), &ev), 0);
}

static void world_init(struct world *w)
{
	world_start(w, false);
}

static void world_done(struct world *w)
{
	struct stat st;

	server__free(w->srv);
	/* The server removes the socket it bound. */
	ASSERT_TRUE(stat(w->sock, &st) < 0 && errno == ENOENT);
	close(w->epfd);
	state__free(w->state);
	threads__free(w->th);
	procs__free(w->ps);
	fakeproc__done(&w->fp);
	fakeproc__remove_tree(w->sockdir);
}

/* A fake process running PYTHON, discovered: its live record. */
static struct pyproc *python_proc(struct world *w, int pid, const char *comm, __u64 start)
{
	fakeproc__add(&w->fp, pid, comm, start, PYTHON);
	ASSERT_OK(fakeproc__discover(w->ps, pid));
	ASSERT_TRUE(procs__find_live(w->ps, pid) != NULL);
	ASSERT_TRUE(procs__find_live(w->ps, pid)->info.supported);
	return procs__find_live(w->ps, pid);
}

static __u32 frame_id(struct pyproc *p, enum frame_kind kind, const char *name, const char *file,
		      int line, int func_line)
{
	struct frame f = { kind, name, file, line, func_line };
	__u32 id;

	ASSERT_OK(profile__intern(p->profile, &f, &id));
	return id;
}

/* The frames of the test profile, interned in one record's profile. */
struct frames {
	__u32 root, t1, t2, main, work, idle, kern;
};

static void intern_frames(struct pyproc *p, struct frames *f)
{
	f->root = frame_id(p, FRAME_PROCESS, p->comm, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	f->t1 = frame_id(p, FRAME_THREAD, "", NULL, 101, FRAME_LINE_NONE);
	f->t2 = frame_id(p, FRAME_THREAD, "", NULL, 102, FRAME_LINE_NONE);
	f->main = frame_id(p, FRAME_PYTHON, "main", "app.py", 10, 1);
	f->work = frame_id(p, FRAME_PYTHON, "work", "app.py", 20, 15);
	f->idle = frame_id(p, FRAME_PYTHON, "idle", "lib.py", FRAME_LINE_NONE, FRAME_LINE_NONE);
	f->kern = frame_id(p, FRAME_KERNEL, "do_syscall_64", NULL, FRAME_LINE_NONE,
			   FRAME_LINE_NONE);
}

#define ADD(p, ts, count, ...)                                                          \
	do {                                                                            \
		const __u32 _ids[] = { __VA_ARGS__ };                                   \
		ASSERT_OK(profile__add((p)->profile, ts, SAMPLE_ON_CPU, _ids,          \
				       sizeof(_ids) / sizeof(_ids[0]), count));         \
	} while (0)

/*
 * The test profile: now, two threads running the same code (equal without
 * their thread frames) and others; two minutes ago, one more stack.
 */
static void fill_profile(struct pyproc *p)
{
	__u64 now = prof_time(now_ns());
	struct frames f;

	intern_frames(p, &f);
	ADD(p, now, 3, f.root, f.t1, f.main, f.work);
	ADD(p, now, 2, f.root, f.t2, f.main, f.work);
	ADD(p, now, 1, f.root, f.t1, f.main, f.idle);
	ADD(p, now, 4, f.root, f.t2, f.main, f.kern);
	ADD(p, now - 120 * NSEC_PER_SEC, 7, f.root, f.t1, f.main);
}

/* The last minute of the test profile as PYPROF/1 gives it. */
static const char folded_recent[] = "python3;main (app.py:10);do_syscall_64_[k] 4\n"
				    "python3;main (app.py:10);idle (lib.py) 1\n"
				    "python3;main (app.py:10);work (app.py:20) 5\n";

/* A connection to the server, with the test's own credentials. */
static int connect_self(const struct world *w)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_TRUE(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", w->sock);
	/* Completes at once: the backlog holds it until the server accepts. */
	ASSERT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * A connection made by a child running as uid (root only): the peer
 * credentials are the connecting process's, the socket comes back over
 * SCM_RIGHTS.
 */
static int connect_as(const struct world *w, uid_t uid)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int sv[2], fd, status;
	pid_t child;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	child = fork();
	ASSERT_TRUE(child >= 0);
	if (child == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(1);
		fd = connect_self(w);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 2);
	}
	close(sv[1]);
	ASSERT_EQ(recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC), 1);
	close(sv[0]);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cm = CMSG_FIRSTHDR(&mh);
	ASSERT_TRUE(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Runs the server's side of the loop once: accepts, reads, answers, sends. */
static void serve(struct world *w, int timeout_ms)
{
	struct epoll_event evs[8];
	int n = epoll_wait(w->epfd, evs, 8, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct client *c = (struct client *)(uintptr_t)evs[i].data.u64;

		if (!c)
			ASSERT_OK(server__accept(w->srv));
		else
			ASSERT_OK(server__client_event(w->srv, c, evs[i].events));
	}
}

/* A reply: its header line (NUL-terminated, "\n" kept) and payload. */
struct reply {
	struct strbuf raw;
	size_t hdr_len;
	const char *payload;
	size_t len;		/* payload bytes, as the header says */
	int err;		/* the negative errno of an ERR reply */
	char msg[PROTO_MAX_MESSAGE];
};

/* Sends line on fd, serves until the server has sent the whole reply and hung up, closes fd. */
static void ask_on(struct world *w, int fd, const char *line, struct reply *r)
{
	__u64 deadline = now_ns() + REPLY_WAIT_NS;
	const char *nl;
	char buf[4096];

	memset(r, 0, sizeof(*r));
	ASSERT_EQ(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			break;
		if (n > 0) {
			ASSERT_OK(strbuf__append(&r->raw, buf, n));
			continue;
		}
		ASSERT_TRUE(errno == EAGAIN);
		ASSERT_TRUE(now_ns() < deadline);
		serve(w, 10);
	}
	close(fd);
	/* The hang-up: the server forgets the client. */
	serve(w, 0);
	ASSERT_OK(strbuf__append(&r->raw, "", 1));
	r->raw.len--;
	nl = memchr(r->raw.buf, '\n', r->raw.len);
	ASSERT_TRUE(nl != NULL);
	r->hdr_len = nl + 1 - r->raw.buf;
	r->payload = nl + 1;
	r->err = proto__parse_reply_header(r->raw.buf, r->hdr_len, &r->len, r->msg, sizeof(r->msg));
	ASSERT_TRUE(r->err != -EPROTO);
	/* Exactly the payload announced, nothing after an error. */
	ASSERT_EQ(r->raw.len - r->hdr_len, r->err ? 0 : r->len);
}

static void ask(struct world *w, const char *line, struct reply *r)
{
	ask_on(w, connect_self(w), line, r);
}

static void reply_done(struct reply *r)
{
	strbuf__done(&r->raw);
}

/* Asks line and checks the reply is OK with exactly this payload. */
static void expect_ok(struct world *w, const char *line, const char *payload)
{
	struct reply r;

	ask(w, line, &r);
	if (r.err)
		TEST_FAIL("%s: %s", line, r.msg);
	ASSERT_STREQ(r.payload, payload);
	reply_done(&r);
}

/* Asks line on fd (or a connection of the test's own if fd < 0); the reply must be this error. */
static void expect_err_on(struct world *w, int fd, const char *line, int err, const char *msg)
{
	struct reply r;

	ask_on(w, fd >= 0 ? fd : connect_self(w), line, &r);
	if (r.err != -err)
		TEST_FAIL("%s: %d (%s) instead of -%d", line, r.err, r.err ? r.msg : "OK", err);
	ASSERT_STREQ(r.msg, msg);
	reply_done(&r);
}

static void expect_err(struct world *w, const char *line, int err, const char *msg)
{
	expect_err_on(w, -1, line, err, msg);
}

TEST(snapshot_v1_is_folded_without_threads)
{
	char line[128];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_A);
	/* The last minute by default: thread frames dropped, equal stacks merged, sorted. */
	expect_ok(&w, line, folded_recent);
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d seconds=300\n", PID_A);
	{
		char want[512];

		snprintf(want, sizeof(want), "python3;main (app.py:10) 7\n%s", folded_recent);
		expect_ok(&w, line, want);
	}
	world_done(&w);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per stack of ss, every field of every frame, sorted: comparable whatever the order. */
static void stacks_text(const struct stackset *ss, struct strbuf *out)
{
	char **lines = calloc(ss->nr, sizeof(*lines));
	struct strbuf sb = { 0 };

	ASSERT_TRUE(lines || !ss->nr);
	for (size_t i = 0; i < ss->nr; i++) {
		const struct stack *st = &ss->stacks[i];
		const __u32 *ids = stack__ids(ss, st);

		strbuf__reset(&sb);
		for (__u32 k = 0; k < st->nr; k++) {
			const struct frame *f = &ss->frames[ids[k]];

			ASSERT_TRUE(ids[k] < ss->nr_frames);
			ASSERT_OK(strbuf__printf(&sb, "%s%d:%s:%s:%d:%d", k ? ";" : "", f->kind,
						 f->name, f->file ? f->file : "-", f->line,
						 f->func_line));
		}
		ASSERT_OK(strbuf__printf(&sb, " %llu\n", (unsigned long long)st->count));
		lines[i] = strndup(sb.buf, sb.len);
		ASSERT_TRUE(lines[i] != NULL);
	}
	qsort(lines, ss->nr, sizeof(*lines), cmp_str);
	for (size_t i = 0; i < ss->nr; i++) {
		ASSERT_OK(strbuf__puts(out, lines[i]));
		free(lines[i]);
	}
	ASSERT_OK(strbuf__append(out, "", 1));
	out->len--;
	free(lines);
	strbuf__done(&sb);
}

/* A PYPROF/2 snapshot's payload, decoded and written out by stacks_text(). */
static void ask_v2(struct world *w, const char *line, struct strbuf *text, struct stackset *ss)
{
	struct reply r;

	ask(w, line, &r);
	if (r.err)
		TEST_FAIL("%s: %s", line, r.msg);
	ASSERT_OK(wire__decode((const __u8 *)r.payload, r.len, ss));
	stacks_text(ss, text);
	reply_done(&r);
}

/* The kind numbers are wire.h's: 0 process, 1 python, 2 kernel, 5 thread. */
#define V2_ROOT "0:python3:-:-1:-1;"
#define V2_MAIN "1:main:app.py:10:1"

TEST(snapshot_v2_decodes_to_the_profile)
{
	struct stackset ss = { 0 };
	struct strbuf text = { 0 };
	char line[128];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	snprintf(line, sizeof(line), "PYPROF/2 snapshot pid=%d\n", PID_A);
	ask_v2(&w, line, &text, &ss);
	/* Every stack as recorded: thread frames kept, nothing merged, every field. */
	ASSERT_STREQ(text.buf, V2_ROOT "5::-:101:-1;" V2_MAIN ";1:idle:lib.py:-1:-1 1\n"
			       V2_ROOT "5::-:101:-1;" V2_MAIN ";1:work:app.py:20:15 3\n"
			       V2_ROOT "5::-:102:-1;" V2_MAIN ";1:work:app.py:20:15 2\n"
			       V2_ROOT "5::-:102:-1;" V2_MAIN ";2:do_syscall_64:-:-1:-1 4\n");
	ASSERT_EQ(ss.nr, 4);
	ASSERT_EQ(ss.nr_frames, 7);
	ASSERT_EQ(ss.total, 10);
	stackset__done(&ss);
	strbuf__reset(&text);
	snprintf(line, sizeof(line), "PYPROF/2 snapshot pid=%d seconds=300\n", PID_A);
	ask_v2(&w, line, &text, &ss);
	ASSERT_EQ(ss.nr, 5);
	ASSERT_EQ(ss.total, 17);
	ASSERT_TRUE(strstr(text.buf, V2_ROOT "5::-:101:-1;" V2_MAIN " 7\n") != NULL);
	stackset__done(&ss);
	strbuf__done(&text);
	world_done(&w);
}

/* Every record of a pid counts: the live process and the history of an earlier one. */
TEST(snapshot_merges_the_records_of_a_pid)
{
	struct pyproc *old, *live;
	struct frames f;
	char line[128];
	struct world w;

	world_init(&w);
	old = procs__restore(w.ps, &(struct procs_history){ .pid = PID_B, .start_time = 50,
							  .uid = getuid(), .comm = "python3",
							  .exe = PYTHON, .why = "" });
	ASSERT_TRUE(old != NULL);
	live = python_proc(&w, PID_B, "python3", 100);
	ASSERT_TRUE(live != old);
	fill_profile(live);
	intern_frames(old, &f);
	ADD(old, prof_time(now_ns()), 6, f.root, f.t2, f.main, f.work);
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_B);
	expect_ok(&w, line, "python3;main (app.py:10);do_syscall_64_[k] 4\n"
			    "python3;main (app.py:10);idle (lib.py) 1\n"
			    "python3;main (app.py:10);work (app.py:20) 11\n");
	world_done(&w);
}

static struct pyproc *drained_proc;

/* A sample the ring held when the request came. */
static void add_on_drain(void)
{
	struct frames f;

	intern_frames(drained_proc, &f);
	ADD(drained_proc, prof_time(now_ns()), 1, f.root, f.t1, f.main, f.idle);
}

TEST(snapshot_counts_what_the_ring_held)
{
	char line[128];
	struct world w;

	world_init(&w);
	drained_proc = python_proc(&w, PID_A, "python3", 100);
	fill_profile(drained_proc);
	fake_sampler.on_drain = add_on_drain;
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_A);
	expect_ok(&w, line, "python3;main (app.py:10);do_syscall_64_[k] 4\n"
			    "python3;main (app.py:10);idle (lib.py) 2\n"
			    "python3;main (app.py:10);work (app.py:20) 5\n");
	ASSERT_EQ(fake_sampler.drains, 1);
	world_done(&w);
}

/* A range=1 snapshot's from_ns and to_ns, checked to be within [t0, t1] for to_ns. */
static void ask_range(struct world *w, const char *line, const char *payload, long long *ret_from,
		      long long *ret_to)
{
	__u64 t0 = now_ns(), t1;
	struct reply r;

	ask(w, line, &r);
	t1 = now_ns();
	if (r.err)
		TEST_FAIL("%s: %s", line, r.msg);
	ASSERT_STREQ(r.payload, payload);
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", ret_from));
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "to_ns", ret_to));
	ASSERT_TRUE(*ret_to >= (long long)t0 && *ret_to <= (long long)t1);
	reply_done(&r);
}

/* The start of the bucket (config__bucket_ns()) holding monotonic time t, on the monotonic clock. */
static long long window_of(const struct world *w, __u64 t)
{
	__u64 b = config__bucket_ns(&w->cfg);

	return prof_to_mono(prof_time(t) / b * b);
}

TEST(snapshot_ranges_pick_the_windows)
{
	long long from, to;
	struct reply r;
	char line[128], want[512];
	struct world w;
	__u64 since;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	/* Without range=1 the header has no fields. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_A);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", &from), -ENOENT);
	reply_done(&r);

	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d range=1\n", PID_A);
	ask_range(&w, line, folded_recent, &from, &to);
	ASSERT_EQ(from, window_of(&w, to - 60 * NSEC_PER_SEC));

	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d seconds=300 range=1\n", PID_A);
	snprintf(want, sizeof(want), "python3;main (app.py:10) 7\n%s", folded_recent);
	ask_range(&w, line, want, &from, &to);
	ASSERT_EQ(from, window_of(&w, to - 300 * NSEC_PER_SEC));

	/* No earlier than the retention keeps. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d seconds=100000 range=1\n", PID_A);
	ask_range(&w, line, want, &from, &to);
	ASSERT_EQ(from, window_of(&w, to - 600 * NSEC_PER_SEC));

	/* since_ns: from that instant's window on (what top polls with). */
	since = now_ns() - 5 * NSEC_PER_SEC;
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d since_ns=%llu range=1\n", PID_A,
		 (unsigned long long)since);
	ask_range(&w, line, folded_recent, &from, &to);
	ASSERT_EQ(from, window_of(&w, since));
	since = now_ns() - 130 * NSEC_PER_SEC;
	snprintf(line, sizeof(line), "PYPROF/2 snapshot pid=%d since_ns=%llu range=1\n", PID_A,
		 (unsigned long long)since);
	{
		struct stackset ss = { 0 };

		ask(&w, line, &r);
		ASSERT_EQ(r.err, 0);
		ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", &from));
		ASSERT_EQ(from, window_of(&w, since));
		ASSERT_OK(wire__decode((const __u8 *)r.payload, r.len, &ss));
		ASSERT_EQ(ss.total, 17);
		stackset__done(&ss);
		reply_done(&r);
	}
	world_done(&w);
}

/* from_wall_ns/to_wall_ns: exactly the buckets inside, the range stated on both clocks. */
TEST(snapshot_takes_wall_clock_ranges)
{
	__u64 now = prof_time(now_ns()), old = now - 120 * NSEC_PER_SEC;
	long long from = 0, to = 0, wfrom = 0, wto = 0;
	struct reply r;
	char line[192];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	/* The second holding the old sample, alone. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d from_wall_ns=%llu to_wall_ns=%llu "
		 "range=1\n", PID_A, (unsigned long long)(old / NSEC_PER_SEC * NSEC_PER_SEC),
		 (unsigned long long)(old / NSEC_PER_SEC * NSEC_PER_SEC + NSEC_PER_SEC));
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_STREQ(r.payload, "python3;main (app.py:10) 7\n");
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "from_wall_ns", &wfrom));
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "to_wall_ns", &wto));
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", &from));
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "to_ns", &to));
	ASSERT_EQ(wto - wfrom, (long long)NSEC_PER_SEC);
	ASSERT_EQ(to - from, (long long)NSEC_PER_SEC);
	ASSERT_EQ(from, prof_to_mono((__u64)wfrom));
	reply_done(&r);
	/* The seconds after it and before now: nothing. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d from_wall_ns=%llu to_wall_ns=%llu\n",
		 PID_A, (unsigned long long)(old / NSEC_PER_SEC * NSEC_PER_SEC + NSEC_PER_SEC),
		 (unsigned long long)(now - 5 * NSEC_PER_SEC));
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_STREQ(r.payload, "");
	reply_done(&r);
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d from_wall_ns=5 to_wall_ns=5\n", PID_A);
	expect_err(&w, line, EINVAL,
		   "invalid to_wall_ns (wall-clock ns since the epoch, after from_wall_ns)");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d from_wall_ns=%llu\n", PID_A,
		 (unsigned long long)(now + 3600 * NSEC_PER_SEC));
	expect_err(&w, line, EINVAL,
		   "invalid from_wall_ns (wall-clock ns since the epoch, not in the future)");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d from_wall_ns=5 seconds=5\n", PID_A);
	expect_err(&w, line, EINVAL, "from_wall_ns/to_wall_ns exclude seconds and since_ns");
	world_done(&w);
}

TEST(snapshot_states_its_period_when_asked)
{
	long long period = 0, from;
	struct reply r;
	char line[128];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	/* 99 Hz: the kernel's cpu-clock period, NSEC_PER_SEC / 99 ns per sample. */
	snprintf(line, sizeof(line), "PYPROF/3 snapshot pid=%d period=1\n", PID_A);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "period_ns", &period));
	ASSERT_EQ(period, 10101010);
	ASSERT_EQ(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", &from), -ENOENT);
	reply_done(&r);
	snprintf(line, sizeof(line), "PYPROF/3 snapshot pid=%d range=1 period=1\n", PID_A);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "period_ns", &period));
	ASSERT_OK(proto__reply_field(r.raw.buf, r.hdr_len, "from_ns", &from));
	reply_done(&r);
	snprintf(line, sizeof(line), "PYPROF/3 snapshot pid=%d range=1\n", PID_A);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(proto__reply_field(r.raw.buf, r.hdr_len, "period_ns", &period), -ENOENT);
	reply_done(&r);
	snprintf(line, sizeof(line), "PYPROF/3 snapshot pid=%d period=yes\n", PID_A);
	expect_err(&w, line, EINVAL, "period must be 0 or 1");
	world_done(&w);
}

TEST(snapshot_and_dump_argument_errors)
{
	char line[160];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	expect_err(&w, "PYPROF/1 snapshot\n", EINVAL, "pid is required");
	expect_err(&w, "PYPROF/1 snapshot pid=0\n", EINVAL, "invalid pid");
	expect_err(&w, "PYPROF/1 snapshot pid=x1\n", EINVAL, "invalid pid");
	expect_err(&w, "PYPROF/2 dump pid=-1\n", EINVAL, "invalid pid");
	expect_err(&w, "PYPROF/1 dump\n", EINVAL, "pid is required");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d seconds=0\n", PID_A);
	expect_err(&w, line, EINVAL, "invalid seconds");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d range=2\n", PID_A);
	expect_err(&w, line, EINVAL, "range must be 0 or 1");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d since_ns=%llu\n", PID_A,
		 (unsigned long long)(now_ns() + 3600 * NSEC_PER_SEC));
	expect_err(&w, line, EINVAL,
		   "invalid since_ns (a CLOCK_MONOTONIC time, not in the future)");
	/* until_ns is gone (a closed range is to_wall_ns's): unknown, as any other key. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d since_ns=1 until_ns=2\n", PID_A);
	expect_err(&w, line, EINVAL, "unknown argument 'until_ns' for 'snapshot'");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d since_ns=1 seconds=5\n", PID_A);
	expect_err(&w, line, EINVAL, "seconds and since_ns exclude each other");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d color=red\n", PID_A);
	{
		struct reply r;

		ask(&w, line, &r);
		ASSERT_EQ(r.err, -EINVAL);
		ASSERT_TRUE(strstr(r.msg, "color") != NULL);
		reply_done(&r);
	}
	expect_err(&w, "PYPROF/1 list all=2\n", EINVAL, "all must be 0 or 1");
	expect_err(&w, "PYPROF/1 frobnicate\n", EOPNOTSUPP, "unknown verb 'frobnicate'");
	world_done(&w);
}

TEST(unknown_pids_get_the_one_no_process_error)
{
	char line[128], msg[128];
	struct world w;

	world_init(&w);
	fill_profile(python_proc(&w, PID_A, "python3", 100));
	if (getuid() == 0) {
		/* Root sees every process: told apart are not there and not Python. */
		snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_NONE);
		snprintf(msg, sizeof(msg), "no process %d and no history for it", PID_NONE);
		expect_err(&w, line, ESRCH, msg);
		snprintf(line, sizeof(line), "PYPROF/2 dump pid=%d\n", PID_NONE);
		snprintf(msg, sizeof(msg), "no process %d", PID_NONE);
		expect_err(&w, line, ESRCH, msg);
	} else {
		/* Not there, and another user's Python process: one answer. */
		struct pyproc *theirs = python_proc(&w, PID_B, "python3", 100);
		const int pids[] = { PID_NONE, PID_B };

		fill_profile(theirs);
		theirs->uid = getuid() + 1;
		for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
			snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", pids[i]);
			snprintf(msg, sizeof(msg), "no process %d of yours and no history for it",
				 pids[i]);
			expect_err(&w, line, ESRCH, msg);
		}
	}
	/* The test itself: alive, ours, not Python. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", (int)getpid());
	snprintf(msg, sizeof(msg), "process %d is not a Python process pyprofd profiles",
		 (int)getpid());
	expect_err(&w, line, ENOENT, msg);
	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", (int)getpid());
	expect_err(&w, line, ENOENT, msg);
	world_done(&w);
}

/*
 * An unprivileged client gets one answer for "no such process", "not
 * yours" and "another user's Python process", and sees only its own in
 * list and status.  Needs root, to connect as another uid.
 */
TEST(unprivileged_clients_see_only_their_own)
{
	struct pyproc *theirs, *mine;
	char line[128], msg[128];
	const int pids[] = { PID_NONE, PID_A, 1 };
	struct reply r;
	struct world w;

	if (getuid() != 0)
		TEST_SKIP("needs root to connect as uid %d", NOBODY);
	world_init(&w);
	theirs = python_proc(&w, PID_A, "python3", 100);
	fill_profile(theirs);
	mine = python_proc(&w, PID_B, "python3", 100);
	fill_profile(mine);
	mine->uid = NOBODY;
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", pids[i]);
		snprintf(msg, sizeof(msg), "no process %d of yours and no history for it", pids[i]);
		expect_err_on(&w, connect_as(&w, NOBODY), line, ESRCH, msg);
		snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", pids[i]);
		snprintf(msg, sizeof(msg), "no process %d of yours", pids[i]);
		expect_err_on(&w, connect_as(&w, NOBODY), line, ESRCH, msg);
	}
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_B);
	ask_on(&w, connect_as(&w, NOBODY), line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_STREQ(r.payload, folded_recent);
	reply_done(&r);

	ask_on(&w, connect_as(&w, NOBODY), "PYPROF/1 list\n", &r);
	ASSERT_EQ(r.err, 0);
	snprintf(line, sizeof(line), "\n%d\t", PID_B);
	ASSERT_TRUE(strstr(r.payload, line) != NULL);
	snprintf(line, sizeof(line), "\n%d\t", PID_A);
	ASSERT_TRUE(strstr(r.payload, line) == NULL);
	reply_done(&r);

	ask_on(&w, connect_as(&w, NOBODY), "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.payload, "\nprocesses_live 1\n") != NULL);
	ASSERT_TRUE(strstr(r.payload, "\nsamples_profiled 0\n") != NULL);
	/* Host-wide counts are for root and the group. */
	ASSERT_TRUE(strstr(r.payload, "samples_received") == NULL);
	ASSERT_TRUE(strstr(r.payload, "fake_counter_0") == NULL);
	reply_done(&r);
	world_done(&w);
}

TEST(dump_replies_what_the_dump_gives)
{
	char line[128], msg[128], want[128];
	struct world w;

	world_init(&w);
	python_proc(&w, PID_A, "python3", 100);
	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", PID_A);
	snprintf(want, sizeof(want), "Thread %d (idle)\n    main (app.py:10)\n", PID_A);
	expect_ok(&w, line, want);
	ASSERT_EQ(dump.pid, PID_A);
	dump.err = -ESRCH;
	snprintf(msg, sizeof(msg), "process %d has exited", PID_A);
	expect_err(&w, line, ESRCH, msg);
	dump.err = -EFAULT;
	snprintf(msg, sizeof(msg), "process %d: its interpreter state is unreadable", PID_A);
	expect_err(&w, line, EFAULT, msg);
	dump.err = -ENOMEM;
	expect_err(&w, line, ENOMEM, "dump failed: Cannot allocate memory");
	world_done(&w);
}

/* Live records unless all=1; one row each, the fields in order and escaped. */
TEST(list_rows)
{
	static const struct proclabel a_labels[] = { { "cgroup", "/a,b=c\tx\ny" },
						     { "unit", "a.service" } };
	struct pyproc *a, *b, *c;
	char want[1024], v[32], line[64];
	struct reply r;
	struct world w;

	world_init(&w);
	a = python_proc(&w, PID_A, "python3", 100);
	ASSERT_OK(symbolize__add_samples(a, 17));
	/* Labels from another user's cgroup names: escaped into one field. */
	ASSERT_OK(proclabel__dup_set(a_labels, 2, &a->labels, &a->nr_labels));
	b = python_proc(&w, PID_B, "worker", 100);
	/* What another user's program may call itself: no column or row may be forged. */
	snprintf(b->comm, sizeof(b->comm), "evil\tx\ny");
	b->info.supported = false;
	snprintf(b->info.why, sizeof(b->info.why), "no layout for this build");
	c = python_proc(&w, PID_C, "python3", 100);
	procs__exited(w.ps, PID_C, now_ns());
	ASSERT_TRUE(!c->live);
	pyinterp__version_str(a->info.version_hex, v, sizeof(v));
	snprintf(want, sizeof(want),
		 "PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\tLABELS\n"
		 "%d\t%s\tprofiled\t17\tpython3\t%s\t\tcgroup=/a\\,b\\=c\\tx\\ny,unit=a.service\n"
		 "%d\t%s\tunsupported\t0\tevil\\x09x\\x0ay\t%s\tno layout for this build\t\n",
		 PID_A, v, PYTHON, PID_B, v, PYTHON);
	expect_ok(&w, "PYPROF/1 list\n", want);
	expect_ok(&w, "PYPROF/2 list all=0\n", want);
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
		 "%d\t%s\texited\t0\tpython3\t%s\t\t\n", PID_C, v, PYTHON);
	expect_ok(&w, "PYPROF/1 list all=1\n", want);

	/* The unsupported process: snapshot and dump say why instead. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_B);
	snprintf(want, sizeof(want), "process %d is not profiled: no layout for this build", PID_B);
	expect_err(&w, line, EPROTONOSUPPORT, want);
	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", PID_B);
	expect_err(&w, line, EPROTONOSUPPORT, want);
	/* The exited one: its history, but no dump. */
	fill_profile(c);
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d\n", PID_C);
	expect_ok(&w, line, folded_recent);
	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", PID_C);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, -ESRCH);
	reply_done(&r);
	world_done(&w);
}

/* Writes the fake process's /proc/PID/cmdline: len raw bytes, NULs and all. */
static void put_cmdline(struct world *w, int pid, const char *raw, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/cmdline", w->fp.root, pid);
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(fwrite(raw, 1, len, f), len);
	ASSERT_EQ(fclose(f), 0);
}

/* Field col (0-based) of the row of pid in list's table, NUL-terminated into buf. */
static const char *list_cell(const char *table, int pid, int col, char *buf, size_t sz)
{
	char start[24];
	const char *row, *end;

	snprintf(start, sizeof(start), "\n%d\t", pid);
	row = strstr(table, start);
	ASSERT_TRUE(row != NULL);
	row++;
	for (int i = 0; i < col; i++) {
		row = strchr(row, '\t');
		ASSERT_TRUE(row != NULL);
		row++;
	}
	end = row + strcspn(row, "\t\n");
	ASSERT_TRUE((size_t)(end - row) < sz);
	memcpy(buf, row, (size_t)(end - row));
	buf[end - row] = '\0';
	return buf;
}

/*
 * identity=1: uid, start, CPU share of the last minute (on-CPU samples only)
 * and the command line, escaped, cut at its limit; empty where /proc had none.
 */
TEST(list_identity)
{
	static const char hostile[] = "python3\0-c\0print(1)\x1b[2J\n\t\xff\0";
	char *big = malloc(10000), cell[8192], want[PROCIDENT_CMDLINE_MAX + 8];
	__u64 start_want, now;
	long long v;
	struct pyproc *a;
	struct reply r;
	struct world w;
	struct frames f;

	ASSERT_TRUE(big != NULL);
	world_init(&w);
	fakeproc__add(&w.fp, PID_A, "python3", 100, PYTHON);
	put_cmdline(&w, PID_A, hostile, sizeof(hostile) - 1);
	ASSERT_OK(fakeproc__discover(w.ps, PID_A));
	fakeproc__add(&w.fp, PID_B, "python3", 100, PYTHON);
	ASSERT_OK(fakeproc__discover(w.ps, PID_B));
	memset(big, 'a', 10000);
	fakeproc__add(&w.fp, PID_C, "python3", 100, PYTHON);
	put_cmdline(&w, PID_C, big, 10000);
	ASSERT_OK(fakeproc__discover(w.ps, PID_C));
	a = procs__find_live(w.ps, PID_A);
	ASSERT_TRUE(a != NULL);
	/* Found 30 s ago; half a CPU since (99 Hz), and off-CPU time that is no CPU share. */
	now = now_ns();
	a->first_ts = now - 30 * NSEC_PER_SEC;
	intern_frames(a, &f);
	ADD(a, prof_time(now), 99 * 15, f.root, f.t1, f.main, f.work);
	{
		const __u32 ids[] = { f.root, f.t1, f.main, f.idle };

		ASSERT_OK(profile__add(a->profile, prof_time(now), SAMPLE_OFF_CPU, ids, 4,
				       1000 * NSEC_PER_SEC));
	}
	/* As the daemon computes it: 100 ticks (1 s at 100 Hz) after boot. */
	start_want = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME) +
		     100 * (NSEC_PER_SEC / (__u64)sysconf(_SC_CLK_TCK));

	ask(&w, "PYPROF/1 list identity=1\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strncmp(r.payload,
			    "PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\tLABELS\tUID\t"
			    "START_NS\tCPU_PERMILLE\tCMDLINE\n", 80) == 0);
	ASSERT_EQ(atoll(list_cell(r.payload, PID_A, 8, cell, sizeof(cell))), getuid());
	v = atoll(list_cell(r.payload, PID_A, 9, cell, sizeof(cell)));
	ASSERT_TRUE(v > (long long)start_want - 50 * (long long)NSEC_PER_MSEC &&
		    v < (long long)start_want + 50 * (long long)NSEC_PER_MSEC);
	v = atoll(list_cell(r.payload, PID_A, 10, cell, sizeof(cell)));
	ASSERT_TRUE(v >= 495 && v <= 500);
	ASSERT_STREQ(list_cell(r.payload, PID_A, 11, cell, sizeof(cell)),
		     "python3 -c print(1)\\x1b[2J\\x0a\\x09\\xff");
	/* Found just now, no samples: 0; no cmdline file: an empty field, not an error. */
	ASSERT_STREQ(list_cell(r.payload, PID_B, 10, cell, sizeof(cell)), "0");
	ASSERT_STREQ(list_cell(r.payload, PID_B, 11, cell, sizeof(cell)), "");
	memset(want, 'a', PROCIDENT_CMDLINE_MAX);
	snprintf(want + PROCIDENT_CMDLINE_MAX, 8, "%s", PROCIDENT_CUT_MARK);
	ASSERT_STREQ(list_cell(r.payload, PID_C, 11, cell, sizeof(cell)), want);
	reply_done(&r);

	/* Exited: what was known stays, the share that of its last minute. */
	procs__exited(w.ps, PID_A, now + NSEC_PER_SEC);
	ask(&w, "PYPROF/1 list identity=1 all=1\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_STREQ(list_cell(r.payload, PID_A, 2, cell, sizeof(cell)), "exited");
	v = atoll(list_cell(r.payload, PID_A, 10, cell, sizeof(cell)));
	ASSERT_TRUE(v >= 480 && v <= 484); /* 15 s of CPU in 31 s */
	ASSERT_STREQ(list_cell(r.payload, PID_A, 11, cell, sizeof(cell)),
		     "python3 -c print(1)\\x1b[2J\\x0a\\x09\\xff");
	reply_done(&r);
	expect_err(&w, "PYPROF/1 list identity=2\n", EINVAL, "identity must be 0 or 1");
	free(big);
	world_done(&w);
}

static const char *const status_keys[] = {
	"version", "abi", "rate_hz", "window_s", "retention_s", "uptime_s", "processes_live",
	"processes_exited", "samples_profiled", "code_objects_gone", "code_objects_from_snapshots",
	NULL,
};

static const char *const status_privileged_keys[] = {
	"cpus_sampled", "samples_received", "samples_unknown_pid", "events_exec", "events_exit",
	"events_pyinit", "requests", "clients_connected", "clients_rejected",
	"replies_refused_memory", "reply_bytes_queued", "bpf_prog_run_time_ns",
	"bpf_prog_run_cnt", "bpf_procs_entries", "bpf_tstates_entries", "daemon_rss_kb",
	"daemon_fds", "profile_bytes", "code_objects_cached", "tstate_seeds", "tstate_seeded",
	"tstate_seed_errors", "tstate_seed_rewalks", "tstate_seed_us", "thread_names_known",
	"thread_name_reads", "thread_names_unreadable", "thread_name_reads_failed",
	"thread_name_reads_corrupt", "discovered_scan",
	"discovered_exec", "discovered_pending", "discovered_pyinit", "discovered_fork",
	"discovered_dlopen", "events_dlopen", "elf_analysed", "elf_analysing", "elf_rejected",
	"elf_too_big", "elf_failed", "state_dir", "state_write_errors", "state_files_skipped",
	"offcpu", "offcpu_min_ns", "offcpu_sample_ns", "offcpu_mark_errors", "bpf_switch_run_time_ns",
	"bpf_switch_run_cnt", "bpf_resume_run_time_ns", "bpf_resume_run_cnt", "native",
	"native_copies_received", "native_copies_malformed", "native_copies_orphaned",
	"native_unwound", "native_truncated", "native_unmatched", "native_no_elf",
	"native_too_deep", "native_unwind_ns", "native_symtabs_read", "native_symtabs_shared",
	"native_symtabs_debug",
	NULL,
};

/* The value of status line "key value" in text, or NULL; each key once. */
static const char *status_value(const char *text, const char *key, char *buf, size_t sz)
{
	size_t k = strlen(key);
	const char *found = NULL;

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		ASSERT_TRUE(strchr(l, '\n') != NULL);
		if (strncmp(l, key, k) == 0 && l[k] == ' ') {
			ASSERT_TRUE(found == NULL);
			found = l + k + 1;
		}
	}
	if (!found)
		return NULL;
	snprintf(buf, sz, "%.*s", (int)(strchr(found, '\n') - found), found);
	return buf;
}

TEST(status_keys)
{
	char buf[64], key[32];
	struct pyproc *p;
	struct reply r;
	struct world w;
	size_t lines = 0;

	world_init(&w);
	p = python_proc(&w, PID_A, "python3", 100);
	ASSERT_OK(symbolize__add_samples(p, 42));
	python_proc(&w, PID_B, "python3", 100);
	procs__exited(w.ps, PID_B, now_ns());
	ask(&w, "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	for (size_t i = 0; status_keys[i]; i++)
		if (!status_value(r.payload, status_keys[i], buf, sizeof(buf)))
			TEST_FAIL("no %s in status", status_keys[i]);
	for (const char *l = r.payload; *l; l = strchr(l, '\n') + 1)
		lines++;
	ASSERT_STREQ(status_value(r.payload, "rate_hz", buf, sizeof(buf)), "99");
	ASSERT_STREQ(status_value(r.payload, "window_s", buf, sizeof(buf)), "10");
	ASSERT_STREQ(status_value(r.payload, "retention_s", buf, sizeof(buf)), "600");
	ASSERT_STREQ(status_value(r.payload, "processes_live", buf, sizeof(buf)), "1");
	ASSERT_STREQ(status_value(r.payload, "processes_exited", buf, sizeof(buf)), "1");
	ASSERT_STREQ(status_value(r.payload, "samples_profiled", buf, sizeof(buf)), "42");
	if (getuid() == 0) {
		for (size_t i = 0; status_privileged_keys[i]; i++)
			if (!status_value(r.payload, status_privileged_keys[i], buf, sizeof(buf)))
				TEST_FAIL("no %s in status", status_privileged_keys[i]);
		/* From the sampler: its counters by the names it gives them. */
		ASSERT_STREQ(status_value(r.payload, "cpus_sampled", buf, sizeof(buf)), "3");
		ASSERT_STREQ(status_value(r.payload, "samples_received", buf, sizeof(buf)), "1234");
		for (int k = 0; k < PYPROF_CNT__MAX; k++) {
			snprintf(key, sizeof(key), "fake_counter_%d", k);
			snprintf(buf + 32, 32, "%d", 100 + k);
			ASSERT_STREQ(status_value(r.payload, key, buf, 32), buf + 32);
		}
		ASSERT_STREQ(status_value(r.payload, "discovered_scan", buf, sizeof(buf)), "2");
		ASSERT_STREQ(status_value(r.payload, "state_dir", buf, sizeof(buf)), "-");
		ASSERT_STREQ(status_value(r.payload, "offcpu", buf, sizeof(buf)), "on");
		ASSERT_STREQ(status_value(r.payload, "offcpu_min_ns", buf, sizeof(buf)), "1000000");
		ASSERT_STREQ(status_value(r.payload, "offcpu_sample_ns", buf, sizeof(buf)), "5000000");
		/* Nothing but those. */
		ASSERT_EQ(lines, sizeof(status_keys) / sizeof(status_keys[0]) - 1 +
					 sizeof(status_privileged_keys) /
						 sizeof(status_privileged_keys[0]) - 1 +
					 PYPROF_CNT__MAX);
	} else {
		ASSERT_EQ(lines, sizeof(status_keys) / sizeof(status_keys[0]) - 1);
	}
	reply_done(&r);
	expect_err(&w, "PYPROF/1 status verbose=1\n", EINVAL,
		   "unknown argument 'verbose' for 'status'");
	world_done(&w);
}

/* A fake peer: uid, primary gid, and supplementary groups (up to 4; 0 ends them). */
static struct server_peer peer(uid_t uid, gid_t gid, gid_t g1, gid_t g2)
{
	struct server_peer p = { .uid = uid, .gid = gid, .pid = getpid() };

	if (g1)
		p.groups[p.nr_groups++] = g1;
	if (g2)
		p.groups[p.nr_groups++] = g2;
	return p;
}

/* A connection the server has taken in, as p's (world_start(w, true)). */
static int connect_peer(struct world *w, struct server_peer p)
{
	int fd;

	fake.next = p;
	fd = connect_self(w);
	/* Connected, so the listening socket is readable: this accepts it (or refuses it). */
	serve(w, 1000);
	return fd;
}

/* What the server said at once to a connection: "" when it took it, else its refusal. */
static const char *greeting(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	ASSERT_TRUE(n > 0 || (n < 0 && errno == EAGAIN));
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* An existing group: its name into name, its gid returned.  Skips the test if there is none. */
static gid_t some_group(char *name, size_t size)
{
	struct group *gr;

	setgrent();
	while ((gr = getgrent()) && gr->gr_gid == 0)
		;
	if (gr)
		snprintf(name, size, "%s", gr->gr_name);
	endgrent();
	if (!gr)
		TEST_SKIP("no group but root's in the group database");
	return gr->gr_gid;
}

#define ROOT ((struct server_peer){ 0 })	/* uid 0, gid 0, no groups */
#define UID_A 60001	/* fake peers' uids: the record of PID_A is UID_A's, PID_B's UID_B's */
#define UID_B 60002
#define UID_X 60003	/* no record's */

/* Whether p, asking list, sees the records of PID_A and PID_B, and status's host-wide part. */
static void expect_view(struct world *w, struct server_peer p, bool a, bool b, bool host)
{
	char row[32];
	struct reply r;

	ask_on(w, connect_peer(w, p), "PYPROF/1 list\n", &r);
	ASSERT_EQ(r.err, 0);
	snprintf(row, sizeof(row), "\n%d\t", PID_A);
	ASSERT_EQ(strstr(r.payload, row) != NULL, a);
	snprintf(row, sizeof(row), "\n%d\t", PID_B);
	ASSERT_EQ(strstr(r.payload, row) != NULL, b);
	reply_done(&r);
	ask_on(w, connect_peer(w, p), "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(strstr(r.payload, "\nsamples_received ") != NULL, host);
	reply_done(&r);
}

/*
 * A client whose primary or a supplementary group is the configured group
 * is privileged, as root is; anyone else sees only its own processes.
 */
TEST(group_members_are_privileged)
{
	char group[256];
	struct world w;
	gid_t g, other;

	world_start(&w, true);
	g = some_group(group, sizeof(group));
	other = g + 1000;
	w.cfg.group = group;	/* the server reads its config at each connection */
	/* As discovery would have read them from /proc/PID/status. */
	python_proc(&w, PID_A, "python3", 100)->uid = UID_A;
	python_proc(&w, PID_B, "python3", 100)->uid = UID_B;

	expect_view(&w, ROOT, true, true, true);
	expect_view(&w, peer(UID_A, other, 0, 0), true, false, false);
	expect_view(&w, peer(UID_B, other, other + 1, 0), false, true, false);
	expect_view(&w, peer(UID_X, other, other + 1, other + 2), false, false, false);
	expect_view(&w, peer(UID_X, g, 0, 0), true, true, true);
	expect_view(&w, peer(UID_A, other, other + 1, g), true, true, true);
	expect_view(&w, peer(UID_X, other, g, 0), true, true, true);
	/* Without the group configured to exist, membership is nothing. */
	w.cfg.group = "pyprof-test-no-such-group";
	expect_view(&w, peer(UID_X, g, g, 0), false, false, false);
	world_done(&w);
}

#define MAX_CLIENTS 64		/* server.c's table, of which */
#define RESERVED_CLIENTS 8	/* only root and the group may take these, and */
#define CLIENTS_PER_UID 16	/* no uid more than this */

/* n connections of p that the server takes; their fds into fds[*nr]. */
static void take(struct world *w, struct server_peer p, int n, int *fds, int *nr)
{
	char buf[128];

	for (int i = 0; i < n; i++) {
		fds[*nr] = connect_peer(w, p);
		if (*greeting(fds[*nr], buf, sizeof(buf)))
			TEST_FAIL("connection %d of uid %u refused: %s", *nr, p.uid, buf);
		(*nr)++;
	}
}

/* Connections of unprivileged uids from uid on, 16 each, until there are n in fds. */
static void take_many(struct world *w, uid_t uid, int n, int *fds, int *nr)
{
	for (uid_t u = uid; *nr < n; u++)
		take(w, peer(u, u, 0, 0), n - *nr < CLIENTS_PER_UID ? n - *nr : CLIENTS_PER_UID,
		     fds, nr);
}

/* One connection of p that the server must refuse with this line. */
static void refused(struct world *w, struct server_peer p, const char *why)
{
	char buf[128];
	int fd = connect_peer(w, p);

	ASSERT_STREQ(greeting(fd, buf, sizeof(buf)), why);
	close(fd);
}

/* Closes fd and lets the server see the hang-up. */
static void hang_up(struct world *w, int fd)
{
	close(fd);
	serve(w, 100);
}

TEST(client_limits)
{
	static const char busy[] = "ERR EBUSY too many clients\n";
	int fds[MAX_CLIENTS + 1], nr = 0;
	char group[256], line[64];
	struct server_peer member;
	struct reply r;
	struct world w;
	gid_t g;

	world_start(&w, true);
	g = some_group(group, sizeof(group));
	w.cfg.group = group;
	member = peer(UID_X + 100, UID_X + 100, g, 0);
	/* Privileged clients do not use up the unprivileged ones' slots. */
	take(&w, ROOT, 2, fds, &nr);
	take(&w, member, 1, fds, &nr);
	/* 16 per uid... */
	take(&w, peer(UID_A, UID_A, 0, 0), CLIENTS_PER_UID, fds, &nr);
	refused(&w, peer(UID_A, UID_A, 0, 0), "ERR EBUSY too many clients of this user\n");
	/* ...and 56 unprivileged in all, whoever they are. */
	take_many(&w, UID_A + 1, 3 + MAX_CLIENTS - RESERVED_CLIENTS, fds, &nr);
	refused(&w, peer(UID_X + 50, UID_X + 50, 0, 0), busy);
	/* The rest are root's and the group's, up to 64. */
	take(&w, member, RESERVED_CLIENTS - 4, fds, &nr);
	take(&w, ROOT, 1, fds, &nr);
	ASSERT_EQ(nr, MAX_CLIENTS);
	refused(&w, ROOT, busy);
	refused(&w, member, busy);
	/* One unprivileged client gone: another may come. */
	hang_up(&w, fds[--nr]);
	hang_up(&w, fds[3]);
	fds[3] = fds[--nr];
	take(&w, peer(UID_X + 50, UID_X + 50, 0, 0), 1, fds, &nr);
	/* Every refusal counted. */
	hang_up(&w, fds[--nr]);
	ask_on(&w, connect_peer(&w, ROOT), "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	snprintf(line, sizeof(line), "\nclients_connected %d\nclients_rejected 4\n", nr + 1);
	ASSERT_TRUE(strstr(r.payload, line) != NULL);
	reply_done(&r);
	while (nr)
		close(fds[--nr]);
	world_done(&w);
}

/* Whether the server has shut fd down (its deadline passed), or keeps it open. */
static bool shut_down(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	ASSERT_TRUE(n == 0 || (n < 0 && errno == EAGAIN));
	return n == 0;
}

/* 10 s to send a request; 1 s once half the 64 slots are taken. */
TEST(client_deadlines)
{
	int fds[MAX_CLIENTS / 2], nr = 0;
	struct world w;

	world_start(&w, true);
	take(&w, peer(UID_A, UID_A, 0, 0), 1, fds, &nr);
	fake.ahead_ns = 9900 * NSEC_PER_MSEC;
	server__tick(w.srv);
	ASSERT_TRUE(!shut_down(fds[0]));
	fake.ahead_ns = 10100 * NSEC_PER_MSEC;
	server__tick(w.srv);
	ASSERT_TRUE(shut_down(fds[0]));
	hang_up(&w, fds[--nr]);

	/* 31 clients: the deadline stays 10 s. */
	fake.ahead_ns = 0;
	take_many(&w, UID_A, MAX_CLIENTS / 2 - 1, fds, &nr);
	fake.ahead_ns = 1500 * NSEC_PER_MSEC;
	server__tick(w.srv);
	for (int i = 0; i < nr; i++)
		ASSERT_TRUE(!shut_down(fds[i]));
	/* The 32nd: every client has 1 s from its connection, the new one too. */
	take(&w, peer(UID_B + 100, UID_B + 100, 0, 0), 1, fds, &nr);
	server__tick(w.srv);
	for (int i = 0; i < nr - 1; i++)
		ASSERT_TRUE(shut_down(fds[i]));
	ASSERT_TRUE(!shut_down(fds[nr - 1]));
	fake.ahead_ns = 2600 * NSEC_PER_MSEC;
	server__tick(w.srv);
	ASSERT_TRUE(shut_down(fds[nr - 1]));
	while (nr)
		hang_up(&w, fds[--nr]);
	world_done(&w);
}

#define MiB (1u << 20)

/*
 * A dump request of p for pid, answered with size bytes that the client
 * does not read: the server holds what the socket does not take (all but a
 * few hundred KiB).  Returns the connection.
 */
static int hold_reply(struct world *w, struct server_peer p, int pid, size_t size)
{
	__u64 deadline = now_ns() + REPLY_WAIT_NS;
	unsigned int calls = dump.calls;
	char line[64];
	int fd = connect_peer(w, p);

	dump.size = size;
	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", pid);
	ASSERT_EQ(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	while (dump.calls == calls) {
		ASSERT_TRUE(now_ns() < deadline);
		serve(w, 10);
	}
	dump.size = 0;
	return fd;
}

/*
 * p's dump request for pid must be refused for the reply budget, before the
 * dump is made, the reply saying how many MiB are held in all.
 */
static void over_budget(struct world *w, struct server_peer p, int pid, size_t total_mib)
{
	unsigned int calls = dump.calls;
	size_t mine, total;
	char line[64];
	struct reply r;

	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", pid);
	ask_on(w, connect_peer(w, p), line, &r);
	ASSERT_EQ(r.err, -EBUSY);
	ASSERT_EQ(sscanf(r.msg,
			 "too many replies not yet read (%zu MiB of this user's, %zu MiB in all)",
			 &mine, &total),
		  2);
	ASSERT_EQ(total, total_mib);
	ASSERT_EQ(dump.calls, calls);
	reply_done(&r);
}

/* p's dump request for pid is answered in full. */
static void within_budget(struct world *w, struct server_peer p, int pid)
{
	char line[64];
	struct reply r;

	snprintf(line, sizeof(line), "PYPROF/1 dump pid=%d\n", pid);
	ask_on(w, connect_peer(w, p), line, &r);
	ASSERT_EQ(r.err, 0);
	reply_done(&r);
}

/* The reply bytes the server holds, as root's status says. */
static size_t queued(struct world *w)
{
	struct reply r;
	char buf[32];
	long long n;

	ask_on(w, connect_peer(w, ROOT), "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(status_value(r.payload, "reply_bytes_queued", buf, sizeof(buf)) != NULL);
	ASSERT_OK(parse_int_range(buf, 0, 1ll << 40, &n));
	reply_done(&r);
	return (size_t)n;
}

/*
 * A reply of p held (hold_reply()) that brings what the server holds to
 * target, less what the socket took: between target - 512 KiB and target
 * (checked unless over the total budget, where status is refused too).
 */
static int hold_to(struct world *w, struct server_peer p, int pid, size_t target)
{
	size_t before = queued(w), after;
	int fd;

	ASSERT_TRUE(before + 64 < target);
	fd = hold_reply(w, p, pid, target - before - 64);
	if (target >= 256 * MiB)
		return fd;
	after = queued(w);
	if (after > target || after <= target - MiB / 2)
		TEST_FAIL("%zu bytes held, not within 512 KiB under %zu", after, target);
	return fd;
}

/*
 * Reply bytes built and not yet read: 32 MiB per unprivileged uid, 192 MiB
 * for all unprivileged clients, 256 MiB in all; a request over its budget
 * is refused with EBUSY before its reply is built.  Each limit is checked
 * from a quarter MiB under it (allowed) and a quarter over (refused).
 */
TEST(reply_budgets)
{
	int held[16], nr = 0, pid[8];
	struct reply r;
	struct world w;

	world_start(&w, true);
	/* Each uid's own process to dump: uid UID_A + i has pid[i]. */
	for (int i = 0; i < 8; i++) {
		pid[i] = PID_A + i;
		python_proc(&w, pid[i], "python3", 100)->uid = UID_A + i;
	}
	/* Under the uid's 32 MiB, one more reply is built, then none; another uid's still is. */
	held[nr++] = hold_to(&w, peer(UID_A, UID_A, 0, 0), pid[0], 32 * MiB - MiB / 4);
	held[nr++] = hold_to(&w, peer(UID_A, UID_A, 0, 0), pid[0], 32 * MiB + MiB / 2);
	over_budget(&w, peer(UID_A, UID_A, 0, 0), pid[0], 32);
	within_budget(&w, peer(UID_A + 1, UID_A + 1, 0, 0), pid[1]);
	/* Likewise at 192 MiB of every unprivileged uid's, while root's are still built. */
	held[nr++] = hold_to(&w, peer(UID_A + 1, UID_A + 1, 0, 0), pid[1], 100 * MiB);
	held[nr++] = hold_to(&w, peer(UID_A + 2, UID_A + 2, 0, 0), pid[2], 192 * MiB - MiB / 4);
	held[nr++] = hold_to(&w, peer(UID_A + 3, UID_A + 3, 0, 0), pid[3], 192 * MiB + MiB / 2);
	over_budget(&w, peer(UID_A + 4, UID_A + 4, 0, 0), pid[4], 192);
	within_budget(&w, ROOT, pid[5]);
	/* And at 256 MiB in all, for anyone. */
	held[nr++] = hold_to(&w, ROOT, pid[5], 256 * MiB - MiB / 4);
	held[nr++] = hold_to(&w, ROOT, pid[5], 256 * MiB + MiB / 2);
	over_budget(&w, ROOT, pid[5], 256);
	over_budget(&w, peer(UID_A + 6, UID_A + 6, 0, 0), pid[6], 256);
	/* Held replies read or given up free their budget. */
	while (nr)
		hang_up(&w, held[--nr]);
	ask_on(&w, connect_peer(&w, ROOT), "PYPROF/1 status\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.payload, "\nreplies_refused_memory 4\nreply_bytes_queued 0\n"));
	reply_done(&r);
	within_budget(&w, peer(UID_A, UID_A, 0, 0), pid[0]);
	world_done(&w);
}

/* Gives record p this unit (its cgroup label too), as discovery reads them from its cgroup. */
static void set_unit(struct pyproc *p, const char *unit)
{
	struct proclabel_builder b = { 0 };
	char cg[128];

	snprintf(cg, sizeof(cg), "/system.slice/%s", unit);
	proclabel_builder__add(&b, "cgroup", cg, strlen(cg));
	proclabel_builder__add(&b, "unit", unit, strlen(unit));
	free(p->labels);
	ASSERT_OK(proclabel_builder__pack(&b, &p->labels, &p->nr_labels));
}

/*
 * Selectors (daemon/select.c) over the records: a set is one profile, an
 * exited record of the unit counts, per_process roots each process at its
 * pid and command line, and a client sees only what it may see of a set
 * (nothing else tells it the others are there).
 */
TEST(snapshot_selects_a_set_of_processes)
{
	struct pyproc *a, *b, *c;
	char line[256], want[1024];
	struct reply r;
	struct world w;

	world_start(&w, true);
	fake.next = ROOT;
	a = python_proc(&w, PID_A, "python3", 100);
	b = python_proc(&w, PID_B, "python3", 100);
	c = python_proc(&w, PID_C, "python3", 100);
	a->uid = UID_A;
	b->uid = c->uid = UID_B;
	a->user = UID_A;
	b->user = c->user = UID_B;
	fill_profile(a);
	fill_profile(b);
	fill_profile(c);
	set_unit(a, "billing.service");
	set_unit(c, "billing.service");
	free(c->cmdline);
	c->cmdline = strdup("python3 worker.py\033[2J");
	ASSERT_TRUE(c->cmdline != NULL);
	procs__exited(w.ps, PID_C, now_ns());

	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d,%d processes=1\n", PID_A, PID_B);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.raw.buf, " processes=2\n") != NULL);
	ASSERT_STREQ(r.payload, "python3;main (app.py:10);do_syscall_64_[k] 8\n"
				"python3;main (app.py:10);idle (lib.py) 2\n"
				"python3;main (app.py:10);work (app.py:20) 10\n");
	reply_done(&r);
	/* The unit: the live record and the exited one, each under its own root. */
	ask(&w, "PYPROF/1 snapshot unit=billing.service per_process=1 processes=1\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.raw.buf, " processes=2\n") != NULL);
	snprintf(want, sizeof(want), "%d python3;main (app.py:10);work (app.py:20) 5\n", PID_A);
	ASSERT_TRUE(strstr(r.payload, want) != NULL);
	/* Another user's argv, escaped: no terminal sequence in the frame. */
	snprintf(want, sizeof(want),
		 "\n%d python3 worker.py\\x1b[2J;main (app.py:10);work (app.py:20) 5\n", PID_C);
	ASSERT_TRUE(strstr(r.payload, want) != NULL);
	/* No stack under the comm alone. */
	ASSERT_TRUE(strncmp(r.payload, "python3;", 8) && !strstr(r.payload, "\npython3;"));
	reply_done(&r);
	/* A single pid with per_process: the same root, today's errors otherwise. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d per_process=1\n", PID_B);
	ask(&w, line, &r);
	ASSERT_EQ(r.err, 0);
	snprintf(want, sizeof(want), "%d python3;main (app.py:10);work (app.py:20) 5\n", PID_B);
	ASSERT_TRUE(strstr(r.payload, want) != NULL);
	reply_done(&r);
	expect_err(&w, "PYPROF/3 snapshot cmdline=(x\n", EINVAL,
		   "invalid cmdline pattern: Unmatched ( or \\(");
	expect_err(&w, "PYPROF/3 snapshot unit=nosuch.service\n", ESRCH,
		   "no process matches the selection");

	/* UID_B's client: of the unit only its exited record, of all only its own two. */
	fake.next = peer(UID_B, UID_B, 0, 0);
	ask(&w, "PYPROF/1 snapshot unit=billing.service processes=1\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.raw.buf, " processes=1\n") != NULL);
	ASSERT_STREQ(r.payload, folded_recent);
	reply_done(&r);
	ask(&w, "PYPROF/1 snapshot all=1 processes=1\n", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_TRUE(strstr(r.raw.buf, " processes=2\n") != NULL);
	reply_done(&r);
	/* Another user's process selected, and none at all: one answer. */
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d,%d\n", PID_A, PID_NONE);
	expect_err(&w, line, ESRCH, "no process of yours matches the selection");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot pid=%d,%d\n", PID_NONE, PID_NONE + 1);
	expect_err(&w, line, ESRCH, "no process of yours matches the selection");
	snprintf(line, sizeof(line), "PYPROF/1 snapshot comm=python3 uid=%d\n", UID_A);
	expect_err(&w, line, ESRCH, "no process of yours matches the selection");
	world_done(&w);
}
