/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the configuration, from the command line. */
#ifndef PYPROFD_CONFIG_H
#define PYPROFD_CONFIG_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "base/util.h"
#include "profile/profile.h"

#define PYPROFD_VERSION		"0.1.0"
#define PYPROFD_DEFAULT_SOCKET	"/run/pyprof/pyprofd.sock"
#define PYPROFD_DEFAULT_GROUP	"pyprof"	/* members see every process, like root */
#define PYPROFD_MAX_PROBE_PATHS 64
#define PYPROFD_DEFAULT_PUSH_NAME "pyprof"
#define PYPROFD_DEFAULT_OFFCPU_MIN_NS 10000000ull	/* 10 ms: see README "Off-CPU time" */
/* The default --offcpu-sample, or --offcpu-min if that is longer. */
#define PYPROFD_DEFAULT_OFFCPU_SAMPLE_NS 50000000ull

struct config {
	const char *socket_path;
	const char *group;	/* members see every process */
	const char *state_dir;	/* history kept across restarts; NULL = memory only */
	__u32 rate_hz;
	__u64 window_ns;
	__u64 retention_ns;
	bool kernel_stacks;
	bool offcpu;		/* record off-CPU intervals (the scheduler programs) */
	__u64 offcpu_min_ns;	/* shorter off-CPU intervals are drawn at random */
	__u64 offcpu_sample_ns;	/* ... with probability length / this, weighing this */
	bool native;		/* --native: copy user stacks, unwind native frames (off by default) */
	int verbose;
	const char *probe_paths[PYPROFD_MAX_PROBE_PATHS];	/* --probe, then the defaults */
	size_t nr_probe_paths;
	const char *http;	/* --http ADDR:PORT as given; NULL: no HTTP listener */
	struct sockaddr_storage http_addr;	/* ... parsed (AF_INET or AF_INET6) */
	socklen_t http_addr_len;
	bool http_profiles;	/* --http-profiles: serve every process's profile over HTTP */
	const char *push;	/* --push URL (push.h); NULL: no push */
	const char *push_name;	/* --push-name: the series' application name */
	bool push_pprof;	/* --push-format pprof (else folded) */
};

/*
 * Fills cfg from the command line, defaults first.  Returns 1 to run, 0 to
 * exit successfully (--help, --version: printed), -EINVAL (the error
 * printed).  The strings are argv's: cfg is read-only from then on.
 */
int config__parse(struct config *cfg, int argc, char **argv);

/*
 * The buckets a window's counts are kept in (profile.h): 1 s, so that ranges
 * of whole seconds are exact, where the window is whole seconds and no more
 * than PROFILE_MAX_BUCKETS of them; else the whole window.
 */
static inline __u64 config__bucket_ns(const struct config *cfg)
{
	return cfg->window_ns % NSEC_PER_SEC == 0 &&
			       cfg->window_ns / NSEC_PER_SEC <= PROFILE_MAX_BUCKETS
		       ? NSEC_PER_SEC
		       : cfg->window_ns;
}

#endif /* PYPROFD_CONFIG_H */
