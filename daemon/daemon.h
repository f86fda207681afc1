/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the state of the whole daemon, until each module owns its own. */
#ifndef PYPROFD_DAEMON_H
#define PYPROFD_DAEMON_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "procs.h"

struct analyzer;
struct bpf_link;
struct client;
struct interp_file;
struct ksyms;
struct sampler;

struct daemon {
	const struct config *cfg;	/* parsed once, never changed */
	struct sampler *sampler;	/* the BPF side */
	struct ksyms *ksyms;
	int epfd, sigfd, timerfd, pendfd, listenfd;
	int state_dirfd;		/* --state-dir, opened and checked once; -1 = none */
	int sock_dirfd;			/* the socket's directory, opened and checked once */
	__u64 sock_dev, sock_ino;	/* the socket file bound there: only it is unlinked */
	bool exiting;
	bool ring_more;		/* the last drain stopped at its batch: events are waiting */
	bool socket_activated;	/* listenfd came from systemd */
	__u64 start_ns, last_rescan_ns, last_expire_ns;
	struct pyproc *procs[PYPROFD_PROC_BUCKETS];
	struct pending *pending;
	struct seen_set not_python;
	struct interp_file *interp_files;	/* analysed ELF files, by dev/inode */
	size_t nr_interp_files;
	struct analyzer *analyzer;		/* the ELF analysis worker thread */
	struct bpf_link *dlopen_link;		/* uretprobe on libc's dlopen */
	__u64 elf_rejected, elf_too_big, elf_failed, elf_analysed;
	struct client *clients;
	int nr_clients;
	/* Daemon-side counters. */
	__u64 samples_in, samples_unknown_pid, events_exec, events_exit, events_pyinit;
	__u64 events_dlopen;
	__u64 clients_rejected, requests, request_errors, replies_refused;
	__u64 discovered[DISCOVER__MAX];
	__u64 state_written;		/* next window index to save */
	bool fast_poll_on;		/* pendfd armed */
	__u64 state_write_errors, state_files_bad;
	__u64 tstate_seeds, tstate_seeded, tstate_seed_errors, tstate_seed_rewalks, tstate_seed_ns;
};

#endif /* PYPROFD_DAEMON_H */
