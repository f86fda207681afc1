/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: the epoll loop's state and the module objects (main.c).  The
 * other modules take their own objects; symbolize__sample() still takes
 * this to reach the table, the sampler, the seeder and the kernel symbols.
 */
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
