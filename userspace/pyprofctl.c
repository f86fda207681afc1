// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl: query pyprofd for profiles of Python processes. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "proto.h"
#include "strbuf.h"
#include "util.h"

#define PYPROFCTL_VERSION	 "0.1.0"
#define PYPROFCTL_TIMEOUT_S	 30
#define DEFAULT_SOCKET		 "/run/pyprof/pyprofd.sock"

struct ctl_config {
	const char *socket_path;
};

static struct ctl_config cfg = { .socket_path = DEFAULT_SOCKET };

static void help(void)
{
	printf("Usage: pyprofctl [--socket PATH] COMMAND [OPTIONS]\n"
	       "\n"
	       "Ask pyprofd for CPU profiles of the Python processes on this host.\n"
	       "\n"
	       "Commands:\n"
	       "  snapshot --pid N [--seconds S]\n"
	       "                   folded stacks (FlameGraph format) of process N over the\n"
	       "                   last S seconds (default 60): one line per stack, root\n"
	       "                   first, frames joined by ';', then the sample count\n"
	       "  list [--all]     Python processes pyprofd sees (--all: with exited ones\n"
	       "                   whose history is still kept)\n"
	       "  status           daemon health: rate, processes, samples, BPF counters\n"
	       "\n"
	       "Options:\n"
	       "  -s, --socket PATH  pyprofd's socket (default %s)\n"
	       "  -h, --help         show this help\n"
	       "      --version      show the version\n"
	       "\n"
	       "Examples:\n"
	       "  pyprofctl list\n"
	       "  pyprofctl snapshot --pid 1234 --seconds 30 > app.folded\n"
	       "  pyprofctl snapshot --pid 1234 | flamegraph.pl > app.svg\n"
	       "\n"
	       "Exit status: 0 on success, 1 on any error (daemon not running, unknown or\n"
	       "non-Python pid, bad arguments).\n",
	       DEFAULT_SOCKET);
}

/* Sends one request and reads the reply; payload in *out. Returns 0 or -errno with msg set. */
static int call(const struct proto_request *req, struct strbuf *out, char *msg, size_t msgsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PYPROFCTL_TIMEOUT_S };
	char line[PROTO_MAX_REQUEST + 1], hdr[PROTO_MAX_MESSAGE + 64];
	size_t hlen = 0, want = 0;
	int fd, n, err;

	if (strlen(cfg.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(msg, msgsz, "socket path too long: '%s'", cfg.socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, cfg.socket_path);
	n = proto__format_request(req, line, sizeof(line));
	if (n < 0) {
		snprintf(msg, msgsz, "invalid request");
		return n;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msgsz, "socket: %s", strerror(-err));
		return err;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		snprintf(msg, msgsz, "pyprofd is not running? cannot connect to '%s': %s",
			 cfg.socket_path, strerror(-err));
		goto cleanup;
	}
	if (send(fd, line, n, MSG_NOSIGNAL) != n) {
		err = -errno;
		snprintf(msg, msgsz, "cannot send request: %s", strerror(errno));
		goto cleanup;
	}
	/* Header line, byte by byte so no payload is consumed. */
	for (;;) {
		ssize_t r = recv(fd, hdr + hlen, 1, 0);

		if (r <= 0) {
			err = r < 0 ? -errno : -ECONNRESET;
			snprintf(msg, msgsz, "no reply from pyprofd: %s",
				 r < 0 ? strerror(errno) : "connection closed");
			goto cleanup;
		}
		if (hdr[hlen++] == '\n')
			break;
		if (hlen >= sizeof(hdr) - 1) {
			err = -EPROTO;
			snprintf(msg, msgsz, "malformed reply from pyprofd");
			goto cleanup;
		}
	}
	err = proto__parse_reply_header(hdr, hlen, &want, msg, msgsz);
	if (err < 0) {
		if (err == -EPROTO && !*msg)
			snprintf(msg, msgsz, "malformed reply from pyprofd");
		goto cleanup;
	}
	while (out->len < want) {
		char buf[65536];
		size_t chunk = want - out->len < sizeof(buf) ? want - out->len : sizeof(buf);
		ssize_t r = recv(fd, buf, chunk, 0);

		if (r <= 0) {
			err = r < 0 ? -errno : -ECONNRESET;
			snprintf(msg, msgsz, "reply cut short (%zu of %zu bytes)", out->len, want);
			goto cleanup;
		}
		if (strbuf__append(out, buf, r)) {
			err = -ENOMEM;
			snprintf(msg, msgsz, "out of memory");
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	close(fd);
	return err;
}

static int run_call(const struct proto_request *req, struct strbuf *out)
{
	char msg[PROTO_MAX_MESSAGE + 64] = "";
	int err = call(req, out, msg, sizeof(msg));

	if (err < 0)
		fprintf(stderr, "pyprofctl: %s\n", *msg ? msg : strerror(-err));
	return err;
}

static int write_all(const char *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, stdout) != len)
		return -EIO;
	return fflush(stdout) ? -EIO : 0;
}

static int verb_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pid = NULL, *seconds = NULL;
	struct proto_request req;
	struct strbuf out = { 0 };
	long long v;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:S:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (parse_int_range(optarg, 1, 0x7fffffff, &v) < 0) {
				fprintf(stderr, "pyprofctl: invalid --pid '%s'\n", optarg);
				return -EINVAL;
			}
			pid = optarg;
			break;
		case 'S':
			if (parse_int_range(optarg, 1, 100ll * 365 * 86400, &v) < 0) {
				fprintf(stderr, "pyprofctl: invalid --seconds '%s'\n", optarg);
				return -EINVAL;
			}
			seconds = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!pid) {
		fprintf(stderr, "pyprofctl: snapshot needs --pid N\n");
		return -EINVAL;
	}
	proto_request__init(&req, "snapshot");
	err = proto_request__add(&req, "pid", pid);
	if (!err && seconds)
		err = proto_request__add(&req, "seconds", seconds);
	if (err)
		return err;
	err = run_call(&req, &out);
	if (!err) {
		if (!out.len)
			fprintf(stderr, "pyprofctl: no samples for pid %s in the last %s s\n", pid,
				seconds ? seconds : "60");
		err = write_all(out.buf, out.len);
	}
	strbuf__done(&out);
	return err;
}

/* Prints the daemon's tab-separated table with aligned columns. */
static int print_table(char *text)
{
	size_t widths[16] = { 0 }, ncols = 0;
	char *save, *line;
	struct strbuf copy = { 0 };

	if (strbuf__puts(&copy, text))
		return -ENOMEM;
	for (line = strtok_r(copy.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t col = 0;

		for (char *f = line, *t; f && col < 16; f = t ? t + 1 : NULL, col++) {
			size_t len;

			t = strchr(f, '\t');
			len = t ? (size_t)(t - f) : strlen(f);
			if (len > widths[col])
				widths[col] = len;
		}
		if (col > ncols)
			ncols = col;
	}
	strbuf__done(&copy);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t col = 0;
		struct strbuf row = { 0 };

		for (char *f = line, *t; f && col < 16; f = t ? t + 1 : NULL, col++) {
			t = strchr(f, '\t');
			if (t)
				*t = '\0';
			(void)strbuf__printf(&row, "%s%-*s", col ? "  " : "",
					     t ? (int)widths[col] : 0, f);
		}
		while (row.len && row.buf[row.len - 1] == ' ')
			row.buf[--row.len] = '\0';
		printf("%s\n", row.buf ? row.buf : "");
		strbuf__done(&row);
	}
	return fflush(stdout) ? -EIO : 0;
}

static int verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct proto_request req;
	struct strbuf out = { 0 };
	bool all = false;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	proto_request__init(&req, "list");
	if (all)
		(void)proto_request__add(&req, "all", "1");
	err = run_call(&req, &out);
	if (!err)
		err = print_table(out.buf ? out.buf : (char *)"");
	strbuf__done(&out);
	return err;
}

static int verb_status(int argc, char **argv)
{
	struct proto_request req;
	struct strbuf out = { 0 };
	int err;

	if (argc > 1) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[1]);
		return -EINVAL;
	}
	proto_request__init(&req, "status");
	err = run_call(&req, &out);
	if (!err)
		err = write_all(out.buf, out.len);
	strbuf__done(&out);
	return err;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{ "snapshot", verb_snapshot },
	{ "list", verb_list },
	{ "status", verb_status },
};

enum { ARG_VERSION = 0x100 };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c;

	/* Global options stop at the first non-option: the verb. */
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
			if (!*optarg) {
				fprintf(stderr, "pyprofctl: empty --socket\n");
				return EXIT_FAILURE;
			}
			cfg.socket_path = optarg;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case ARG_VERSION:
			printf("pyprofctl %s\n", PYPROFCTL_VERSION);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'pyprofctl --help'.\n");
			return EXIT_FAILURE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pyprofctl: missing command (snapshot, list, status); try --help\n");
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0)
			return verbs[i].fn(argc - optind, argv + optind) < 0 ? EXIT_FAILURE
									    : EXIT_SUCCESS;
	}
	fprintf(stderr, "pyprofctl: unknown command '%s'; try --help\n", argv[optind]);
	return EXIT_FAILURE;
}
