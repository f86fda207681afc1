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
		if (poll(&pfd, keys ? 1 : 0, (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC)) <= 0)
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
	strbuf__done(&st.base);
	strbuf__done(&st.delta);
	strbuf__done(&st.table);
	/* Stopped by a signal in the middle of a fetch: quitting, not a failure. */
	return top_stop ? 0 : status;
}
