// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the HTTP listener, metrics and pprof profiles (see http.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/stacks.h"
#include "profile/view.h"
#include "proto/httpreq.h"
#include "proto/proto.h"
#include "proto/wire.h"
#include "render/formats.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "server.h"

#define HTTP_MAX_CONNS	     32		/* connections at once (see make_room()) */
#define HTTP_HEAD_MS	     5000	/* from accept to a whole request head */
#define HTTP_REPLY_MS	     30000	/* to read the reply */
#define HTTP_LINGER_MS	     1000	/* after the reply, for the client to hang up */
#define HTTP_REPLY_MAX_TOTAL (64u << 20)	/* reply bytes not yet read, all connections */
#define HTTP_BATCH	     32		/* events handled per epoll_wait */
#define HTTP_BACKLOG	     64		/* connections the kernel queues before accept */

enum conn_state { CONN_READING, CONN_WRITING, CONN_LINGERING, CONN_CLOSED };

struct conn {
	int fd;
	enum conn_state state;
	char in[HTTPREQ_MAX_HEAD];
	size_t in_len;
	struct strbuf out;
	size_t out_off;
	__u64 deadline_ns;
	struct conn *next;
};

/* The status codes answered, counted for pyprofd_http_responses_total. */
static const struct {
	int code;
	const char *reason;
} codes[] = {
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
};

#define NR_CODES (sizeof(codes) / sizeof(codes[0]))

struct http {
	const struct config *cfg;
	struct server *srv;
	int epfd;		/* its own: the loop waits on it as one fd */
	int listenfd;
	struct conn *conns;
	struct conn *closed;	/* closed in this batch, freed after it */
	unsigned int nr_conns;
	bool accept_paused;	/* accept failed (no fds): the listener waits for the tick */
	__u64 rejected, evicted, timed_out, responses[NR_CODES];
};

struct http *http__new(const struct config *cfg, struct server *srv)
{
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cfg = cfg;
	h->srv = srv;
	h->listenfd = -1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0) {
		free(h);
		return NULL;
	}
	return h;
}

int http__fd(const struct http *h)
{
	return h->epfd;
}

int http__listen(struct http *h)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int fd, one = 1, err;

	fd = socket(h->cfg->http_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A restarted daemon binds again at once, its old connections in TIME_WAIT. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	err = 0;
	if (bind(fd, (const struct sockaddr *)&h->cfg->http_addr, h->cfg->http_addr_len) < 0 ||
	    listen(fd, HTTP_BACKLOG) < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	h->listenfd = fd;
	return 0;
}

/* Out of the list and the epoll set; freed after the batch (its event may be in it). */
static void conn_close(struct http *h, struct conn *c)
{
	for (struct conn **pp = &h->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	(void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	strbuf__done(&c->out);
	c->state = CONN_CLOSED;
	c->next = h->closed;
	h->closed = c;
	h->nr_conns--;
}

static void free_closed(struct http *h)
{
	while (h->closed) {
		struct conn *c = h->closed;

		h->closed = c->next;
		free(c);
	}
}

static const char *reason_of(struct http *h, int code)
{
	for (size_t i = 0; i < NR_CODES; i++) {
		if (codes[i].code == code) {
			h->responses[i]++;
			return codes[i].reason;
		}
	}
	return "Unknown";
}

/* The whole response into c->out: status line, headers, body. */
static int respond(struct http *h, struct conn *c, int code, const char *ctype,
		   const char *extra, const struct strbuf *body)
{
	int r;

	strbuf__reset(&c->out);
	r = strbuf__printf(&c->out,
			   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			   "Connection: close\r\nCache-Control: no-store\r\n%s\r\n",
			   code, reason_of(h, code), ctype, body->len, extra ? extra : "");
	r = r ?: strbuf__append(&c->out, body->buf ? body->buf : "", body->len);
	return r;
}

/* A text answer, for errors and the index. */
static int respond_text(struct http *h, struct conn *c, int code, const char *extra,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int respond_text(struct http *h, struct conn *c, int code, const char *extra,
			const char *fmt, ...)
{
	struct strbuf body = { 0 };
	char msg[PROTO_MAX_MESSAGE + 128];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = strbuf__printf(&body, "%s\n", msg) ?:
	    respond(h, c, code, "text/plain; charset=utf-8", extra, &body);
	strbuf__done(&body);
	return r;
}

/* Reply bytes not yet sent, over every connection. */
static size_t queued_bytes(const struct http *h)
{
	size_t n = 0;

	for (const struct conn *c = h->conns; c; c = c->next)
		n += c->out.len - c->out_off;
	return n;
}

/* The payload of a socket reply, or its error as an HTTP status and message. */
static const char *reply_payload(const struct strbuf *reply, size_t *ret_len, int *ret_code,
				 char *msg, size_t msgsz)
{
	const char *nl = memchr(reply->buf, '\n', reply->len);
	size_t hlen = nl ? (size_t)(nl - reply->buf) + 1 : 0;
	int r = nl ? proto__parse_reply_header(reply->buf, hlen, ret_len, msg, msgsz) : -EPROTO;

	if (r == 0 && *ret_len == reply->len - hlen)
		return reply->buf + hlen;
	switch (r) {
	case -EINVAL:
	case -E2BIG:
	case -ERANGE:
		*ret_code = 400;
		break;
	case -ESRCH:
	case -ENOENT:
	case -EPROTONOSUPPORT:
		*ret_code = 404;
		break;
	case -EACCES:
	case -EPERM:
		*ret_code = 403;
		break;
	case -EBUSY:
		*ret_code = 503;
		break;
	default:
		*ret_code = 500;
		if (r == 0 || r == -EPROTO)
			snprintf(msg, msgsz, "malformed reply from the snapshot verb");
	}
	return NULL;
}

/* The snapshot request of a query: the socket's keys, and the range and period the meta needs. */
static int profile_request(const char *query, struct proto_request *req, char *err,
			   size_t errsz)
{
	int r;

	proto_request__init(req, "snapshot");
	req->version = PROTO_VERSION_MAX;
	r = httpreq__query_args(query, req, err, errsz);
	if (!r && !proto_request__get(req, "range"))
		r = proto_request__add(req, "range", "1");
	if (!r && !proto_request__get(req, "period"))
		r = proto_request__add(req, "period", "1");
	if (r == -E2BIG && !*err)
		snprintf(err, errsz, "too many query arguments");
	return r;
}

/* What the profile covers, from the OK line's fields (hdr, hlen bytes). */
static void profile_meta(const struct http *h, const struct proto_request *req, const char *hdr,
			 size_t hlen, struct fmt_meta *m)
{
	long long from = 0, to = 0, period = 0;
	__u64 mono = now_ns(), wall = clock_ns(CLOCK_REALTIME), pid = 0;

	(void)proto_request__get_u64(req, "pid", 1, 0x7fffffff, &pid);
	m->pid = (int)pid;
	m->rate_hz = h->cfg->rate_hz;
	m->mode = VIEW_MODE_CPU;
	if (proto__reply_field(hdr, hlen, "period_ns", &period) == 0 && period > 0)
		m->period_ns = (__u64)period;
	m->end_unix_ns = wall;
	if (proto__reply_field(hdr, hlen, "from_ns", &from) == 0 &&
	    proto__reply_field(hdr, hlen, "to_ns", &to) == 0 && to > from) {
		m->duration_ns = (__u64)(to - from);
		if (to > 0 && mono > (__u64)to && wall > mono - (__u64)to)
			m->end_unix_ns = wall - (mono - (__u64)to);
	}
	/* The profiles' own clock is the wall clock: no conversion to go wrong. */
	if (proto__reply_field(hdr, hlen, "to_wall_ns", &to) == 0 && to > 0)
		m->end_unix_ns = (__u64)to;
	m->seconds = (m->duration_ns + NSEC_PER_SEC / 2) / NSEC_PER_SEC;
}

/* The process name: a root frame's (the least, as folded output shows first). */
static const char *profile_comm(const struct stackset *ss)
{
	const char *comm = NULL;

	for (size_t i = 0; i < ss->nr_frames; i++)
		if (ss->frames[i].kind == FRAME_PROCESS &&
		    (!comm || strcmp(ss->frames[i].name, comm) < 0))
			comm = ss->frames[i].name;
	return comm;
}

int http__render_pprof(const char *payload, size_t len, struct fmt_meta *m, struct strbuf *out)
{
	struct stackset raw = { 0 }, ss = { 0 };
	struct stackset_view v = { 0 };
	int err;

	err = wire__decode((const __u8 *)payload, len, &raw) ?:
	      stackset_view__set_mode(&v, VIEW_MODE_CPU, m->period_ns);
	v.gc_marker = v.gil_wait_marker = true;
	err = err ?: stackset__view(&raw, &v, &ss);
	m->comm = err ? NULL : profile_comm(&ss);
	err = err ?: fmt_pprof__render(&ss, m, out);
	stackset__done(&raw);
	stackset__done(&ss);
	return err;
}

/* GET /debug/pprof/profile?...: the socket's snapshot verb, answered as for root. */
static int serve_profile(struct http *h, struct conn *c, const char *query)
{
	struct proto_request *req = malloc(sizeof(*req));
	struct strbuf reply = { 0 }, body = { 0 };
	char msg[PROTO_MAX_MESSAGE] = "";
	struct fmt_meta m = { 0 };
	const char *payload;
	size_t plen;
	int r, code = 200;

	if (!req)
		return -ENOMEM;
	if (!h->cfg->http_profiles) {
		r = respond_text(h, c, 403, NULL, "profiles are served over HTTP only with "
						  "pyprofd --http-profiles (see pyprofd(8))");
		goto cleanup;
	}
	if (profile_request(query, req, msg, sizeof(msg)) < 0) {
		r = respond_text(h, c, 400, NULL, "%s", msg);
		goto cleanup;
	}
	r = server__query(h->srv, req, true, &reply);
	if (r)
		goto cleanup;
	payload = reply_payload(&reply, &plen, &code, msg, sizeof(msg));
	if (!payload) {
		r = respond_text(h, c, code, NULL, "%s", msg);
		goto cleanup;
	}
	profile_meta(h, req, reply.buf, (size_t)(payload - reply.buf), &m);
	r = http__render_pprof(payload, plen, &m, &body);
	if (r == -EINVAL)
		r = respond_text(h, c, 500, NULL, "malformed profile from the snapshot verb");
	else if (!r)
		r = respond(h, c, 200, "application/octet-stream",
			    "Content-Disposition: attachment; filename=\"profile.pb.gz\"\r\n",
			    &body);
cleanup:
	strbuf__done(&reply);
	strbuf__done(&body);
	free(req);
	return r;
}

/* The listener's own figures, after the status verb's. */
static int http_counters(const struct http *h, struct strbuf *out)
{
	int r;

	r = strbuf__puts(out, "# HELP pyprofd_http_responses_total HTTP responses, by status.\n"
			      "# TYPE pyprofd_http_responses_total counter\n");
	for (size_t i = 0; i < NR_CODES && !r; i++)
		r = strbuf__printf(out, "pyprofd_http_responses_total{code=\"%d\"} %llu\n",
				   codes[i].code, (unsigned long long)h->responses[i]);
	return r ?: strbuf__printf(
		out,
		"# HELP pyprofd_http_connections HTTP connections open now.\n"
		"# TYPE pyprofd_http_connections gauge\npyprofd_http_connections %u\n"
		"# HELP pyprofd_http_connections_rejected_total HTTP connections refused: "
		"too many at once.\n"
		"# TYPE pyprofd_http_connections_rejected_total counter\n"
		"pyprofd_http_connections_rejected_total %llu\n"
		"# HELP pyprofd_http_connections_evicted_total HTTP connections closed before "
		"a whole request to make room for a new one.\n"
		"# TYPE pyprofd_http_connections_evicted_total counter\n"
		"pyprofd_http_connections_evicted_total %llu\n"
		"# HELP pyprofd_http_connections_timed_out_total HTTP connections closed "
		"before a whole request or before reading the reply.\n"
		"# TYPE pyprofd_http_connections_timed_out_total counter\n"
		"pyprofd_http_connections_timed_out_total %llu\n",
		h->nr_conns, (unsigned long long)h->rejected, (unsigned long long)h->evicted,
		(unsigned long long)h->timed_out);
}

/* GET /metrics: the socket's status and list verbs, answered as for root, translated. */
static int serve_metrics(struct http *h, struct conn *c)
{
	struct strbuf st = { 0 }, ls = { 0 }, body = { 0 };
	struct proto_request req;
	int r;

	proto_request__init(&req, "status");
	r = server__query(h->srv, &req, true, &st);
	proto_request__init(&req, "list");
	r = r ?: proto_request__add(&req, "all", "1") ?: server__query(h->srv, &req, true, &ls);
	r = r ?: metrics__render(&st, &ls, &body) ?: http_counters(h, &body);
	if (r == -EPROTO)
		r = respond_text(h, c, 500, NULL, "status unavailable");
	else if (!r)
		r = respond(h, c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, &body);
	strbuf__done(&st);
	strbuf__done(&ls);
	strbuf__done(&body);
	return r;
}

/* The answer to a well-formed GET. */
static int route(struct http *h, struct conn *c, const struct httpreq *req)
{
	if (strcmp(req->path, "/metrics") == 0)
		return serve_metrics(h, c);
	if (strcmp(req->path, "/debug/pprof/profile") == 0) {
		if (queued_bytes(h) >= HTTP_REPLY_MAX_TOTAL)
			return respond_text(h, c, 503, "Retry-After: 1\r\n",
					    "too many replies not yet read");
		return serve_profile(h, c, req->query);
	}
	if (strcmp(req->path, "/") == 0)
		return respond_text(h, c, 200, NULL,
				    "pyprofd %s\n/metrics  Prometheus metrics\n"
				    "/debug/pprof/profile?pid=N&seconds=S  pprof profile%s\n"
				    "  (or from_wall_ns=T0&to_wall_ns=T1: ns since the epoch)",
				    PYPROFD_VERSION,
				    h->cfg->http_profiles ? "" : " (off: pyprofd --http-profiles)");
	return respond_text(h, c, 404, NULL, "no such page: /metrics, /debug/pprof/profile");
}

static void conn_write(struct http *h, struct conn *c);

/* A whole head of head_len bytes: its answer, then writing it. */
static void handle(struct http *h, struct conn *c, size_t head_len)
{
	struct httpreq *req = malloc(sizeof(*req));
	int r = req ? httpreq__parse(c->in, head_len, req) : -ENOMEM;

	if (r == -ENOMEM)
		;
	else if (r == -EPROTONOSUPPORT)
		r = respond_text(h, c, 505, NULL, "HTTP/1.0 and HTTP/1.1 only");
	else if (r == -E2BIG)
		r = respond_text(h, c, 414, NULL, "request target or method too long");
	else if (r)
		r = respond_text(h, c, 400, NULL, "malformed request head");
	else if (strcmp(req->method, "GET") != 0)
		r = respond_text(h, c, 405, "Allow: GET\r\n", "only GET is served");
	else if (req->has_body)
		r = respond_text(h, c, 413, NULL, "a GET has no request body here");
	else
		r = route(h, c, req);
	free(req);
	if (r) {
		conn_close(h, c);
		return;
	}
	c->state = CONN_WRITING;
	c->deadline_ns = now_ns() + HTTP_REPLY_MS * NSEC_PER_MSEC;
	conn_write(h, c);
}

static int set_events(struct http *h, struct conn *c, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

static void conn_write(struct http *h, struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (set_events(h, c, EPOLLOUT) < 0)
				conn_close(h, c);
			return;
		}
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	/*
	 * Sent.  Closing with request bytes unread would reset the connection
	 * (the client could lose the reply): half-close, and read until the
	 * client hangs up, briefly.
	 */
	strbuf__done(&c->out);
	c->out_off = 0;
	c->state = CONN_LINGERING;
	c->deadline_ns = now_ns() + HTTP_LINGER_MS * NSEC_PER_MSEC;
	if (shutdown(c->fd, SHUT_WR) < 0 || set_events(h, c, EPOLLIN) < 0)
		conn_close(h, c);
}

/* Reads what the client sends: the head, or after the reply what is discarded. */
static void conn_read(struct http *h, struct conn *c)
{
	char sink[4096];

	for (;;) {
		bool head = c->state == CONN_READING;
		size_t room = head ? sizeof(c->in) - c->in_len : sizeof(sink);
		ssize_t n;
		size_t len;

		if (head && !room) {
			if (respond_text(h, c, 431, NULL, "request head longer than %d bytes",
					 HTTPREQ_MAX_HEAD) < 0) {
				conn_close(h, c);
				return;
			}
			c->state = CONN_WRITING;
			c->deadline_ns = now_ns() + HTTP_REPLY_MS * NSEC_PER_MSEC;
			conn_write(h, c);
			return;
		}
		n = recv(c->fd, head ? c->in + c->in_len : sink, room, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* A hang-up: before a whole head, there is nothing to answer. */
			conn_close(h, c);
			return;
		}
		if (!head)
			continue;
		c->in_len += (size_t)n;
		len = httpreq__head_len(c->in, c->in_len);
		if (len) {
			handle(h, c, len);
			return;
		}
	}
}

/*
 * Room for one more connection: at the limit, the oldest one still sending
 * its head goes (a client that sends its request at once is answered long
 * before it would be the oldest; a slow or silent one cannot keep others
 * out).  False when every connection is being answered.
 */
static bool make_room(struct http *h)
{
	struct conn *oldest = NULL;

	if (h->nr_conns < HTTP_MAX_CONNS)
		return true;
	for (struct conn *c = h->conns; c; c = c->next)
		if (c->state == CONN_READING && (!oldest || c->deadline_ns <= oldest->deadline_ns))
			oldest = c;
	if (!oldest)
		return false;
	h->evicted++;
	conn_close(h, oldest);
	return true;
}

/* Takes every waiting connection; over the limit, a 503 at once. */
static void accept_all(struct http *h)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 21\r\n"
				   "Connection: close\r\nRetry-After: 1\r\n\r\n"
				   "too many connections\n";

	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = accept4(h->listenfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0) {
			/*
			 * Out of fds or memory: the connection stays queued and the
			 * listener readable, which would spin the loop.  Wait for the tick.
			 */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->listenfd, NULL) == 0)
				h->accept_paused = true;
			return;
		}
		c = make_room(h) ? calloc(1, sizeof(*c)) : NULL;
		ev.data.ptr = c;
		if (!c || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			h->rejected++;
			(void)reason_of(h, 503);
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			free(c);
			continue;
		}
		c->fd = fd;
		c->deadline_ns = now_ns() + HTTP_HEAD_MS * NSEC_PER_MSEC;
		c->next = h->conns;
		h->conns = c;
		h->nr_conns++;
	}
}

void http__event(struct http *h)
{
	struct epoll_event evs[HTTP_BATCH];
	int n = epoll_wait(h->epfd, evs, HTTP_BATCH, 0);

	for (int i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;

		if (!c)
			accept_all(h);
		else if (c->state == CONN_WRITING)
			conn_write(h, c);
		else if (c->state != CONN_CLOSED)
			conn_read(h, c);
	}
	free_closed(h);
}

void http__tick(struct http *h)
{
	__u64 now = now_ns();
	struct conn *next;

	if (h->accept_paused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		h->accept_paused = epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->listenfd, &ev) < 0;
	}
	for (struct conn *c = h->conns; c; c = next) {
		next = c->next;
		if (now <= c->deadline_ns)
			continue;
		h->timed_out += c->state != CONN_LINGERING;
		conn_close(h, c);
	}
	free_closed(h);
}

void http__free(struct http *h)
{
	if (!h)
		return;
	while (h->conns)
		conn_close(h, h->conns);
	free_closed(h);
	if (h->listenfd >= 0)
		close(h->listenfd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
}
