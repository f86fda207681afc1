// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for pyprofd's command line (daemon/config.c): defaults, limits, what is refused. */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "testhelp.h"
#include "base/util.h"
#include "config.h"

/* Parses the arguments after "pyprofd" (NULL-terminated) into cfg. */
#define PARSE(cfg, ...)                                                                    \
	({                                                                                 \
		char *_argv[] = { "pyprofd", __VA_ARGS__, NULL };                          \
		optind = 0; /* getopt starts over */                                       \
		config__parse(cfg, (int)(sizeof(_argv) / sizeof(_argv[0])) - 1, _argv);  \
	})

TEST(defaults)
{
	struct config cfg;
	char *argv[] = { "pyprofd", NULL };

	optind = 0;
	ASSERT_EQ(config__parse(&cfg, 1, argv), 1);
	ASSERT_STREQ(cfg.socket_path, PYPROFD_DEFAULT_SOCKET);
	ASSERT_STREQ(cfg.group, PYPROFD_DEFAULT_GROUP);
	ASSERT_TRUE(cfg.state_dir == NULL);
	ASSERT_EQ(cfg.rate_hz, 99);
	ASSERT_EQ(cfg.window_ns, 10 * NSEC_PER_SEC);
	ASSERT_EQ(cfg.retention_ns, 3600 * NSEC_PER_SEC);
	ASSERT_TRUE(cfg.kernel_stacks);
	ASSERT_TRUE(cfg.offcpu);
	ASSERT_EQ(cfg.offcpu_min_ns, 10 * NSEC_PER_MSEC);
	ASSERT_EQ(cfg.offcpu_sample_ns, 50 * NSEC_PER_MSEC);
	ASSERT_EQ(cfg.verbose, 0);
	/* The system's interpreter dirs are always probed. */
	ASSERT_TRUE(cfg.nr_probe_paths > 0);
	ASSERT_STREQ(cfg.probe_paths[0], "/usr/bin");
}

TEST(every_option)
{
	struct config cfg;

	ASSERT_EQ(PARSE(&cfg, "-s", "/tmp/p.sock", "-g", "prof", "-d", "/var/lib/p", "-r", "499",
			"-w", "30", "-R", "2h", "--no-kernel", "--probe", "/opt/py", "-vv",
			"--no-offcpu", "--offcpu-min", "250us", "--offcpu-sample", "2ms"),
		  1);
	ASSERT_STREQ(cfg.socket_path, "/tmp/p.sock");
	ASSERT_STREQ(cfg.group, "prof");
	ASSERT_STREQ(cfg.state_dir, "/var/lib/p");
	ASSERT_EQ(cfg.rate_hz, 499);
	ASSERT_EQ(cfg.window_ns, 30 * NSEC_PER_SEC);
	ASSERT_EQ(cfg.retention_ns, 7200 * NSEC_PER_SEC);
	ASSERT_TRUE(!cfg.kernel_stacks);
	ASSERT_TRUE(!cfg.offcpu);
	ASSERT_EQ(cfg.offcpu_min_ns, 250 * NSEC_PER_USEC);
	ASSERT_EQ(cfg.offcpu_sample_ns, 2 * NSEC_PER_MSEC);
	ASSERT_EQ(cfg.verbose, 2);
	/* --probe paths first, then the defaults. */
	ASSERT_STREQ(cfg.probe_paths[0], "/opt/py");
	ASSERT_STREQ(cfg.probe_paths[1], "/usr/bin");
}

TEST(limits_are_inclusive)
{
	struct config cfg;

	ASSERT_EQ(PARSE(&cfg, "-r", "1", "-w", "1s", "-R", "1s"), 1);
	ASSERT_EQ(PARSE(&cfg, "-r", "10000", "-w", "1h", "-R", "30d", "--offcpu-min", "10s"), 1);
	ASSERT_EQ(cfg.rate_hz, 10000);
	ASSERT_EQ(cfg.window_ns, 3600 * NSEC_PER_SEC);
	ASSERT_EQ(cfg.retention_ns, 30 * 86400 * NSEC_PER_SEC);
	ASSERT_EQ(cfg.offcpu_min_ns, 10 * NSEC_PER_SEC);
	/* The sample unit's default is never below the minimum. */
	ASSERT_EQ(cfg.offcpu_sample_ns, 10 * NSEC_PER_SEC);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "1us"), 1);
	ASSERT_EQ(cfg.offcpu_min_ns, NSEC_PER_USEC);
	ASSERT_EQ(cfg.offcpu_sample_ns, 50 * NSEC_PER_MSEC);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "20ms", "--offcpu-sample", "20ms"), 1);
	ASSERT_EQ(cfg.offcpu_sample_ns, 20 * NSEC_PER_MSEC);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-sample", "10s"), 1);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "1us", "--offcpu-sample", "1us"), 1);
}

TEST(out_of_range_is_refused)
{
	struct config cfg;

	ASSERT_EQ(PARSE(&cfg, "-r", "0"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-r", "10001"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-w", "500ms"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-w", "61m"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-R", "31d"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "0"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "11s"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "5ns"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-sample", "0"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--offcpu-sample", "11s"), -EINVAL);
	/* Drawn with a probability over 1, a short interval would weigh less than it lasted. */
	ASSERT_EQ(PARSE(&cfg, "--offcpu-min", "20ms", "--offcpu-sample", "10ms"), -EINVAL);
	/* Retention shorter than one window. */
	ASSERT_EQ(PARSE(&cfg, "-w", "60", "-R", "59"), -EINVAL);
}

TEST(bad_names_are_refused)
{
	struct config cfg;
	char long_path[200];

	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	ASSERT_EQ(PARSE(&cfg, "-s", ""), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-s", long_path), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-g", ""), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "-d", "relative/dir"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--probe", "relative"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--no-such-option"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "stray"), -EINVAL);
}

TEST(probe_paths_fill_the_table_and_no_more)
{
	static char paths[PYPROFD_MAX_PROBE_PATHS][16];
	char *argv[2 * PYPROFD_MAX_PROBE_PATHS + 2] = { "pyprofd" };
	struct config cfg;
	int argc = 1, n;

	/* How many --probe fit: the table holds them and the defaults. */
	ASSERT_EQ(PARSE(&cfg, "-v"), 1);
	n = PYPROFD_MAX_PROBE_PATHS - (int)cfg.nr_probe_paths;
	for (int i = 0; i <= n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/p%d", i);
		argv[argc++] = "--probe";
		argv[argc++] = paths[i];
	}
	optind = 0;
	ASSERT_EQ(config__parse(&cfg, argc, argv), -EINVAL);
	optind = 0;
	ASSERT_EQ(config__parse(&cfg, argc - 2, argv), 1);
	ASSERT_EQ(cfg.nr_probe_paths, PYPROFD_MAX_PROBE_PATHS);
}

TEST(http_listener_addresses)
{
	const struct sockaddr_in6 *a6;
	const struct sockaddr_in *a4;
	struct config cfg;

	ASSERT_EQ(PARSE(&cfg, "--rate", "99"), 1);
	ASSERT_TRUE(cfg.http == NULL && !cfg.http_profiles);
	ASSERT_EQ(PARSE(&cfg, "--http", "127.0.0.1:9464", "--http-profiles"), 1);
	a4 = (const struct sockaddr_in *)&cfg.http_addr;
	ASSERT_EQ(a4->sin_family, AF_INET);
	ASSERT_EQ(ntohs(a4->sin_port), 9464);
	ASSERT_EQ(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	ASSERT_EQ(cfg.http_addr_len, sizeof(*a4));
	ASSERT_TRUE(cfg.http_profiles);
	ASSERT_EQ(PARSE(&cfg, "--http", "[::1]:65535"), 1);
	a6 = (const struct sockaddr_in6 *)&cfg.http_addr;
	ASSERT_EQ(a6->sin6_family, AF_INET6);
	ASSERT_EQ(ntohs(a6->sin6_port), 65535);
	ASSERT_TRUE(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	ASSERT_EQ(PARSE(&cfg, "--http", "0.0.0.0:1"), 1);
	/* A port the kernel picks could not be scraped: refused, as is what is not numeric. */
	ASSERT_EQ(PARSE(&cfg, "--http", "127.0.0.1:0"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--http", "localhost:9464"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--http", "::1:9464"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--http", "[::1]"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--http", ":9464"), -EINVAL);
	ASSERT_EQ(PARSE(&cfg, "--http", "1.2.3.4:65536"), -EINVAL);
	/* Profiles over HTTP need a listener to serve them on. */
	ASSERT_EQ(PARSE(&cfg, "--http-profiles"), -EINVAL);
}
