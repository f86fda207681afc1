// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl: query pyprofd for profiles of Python processes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>
#include "formats.h"
#include "proto.h"
#include "stacks.h"
#include "tables.h"
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
	       "  snapshot --pid N [--seconds S] [--format F] [--output FILE]\n"
	       "                   profile of process N over the last S seconds (default 60).\n"
	       "                   Formats: folded (default; FlameGraph's: one line per stack,\n"
	       "                   root first, frames joined by ';', then the sample count),\n"
	       "                   svg (interactive flame graph: click to zoom, Ctrl-F to\n"
	       "                   search), speedscope (JSON for speedscope.app), pprof\n"
	       "                   (gzipped protobuf for go tool pprof), json\n"
	       "  snapshot --pid N --lines [--rows R]\n"
	       "                   source lines ranked by CPU, with their text\n"
	       "  top --pid N [--interval DUR] [--sort own|total] [--rows R] [--iterations K]\n"
	       "                   live per-function view, refreshed every interval (1s)\n"
	       "  dump --pid N     the Python stack of every thread of process N right now,\n"
	       "                   read from its memory (for a stuck or idle program)\n"
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
	       "  pyprofctl snapshot --pid 1234 --format svg -o app.svg\n"
	       "  pyprofctl snapshot --pid 1234 --format pprof -o app.pb.gz && go tool pprof -top app.pb.gz\n"
	       "  pyprofctl top --pid 1234\n"
	       "  pyprofctl dump --pid 1234\n"
	       "\n"
	       "Exit status: 0 on success, 1 on any error (daemon not running, unknown or\n"
	       "non-Python pid, a pid of another user, bad arguments).\n",
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

/* A whole number option in [min, max]; names the option when it is not one. */
static int opt_int(const char *opt, const char *arg, long long min, long long max, long long *ret)
{
	if (parse_int_range(arg, min, max, ret) == 0)
		return 0;
	fprintf(stderr, "pyprofctl: invalid --%s '%s'\n", opt, arg);
	return -EINVAL;
}

/* After the options: no stray arguments, and the --pid the verb needs. */
static int check_rest(int argc, char **argv, const char *verb, bool have_pid)
{
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!have_pid) {
		fprintf(stderr, "pyprofctl: %s needs --pid N\n", verb);
		return -EINVAL;
	}
	return 0;
}

/* rate_hz from the daemon's status, 0 if it cannot be had. */
static __u32 daemon_rate(void)
{
	struct proto_request req;
	struct strbuf out = { 0 };
	char msg[PROTO_MAX_MESSAGE + 64];
	unsigned int rate = 0;
	const char *p;

	proto_request__init(&req, "status");
	if (call(&req, &out, msg, sizeof(msg)) == 0 && out.buf &&
	    (p = strstr(out.buf, "\nrate_hz ")) && sscanf(p, "\nrate_hz %u", &rate) != 1)
		rate = 0;
	strbuf__done(&out);
	return rate;
}

static __u64 wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static __u64 mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

enum format { FMT_FOLDED, FMT_SVG, FMT_SPEEDSCOPE, FMT_PPROF, FMT_JSON, FMT_LINES };

static const char *const format_names[] = {
	[FMT_FOLDED] = "folded", [FMT_SVG] = "svg", [FMT_SPEEDSCOPE] = "speedscope",
	[FMT_PPROF] = "pprof",	 [FMT_JSON] = "json",
};

/*
 * A new temporary file next to the target, in dirfd: O_EXCL|O_NOFOLLOW, so a
 * name planted there (a symlink to a file of ours, in a directory others can
 * write) is never opened; such a name is skipped for the next one.
 */
static int create_tmp(int dirfd, const char *base, char *tmp, size_t sz)
{
	for (unsigned int i = 0; i < 64; i++) {
		int fd;

		if (snprintf(tmp, sz, ".%s.tmp.%d.%u", base, (int)getpid(), i) >= (int)sz)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static int write_fd(int fd, const char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/*
 * Writes to path ("-" or NULL: stdout), through a temporary file in the same
 * directory renamed over it, so no half file is left; rename() replaces a
 * symlink at path itself, never what it points to.
 */
static int write_output(const char *path, const char *buf, size_t len)
{
	const char *slash, *base;
	char dir[4096], tmp[4096];
	int dirfd = -1, fd = -1, err;

	if (!path || strcmp(path, "-") == 0)
		return write_all(buf, len);
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base) {
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(EISDIR));
		return -EISDIR;
	}
	if (snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		     slash ? path : ".") >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = -errno;
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(-err));
		return err;
	}
	fd = create_tmp(dirfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		err = fd;
		fprintf(stderr, "pyprofctl: cannot write a temporary file in '%s': %s\n", dir,
			strerror(-err));
		goto cleanup;
	}
	err = write_fd(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, base) < 0)
		err = -errno;
	if (err) {
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(-err));
		(void)unlinkat(dirfd, tmp, 0);
	}
cleanup:
	close(dirfd);
	return err;
}

/* Renders folded text in the chosen format into out. */
static int render(enum format fmt, const struct strbuf *folded, const struct fmt_meta *m,
		  size_t rows, struct strbuf *out)
{
	struct table_opts to = { .max_rows = rows, .sort = TABLE_SORT_TOTAL, .rate_hz = m->rate_hz,
				 .source = true };
	struct stackset ss = { 0 };
	int err;

	if (fmt == FMT_FOLDED)
		return strbuf__append(out, folded->buf ? folded->buf : "", folded->len);
	err = stackset__parse_folded(&ss, folded->buf ? folded->buf : "", folded->len);
	if (err) {
		fprintf(stderr, "pyprofctl: malformed profile from pyprofd: %s\n", strerror(-err));
		return err;
	}
	switch (fmt) {
	case FMT_SVG:
		err = fmt_svg__render(&ss, m, out);
		break;
	case FMT_SPEEDSCOPE:
		err = fmt_speedscope__render(&ss, m, out);
		break;
	case FMT_PPROF:
		err = fmt_pprof__render(&ss, m, out);
		break;
	case FMT_JSON:
		err = fmt_json__render(&ss, m, out);
		break;
	case FMT_LINES:
		err = table_lines__render(&ss, &to, out);
		break;
	default:
		err = -EINVAL;
	}
	stackset__done(&ss);
	if (err)
		fprintf(stderr, "pyprofctl: cannot render the profile: %s\n", strerror(-err));
	return err;
}

static int verb_snapshot(int argc, char **argv)
{
	enum { OPT_LINES = 0x100, OPT_ROWS };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pid = NULL, *seconds = NULL, *output = NULL;
	struct strbuf folded = { 0 }, out = { 0 };
	struct fmt_meta meta = { 0 };
	enum format fmt = FMT_FOLDED;
	bool format_set = false;
	struct proto_request req;
	long long v, rows = 0;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:S:f:o:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &v))
				return -EINVAL;
			pid = optarg;
			meta.pid = (int)v;
			break;
		case 'S':
			if (opt_int("seconds", optarg, 1, 100ll * 365 * 86400, &v))
				return -EINVAL;
			seconds = optarg;
			break;
		case 'f':
			for (c = 0; c < (int)(sizeof(format_names) / sizeof(format_names[0])); c++)
				if (strcmp(optarg, format_names[c]) == 0)
					break;
			if (c == (int)(sizeof(format_names) / sizeof(format_names[0]))) {
				fprintf(stderr, "pyprofctl: unknown --format '%s' (folded, svg, "
						"speedscope, pprof, json)\n", optarg);
				return -EINVAL;
			}
			if (format_set && fmt == FMT_LINES) {
				fprintf(stderr, "pyprofctl: --lines and --format exclude each other\n");
				return -EINVAL;
			}
			fmt = (enum format)c;
			format_set = true;
			break;
		case 'o':
			if (!*optarg) {
				fprintf(stderr, "pyprofctl: empty --output\n");
				return -EINVAL;
			}
			output = optarg;
			break;
		case OPT_LINES:
			if (format_set && fmt != FMT_LINES) {
				fprintf(stderr, "pyprofctl: --lines and --format exclude each other\n");
				return -EINVAL;
			}
			fmt = FMT_LINES;
			format_set = true;
			break;
		case OPT_ROWS:
			if (opt_int("rows", optarg, 1, 1000000, &rows))
				return -EINVAL;
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (check_rest(argc, argv, "snapshot", pid))
		return -EINVAL;
	if (fmt == FMT_PPROF && !output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pyprofctl: pprof is binary: use --output FILE or a redirection\n");
		return -EINVAL;
	}
	proto_request__init(&req, "snapshot");
	err = proto_request__add(&req, "pid", pid);
	if (!err && seconds)
		err = proto_request__add(&req, "seconds", seconds);
	if (err)
		return err;
	err = run_call(&req, &folded);
	if (err)
		goto cleanup;
	if (!folded.len)
		fprintf(stderr, "pyprofctl: no samples for pid %s in the last %s s\n", pid,
			seconds ? seconds : "60");
	meta.seconds = seconds ? (__u64)strtoull(seconds, NULL, 10) : 60;
	meta.end_unix_ns = wall_now_ns();
	if (fmt != FMT_FOLDED)
		meta.rate_hz = daemon_rate();
	if (folded.len) {
		char *semi = memchr(folded.buf, ';', folded.len);

		if (semi) {
			*semi = '\0';
			meta.comm = strdup(folded.buf);
			*semi = ';';
		}
	}
	err = render(fmt, &folded, &meta, (size_t)rows, &out);
	if (!err)
		err = write_output(output, out.buf, out.len);
	free((char *)meta.comm);
cleanup:
	strbuf__done(&folded);
	strbuf__done(&out);
	return err;
}

static volatile sig_atomic_t top_stop;

static void on_stop_signal(int sig)
{
	top_stop = 1;
}

/* counts per stack line "a;b;c N" of text, as a sorted array for lookups. */
struct stack_count {
	const char *stack;
	size_t len;
	__u64 count;
};

static int cmp_stack_count(const void *a, const void *b)
{
	const struct stack_count *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->stack, y->stack, n);

	return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static size_t index_stacks(const struct strbuf *text, struct stack_count **ret)
{
	struct stack_count *v = NULL;
	size_t nr = 0, cap = 0;
	const char *p = text->buf, *end = text->buf + text->len;

	for (; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *sp;

		if (!nl)
			nl = end;
		sp = memrchr(p, ' ', (size_t)(nl - p));
		if (sp && sp > p) {
			if (grow_array((void **)&v, &cap, nr + 1, sizeof(*v)))
				break;
			v[nr].stack = p;
			v[nr].len = (size_t)(sp - p);
			v[nr].count = strtoull(sp + 1, NULL, 10);
			nr++;
		}
		p = nl + 1;
	}
	if (nr)
		qsort(v, nr, sizeof(*v), cmp_stack_count);
	*ret = v;
	return nr;
}

/* The folded text of cur minus prev, stack by stack (new samples in between). */
static int folded_delta(const struct strbuf *prev, const struct strbuf *cur, struct strbuf *out)
{
	struct stack_count *pv = NULL, *cv = NULL;
	size_t np = index_stacks(prev, &pv), nc = index_stacks(cur, &cv);
	int err = 0;

	for (size_t i = 0; i < nc && !err; i++) {
		struct stack_count *hit = np ? bsearch(&cv[i], pv, np, sizeof(*pv), cmp_stack_count)
					     : NULL;
		__u64 before = hit ? hit->count : 0, n;

		/* Fewer than before: a window left the retention; count what is there. */
		n = cv[i].count >= before ? cv[i].count - before : cv[i].count;

		if (n)
			err = strbuf__append(out, cv[i].stack, cv[i].len) ?:
			      strbuf__printf(out, " %llu\n", (unsigned long long)n);
	}
	free(pv);
	free(cv);
	return err;
}

static int verb_top(int argc, char **argv)
{
	enum { OPT_ROWS = 0x100, OPT_SORT, OPT_ITERATIONS };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, OPT_ITERATIONS },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct table_opts to = { .sort = TABLE_SORT_OWN };
	struct strbuf prev = { 0 }, cur = { 0 }, delta = { 0 }, table = { 0 };
	long long pid = 0, interval_ms = 1000, iterations = 0, rows = 0;
	char since[32], pidbuf[16];
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa = { .sa_handler = on_stop_signal };
	__u64 start;
	int c, err = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:i:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &pid))
				return -EINVAL;
			break;
		case 'i': {
			__u64 ns;

			if (parse_duration_ns(optarg, &ns) < 0 || ns < 100000000ull ||
			    ns > 3600ull * 1000000000ull) {
				fprintf(stderr, "pyprofctl: invalid --interval '%s' (100ms-1h)\n", optarg);
				return -EINVAL;
			}
			interval_ms = (long long)(ns / 1000000ull);
			break;
		}
		case OPT_ITERATIONS:
			if (opt_int("iterations", optarg, 1, 1000000000, &iterations))
				return -EINVAL;
			break;
		case OPT_ROWS:
			if (opt_int("rows", optarg, 1, 1000000, &rows))
				return -EINVAL;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "own") == 0) {
				to.sort = TABLE_SORT_OWN;
			} else if (strcmp(optarg, "total") == 0) {
				to.sort = TABLE_SORT_TOTAL;
			} else {
				fprintf(stderr, "pyprofctl: invalid --sort '%s' (own, total)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (check_rest(argc, argv, "top", pid))
		return -EINVAL;
	to.rate_hz = daemon_rate();
	if (rows)
		to.max_rows = (size_t)rows;
	else if (tty) {
		struct winsize ws;

		to.max_rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 6
				      ? ws.ws_row - 4 : 20;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	snprintf(pidbuf, sizeof(pidbuf), "%lld", pid);
	start = mono_now_ns();
	snprintf(since, sizeof(since), "%llu", (unsigned long long)start);
	/* Each round: everything since start, minus what the previous round saw. */
	for (long long round = 0; !top_stop && (!iterations || round <= iterations); round++) {
		struct proto_request req;
		struct stackset ss = { 0 };

		proto_request__init(&req, "snapshot");
		err = proto_request__add(&req, "pid", pidbuf) ?: proto_request__add(&req, "since_ns", since);
		strbuf__reset(&cur);
		err = err ?: run_call(&req, &cur);
		if (err)
			break;
		if (round > 0) {
			strbuf__reset(&delta);
			strbuf__reset(&table);
			err = folded_delta(&prev, &cur, &delta) ?:
			      stackset__parse_folded(&ss, delta.buf ? delta.buf : "", delta.len) ?:
			      table_top__render(&ss, &to, &table);
			if (err) {
				stackset__done(&ss);
				break;
			}
			printf("%spyprofctl top: pid %lld, %llu samples in the last %.1fs%s\n\n%s%s",
			       tty ? "\033[H\033[2J" : "", pid, (unsigned long long)ss.total,
			       interval_ms / 1000.0, tty ? " (Ctrl-C quits)" : "",
			       table.buf ? table.buf : "", tty ? "" : "\n");
			fflush(stdout);
			stackset__done(&ss);
		}
		strbuf__reset(&prev);
		err = strbuf__append(&prev, cur.buf ? cur.buf : "", cur.len);
		if (err || (iterations && round == iterations))
			break;
		{
			struct timespec ts = { .tv_sec = interval_ms / 1000,
					       .tv_nsec = (interval_ms % 1000) * 1000000L };

			while (!top_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	strbuf__done(&prev);
	strbuf__done(&cur);
	strbuf__done(&delta);
	strbuf__done(&table);
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

static int verb_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pid = NULL;
	struct proto_request req;
	struct strbuf out = { 0 };
	long long v;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &v))
				return -EINVAL;
			pid = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (check_rest(argc, argv, "dump", pid))
		return -EINVAL;
	proto_request__init(&req, "dump");
	err = proto_request__add(&req, "pid", pid) ?: run_call(&req, &out);
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
	{ "dump", verb_dump },
	{ "top", verb_top },
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
