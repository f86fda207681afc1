/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the Unix socket server answering pyprofctl (protocol in proto/proto.h). */
#ifndef PYPROFD_SERVER_H
#define PYPROFD_SERVER_H

#include <linux/types.h>

struct client;
struct daemon;

/* The listening socket: systemd's, or bound at --socket. 0 or -Exxx. */
int server__listen(struct daemon *d);
/* Takes every waiting connection. */
int server__accept(struct daemon *d);
/* Reads a client's request, answers it, sends its reply, as the events allow. */
int server__client_event(struct daemon *d, struct client *c, __u32 events);
/* Shuts down clients past their deadlines. */
void server__tick(struct daemon *d);
/* Closes every client and the socket (removing it if it was bound here). */
void server__close_all(struct daemon *d);

#endif /* PYPROFD_SERVER_H */
