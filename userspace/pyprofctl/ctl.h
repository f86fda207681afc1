/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofctl's shared parts: the exit statuses, the client of pyprofd's
 * socket (client.c), the careful output writing (output.c), the option
 * helpers (main.c) and the verbs (snapshot.c, top.c, info.c).
 */
#ifndef PYPROFCTL_CTL_H
#define PYPROFCTL_CTL_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "base/strbuf.h"
#include "proto/proto.h"
#include "profile/view.h"

#define DEFAULT_SOCKET "/run/pyprof/pyprofd.sock"

struct ctl_config {
	const char *socket_path;
};

extern struct ctl_config cfg;

/* Exit statuses, one per kind of failure a script may act on (in help and the man page). */
enum {
	EXIT_ERROR = 1,		/* anything not below: I/O, a malformed reply, out of memory */
	EXIT_USAGE = 2,		/* bad command line or request */
	EXIT_NO_DAEMON = 3,	/* pyprofd not running, or refusing clients (too many) */
	EXIT_NO_PROCESS = 4,	/* no such process, or one of another user */
	EXIT_NOT_PYTHON = 5,	/* not a Python process, or a CPython pyprofd cannot profile */
	EXIT_NO_SAMPLES = 6,	/* the profile is empty */
};

/* Each verb's usage, in main.c: help lists them all, COMMAND --help shows one. */
extern const char usage_snapshot[], usage_top[], usage_dump[], usage_list[], usage_status[];
extern const char usage_diff[];

/* COMMAND --help: that command's usage (and the view options').  Returns 0 or EXIT_ERROR. */
int verb_help(const char *usage, bool view);

/* A whole number option in [min, max]; names the option when it is not one. */
int opt_int(const char *opt, const char *arg, long long min, long long max, long long *ret);

/*
 * A list option "N[,M...]" (may come more than once): ids of 1 to
 * 0x7fffffff appended to ids[*nr..max).  Names the option when it is not
 * one, and the noun ("thread ids") or its plural when there are too many.
 */
int opt_id_list(const char *opt, const char *arg, int *ids, size_t *nr, size_t max,
		const char *noun, const char *plural);

/* After the options: no stray arguments, and the --pid (or other selector) the verb needs. */
int check_rest(int argc, char **argv, const char *verb, bool have_pid);

__u64 wall_now_ns(void);
__u64 mono_now_ns(void);

/*
 * A reply: its payload and, for snapshots asked with range=1 or period=1,
 * the range it covers and the sampling period.
 */
struct reply {
	struct strbuf payload;
	long long from_ns, to_ns;	/* CLOCK_MONOTONIC */
	bool has_range;
	long long from_wall_ns, to_wall_ns;	/* the same, wall-clock ns (newer daemons) */
	bool has_wall;
	long long period_ns;		/* ns of CPU one on-CPU sample stands for */
	bool has_period;
	long long processes;		/* processes=1: the processes whose samples it holds */
	bool has_processes;
	int err;			/* -errno of the daemon's ERR line, 0 if none */
};

/*
 * The range options of snapshot and diff (range.c): --seconds D (a duration,
 * bare number = seconds), --since T, --until T (base/timeparse.h's times);
 * range_option() takes one of them.  --seconds keeps -S: add "S:".
 */
enum { OPT_RANGE_SINCE = 0x300, OPT_RANGE_UNTIL };

#define RANGE_OPTIONS                                                            \
	{ "seconds", required_argument, NULL, 'S' },                             \
	{ "since", required_argument, NULL, OPT_RANGE_SINCE },                   \
	{ "until", required_argument, NULL, OPT_RANGE_UNTIL }

struct ctl_range {
	__u64 seconds_ns;		/* --seconds, 0: not given */
	__u64 since_ns, until_ns;	/* wall-clock ns, 0: not given */
};

/* 1 when c is a range option (set in *r), 0 when not, -1 when its argument is wrong (reported). */
int range_option(int c, const char *arg, struct ctl_range *r);

/* The request keys for r (seconds= or from_wall_ns=/to_wall_ns=).  0, EXIT_USAGE (reported). */
int range__request(const struct ctl_range *r, struct proto_request *req);

struct fmt_meta;

/* The range a reply covers into m (duration, end, seconds): the reply's, else what was asked. */
void range__meta(const struct ctl_range *r, const struct reply *rep, struct fmt_meta *m);

/* "2026-12-02T10:02:00Z to 2026-12-02T10:05:00Z, 180.0 s": m's range, for notes. */
void range__describe(const struct fmt_meta *m, char *buf, size_t sz);

/*
 * The options of snapshot and top that choose which stacks and how they
 * merge (fetch.c), for their struct option tables; view_option() takes one
 * of them.
 */
enum {
	OPT_VIEW_FUNCTION = 0x200,
	OPT_VIEW_NO_LINES,
	OPT_VIEW_FULL_FILENAMES,
	OPT_VIEW_THREADS,
	OPT_VIEW_MODE,
	OPT_VIEW_TID,
	OPT_VIEW_NO_GC,
	OPT_VIEW_THREAD_NAME,
	OPT_VIEW_NATIVE,
	OPT_VIEW_NATIVE_ALL,
};

#define VIEW_OPTIONS                                                            \
	{ "function", no_argument, NULL, OPT_VIEW_FUNCTION },                   \
	{ "no-lines", no_argument, NULL, OPT_VIEW_NO_LINES },                   \
	{ "full-filenames", no_argument, NULL, OPT_VIEW_FULL_FILENAMES },       \
	{ "threads", no_argument, NULL, OPT_VIEW_THREADS },                     \
	{ "mode", required_argument, NULL, OPT_VIEW_MODE },                     \
	{ "tid", required_argument, NULL, OPT_VIEW_TID },                       \
	{ "no-gc", no_argument, NULL, OPT_VIEW_NO_GC },                         \
	{ "thread-name", required_argument, NULL, OPT_VIEW_THREAD_NAME },       \
	{ "native", no_argument, NULL, OPT_VIEW_NATIVE },                       \
	{ "native-all", no_argument, NULL, OPT_VIEW_NATIVE_ALL }

#define CTL_MAX_TIDS 64		/* threads --tid may name */
#define CTL_MAX_THREAD_NAMES 16	/* patterns --thread-name may give */

/* The view options: the mode chooses the stacks, the rest how they merge. */
struct ctl_view {
	struct stackset_view v;	/* aggregation options; fetch_stacks() sets the rest */
	enum view_mode mode;
	bool no_gc;		/* no "[gc]" marker frame (the samples stay) */
	__s32 tids[CTL_MAX_TIDS];
	size_t nr_tids;
	const char *thread_names[CTL_MAX_THREAD_NAMES];	/* argv's */
	size_t nr_thread_names;
};

/*
 * Whether getopt's c (with its arg) is a view option: 1 and set in *cv, 0
 * when it is not one, -1 when its argument is wrong (reported).
 */
int view_option(int c, const char *arg, struct ctl_view *cv);

/* The unit of what the view's counts are. */
static inline enum view_unit ctl_view__unit(const struct ctl_view *cv)
{
	return view_mode__unit(cv->mode);
}

/*
 * The selector options of snapshot, top (and diff): which processes
 * (select.c), for their struct option tables; select_option() takes one of
 * them.  --pid keeps its short option -p: add "p:" to getopt's string.
 */
enum {
	OPT_SEL_COMM = 0x280,
	OPT_SEL_CMDLINE,
	OPT_SEL_USER,
	OPT_SEL_UNIT,
	OPT_SEL_CGROUP,
	OPT_SEL_CONTAINER,
	OPT_SEL_ALL,
	OPT_SEL_PER_PROCESS,
};

#define SELECT_OPTIONS                                                          \
	{ "pid", required_argument, NULL, 'p' },                                \
	{ "comm", required_argument, NULL, OPT_SEL_COMM },                      \
	{ "cmdline", required_argument, NULL, OPT_SEL_CMDLINE },                \
	{ "user", required_argument, NULL, OPT_SEL_USER },                      \
	{ "unit", required_argument, NULL, OPT_SEL_UNIT },                      \
	{ "cgroup", required_argument, NULL, OPT_SEL_CGROUP },                  \
	{ "container", required_argument, NULL, OPT_SEL_CONTAINER },            \
	{ "all", no_argument, NULL, OPT_SEL_ALL },                              \
	{ "per-process", no_argument, NULL, OPT_SEL_PER_PROCESS }

#define CTL_MAX_PIDS 64		/* pids --pid may name (the daemon's bound) */

/* What the selector options said; zero it to start. */
struct ctl_select {
	int pids[CTL_MAX_PIDS];
	size_t nr_pids;
	const char *comm, *cmdline, *cgroup, *container;	/* argv's */
	const char *user;	/* as given, for the notes */
	long long uid;		/* --user's, resolved */
	char unit[256];		/* with its type: "billing" is "billing.service" */
	bool has_user, all, per_process;
};

/*
 * Whether getopt's c (with its arg) is a selector option: 1 and set in *cs,
 * 0 when it is not one, -1 when its argument is wrong (reported).
 */
int select_option(int c, const char *arg, struct ctl_select *cs);

/* Whether cs selects anything (a verb needs it to); whether it is one --pid and nothing else. */
bool ctl_select__any(const struct ctl_select *cs);
bool ctl_select__single_pid(const struct ctl_select *cs);

/*
 * Adds the request keys of cs (proto.h's selector), and for a selection
 * processes=1 (a single --pid asks what any pyprofd understands).
 * 0, or -E2BIG / -EINVAL (reported).
 */
int ctl_select__add_keys(const struct ctl_select *cs, struct proto_request *req);

/*
 * What cs selected, for titles and notes: "pid 42", "unit billing.service,
 * 3 processes" (the count from rep, when it has one).  Escaped for a
 * terminal: the values are the user's, the count the daemon's.
 */
void ctl_select__describe(const struct ctl_select *cs, const struct reply *rep, char *buf,
			  size_t sz);

/*
 * Asks the snapshot req describes in PYPROF/3 (the older versions, as a
 * daemon that speaks only those says, for the cpu mode: the others need
 * tags) and stores it seen through cv in out, which must be empty; rep
 * gets the range and the period (its payload is freed).  The wall mode
 * asks for the sampling period too.  Reports its failure; returns 0 or an
 * exit status.
 */
int fetch_stacks(struct proto_request *req, const struct ctl_view *cv, struct reply *rep,
		 struct stackset *out);

/* Bytes of every reply so far, headers included (PYPROFCTL_DEBUG_BYTES). */
extern size_t reply_bytes;

/*
 * Sends one request and reads the reply into *rep.  Returns 0, or an exit
 * status with msg set.
 */
int call(const struct proto_request *req, struct reply *rep, char *msg, size_t msgsz);

/* call() that reports its failure; returns 0 or an exit status. */
int run_call(const struct proto_request *req, struct reply *rep);

/* rate_hz and the window length from the daemon's status; 0 what cannot be had. */
void daemon_params(__u32 *ret_rate, __u64 *ret_window_ns);

/* Appends s for the terminal (term__put_text) and writes it to f. */
int term_write(FILE *f, const char *s, size_t len, const char *keep);

/* "pyprofctl: <msg>\n" on stderr, msg escaped: the daemon's messages quote names. */
void print_error(const char *msg);

/* buf to stdout, flushed.  0 or -EIO. */
int write_all(const char *buf, size_t len);

/*
 * buf to path ("-" or NULL: stdout), never leaving a half file nor writing
 * through a planted symlink (see output.c).  Reports its failure; 0 or -errno.
 */
int write_output(const char *path, const char *buf, size_t len);

/*
 * The process name of a profile: its root frame (the least name when the
 * process exec'd in the range and has two); NULL when it has none.
 */
const char *stacks_comm(const struct stackset *ss);

/* The verbs: each returns 0 or an exit status. */
int verb_snapshot(int argc, char **argv);
int verb_top(int argc, char **argv);
int verb_dump(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_diff(int argc, char **argv);

#endif /* PYPROFCTL_CTL_H */
