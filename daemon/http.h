/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the HTTP listener (--http ADDR:PORT), off by default.
 *   GET /metrics                the daemon's health in Prometheus' text format
 *                               0.0.4, from the socket's status verb
 *   GET /debug/pprof/profile    ?pid=N&seconds=S and the snapshot verb's
 *                               other keys: the profile as gzipped pprof, from
 *                               the socket's snapshot verb; only with
 *                               --http-profiles (403 without)
 * TCP tells nothing of who connects: requests are the socket's requests of
 * root for what --http-profiles lets out (every process), and of no one
 * otherwise.  One request per connection (the reply says Connection: close),
 * GET only, a head of at most HTTPREQ_MAX_HEAD bytes sent within
 * HTTP_HEAD_MS, at most HTTP_MAX_CONNS connections at once, the oldest one
 * still sending its head closed for a new one: a slow or hostile client holds
 * a bounded buffer for a bounded time and cannot keep others out.
 */
#ifndef PYPROFD_HTTP_H
#define PYPROFD_HTTP_H

#include <linux/types.h>

struct config;
struct fmt_meta;
struct http;
struct server;
struct strbuf;

/* A listener not bound yet, answering from srv.  NULL with errno set. */
struct http *http__new(const struct config *cfg, struct server *srv);
/* Binds and listens on cfg->http_addr.  0 or -Exxx. */
int http__listen(struct http *h);
/* The fd the loop waits on (readable: call http__event()). */
int http__fd(const struct http *h);
/* Accepts, reads, answers and writes what is ready, without blocking. */
void http__event(struct http *h);
/* Closes connections past their deadlines. */
void http__tick(struct http *h);
/*
 * The on-CPU view of a snapshot's wire payload (PYPROF/3), as pyprofctl
 * snapshot shows it, rendered as gzipped pprof into out; m->comm is set from
 * it.  What /debug/pprof/profile serves, and push.c pushes.  0, -EINVAL
 * (a malformed payload) or -ENOMEM.
 */
int http__render_pprof(const char *payload, size_t len, struct fmt_meta *m, struct strbuf *out);
/* Closes every connection and the listener.  NULL is fine. */
void http__free(struct http *h);

#endif /* PYPROFD_HTTP_H */
