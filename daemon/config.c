// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: the command line, parsed once into the configuration every module reads. */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "base/util.h"
#include "proto/ingest.h"
#include "config.h"

/* Where interpreters usually live: their init uprobes are attached at start. */
static const char *const default_probe_paths[] = {
	"/usr/bin",	 "/usr/local/bin",  "/usr/lib", "/usr/lib64", "/usr/local/lib",
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
};

#define NR_DEFAULT_PROBE_PATHS (sizeof(default_probe_paths) / sizeof(default_probe_paths[0]))
/* --probe paths: what the table leaves beside the defaults. */
#define MAX_USER_PROBE_PATHS   (PYPROFD_MAX_PROBE_PATHS - NR_DEFAULT_PROBE_PATHS)

enum { ARG_VERSION = 0x100, ARG_NO_KERNEL, ARG_PROBE, ARG_NO_OFFCPU, ARG_OFFCPU_MIN, ARG_NATIVE,
       ARG_HTTP, ARG_HTTP_PROFILES, ARG_PUSH, ARG_PUSH_NAME, ARG_PUSH_FORMAT, ARG_OFFCPU_SAMPLE };

static void help(void)
{
	printf("Usage: pyprofd [OPTIONS]\n"
	       "\n"
	       "Always-on CPU profiler for every Python process on this host. Samples\n"
	       "Python and kernel stacks with eBPF, folds them into time windows and\n"
	       "answers pyprofctl on a Unix socket.\n"
	       "\n"
	       "Options:\n"
	       "  -s, --socket PATH      socket to listen on (default %s); its directory\n"
	       "                         must be ours and not group/other-writable\n"
	       "  -g, --group NAME       members of this group see every process; other\n"
	       "                         users only their own (default pyprof)\n"
	       "  -r, --rate HZ          samples per second per CPU (default 99, 1-10000)\n"
	       "  -w, --window SECONDS   length of one time window (default 10)\n"
	       "  -R, --retention DUR    history kept, e.g. 3600, 90m, 1h (default 1h)\n"
	       "  -d, --state-dir DIR    keep finished windows in DIR (zlib), so a restart\n"
	       "                         loses no history (default: memory only); DIR must\n"
	       "                         be ours and not group/other-writable\n"
	       "      --no-kernel        do not record kernel stacks\n"
	       "      --native           also record native (C) frames: 8 KiB of user stack\n"
	       "                         copied per sample, unwound by pyprofd (libdw);\n"
	       "                         a 16 MiB ring buffer instead of 4 MiB\n"
	       "      --no-offcpu        do not record off-CPU time (no scheduler programs)\n"
	       "      --offcpu-min DUR   off-CPU intervals of DUR or more are each recorded\n"
	       "                         with their length (default 10ms, 1us-10s)\n"
	       "      --offcpu-sample DUR\n"
	       "                         shorter ones are recorded with probability\n"
	       "                         length/DUR, weighing DUR (unbiased; on average one\n"
	       "                         walk per DUR a thread spends in short waits);\n"
	       "                         at least --offcpu-min (default 50ms or\n"
	       "                         --offcpu-min if longer, 1us-10s)\n"
	       "      --probe PATH       also watch the interpreters in PATH (a libpython or\n"
	       "                         python binary, or a directory of them) for starts;\n"
	       "                         repeatable (system lib and bin dirs always are)\n"
	       "      --http ADDR:PORT   serve Prometheus metrics (/metrics) over HTTP on\n"
	       "                         ADDR:PORT, e.g. 127.0.0.1:9464, [::1]:9464,\n"
	       "                         0.0.0.0:9464 (default: no HTTP listener); anyone\n"
	       "                         who can connect may read them\n"
	       "      --http-profiles    also serve every process's pprof profile there\n"
	       "                         (/debug/pprof/profile?pid=N&seconds=S): TCP says\n"
	       "                         nothing of who connects, so whoever can reach\n"
	       "                         the port sees every process, as root does\n"
	       "      --push URL         push every process's profile of each closed window\n"
	       "                         to a Grafana Pyroscope /ingest API at URL,\n"
	       "                         http://HOST[:PORT][/PREFIX] (https is not\n"
	       "                         supported; HOST resolved once, at start)\n"
	       "      --push-name APP    the series name pushed (default pyprof), labels\n"
	       "                         host, pid, comm, python, unit, container added\n"
	       "      --push-format FMT  folded (default) or pprof (gzipped protobuf)\n"
	       "  -v, --verbose          more logging (twice: libbpf debug output)\n"
	       "  -h, --help             show this help\n"
	       "      --version          show the version\n"
	       "\n"
	       "Examples:\n"
	       "  pyprofd                       # defaults: 99 Hz, 10 s windows, 1 h history\n"
	       "  pyprofd --rate 499 --socket /run/pyprof-dev.sock   # in a dir only root writes\n"
	       "  pyprofd --state-dir /var/lib/pyprof   # history survives restarts (the unit's way)\n"
	       "  pyprofctl snapshot --pid 1234 --seconds 30 | flamegraph.pl > cpu.svg\n"
	       "  pyprofd --http 127.0.0.1:9464 --http-profiles\n"
	       "  go tool pprof 'http://127.0.0.1:9464/debug/pprof/profile?pid=1234&seconds=30'\n"
	       "  pyprofd --push http://pyroscope.example:4040 --push-name billing\n",
	       PYPROFD_DEFAULT_SOCKET);
}

/* A duration option within [min_ns, max_ns]; range says so in the error. */
static int opt_duration(const char *name, const char *arg, __u64 min_ns, __u64 max_ns,
			const char *range, __u64 *ret_ns)
{
	__u64 ns;

	if (parse_duration_ns(arg, &ns) < 0 || ns < min_ns || ns > max_ns) {
		fprintf(stderr, "pyprofd: invalid --%s '%s' (%s)\n", name, arg, range);
		return -EINVAL;
	}
	*ret_ns = ns;
	return 0;
}

/* --push's URL: http:// only (no TLS here: a local relay can add it). */
static int opt_push(const char *arg)
{
	struct ingest_url u;
	int r = ingest__parse_url(arg, &u);

	if (r == -EPROTONOSUPPORT)
		fprintf(stderr, "pyprofd: --push '%s': only http:// URLs are supported (no TLS: "
				"push to a local proxy that adds it)\n", arg);
	else if (r)
		fprintf(stderr, "pyprofd: invalid --push '%s' (http://HOST[:PORT][/PREFIX])\n",
			arg);
	return r ? -EINVAL : 0;
}

/* --push-name: the application part of Pyroscope's series key, [A-Za-z0-9._-], 1..64 bytes. */
static int opt_push_name(const char *arg)
{
	size_t n = strlen(arg);

	if (n == 0 || n > 64 || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789._-") != n) {
		fprintf(stderr, "pyprofd: invalid --push-name '%s' (1-64 of A-Z a-z 0-9 . _ -)\n",
			arg);
		return -EINVAL;
	}
	return 0;
}

/*
 * --http's ADDR:PORT: a numeric IPv4 address, or an IPv6 one in brackets, and
 * a port of 1-65535 (a port the kernel picks could not be put in a scraper's
 * configuration).
 */
static int opt_http(struct config *cfg, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cfg->http_addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cfg->http_addr;
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - arg) : 0;
	long long port;

	if (!colon || hlen == 0 || hlen >= sizeof(host) ||
	    parse_int_range(colon + 1, 1, 65535, &port) < 0)
		goto bad;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	memset(&cfg->http_addr, 0, sizeof(cfg->http_addr));
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		cfg->http_addr_len = sizeof(*a6);
	} else {
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		cfg->http_addr_len = sizeof(*a4);
	}
	cfg->http = arg;
	return 0;
bad:
	fprintf(stderr, "pyprofd: invalid --http '%s' (ADDR:PORT, e.g. 127.0.0.1:9464 or "
			"[::1]:9464, port 1-65535)\n", arg);
	return -EINVAL;
}

/* The options that name a place: --socket, --group, --state-dir, --probe. */
static int opt_name(struct config *cfg, int c, const char *arg)
{
	switch (c) {
	case 's':
		if (!*arg || strlen(arg) >= 108) {
			fprintf(stderr, "pyprofd: invalid socket path '%s'\n", arg);
			return -EINVAL;
		}
		cfg->socket_path = arg;
		return 0;
	case 'g':
		if (!*arg || strlen(arg) > 64) {
			fprintf(stderr, "pyprofd: invalid group name '%s'\n", arg);
			return -EINVAL;
		}
		cfg->group = arg;
		return 0;
	case 'd':
		if (arg[0] != '/' || strlen(arg) > 3000) {
			fprintf(stderr, "pyprofd: invalid --state-dir '%s' (an absolute path)\n", arg);
			return -EINVAL;
		}
		cfg->state_dir = arg;
		return 0;
	default: /* ARG_PROBE */
		if (arg[0] != '/' || cfg->nr_probe_paths >= MAX_USER_PROBE_PATHS) {
			fprintf(stderr,
				"pyprofd: invalid --probe '%s' (an absolute path; at most %zu)\n", arg,
				MAX_USER_PROBE_PATHS);
			return -EINVAL;
		}
		cfg->probe_paths[cfg->nr_probe_paths++] = arg;
		return 0;
	}
}

/* One option: <0 error, 0 exit success (help/version), >0 go on. */
static int parse_option(struct config *cfg, int c, const char *arg)
{
	long long v;

	switch (c) {
	case 's':
	case 'g':
	case 'd':
	case ARG_PROBE:
		return opt_name(cfg, c, arg) ?: 1;
	case 'r':
		if (parse_int_range(arg, 1, 10000, &v) < 0) {
			fprintf(stderr, "pyprofd: invalid --rate '%s' (1-10000)\n", arg);
			return -EINVAL;
		}
		cfg->rate_hz = (__u32)v;
		return 1;
	case 'w':
		return opt_duration("window", arg, NSEC_PER_SEC, 3600 * NSEC_PER_SEC, "1s-1h",
				    &cfg->window_ns) ?: 1;
	case 'R':
		return opt_duration("retention", arg, NSEC_PER_SEC, 30 * 86400 * NSEC_PER_SEC,
				    "1s-30d", &cfg->retention_ns) ?: 1;
	case ARG_NO_KERNEL:
		cfg->kernel_stacks = false;
		return 1;
	case ARG_HTTP:
		return opt_http(cfg, arg) ?: 1;
	case ARG_HTTP_PROFILES:
		cfg->http_profiles = true;
		return 1;
	case ARG_PUSH:
		cfg->push = arg;
		return opt_push(arg) ?: 1;
	case ARG_PUSH_FORMAT:
		if (strcmp(arg, "folded") && strcmp(arg, "pprof")) {
			fprintf(stderr, "pyprofd: invalid --push-format '%s' (folded or pprof)\n",
				arg);
			return -EINVAL;
		}
		cfg->push_pprof = !strcmp(arg, "pprof");
		return 1;
	case ARG_PUSH_NAME:
		cfg->push_name = arg;
		return opt_push_name(arg) ?: 1;
	case ARG_NO_OFFCPU:
		cfg->offcpu = false;
		return 1;
	case ARG_NATIVE:
		cfg->native = true;
		return 1;
	case ARG_OFFCPU_MIN:
		return opt_duration("offcpu-min", arg, NSEC_PER_USEC, 10 * NSEC_PER_SEC, "1us-10s",
				    &cfg->offcpu_min_ns) ?: 1;
	case ARG_OFFCPU_SAMPLE:
		return opt_duration("offcpu-sample", arg, NSEC_PER_USEC, 10 * NSEC_PER_SEC,
				    "1us-10s", &cfg->offcpu_sample_ns) ?: 1;
	case 'v':
		cfg->verbose++;
		return 1;
	case 'h':
		help();
		return 0;
	case ARG_VERSION:
		printf("pyprofd %s\n", PYPROFD_VERSION);
		return 0;
	default:
		fprintf(stderr, "Try 'pyprofd --help'.\n");
		return -EINVAL;
	}
}

/* --offcpu-sample, checked against --offcpu-min or made from it: 0 or -EINVAL. */
static int offcpu_sample(struct config *cfg)
{
	/* A draw with probability over 1 would weigh an interval less than its length. */
	if (cfg->offcpu_sample_ns && cfg->offcpu_sample_ns < cfg->offcpu_min_ns) {
		fprintf(stderr, "pyprofd: --offcpu-sample must be at least --offcpu-min\n");
		return -EINVAL;
	}
	if (!cfg->offcpu_sample_ns)
		cfg->offcpu_sample_ns = cfg->offcpu_min_ns > PYPROFD_DEFAULT_OFFCPU_SAMPLE_NS
						? cfg->offcpu_min_ns
						: PYPROFD_DEFAULT_OFFCPU_SAMPLE_NS;
	return 0;
}

int config__parse(struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "retention", required_argument, NULL, 'R' },
		{ "no-kernel", no_argument, NULL, ARG_NO_KERNEL },
		{ "probe", required_argument, NULL, ARG_PROBE },
		{ "no-offcpu", no_argument, NULL, ARG_NO_OFFCPU },
		{ "native", no_argument, NULL, ARG_NATIVE },
		{ "offcpu-min", required_argument, NULL, ARG_OFFCPU_MIN },
		{ "offcpu-sample", required_argument, NULL, ARG_OFFCPU_SAMPLE },
		{ "http", required_argument, NULL, ARG_HTTP },
		{ "http-profiles", no_argument, NULL, ARG_HTTP_PROFILES },
		{ "push", required_argument, NULL, ARG_PUSH },
		{ "push-name", required_argument, NULL, ARG_PUSH_NAME },
		{ "push-format", required_argument, NULL, ARG_PUSH_FORMAT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c, r;

	*cfg = (struct config){
		.socket_path = PYPROFD_DEFAULT_SOCKET,
		.group = PYPROFD_DEFAULT_GROUP,
		.rate_hz = 99,
		.window_ns = 10 * NSEC_PER_SEC,
		.retention_ns = 3600 * NSEC_PER_SEC,
		.kernel_stacks = true,
		.offcpu = true,
		.offcpu_min_ns = PYPROFD_DEFAULT_OFFCPU_MIN_NS,
		.push_name = PYPROFD_DEFAULT_PUSH_NAME,
	};
	while ((c = getopt_long(argc, argv, "s:g:d:r:w:R:vh", opts, NULL)) >= 0) {
		r = parse_option(cfg, c, optarg);
		if (r <= 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	for (size_t i = 0; i < NR_DEFAULT_PROBE_PATHS; i++)
		cfg->probe_paths[cfg->nr_probe_paths++] = default_probe_paths[i];
	if (cfg->http_profiles && !cfg->http) {
		fprintf(stderr, "pyprofd: --http-profiles needs --http\n");
		return -EINVAL;
	}
	if ((cfg->push_pprof || strcmp(cfg->push_name, PYPROFD_DEFAULT_PUSH_NAME)) && !cfg->push) {
		fprintf(stderr, "pyprofd: --push-name and --push-format need --push\n");
		return -EINVAL;
	}
	if (offcpu_sample(cfg))
		return -EINVAL;
	if (cfg->retention_ns < cfg->window_ns) {
		fprintf(stderr, "pyprofd: --retention must be at least one --window\n");
		return -EINVAL;
	}
	return 1;
}
