/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the state of the whole daemon, until each module owns its own. */
#ifndef PYPROFD_DAEMON_H
#define PYPROFD_DAEMON_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "config.h"

struct procs;
struct ksyms;
struct sampler;
struct server;
struct state;
struct threads;

struct daemon {
	const struct config *cfg;	/* parsed once, never changed */
	struct sampler *sampler;	/* the BPF side */
	struct ksyms *ksyms;
	int epfd, sigfd, timerfd;
	bool exiting;
	bool ring_more;		/* the last drain stopped at its batch: events are waiting */
	__u64 start_ns, last_rescan_ns, last_expire_ns;
	struct procs *procs;		/* the process table, discovery */
	struct threads *threads;	/* seeding the BPF tstate cache */
	struct state *state;		/* history on disk */
	struct server *server;		/* the socket and its clients */
};

#endif /* PYPROFD_DAEMON_H */
