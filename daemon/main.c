// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: system-wide CPU profiler daemon for Python processes. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "target/ksyms.h"
#include "base/util.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "native.h"
#include "procs.h"
#include "push.h"
#include "sampler.h"
#include "server.h"
#include "state.h"
#include "symbolize.h"
#include "threads.h"

#define PYPROFD_TICK_MS		200	/* ring buffer drain and housekeeping period */
#define PYPROFD_RESCAN_MS	5000	/* full /proc rescan, catches what events missed */

/* epoll tags: small integers for fixed fds, client pointers otherwise. */
#define TAG_SIGNAL ((__u64)1)
#define TAG_TIMER  ((__u64)2)
#define TAG_RING   ((__u64)3)
#define TAG_LISTEN ((__u64)4)
#define TAG_PENDING ((__u64)5)
#define TAG_ANALYSIS ((__u64)6)
#define TAG_HTTP     ((__u64)7)
#define TAG_PUSH     ((__u64)8)

/* The epoll loop's state and the module objects: only the loop sees every module. */
struct daemon {
	const struct config *cfg;	/* parsed once, never changed */
	struct sampler *sampler;	/* the BPF side */
	int epfd, sigfd, timerfd;
	bool exiting;
	bool ring_more;		/* the last drain stopped at its batch: events are waiting */
	__u64 start_ns, last_rescan_ns, last_expire_ns;
	struct procs *procs;		/* the process table, discovery */
	struct threads *threads;	/* seeding the BPF tstate cache */
	struct state *state;		/* history on disk */
	struct server *server;		/* the socket and its clients */
	struct http *http;		/* --http's listener, or NULL */
	struct push *push;		/* --push's sender, or NULL */
	struct symbolize_ctx sym;	/* what samples are symbolized with */
};

static struct daemon the_daemon;

static void on_event(void *ctx, const struct pyprof_event_hdr *h, size_t size)
{
	struct daemon *d = ctx;

	switch (h->kind) {
	case PYPROF_EV_SAMPLE:
		(void)symbolize__sample(&d->sym, (const struct pyprof_sample *)h, size);
		break;
	case PYPROF_EV_NATIVE:
		symbolize__native(&d->sym, (const struct pyprof_native *)h, size);
		break;
	case PYPROF_EV_CODE:
		(void)symbolize__code_snap(&d->sym, (const struct pyprof_code_snap *)h, size);
		break;
	case PYPROF_EV_EXEC:
		native__forget(d->sym.native, (int)h->pid);
		procs__exec(d->procs, h->pid, h->ts);
		break;
	case PYPROF_EV_EXIT:
		native__forget(d->sym.native, (int)h->pid);
		procs__exited(d->procs, h->pid, h->ts);
		break;
	case PYPROF_EV_DLOPEN:
		procs__dlopened(d->procs, h->pid);
		break;
	case PYPROF_EV_PYINIT:
		if (!procs__find_live(d->procs, h->pid))
			(void)procs__discover(d->procs, h->pid, DISCOVER_PYINIT);
		break;
	}
}

/*
 * A bounded drain: a client waiting for a snapshot is served between
 * batches (run() comes back at once while ring_more is set).  Drains
 * outside the loop (before a request is answered, at exit) take everything.
 */
static void ring_drain(struct daemon *d)
{
	d->ring_more = sampler__drain(d->sampler);
}

static int epoll_add(int epfd, int fd, __u32 events, __u64 tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The loop's own fds: epoll, signals (blocked first), the tick. */
static int setup_loop(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { 0, PYPROFD_TICK_MS * NSEC_PER_MSEC },
		.it_value = { 0, PYPROFD_TICK_MS * NSEC_PER_MSEC },
	};
	sigset_t mask;

	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sigfd < 0 || d->timerfd < 0)
		return -errno;
	return timerfd_settime(d->timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Every fd the loop waits on, tagged. */
static int setup_epoll(struct daemon *d)
{
	int err;

	err = epoll_add(d->epfd, d->sigfd, EPOLLIN, TAG_SIGNAL);
	err = err ?: epoll_add(d->epfd, d->timerfd, EPOLLIN, TAG_TIMER);
	err = err ?: epoll_add(d->epfd, procs__pending_fd(d->procs), EPOLLIN, TAG_PENDING);
	err = err ?: epoll_add(d->epfd, sampler__ring_fd(d->sampler), EPOLLIN, TAG_RING);
	err = err ?: epoll_add(d->epfd, server__fd(d->server), EPOLLIN, TAG_LISTEN);
	err = err ?: epoll_add(d->epfd, procs__analysis_fd(d->procs), EPOLLIN, TAG_ANALYSIS);
	if (d->http)
		err = err ?: epoll_add(d->epfd, http__fd(d->http), EPOLLIN, TAG_HTTP);
	if (d->push)
		err = err ?: epoll_add(d->epfd, push__fd(d->push), EPOLLIN, TAG_PUSH);
	return err;
}

/* History from disk, interpreters that may start later, processes already running. */
static int setup_discovery(struct daemon *d)
{
	int err;

	err = state__load(d->state);
	if (err) {
		log_msg(LOG_ERR, "Failed to use state directory '%s': %s", d->cfg->state_dir,
			strerror(-err));
		return err;
	}
	procs__probe_paths(d->procs, d->cfg->probe_paths, d->cfg->nr_probe_paths);
	err = procs__attach_dlopen(d->procs);
	if (err)
		log_msg(LOG_WARN,
			"No uretprobe on libc's dlopen (%s): embedders that load a libpython "
			"outside the probed dirs are found by the rescan",
			strerror(-err));
	procs__rescan(d->procs);
	return 0;
}

/* --http's listener, answering from the server's verbs. */
static int setup_http(struct daemon *d)
{
	int err;

	if (!d->cfg->http)
		return 0;
	d->http = http__new(d->cfg, d->server);
	if (!d->http)
		return -errno;
	err = http__listen(d->http);
	if (err) {
		log_msg(LOG_ERR, "Failed to listen on --http '%s': %s", d->cfg->http,
			strerror(-err));
		return err;
	}
	log_msg(LOG_INFO, "HTTP on %s: /metrics%s", d->cfg->http,
		d->cfg->http_profiles ? ", /debug/pprof/profile (every process)" : "");
	return 0;
}

/* --push's sender, pushing what the server's snapshot verb answers. */
static int setup_push(struct daemon *d)
{
	if (!d->cfg->push)
		return 0;
	d->push = push__new(d->cfg, d->server, d->procs);
	if (!d->push) {
		log_msg(LOG_ERR, "Failed to set up --push '%s': %s", d->cfg->push,
			errno == EHOSTUNREACH ? "host name not resolved" : strerror(errno));
		return -errno;
	}
	server__set_status_hook(d->server, push__status, d->push);
	log_msg(LOG_INFO, "pushing each %llus window to %s/ingest as %s{...}",
		(unsigned long long)(d->cfg->window_ns / NSEC_PER_SEC), d->cfg->push,
		d->cfg->push_name);
	return 0;
}

static int setup(struct daemon *d)
{
	struct server_deps deps;
	int err;

	/*
	 * Replies of megabytes are built and freed all the time: a fixed mmap
	 * threshold gives their memory back when they are sent (glibc's sliding
	 * one would move them onto the heap, which keeps what it grew to).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	d->start_ns = now_ns();
	d->last_rescan_ns = d->last_expire_ns = d->start_ns;

	d->sampler = sampler__new(d->cfg, on_event, d);
	if (!d->sampler)
		return -errno;
	d->sym.ksyms = ksyms__load("/proc/kallsyms");
	if (!d->sym.ksyms)
		log_msg(LOG_WARN, "Kernel symbols unavailable (%s), kernel frames will be addresses",
			strerror(errno));
	err = setup_loop(d);
	if (err)
		return err;
	/* After blocking the signals: the analysis thread inherits the mask. */
	d->procs = procs__new("/proc", d->cfg, d->sampler);
	if (!d->procs)
		return -errno;
	d->threads = threads__new(d->sampler, d->procs);
	d->state = state__new(d->cfg, d->procs);
	if (!d->threads || !d->state)
		return -ENOMEM;
	if (d->cfg->native) {
		d->sym.native = native__new();
		if (!d->sym.native)
			return -ENOMEM;
	}
	d->sym.procs = d->procs;
	d->sym.sampler = d->sampler;
	d->sym.threads = d->threads;
	deps = (struct server_deps){ .procs = d->procs, .sampler = d->sampler,
				     .threads = d->threads, .state = d->state,
				     .ksyms = d->sym.ksyms, .native = d->sym.native,
				     .start_ns = d->start_ns };
	d->server = server__new(d->cfg, d->epfd, &deps);
	if (!d->server)
		return -ENOMEM;
	err = server__listen(d->server);
	if (err) {
		log_msg(LOG_ERR, "Failed to listen on '%s': %s", d->cfg->socket_path,
			strerror(-err));
		return err;
	}
	err = setup_http(d) ?: setup_push(d) ?: setup_epoll(d) ?: setup_discovery(d);
	if (err)
		return err;
	err = sampler__start(d->sampler);
	if (err) {
		log_msg(LOG_ERR, "Failed to attach cpu-clock sampling: %s", strerror(-err));
		return err;
	}
	log_msg(LOG_INFO, "sampling %d CPUs at %u Hz, window %llus, retention %llus, socket '%s'",
		sampler__nr_cpus(d->sampler), d->cfg->rate_hz,
		(unsigned long long)(d->cfg->window_ns / NSEC_PER_SEC),
		(unsigned long long)(d->cfg->retention_ns / NSEC_PER_SEC), d->cfg->socket_path);
	return 0;
}

static void tick(struct daemon *d)
{
	__u64 expirations, now;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARN, "timerfd read failed: %s", strerror(errno));
	ring_drain(d);
	now = now_ns();
	server__tick(d->server);
	if (d->http)
		http__tick(d->http);
	if (d->push)
		push__tick(d->push);
	threads__tick(d->threads);
	if (now - d->last_rescan_ns >= PYPROFD_RESCAN_MS * NSEC_PER_MSEC) {
		d->last_rescan_ns = now;
		/*
		 * The rescan takes a process gone from /proc for one whose exit
		 * event was lost: the events a bounded drain left are read first,
		 * or the samples of a process that exited meanwhile find none.
		 */
		if (d->ring_more) {
			sampler__drain_all(d->sampler);
			d->ring_more = false;
		}
		procs__rescan(d->procs);
	}
	if (now - d->last_expire_ns >= NSEC_PER_SEC) {
		d->last_expire_ns = now;
		state__tick(d->state);
		procs__expire(d->procs);
	}
}

static int run(struct daemon *d)
{
	struct epoll_event evs[32];

	while (!d->exiting) {
		int n = epoll_wait(d->epfd, evs, 32, d->ring_more ? 0 : -1);
		bool drained = false;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			__u64 tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
					log_msg(LOG_INFO, "signal %u, exiting", si.ssi_signo);
					d->exiting = true;
				}
			} else if (tag == TAG_TIMER) {
				tick(d);
				drained = true;
			} else if (tag == TAG_PENDING) {
				procs__pending_tick(d->procs);
			} else if (tag == TAG_ANALYSIS) {
				procs__analysis_done(d->procs);
			} else if (tag == TAG_RING) {
				ring_drain(d);
				drained = true;
			} else if (tag == TAG_HTTP) {
				http__event(d->http);
			} else if (tag == TAG_PUSH) {
				push__event(d->push);
			} else if (tag == TAG_LISTEN) {
				(void)server__accept(d->server);
			} else {
				(void)server__client_event(
					d->server, (struct client *)(uintptr_t)tag, evs[i].events);
			}
		}
		if (d->ring_more && !drained)
			ring_drain(d);
	}
	return 0;
}

static void teardown(struct daemon *d, bool save)
{
	push__free(d->push);
	http__free(d->http);
	server__free(d->server);
	/* No samples from here on: on a busy host they can come faster than a drain ends. */
	sampler__stop(d->sampler);
	if (save) {
		/* What the ring buffer still holds, then every unsaved window. */
		if (d->sampler) {
			do
				ring_drain(d);
			while (d->ring_more);
		}
		state__flush(d->state);
	}
	state__free(d->state);
	/* After the last drain: its events may still queue analyses (dropped here). */
	threads__free(d->threads);
	procs__free(d->procs);
	sampler__free(d->sampler);
	ksyms__free(d->sym.ksyms);
	native__free(d->sym.native);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
}

int main(int argc, char **argv)
{
	static struct config cfg;
	struct daemon *d = &the_daemon;
	int err;

	err = config__parse(&cfg, argc, argv);
	if (err <= 0)
		return err < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	log_set_verbose(cfg.verbose);
	d->cfg = &cfg;
	d->epfd = d->sigfd = d->timerfd = -1;
	/* Before anything stamps a profile time: the clock must not move under history. */
	if (profclock__init() < 0)
		log_msg(LOG_WARN, "Wall clock reads before the epoch plus uptime: profile times are "
				  "not wall-clock times");

	err = setup(d);
	if (err == 0)
		err = run(d);
	teardown(d, err == 0);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
