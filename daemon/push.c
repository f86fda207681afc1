// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: pushing closed windows to a Pyroscope /ingest receiver (see push.h). */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "profile/profile.h"
#include "proto/ingest.h"
#include "proto/proto.h"
#include "render/formats.h"
#include "profile/view.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "procs.h"
#include "log.h"
#include "push.h"
#include "pyproc.h"
#include "server.h"

#define PUSH_MAX_QUEUE	     256		/* pushes waiting; more: the oldest dropped */
#define PUSH_MAX_QUEUE_BYTES (32u << 20)	/* their bytes; more: the oldest dropped */
#define PUSH_MAX_ATTEMPTS    6			/* then a retryable failure is a failure */
#define PUSH_CONNECT_MS	     5000		/* to connect */
#define PUSH_IO_MS	     15000		/* from connected to a whole status line */
#define PUSH_GRACE_NS	     (500 * NSEC_PER_MSEC)	/* after a window ends: late samples */
#define PUSH_MAX_CATCHUP     6			/* windows queued per tick at most */
#define PUSH_SPY	     "pyprof"

struct job {
	struct strbuf req;	/* head and body */
	__u64 due_ns;		/* not before (back-off) */
	unsigned int attempts;
	struct job *next;
};

enum conn_state { CONN_IDLE, CONN_CONNECTING, CONN_SENDING, CONN_RECEIVING };

struct push {
	const struct config *cfg;
	struct server *srv;
	struct procs *procs;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct ingest_url url;
	char host[256];		/* the name label: this machine */
	__u64 next_window;	/* the first window index not queued yet */
	int epfd;		/* its own: the loop waits on it as one fd */
	struct job *head, *tail;
	size_t nr_jobs, queued_bytes;
	/* The push in flight: the queue's head. */
	enum conn_state state;
	int fd;
	size_t sent;
	char in[INGEST_MAX_STATUS_LINE];
	size_t in_len;
	__u64 deadline_ns;
	__u64 ok, failed, retried, dropped, rejected, bytes;
};

/*
 * A time on the profiles' clock as unix seconds: the profile clock is the
 * wall clock as it was at start, advancing with CLOCK_MONOTONIC (clock.h), so
 * a later step of the wall clock is not followed and pushes stay contiguous.
 */
static __u64 push_unix_s(__u64 prof_ns)
{
	return prof_ns / NSEC_PER_SEC;
}

static int resolve(struct push *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", p->url.port);
	r = getaddrinfo(p->url.host, port, &hints, &res);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct push *push__new(const struct config *cfg, struct server *srv, struct procs *procs)
{
	struct push *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return NULL;
	p->cfg = cfg;
	p->srv = srv;
	p->procs = procs;
	p->fd = -1;
	r = ingest__parse_url(cfg->push, &p->url) ?: resolve(p);
	p->epfd = r ? -1 : epoll_create1(EPOLL_CLOEXEC);
	if (!r && p->epfd < 0)
		r = -errno;
	if (r) {
		free(p);
		errno = -r;
		return NULL;
	}
	if (gethostname(p->host, sizeof(p->host) - 1) < 0)
		strcpy(p->host, "localhost");
	/* The window open now is the first pushed: the ones before started before us. */
	p->next_window = prof_time(now_ns()) / cfg->window_ns;
	return p;
}

int push__fd(const struct push *p)
{
	return p->epfd;
}

/* The series name: APP{key=value,...}, labels sorted by key, each key once. */
static int series_name(const struct push *p, const struct pyproc *proc, struct strbuf *sb)
{
	char ver[32], pid[16];
	/* The labels of our own, merged in key order with the process's (sorted, [a-z0-9_]). */
	const char *own[][2] = {
		{ "comm", proc->comm },
		{ "host", p->host },
		{ "pid", pid },
		{ "python", pyinterp__build_str(&proc->info, ver, sizeof(ver)) },
	};
	size_t i = 0, j = 0, n = sizeof(own) / sizeof(own[0]);
	int r;

	snprintf(pid, sizeof(pid), "%d", proc->pid);
	r = strbuf__printf(sb, "%s{", p->cfg->push_name);
	while (!r && (i < n || j < proc->nr_labels)) {
		int c = i == n ? 1 : j == proc->nr_labels ? -1
						: strcmp(own[i][0], proc->labels[j].key);
		const char *k = c <= 0 ? own[i][0] : proc->labels[j].key,
			   *v = c <= 0 ? own[i][1] : proc->labels[j].value;

		/* Ours win a tie; cgroup paths are long and the unit/container say it all. */
		i += c <= 0;
		j += c >= 0;
		if (!strcmp(k, "cgroup"))
			continue;
		r = strbuf__printf(sb, "%s%s=", sb->buf[sb->len - 1] == '{' ? "" : ",", k) ?:
		    ingest__label_value(sb, v);
	}
	return r ?: strbuf__puts(sb, "}");
}

/*
 * The snapshot verb's reply for proc's pid in [from, to) (profile clock):
 * PYPROF/1's folded text, what format=folded is, or PYPROF/3's stacks for
 * pprof; *ret_body its payload.
 */
static int window_reply(struct push *p, const struct pyproc *proc, __u64 from, __u64 to,
			struct strbuf *reply, const char **ret_body, size_t *ret_len)
{
	struct proto_request req;
	char v[3][24], msg[PROTO_MAX_MESSAGE];
	const char *nl;
	int r;

	proto_request__init(&req, "snapshot");
	req.version = p->cfg->push_pprof ? PROTO_VERSION_MAX : 1;
	snprintf(v[0], sizeof(v[0]), "%d", proc->pid);
	snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)from);
	snprintf(v[2], sizeof(v[2]), "%llu", (unsigned long long)to);
	r = proto_request__add(&req, "pid", v[0]) ?:
	    proto_request__add(&req, "from_wall_ns", v[1]) ?:
	    proto_request__add(&req, "to_wall_ns", v[2]) ?: server__query(p->srv, &req, true, reply);
	if (r)
		return r;
	nl = memchr(reply->buf, '\n', reply->len);
	if (!nl)
		return -EPROTO;
	r = proto__parse_reply_header(reply->buf, (size_t)(nl - reply->buf) + 1, ret_len, msg,
				      sizeof(msg));
	*ret_body = nl + 1;
	/*
	 * It runs no Python now (it exec'd, or was a fork child until its exec):
	 * the snapshot leaves its Python past out, so there is nothing to push.
	 */
	if (r == -ENOENT || r == -EPROTONOSUPPORT) {
		log_msg(LOG_INFO, "push: pid %d not pushed for a window: %s", proc->pid, msg);
		*ret_len = 0;
		return 0;
	}
	if (r)
		log_msg(LOG_WARN, "push: no profile of pid %d for a window: %s", proc->pid, msg);
	if (!r && *ret_len != reply->len - (size_t)(nl + 1 - reply->buf))
		r = -EPROTO;
	return r;
}

/* The window's body as format= says: the folded payload as it is, or pprof made of it. */
static int window_body(struct push *p, const struct pyproc *proc, __u64 from, __u64 to,
		       struct strbuf *body)
{
	struct strbuf reply = { 0 };
	struct fmt_meta m = { .pid = proc->pid, .rate_hz = p->cfg->rate_hz,
			      .mode = VIEW_MODE_CPU, .period_ns = NSEC_PER_SEC / p->cfg->rate_hz,
			      .duration_ns = to - from };
	const char *payload;
	size_t len;
	int r;

	r = window_reply(p, proc, from, to, &reply, &payload, &len);
	if (!r && len && !p->cfg->push_pprof) {
		r = strbuf__append(body, payload, len);
	} else if (!r && len) {
		m.seconds = m.duration_ns / NSEC_PER_SEC;
		m.end_unix_ns = to;	/* the profile clock is wall ns already */
		r = http__render_pprof(payload, len, &m, body);
	}
	strbuf__done(&reply);
	return r;
}

/* Frees the queue's head. */
static void job_pop(struct push *p)
{
	struct job *j = p->head;

	p->head = j->next;
	if (!p->head)
		p->tail = NULL;
	p->nr_jobs--;
	p->queued_bytes -= j->req.len;
	strbuf__done(&j->req);
	free(j);
}

/* Room for len more bytes: the oldest pushes go, but not one being sent. */
static void make_room(struct push *p, size_t len)
{
	while (p->head && (p->nr_jobs >= PUSH_MAX_QUEUE ||
			   p->queued_bytes + len > PUSH_MAX_QUEUE_BYTES)) {
		if (p->state != CONN_IDLE && p->head->next) {
			struct job *j = p->head->next;

			p->head->next = j->next;
			if (p->tail == j)
				p->tail = p->head;
			p->nr_jobs--;
			p->queued_bytes -= j->req.len;
			strbuf__done(&j->req);
			free(j);
		} else if (p->state == CONN_IDLE) {
			job_pop(p);
		} else {
			break;
		}
		p->dropped++;
	}
}

static int job_add(struct push *p, const struct pyproc *proc, __u64 from, __u64 to,
		   const char *body, size_t len)
{
	struct job *j = calloc(1, sizeof(*j));
	struct strbuf name = { 0 };
	int r;

	if (!j)
		return -ENOMEM;
	r = series_name(p, proc, &name);
	r = r ?: strbuf__printf(&j->req, "POST %s/ingest?name=", p->url.path);
	r = r ?: ingest__query_escape(&j->req, name.buf, name.len);
	r = r ?: strbuf__printf(&j->req,
				"&from=%llu&until=%llu&format=%s&sampleRate=%u&spyName=%s"
				"&units=samples&aggregationType=sum HTTP/1.1\r\n"
				"Host: %s%s%s:%u\r\nUser-Agent: pyprofd/%s\r\n"
				"Content-Type: %s\r\nContent-Length: %zu\r\n"
				"Connection: close\r\n\r\n",
				(unsigned long long)push_unix_s(from),
				(unsigned long long)push_unix_s(to),
				p->cfg->push_pprof ? "pprof" : "folded", p->cfg->rate_hz, PUSH_SPY,
				strchr(p->url.host, ':') ? "[" : "", p->url.host,
				strchr(p->url.host, ':') ? "]" : "", p->url.port, PYPROFD_VERSION,
				p->cfg->push_pprof ? "application/octet-stream" : "text/plain", len);
	r = r ?: strbuf__append(&j->req, body, len);
	strbuf__done(&name);
	if (r) {
		strbuf__done(&j->req);
		free(j);
		return r;
	}
	make_room(p, j->req.len);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->nr_jobs++;
	p->queued_bytes += j->req.len;
	return 0;
}

/*
 * Whether an earlier record of proc's pid has samples in [from, to): the
 * snapshot of a pid merges every record of it (a pid reused within the
 * window), so that one push already carries proc's stacks.
 */
static bool pushed_before(const struct push *p, const struct pyproc *proc, __u64 from, __u64 to)
{
	procs__for_each(p->procs, q)
	{
		if (q == proc)
			return false;
		if (q->pid == proc->pid && q->profile && profile__samples(q->profile, from, to))
			return true;
	}
	return false;
}

/* One job per process (pid) with samples in window w. */
static void queue_window(struct push *p, __u64 w)
{
	__u64 from = w * p->cfg->window_ns, to = from + p->cfg->window_ns;
	struct strbuf body = { 0 };

	procs__for_each(p->procs, proc)
	{
		if (!proc->profile || !profile__samples(proc->profile, from, to) ||
		    pushed_before(p, proc, from, to))
			continue;
		if (window_body(p, proc, from, to, &body) ||
		    (body.len && job_add(p, proc, from, to, body.buf, body.len)))
			p->failed++;
		strbuf__reset(&body);
	}
	strbuf__done(&body);
}

static void conn_close(struct push *p)
{
	if (p->fd >= 0) {
		(void)epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
	}
	p->fd = -1;
	p->state = CONN_IDLE;
}

/* The push in flight ended: done (code 2xx), given up (4xx) or to be tried again. */
static void finish(struct push *p, int code)
{
	struct job *j = p->head;

	conn_close(p);
	if (code >= 200 && code < 300) {
		p->ok++;
		p->bytes += j->req.len;
	} else if (code >= 400 && code < 500) {
		p->rejected++;
		p->failed++;
	} else if (++j->attempts < PUSH_MAX_ATTEMPTS) {
		/* Connection errors, timeouts, 5xx and anything malformed: the receiver's trouble. */
		p->retried++;
		j->due_ns = now_ns() + ingest__backoff_ns(j->attempts);
		return;
	} else {
		p->failed++;
	}
	job_pop(p);
}

static int set_events(struct push *p, __u32 events)
{
	struct epoll_event ev = { .events = events };

	return epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0 ? -errno : 0;
}

/* Starts the queue's head if it is due. */
static void start(struct push *p)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	__u64 now = now_ns();

	if (p->state != CONN_IDLE || !p->head || p->head->due_ns > now)
		return;
	p->fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
		finish(p, 0);
		return;
	}
	p->sent = p->in_len = 0;
	p->state = CONN_CONNECTING;
	p->deadline_ns = now + PUSH_CONNECT_MS * NSEC_PER_MSEC;
	if (connect(p->fd, (const struct sockaddr *)&p->addr, p->addr_len) < 0 &&
	    errno != EINPROGRESS)
		finish(p, 0);
}

static void do_send(struct push *p)
{
	const struct strbuf *req = &p->head->req;
	ssize_t n = send(p->fd, req->buf + p->sent, req->len - p->sent, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish(p, 0);
		return;
	}
	p->sent += (size_t)n;
	if (p->sent == req->len) {
		p->state = CONN_RECEIVING;
		if (set_events(p, EPOLLIN) < 0)
			finish(p, 0);
	}
}

/* Reads up to the status line; the rest of the reply is not needed. */
static void do_recv(struct push *p)
{
	ssize_t n = recv(p->fd, p->in + p->in_len, sizeof(p->in) - p->in_len, 0);
	int code;

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			finish(p, 0);
		return;
	}
	p->in_len += (size_t)n;
	code = ingest__parse_status(p->in, p->in_len);
	if (code == -EAGAIN && n > 0)
		return;
	finish(p, code > 0 ? code : 0);
}

static void step(struct push *p)
{
	int err = 0;
	socklen_t len = sizeof(err);

	switch (p->state) {
	case CONN_CONNECTING:
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			finish(p, 0);
			return;
		}
		p->state = CONN_SENDING;
		p->deadline_ns = now_ns() + PUSH_IO_MS * NSEC_PER_MSEC;
		do_send(p);
		break;
	case CONN_SENDING:
		do_send(p);
		break;
	case CONN_RECEIVING:
		do_recv(p);
		break;
	case CONN_IDLE:
		break;
	}
}

void push__event(struct push *p)
{
	struct epoll_event ev;

	if (epoll_wait(p->epfd, &ev, 1, 0) == 1 && p->state != CONN_IDLE)
		step(p);
	start(p);
}

void push__tick(struct push *p)
{
	__u64 now = prof_time(now_ns()), w = p->cfg->window_ns, n = 0;

	if (p->state != CONN_IDLE && now_ns() > p->deadline_ns)
		finish(p, 0);
	while (now >= (p->next_window + 1) * w + PUSH_GRACE_NS && n++ < PUSH_MAX_CATCHUP)
		queue_window(p, p->next_window++);
	/* A longer stall (a suspend): the windows missed are skipped, not pushed in a burst. */
	if (now >= (p->next_window + 1) * w + PUSH_GRACE_NS)
		p->next_window = (now - PUSH_GRACE_NS) / w;
	start(p);
}

int push__status(const void *push, struct strbuf *sb)
{
	const struct push *p = push;

	return strbuf__printf(sb,
			      "push_ok %llu\npush_failed %llu\npush_retried %llu\n"
			      "push_dropped %llu\npush_rejected %llu\npush_bytes %llu\n"
			      "push_queued %zu\n",
			      (unsigned long long)p->ok, (unsigned long long)p->failed,
			      (unsigned long long)p->retried, (unsigned long long)p->dropped,
			      (unsigned long long)p->rejected, (unsigned long long)p->bytes,
			      p->nr_jobs);
}

void push__free(struct push *p)
{
	if (!p)
		return;
	conn_close(p);
	while (p->head)
		job_pop(p);
	if (p->epfd >= 0)
		close(p->epfd);
	free(p);
}
