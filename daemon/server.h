/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the Unix socket server answering pyprofctl (protocol in proto/proto.h). */
#ifndef PYPROFD_SERVER_H
#define PYPROFD_SERVER_H

#include <linux/types.h>
#include <stdbool.h>
#include <sys/types.h>

struct client;
struct config;
struct ksyms;
struct procs;
struct sampler;
struct proto_request;
struct server;
struct state;
struct strbuf;
struct threads;

#define PYPROFD_PEER_GROUPS 256	/* a peer's supplementary groups looked at; more: none */

/* Who is at the other end of a connection. */
struct server_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	size_t nr_groups;	/* supplementary groups; 0 if there are more than fit */
	gid_t groups[PYPROFD_PEER_GROUPS];
};

/* The modules requests are answered from. */
struct native;

struct server_deps {
	struct procs *procs;
	struct sampler *sampler;
	struct threads *threads;
	struct state *state;
	const struct ksyms *ksyms;	/* dump's kernel function names; NULL: /proc's */
	const struct native *native;	/* --native's counters; NULL: off */
	__u64 start_ns;		/* when the daemon started: status's uptime */
	/*
	 * For tests, NULL otherwise: the peer of a new connection (instead of
	 * SO_PEERCRED and SO_PEERGROUPS; 0 or -errno), and the clock of client
	 * deadlines (instead of now_ns()).
	 */
	int (*peer)(int fd, struct server_peer *ret);
	__u64 (*now)(void);
};

/* A server not listening yet; clients go into epfd.  NULL on ENOMEM. */
struct server *server__new(const struct config *cfg, int epfd, const struct server_deps *m);

/* The listening socket: systemd's, or bound at --socket. 0 or -Exxx. */
int server__listen(struct server *srv);
/* Takes every waiting connection. */
int server__accept(struct server *srv);
/* Reads a client's request, answers it, sends its reply, as the events allow. */
int server__client_event(struct server *srv, struct client *c, __u32 events);
/* Shuts down clients past their deadlines. */
void server__tick(struct server *srv);
/*
 * Answers req as the socket answers a client of no uid, privileged (root's
 * view) or not (no process to see): the reply, header line and payload,
 * replaces *reply.  For other front ends (http.h), which then share the
 * socket's verbs, selection and access rules.  0 or -ENOMEM.
 */
int server__query(struct server *srv, const struct proto_request *req, bool privileged,
		  struct strbuf *reply);
/*
 * More lines for a privileged status reply, from a module the server does
 * not know (push.h): fn(ctx, sb) appends "key value" lines.
 */
void server__set_status_hook(struct server *srv, int (*fn)(const void *ctx, struct strbuf *sb),
			     const void *ctx);
/* The listening socket's fd, to wait on for server__accept(). */
int server__fd(const struct server *srv);
/* Closes every client and the socket (removing it if it was bound here).  NULL is fine. */
void server__free(struct server *srv);

#endif /* PYPROFD_SERVER_H */
