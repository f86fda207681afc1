// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl: query pyprofd for profiles of Python processes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>
#include "render/formats.h"
#include "proto/proto.h"
#include "profile/stacks.h"
#include "render/tables.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"

#define PYPROFCTL_VERSION	 "0.1.0"
#define PYPROFCTL_TIMEOUT_S	 30
#define DEFAULT_SOCKET		 "/run/pyprof/pyprofd.sock"

struct ctl_config {
	const char *socket_path;
};

static struct ctl_config cfg = { .socket_path = DEFAULT_SOCKET };

/* Exit statuses, one per kind of failure a script may act on (in help and the man page). */
enum {
	EXIT_ERROR = 1,		/* anything not below: I/O, a malformed reply, out of memory */
	EXIT_USAGE = 2,		/* bad command line or request */
	EXIT_NO_DAEMON = 3,	/* pyprofd not running, or refusing clients (too many) */
	EXIT_NO_PROCESS = 4,	/* no such process, or one of another user */
	EXIT_NOT_PYTHON = 5,	/* not a Python process, or a CPython pyprofd cannot profile */
	EXIT_NO_SAMPLES = 6,	/* the profile is empty */
};

#define EXIT_STATUS_HELP                                                                  \
	"Exit status: 0 success, 1 other error, 2 bad usage, 3 pyprofd not running or\n"  \
	"busy, 4 no such process (or another user's), 5 not a Python process or an\n"     \
	"unsupported CPython, 6 no samples.\n"

static const char usage_snapshot[] =
	"  snapshot --pid N [--seconds S] [--format F] [--output FILE]\n"
	"                   profile of process N over the last S seconds (default 60),\n"
	"                   taken in whole time windows (10s): the range covered is\n"
	"                   stated (on stderr for folded, in the file otherwise).\n"
	"                   Formats: folded (default; FlameGraph's: one line per stack,\n"
	"                   root first, frames joined by ';', then the sample count),\n"
	"                   svg (interactive flame graph: click to zoom, Ctrl-F to\n"
	"                   search), speedscope (JSON for speedscope.app), pprof\n"
	"                   (gzipped protobuf for go tool pprof), json\n"
	"  snapshot --pid N --lines [--rows R]\n"
	"                   source lines ranked by CPU, with their text\n";
static const char usage_top[] =
	"  top --pid N [--interval DUR] [--sort own|total] [--rows R] [--iterations K]\n"
	"                   live per-function view, refreshed every interval (1s);\n"
	"                   q or Ctrl-C quits, --iterations stops after K views\n";
static const char usage_dump[] =
	"  dump --pid N     the Python stack of every thread of process N right now,\n"
	"                   read from its memory (for a stuck or idle program)\n";
static const char usage_list[] =
	"  list [--all]     Python processes pyprofd sees (--all: with exited ones\n"
	"                   whose history is still kept)\n";
static const char usage_status[] =
	"  status           daemon health: rate, processes, samples, BPF counters\n";

static void help(void)
{
	printf("Usage: pyprofctl [--socket PATH] COMMAND [OPTIONS]\n"
	       "\n"
	       "Ask pyprofd for CPU profiles of the Python processes on this host.\n"
	       "\n"
	       "Commands:\n%s%s%s%s%s"
	       "\n"
	       "Options:\n"
	       "  -s, --socket PATH  pyprofd's socket (default %s)\n"
	       "  -h, --help         show this help (COMMAND --help: that command's)\n"
	       "      --version      show the version\n"
	       "\n"
	       "Examples:\n"
	       "  pyprofctl list\n"
	       "  pyprofctl snapshot --pid 1234 --seconds 30 > app.folded\n"
	       "  pyprofctl snapshot --pid 1234 --format svg -o app.svg\n"
	       "  pyprofctl snapshot --pid 1234 --format pprof -o app.pb.gz && go tool pprof -top app.pb.gz\n"
	       "  pyprofctl top --pid 1234\n"
	       "  pyprofctl dump --pid 1234\n"
	       "\n" EXIT_STATUS_HELP,
	       usage_snapshot, usage_top, usage_dump, usage_list, usage_status, DEFAULT_SOCKET);
}

/* COMMAND --help: that command's usage. */
static int verb_help(const char *usage)
{
	printf("Usage: pyprofctl [--socket PATH] COMMAND [OPTIONS]\n\n%s\n" EXIT_STATUS_HELP, usage);
	return fflush(stdout) ? EXIT_ERROR : 0;
}

/* Appends s for the terminal (term__put_text) and writes it to f. */
static int term_write(FILE *f, const char *s, size_t len, const char *keep)
{
	struct strbuf sb = { 0 };
	int err = term__put_text(&sb, s ? s : "", s ? len : 0, keep);

	if (!err && sb.len && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		err = -EIO;
	strbuf__done(&sb);
	return err ?: fflush(f) ? -EIO : 0;
}

/* "pyprofctl: <msg>\n" on stderr, msg escaped: the daemon's messages quote names. */
static void print_error(const char *msg)
{
	fputs("pyprofctl: ", stderr);
	(void)term_write(stderr, msg, strlen(msg), NULL);
	fputs("\n", stderr);
}

/* The exit status for an error reply of the daemon. */
static int exit_for_reply(int err)
{
	switch (err) {
	case -ESRCH:
	case -EACCES:
	case -EPERM:
		return EXIT_NO_PROCESS;
	case -ENOENT:
	case -EPROTONOSUPPORT:
		return EXIT_NOT_PYTHON;
	case -EBUSY:
		return EXIT_NO_DAEMON;
	case -EINVAL:
	case -E2BIG:
		return EXIT_USAGE;
	default:
		return EXIT_ERROR;
	}
}

/* A reply: its payload and, for snapshots asked with range=1, the range it covers. */
struct reply {
	struct strbuf payload;
	long long from_ns, to_ns;	/* CLOCK_MONOTONIC */
	bool has_range;
};

/* Bytes of every reply so far, headers included (PYPROFCTL_DEBUG_BYTES). */
static size_t reply_bytes;

/* Reads the header line, byte by byte so no payload is consumed.  Returns its length or -errno. */
static int read_header(int fd, char *hdr, size_t sz)
{
	size_t hlen = 0;

	for (;;) {
		ssize_t r = recv(fd, hdr + hlen, 1, 0);

		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		if (hdr[hlen++] == '\n')
			return (int)hlen;
		if (hlen >= sz - 1)
			return -EPROTO;
	}
}

static int read_payload(int fd, struct strbuf *out, size_t want, char *msg, size_t msgsz)
{
	while (out->len < want) {
		char buf[65536];
		size_t chunk = want - out->len < sizeof(buf) ? want - out->len : sizeof(buf);
		ssize_t r = recv(fd, buf, chunk, 0);

		if (r <= 0) {
			snprintf(msg, msgsz, "reply cut short (%zu of %zu bytes)", out->len, want);
			return r < 0 ? -errno : -ECONNRESET;
		}
		if (strbuf__append(out, buf, r)) {
			snprintf(msg, msgsz, "out of memory");
			return -ENOMEM;
		}
		reply_bytes += (size_t)r;
	}
	return 0;
}

static int connect_daemon(char *msg, size_t msgsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PYPROFCTL_TIMEOUT_S };
	int fd, err;

	if (strlen(cfg.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(msg, msgsz, "socket path too long: '%s'", cfg.socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, cfg.socket_path);
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
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Sends one request and reads the reply into *rep.  Returns 0, or an exit
 * status with msg set.
 */
static int call(const struct proto_request *req, struct reply *rep, char *msg, size_t msgsz)
{
	char line[PROTO_MAX_REQUEST + 1], hdr[PROTO_MAX_MESSAGE + 64];
	int fd, n, hlen, err, send_errno = 0, status = EXIT_ERROR;
	size_t want = 0;

	n = proto__format_request(req, line, sizeof(line));
	if (n < 0) {
		snprintf(msg, msgsz, "invalid request");
		return EXIT_USAGE;
	}
	fd = connect_daemon(msg, msgsz);
	if (fd < 0)
		return EXIT_NO_DAEMON;
	/*
	 * A daemon that refuses the connection (too many clients) writes its
	 * ERR line and closes without reading: the send then fails (EPIPE,
	 * ECONNRESET) but that line still waits to be read.
	 */
	if (send(fd, line, n, MSG_NOSIGNAL) != n)
		send_errno = errno ?: EIO;
	hlen = read_header(fd, hdr, sizeof(hdr));
	if (hlen < 0) {
		if (send_errno)
			snprintf(msg, msgsz, "cannot send request: %s", strerror(send_errno));
		else if (hlen == -EPROTO)
			snprintf(msg, msgsz, "malformed reply from pyprofd");
		else
			snprintf(msg, msgsz, "no reply from pyprofd: %s",
				 hlen == -ECONNRESET ? "connection closed" : strerror(-hlen));
		goto cleanup;
	}
	reply_bytes += (size_t)hlen;
	err = proto__parse_reply_header(hdr, (size_t)hlen, &want, msg, msgsz);
	if (err < 0) {
		if (err == -EPROTO && !*msg)
			snprintf(msg, msgsz, "malformed reply from pyprofd");
		status = err == -EPROTO ? EXIT_ERROR : exit_for_reply(err);
		goto cleanup;
	}
	rep->has_range = proto__reply_field(hdr, (size_t)hlen, "from_ns", &rep->from_ns) == 0 &&
			 proto__reply_field(hdr, (size_t)hlen, "to_ns", &rep->to_ns) == 0;
	if (read_payload(fd, &rep->payload, want, msg, msgsz))
		goto cleanup;
	status = 0;
cleanup:
	close(fd);
	return status;
}

/* call() that reports its failure; returns 0 or an exit status. */
static int run_call(const struct proto_request *req, struct reply *rep)
{
	char msg[PROTO_MAX_MESSAGE + 64] = "";
	int status;

	strbuf__reset(&rep->payload);
	rep->has_range = false;
	status = call(req, rep, msg, sizeof(msg));
	if (status)
		print_error(*msg ? msg : "request failed");
	return status;
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

/* rate_hz and the window length from the daemon's status; 0 what cannot be had. */
static void daemon_params(__u32 *ret_rate, __u64 *ret_window_ns)
{
	struct proto_request req;
	struct reply rep = { 0 };
	char msg[PROTO_MAX_MESSAGE + 64];
	unsigned long long window_s = 0;
	unsigned int rate = 0;
	const char *p;

	proto_request__init(&req, "status");
	if (call(&req, &rep, msg, sizeof(msg)) == 0 && strbuf__append(&rep.payload, "", 0) == 0) {
		p = strstr(rep.payload.buf, "\nrate_hz ");
		if (p && sscanf(p, "\nrate_hz %u", &rate) != 1)
			rate = 0;
		p = strstr(rep.payload.buf, "\nwindow_s ");
		if (p && sscanf(p, "\nwindow_s %llu", &window_s) != 1)
			window_s = 0;
	}
	strbuf__done(&rep.payload);
	*ret_rate = rate;
	if (ret_window_ns)
		*ret_window_ns = window_s * 1000000000ull;
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

/* A directory nobody but us (or root) can write to: names in it are trusted. */
static bool dir_is_ours(int dirfd)
{
	struct stat st;

	return fstat(dirfd, &st) == 0 && (st.st_uid == geteuid() || st.st_uid == 0) &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * Writes into an existing file that is not a regular one (/dev/null, a FIFO,
 * a terminal), as a shell redirection would.  Opened non-blocking, so that a
 * FIFO nobody reads (planted, say) is an error, not a hang; writes block.
 */
static int write_into(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), err, fl;

	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	err = fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? -errno : 0;
	err = err ?: write_fd(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* A new regular file at base: a temporary in the same directory renamed over it. */
static int replace_file(int dirfd, const char *dir, const char *base, const char *buf, size_t len)
{
	char tmp[4096];
	int fd, err;

	fd = create_tmp(dirfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		fprintf(stderr, "pyprofctl: cannot write a temporary file in '%s': %s\n", dir,
			strerror(-fd));
		return fd;
	}
	err = write_fd(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, base) < 0)
		err = -errno;
	if (err)
		(void)unlinkat(dirfd, tmp, 0);
	return err;
}

/*
 * Writes to path ("-" or NULL: stdout).  A regular file (or none yet) is
 * replaced through a temporary file renamed over it, so no half file is
 * left; a device, FIFO or terminal is written into (-o /dev/null must not
 * become a file).  A symlink is followed only in a directory nobody else can
 * write (/dev/stdout); elsewhere it may be planted, and is replaced itself,
 * never what it points to.
 */
#define OUTPUT_MAX_LINKS 8 /* trusted symlinks followed in a row */

/* The path a symlink at base in dir names, relative ones taken from dir. */
static int link_target(int dirfd, const char *dir, const char *base, char *ret, size_t sz)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, base, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (snprintf(ret, sz, "%s%s%s", target[0] == '/' ? "" : dir,
		     target[0] == '/' ? "" : "/", target) >= (int)sz)
		return -ENAMETOOLONG;
	return 0;
}

static int write_output_at(const char *path, const char *buf, size_t len, int links)
{
	const char *slash, *base;
	char dir[4096], real[PATH_MAX];
	struct stat st;
	int dirfd = -1, err;

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
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISREG(st.st_mode))
		err = replace_file(dirfd, dir, base, buf, len);
	else if (!S_ISLNK(st.st_mode))
		err = write_into(path, buf, len);
	else if (!dir_is_ours(dirfd))
		err = replace_file(dirfd, dir, base, buf, len);
	else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		err = write_into(path, buf, len);
	else if (links >= OUTPUT_MAX_LINKS)
		err = -ELOOP;
	else if (!(err = link_target(dirfd, dir, base, real, sizeof(real))))
		err = write_output_at(real, buf, len, links + 1); /* what the trusted link names */
	if (err && !links)
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(-err));
	close(dirfd);
	return err;
}

static int write_output(const char *path, const char *buf, size_t len)
{
	return write_output_at(path, buf, len, 0);
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

struct snapshot_args {
	const char *pid, *seconds, *output;
	enum format fmt;
	long long rows;
};

/* Parses snapshot's options into *a.  Returns 0, -1 after --help, or an exit status. */
static int snapshot_parse(int argc, char **argv, struct snapshot_args *a)
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
	const size_t nr_formats = sizeof(format_names) / sizeof(format_names[0]);
	bool format_set = false;
	long long v;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:S:f:o:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &v))
				return EXIT_USAGE;
			a->pid = optarg;
			break;
		case 'S':
			if (opt_int("seconds", optarg, 1, 100ll * 365 * 86400, &v))
				return EXIT_USAGE;
			a->seconds = optarg;
			break;
		case 'f':
		case OPT_LINES:
			if (c == OPT_LINES) {
				c = FMT_LINES;
			} else {
				for (c = 0; c < (int)nr_formats; c++)
					if (strcmp(optarg, format_names[c]) == 0)
						break;
				if (c == (int)nr_formats) {
					fprintf(stderr, "pyprofctl: unknown --format '%s' (folded, svg, "
							"speedscope, pprof, json)\n", optarg);
					return EXIT_USAGE;
				}
			}
			if (format_set && (a->fmt == FMT_LINES) != (c == FMT_LINES)) {
				fprintf(stderr, "pyprofctl: --lines and --format exclude each other\n");
				return EXIT_USAGE;
			}
			a->fmt = (enum format)c;
			format_set = true;
			break;
		case 'o':
			if (!*optarg) {
				fprintf(stderr, "pyprofctl: empty --output\n");
				return EXIT_USAGE;
			}
			a->output = optarg;
			break;
		case OPT_ROWS:
			if (opt_int("rows", optarg, 1, 1000000, &a->rows))
				return EXIT_USAGE;
			break;
		case 'h':
			return verb_help(usage_snapshot) ?: -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "snapshot", a->pid))
		return EXIT_USAGE;
	if (a->fmt == FMT_PPROF && !a->output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pyprofctl: pprof is binary: use --output FILE or a redirection\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* The process name: the root frame of the first stack. */
static char *folded_comm(const struct strbuf *folded)
{
	const char *semi = folded->len ? memchr(folded->buf, ';', folded->len) : NULL;

	return semi ? strndup(folded->buf, (size_t)(semi - folded->buf)) : NULL;
}

/* What the snapshot covers, for meta and the notes; from the reply's range when it has one. */
static void snapshot_meta(const struct snapshot_args *a, const struct reply *rep,
			  struct fmt_meta *m)
{
	__u64 mono = mono_now_ns(), wall = wall_now_ns();

	m->duration_ns = (a->seconds ? strtoull(a->seconds, NULL, 10) : 60) * 1000000000ull;
	m->end_unix_ns = wall;
	if (rep->has_range && rep->to_ns > rep->from_ns) {
		m->duration_ns = (__u64)(rep->to_ns - rep->from_ns);
		if (mono > (__u64)rep->to_ns && wall > mono - (__u64)rep->to_ns)
			m->end_unix_ns = wall - (mono - (__u64)rep->to_ns);
	}
	m->seconds = (m->duration_ns + 500000000ull) / 1000000000ull;
}

static int verb_snapshot(int argc, char **argv)
{
	struct snapshot_args a = { .fmt = FMT_FOLDED };
	struct reply rep = { 0 };
	struct strbuf out = { 0 };
	struct fmt_meta meta = { 0 };
	struct proto_request req;
	int status;

	status = snapshot_parse(argc, argv, &a);
	if (status)
		return status < 0 ? 0 : status;
	meta.pid = atoi(a.pid);
	proto_request__init(&req, "snapshot");
	if (proto_request__add(&req, "pid", a.pid) || proto_request__add(&req, "range", "1") ||
	    (a.seconds && proto_request__add(&req, "seconds", a.seconds)))
		return EXIT_USAGE;
	status = run_call(&req, &rep);
	if (status)
		goto cleanup;
	snapshot_meta(&a, &rep, &meta);
	if (!rep.payload.len)
		fprintf(stderr, "pyprofctl: no samples for pid %s in the last %.1f s: the profile "
				"counts CPU time, which an idle or waiting process does not use; "
				"'pyprofctl dump --pid %s' shows where its threads are now\n",
			a.pid, meta.duration_ns / 1e9, a.pid);
	else if (a.fmt == FMT_FOLDED)
		fprintf(stderr, "pyprofctl: pid %s: samples of the last %.1f s (whole time windows)\n",
			a.pid, meta.duration_ns / 1e9);
	if (a.fmt != FMT_FOLDED)
		daemon_params(&meta.rate_hz, NULL);
	meta.comm = folded_comm(&rep.payload);
	if (a.fmt == FMT_LINES)
		status = strbuf__printf(&out, "pyprofctl snapshot: pid %d, the last %.1f s "
					      "(whole time windows)\n\n",
					meta.pid, meta.duration_ns / 1e9) ? EXIT_ERROR : 0;
	status = status ?: render(a.fmt, &rep.payload, &meta, (size_t)a.rows, &out) ? EXIT_ERROR : 0;
	if (!status && a.fmt == FMT_LINES && (!a.output || strcmp(a.output, "-") == 0))
		status = term_write(stdout, out.buf, out.len, "\n") ? EXIT_ERROR : 0;
	else if (!status)
		status = write_output(a.output, out.buf, out.len) ? EXIT_ERROR : 0;
	if (!status && !rep.payload.len)
		status = EXIT_NO_SAMPLES;
	free((char *)meta.comm);
cleanup:
	strbuf__done(&rep.payload);
	strbuf__done(&out);
	return status;
}

static volatile sig_atomic_t top_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* The terminal's mode before top set it to read single keys; restored on every way out. */
static struct termios saved_tio;
static bool tio_saved;

static void term_restore(void)
{
	if (tio_saved)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	tio_saved = false;
}

/* Reads the terminal key by key, without echo (signals stay: Ctrl-C still quits). */
static bool term_cbreak(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return false;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		return false;
	tio_saved = true;
	return true;
}

/* Waits until deadline (CLOCK_MONOTONIC) or a stop: a signal, or q typed on the terminal. */
static void top_wait(__u64 deadline, bool keys)
{
	while (!top_stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		__u64 now = mono_now_ns();
		char c[16];
		ssize_t n;

		if (now >= deadline)
			return;
		if (poll(&pfd, keys ? 1 : 0, (int)((deadline - now + 999999) / 1000000)) <= 0)
			continue;
		n = read(STDIN_FILENO, c, sizeof(c));
		if (n <= 0)
			keys = false;
		else if (memchr(c, 'q', (size_t)n) || memchr(c, 'Q', (size_t)n))
			top_stop = 1;
	}
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

struct top_state {
	char pid[16];
	struct table_opts to;
	__u64 window_ns;		/* the daemon's window length */
	long long since;		/* since_ns of the next fetch */
	long long last_to;		/* the daemon's time at the last fetch, 0 before the first */
	struct reply rep;
	struct strbuf base;		/* the newest window as of the last fetch */
	struct strbuf delta, table;
};

static int top_fetch(struct top_state *st, long long since)
{
	struct proto_request req;
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", since > 0 ? since : 0);
	proto_request__init(&req, "snapshot");
	if (proto_request__add(&req, "pid", st->pid) || proto_request__add(&req, "since_ns", buf) ||
	    proto_request__add(&req, "range", "1"))
		return EXIT_USAGE;
	return run_call(&req, &st->rep);
}

/* Whether the last reply holds a single window (then it is the newest one). */
static bool top_one_window(const struct top_state *st)
{
	return !st->rep.has_range || !st->window_ns ||
	       st->rep.to_ns < st->rep.from_ns + (long long)st->window_ns;
}

/*
 * One view: the windows from the last fetch's on, minus what that fetch saw
 * of them, so each refresh costs what one or two windows hold however long
 * top runs.  The first view shows what the daemon has of the newest window.
 */
static int top_refresh(struct top_state *st, bool tty)
{
	struct stackset ss = { 0 };
	struct strbuf tmp;
	double secs;
	int status, tries = 0;

	status = top_fetch(st, st->since);
	if (status)
		return status;
	strbuf__reset(&st->delta);
	strbuf__reset(&st->table);
	if (folded_delta(&st->base, &st->rep.payload, &st->delta) ||
	    stackset__parse_folded(&ss, st->delta.buf ? st->delta.buf : "", st->delta.len) ||
	    table_top__render(&ss, &st->to, &st->table)) {
		stackset__done(&ss);
		print_error("cannot render the profile");
		return EXIT_ERROR;
	}
	secs = st->rep.has_range ? (st->rep.to_ns - (st->last_to ?: st->rep.from_ns)) / 1e9 : 0;
	printf("%spyprofctl top: pid %s, %llu samples in the last %.1fs%s\n\n",
	       tty ? "\033[H\033[2J" : "", st->pid, (unsigned long long)ss.total, secs,
	       tty ? " (q or Ctrl-C quits)" : "");
	stackset__done(&ss);
	if (term_write(stdout, st->table.buf, st->table.len, "\n") || (!tty && puts("") < 0) ||
	    fflush(stdout))
		return EXIT_ERROR;
	/*
	 * The next fetch starts in the newest window; its baseline is that window
	 * alone.  A reply that spans two windows is fetched again from the newer
	 * one (what arrives between the two fetches is not shown: a few ms).
	 */
	while (!top_one_window(st) && tries++ < 3) {
		status = top_fetch(st, st->rep.to_ns);
		if (status)
			return status;
	}
	tmp = st->base;
	st->base = st->rep.payload;
	st->rep.payload = tmp;
	st->since = st->rep.to_ns;
	st->last_to = st->rep.to_ns;
	return 0;
}

/* Parses top's options.  Returns 0, -1 after --help, or an exit status. */
static int top_parse(int argc, char **argv, struct top_state *st, long long *interval_ms,
		     long long *iterations)
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
	long long pid = 0, rows = 0;
	__u64 ns;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:i:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &pid))
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_duration_ns(optarg, &ns) < 0 || ns < 100000000ull ||
			    ns > 3600ull * 1000000000ull) {
				fprintf(stderr, "pyprofctl: invalid --interval '%s' (100ms-1h)\n", optarg);
				return EXIT_USAGE;
			}
			*interval_ms = (long long)(ns / 1000000ull);
			break;
		case OPT_ITERATIONS:
			if (opt_int("iterations", optarg, 1, 1000000000, iterations))
				return EXIT_USAGE;
			break;
		case OPT_ROWS:
			if (opt_int("rows", optarg, 1, 1000000, &rows))
				return EXIT_USAGE;
			st->to.max_rows = (size_t)rows;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "own") && strcmp(optarg, "total")) {
				fprintf(stderr, "pyprofctl: invalid --sort '%s' (own, total)\n", optarg);
				return EXIT_USAGE;
			}
			st->to.sort = optarg[0] == 'o' ? TABLE_SORT_OWN : TABLE_SORT_TOTAL;
			break;
		case 'h':
			return verb_help(usage_top) ?: -1;
		default:
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "top", pid))
		return EXIT_USAGE;
	snprintf(st->pid, sizeof(st->pid), "%lld", pid);
	return 0;
}

static int verb_top(int argc, char **argv)
{
	struct top_state st = { .to = { .sort = TABLE_SORT_OWN } };
	struct sigaction sa = { .sa_handler = on_stop_signal };
	long long interval_ms = 1000, iterations = 0;
	bool tty = isatty(STDOUT_FILENO), keys, debug = getenv("PYPROFCTL_DEBUG_BYTES");
	int status;

	status = top_parse(argc, argv, &st, &interval_ms, &iterations);
	if (status)
		return status < 0 ? 0 : status;
	daemon_params(&st.to.rate_hz, &st.window_ns);
	if (!st.to.max_rows && tty) {
		struct winsize ws;

		st.to.max_rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 6
					 ? ws.ws_row - 4 : 20;
	}
	/* No SA_RESTART: a signal ends the wait at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	keys = term_cbreak();
	st.since = (long long)mono_now_ns() - interval_ms * 1000000ll;
	for (long long round = 1; !top_stop; round++) {
		size_t before = reply_bytes;
		__u64 deadline = mono_now_ns() + (__u64)interval_ms * 1000000ull;

		status = top_refresh(&st, tty);
		if (debug)
			fprintf(stderr, "pyprofctl: top refresh %lld: %zu bytes fetched\n", round,
				reply_bytes - before);
		if (status || (iterations && round == iterations))
			break;
		top_wait(deadline, keys);
	}
	term_restore();
	strbuf__done(&st.rep.payload);
	strbuf__done(&st.base);
	strbuf__done(&st.delta);
	strbuf__done(&st.table);
	/* Stopped by a signal in the middle of a fetch: quitting, not a failure. */
	return top_stop ? 0 : status;
}

#define TABLE_MAX_COLS 16

/*
 * Prints the daemon's tab-separated table with aligned columns, each field
 * escaped for the terminal after the split: no byte of a field can make a
 * column, a row or a terminal sequence.
 */
static int print_table(const struct strbuf *text)
{
	size_t widths[TABLE_MAX_COLS] = { 0 }, nr = 0, cap = 0, at = 0;
	struct strbuf *cells = NULL, row = { 0 };
	size_t *ncols = NULL, nrows = 0, rcap = 0;
	int err = 0;

	/* Pass 1: split and escape every field, noting the column widths. */
	for (const char *p = text->buf, *end = p + text->len; p && p < end && !err; nrows++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)) ?: end;
		size_t col = 0;

		err = grow_array((void **)&ncols, &rcap, nrows + 1, sizeof(*ncols));
		for (const char *f = p, *t; !err && f <= nl && col < TABLE_MAX_COLS; f = t + 1, col++) {
			t = memchr(f, '\t', (size_t)(nl - f)) ?: nl;
			err = grow_array((void **)&cells, &cap, nr + 1, sizeof(*cells));
			if (err)
				break;
			memset(&cells[nr], 0, sizeof(cells[nr]));
			err = term__put_text(&cells[nr], f, (size_t)(t - f), NULL);
			if (cells[nr].len > widths[col])
				widths[col] = cells[nr].len;
			nr++;
		}
		if (!err)
			ncols[nrows] = col;
		p = nl + 1;
	}
	/* Pass 2: print, padding all but the last field of a row. */
	for (size_t r = 0; r < nrows && !err; r++) {
		strbuf__reset(&row);
		for (size_t col = 0; col < ncols[r] && !err; col++, at++)
			err = strbuf__printf(&row, "%s%-*s", col ? "  " : "",
					     col + 1 < ncols[r] ? (int)widths[col] : 0,
					     cells[at].buf ? cells[at].buf : "");
		while (row.len && row.buf[row.len - 1] == ' ')
			row.buf[--row.len] = '\0';
		if (!err && printf("%s\n", row.buf ? row.buf : "") < 0)
			err = -EIO;
	}
	for (size_t i = 0; i < nr; i++)
		strbuf__done(&cells[i]);
	free(cells);
	free(ncols);
	strbuf__done(&row);
	return err ?: fflush(stdout) ? -EIO : 0;
}

static int verb_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct proto_request req;
	struct reply rep = { 0 };
	bool all = false;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) >= 0) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			return verb_help(usage_list);
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	proto_request__init(&req, "list");
	if (all)
		(void)proto_request__add(&req, "all", "1");
	status = run_call(&req, &rep);
	if (!status && print_table(&rep.payload))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}

/* A verb without options but --help. */
static int no_options(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
		return c == 'h' ? verb_help(usage) ?: -1 : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static int verb_status(int argc, char **argv)
{
	struct proto_request req;
	struct reply rep = { 0 };
	int status = no_options(argc, argv, usage_status);

	if (status)
		return status < 0 ? 0 : status;
	proto_request__init(&req, "status");
	status = run_call(&req, &rep);
	if (!status && term_write(stdout, rep.payload.buf, rep.payload.len, "\n"))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
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
	struct reply rep = { 0 };
	long long v;
	int c, status;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'p':
			if (opt_int("pid", optarg, 1, 0x7fffffff, &v))
				return EXIT_USAGE;
			pid = optarg;
			break;
		case 'h':
			return verb_help(usage_dump);
		default:
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "dump", pid))
		return EXIT_USAGE;
	proto_request__init(&req, "dump");
	if (proto_request__add(&req, "pid", pid))
		return EXIT_USAGE;
	status = run_call(&req, &rep);
	if (!status && term_write(stdout, rep.payload.buf, rep.payload.len, "\n"))
		status = EXIT_ERROR;
	strbuf__done(&rep.payload);
	return status;
}

/* Each returns 0 or an exit status. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	{ "snapshot", verb_snapshot },
	{ "top", verb_top },
	{ "dump", verb_dump },
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
				return EXIT_USAGE;
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
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pyprofctl: missing command (snapshot, top, dump, list, status); "
				"try --help\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			return verbs[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "pyprofctl: unknown command '%s'; try --help\n", argv[optind]);
	return EXIT_USAGE;
}
