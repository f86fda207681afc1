// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl top: a live per-function view, refreshed from the newest samples. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "base/util.h"
#include "profile/stacks.h"
#include "render/tables.h"
#include "render/units.h"
#include "ctl.h"

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
		if (poll(&pfd, keys ? 1 : 0,
			 (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC)) <= 0)
			continue;
		n = read(STDIN_FILENO, c, sizeof(c));
		if (n <= 0)
			keys = false;
		else if (memchr(c, 'q', (size_t)n) || memchr(c, 'Q', (size_t)n))
			top_stop = 1;
	}
}

struct top_state {
	struct ctl_select sel;
	struct table_opts to;
	struct ctl_view view;
	__u64 window_ns;		/* the daemon's window length */
	long long since;		/* since_ns of the next fetch */
	long long last_to;		/* the daemon's time at the last fetch, 0 before the first */
	struct reply rep;
	struct stackset base;		/* the newest window as of the last fetch */
	struct strbuf table;
};

/* The windows from since on into *ss (empty), their range in st->rep. */
static int top_fetch(struct top_state *st, long long since, struct stackset *ss)
{
	struct proto_request req;
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", since > 0 ? since : 0);
	proto_request__init(&req, "snapshot");
	if (ctl_select__add_keys(&st->sel, &req) || proto_request__add(&req, "since_ns", buf) ||
	    proto_request__add(&req, "range", "1"))
		return EXIT_USAGE;
	return fetch_stacks(&req, &st->view, &st->rep, ss);
}

/* Whether the last reply holds a single window (then it is the newest one). */
static bool top_one_window(const struct top_state *st)
{
	return !st->rep.has_range || !st->window_ns ||
	       st->rep.to_ns < st->rep.from_ns + (long long)st->window_ns;
}

/* "pyprofctl top: pid N, 42 samples in the last 1.0s": what the table counts. */
static int top_header(const struct top_state *st, const struct stackset *delta, double secs,
		      bool tty)
{
	struct strbuf what = { 0 };
	char sel[512];
	int err;

	ctl_select__describe(&st->sel, &st->rep, sel, sizeof(sel));
	err = units__put(&what, ctl_view__unit(&st->view), delta->total);
	if (!err && st->view.mode != VIEW_MODE_CPU)
		err = strbuf__printf(&what, " (%s)", units__what(st->view.mode));
	if (!err && printf("%spyprofctl top: %s, %s in the last %.1fs%s\n\n",
			   tty ? "\033[H\033[2J" : "", sel, what.buf, secs,
			   tty ? " (q or Ctrl-C quits)" : "") < 0)
		err = -EIO;
	strbuf__done(&what);
	return err ? EXIT_ERROR : 0;
}

/*
 * One view: the windows from the last fetch's on, minus what that fetch saw
 * of them, so each refresh costs what one or two windows hold however long
 * top runs.  The first view shows what the daemon has of the newest window.
 */
static int top_refresh(struct top_state *st, bool tty)
{
	struct stackset cur = { 0 }, delta = { 0 };
	double secs;
	int status, tries = 0;

	status = top_fetch(st, st->since, &cur);
	if (status)
		return status;
	strbuf__reset(&st->table);
	if (stackset__subtract(&cur, &st->base, &delta) ||
	    table_top__render(&delta, &st->to, &st->table)) {
		stackset__done(&cur);
		stackset__done(&delta);
		print_error("cannot render the profile");
		return EXIT_ERROR;
	}
	secs = st->rep.has_range ? (st->rep.to_ns - (st->last_to ?: st->rep.from_ns)) / 1e9 : 0;
	status = top_header(st, &delta, secs, tty);
	stackset__done(&delta);
	if (status || term_write(stdout, st->table.buf, st->table.len, "\n") ||
	    (!tty && puts("") < 0) || fflush(stdout))
		status = EXIT_ERROR;
	/*
	 * The next fetch starts in the newest window; its baseline is that window
	 * alone.  A reply that spans two windows is fetched again from the newer
	 * one (what arrives between the two fetches is not shown: a few ms).
	 */
	while (!status && !top_one_window(st) && tries++ < 3) {
		stackset__done(&cur);
		status = top_fetch(st, st->rep.to_ns, &cur);
	}
	if (status) {
		stackset__done(&cur);
		return status;
	}
	stackset__done(&st->base);
	st->base = cur;
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
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, OPT_ITERATIONS },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "help", no_argument, NULL, 'h' },
		VIEW_OPTIONS,
		SELECT_OPTIONS,
		{}
	};
	long long rows = 0;
	__u64 ns;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:i:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			if (parse_duration_ns(optarg, &ns) < 0 || ns < 100 * NSEC_PER_MSEC ||
			    ns > 3600 * NSEC_PER_SEC) {
				fprintf(stderr, "pyprofctl: invalid --interval '%s' (100ms-1h)\n", optarg);
				return EXIT_USAGE;
			}
			*interval_ms = (long long)(ns / NSEC_PER_MSEC);
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
			return verb_help(usage_top, true) ?: -1;
		default:
			if (view_option(c, optarg, &st->view) > 0 ||
			    select_option(c, optarg, &st->sel) > 0)
				break;
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "top", ctl_select__any(&st->sel)))
		return EXIT_USAGE;
	return 0;
}

/* Rows to fill the terminal unless --rows said; signals and keys that stop top. */
static bool top_setup(struct top_state *st, bool tty)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	if (!st->to.max_rows && tty) {
		struct winsize ws;

		st->to.max_rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 6
					  ? ws.ws_row - 4 : 20;
	}
	/* No SA_RESTART: a signal ends the wait at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	return term_cbreak();
}

int verb_top(int argc, char **argv)
{
	struct top_state st = { .to = { .sort = TABLE_SORT_OWN } };
	long long interval_ms = 1000, iterations = 0;
	bool tty = isatty(STDOUT_FILENO), keys, debug = getenv("PYPROFCTL_DEBUG_BYTES");
	int status;

	status = top_parse(argc, argv, &st, &interval_ms, &iterations);
	if (status)
		return status < 0 ? 0 : status;
	daemon_params(&st.to.rate_hz, &st.window_ns);
	st.to.unit = ctl_view__unit(&st.view);
	/* %GIL counts the stacks tagged SAMPLE_GIL: the view keeps the tags. */
	st.to.gil = st.view.mode == VIEW_MODE_CPU;
	st.view.v.keep_tags = st.to.gil;
	keys = top_setup(&st, tty);
	st.since = (long long)mono_now_ns() - interval_ms * (long long)NSEC_PER_MSEC;
	for (long long round = 1; !top_stop; round++) {
		size_t before = reply_bytes;
		__u64 deadline = mono_now_ns() + (__u64)interval_ms * NSEC_PER_MSEC;

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
	stackset__done(&st.base);
	strbuf__done(&st.table);
	/* Stopped by a signal in the middle of a fetch: quitting, not a failure. */
	return top_stop ? 0 : status;
}
