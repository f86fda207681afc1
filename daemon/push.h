/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: pushing profiles to Grafana Pyroscope's HTTP ingest API
 * (--push http://HOST[:PORT][/PREFIX]), off by default.  When a time window
 * closes, every process with samples in it becomes one POST PREFIX/ingest:
 * its folded stacks of that window, from the socket's snapshot verb (root's
 * view), name=APP{host=,pid=,comm=,python=,unit=,container=,...} and
 * from/until the window's bounds in unix seconds, so one process's pushes
 * tile its time without overlap.
 * One connection at a time, non-blocking, every step under a deadline: a
 * slow or hostile receiver delays only the pushes.  The queue is bounded
 * (the oldest push dropped, counted); a connection error, a timeout or a
 * 5xx is retried with doubling back-off (ingest.h), a 4xx is not.
 */
#ifndef PYPROFD_PUSH_H
#define PYPROFD_PUSH_H

#include <linux/types.h>

struct config;
struct procs;
struct push;
struct server;
struct strbuf;

/* Resolves cfg->push's host (once, now) and measures the wall clock.  NULL with errno set. */
struct push *push__new(const struct config *cfg, struct server *srv, struct procs *procs);
/* The fd the loop waits on (readable: call push__event()). */
int push__fd(const struct push *p);
/* Connects, sends and reads what is ready, without blocking. */
void push__event(struct push *p);
/* Queues the windows closed since the last tick, starts due pushes, ends late ones. */
void push__tick(struct push *p);
/* The status verb's lines: "push_<counter> N". */
int push__status(const void *push, struct strbuf *sb);
/* Closes the connection, drops the queue.  NULL is fine. */
void push__free(struct push *p);

#endif /* PYPROFD_PUSH_H */
