// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl: query pyprofd for profiles of Python processes.  The command line and help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/util.h"
#include "ctl.h"

#define PYPROFCTL_VERSION "0.1.0"

struct ctl_config cfg = { .socket_path = DEFAULT_SOCKET };

#define EXIT_STATUS_HELP                                                                  \
	"Exit status: 0 success, 1 other error, 2 bad usage, 3 pyprofd not running or\n"  \
	"busy, 4 no such process (or another user's; for a selection: none you may\n" \
	"see), 5 not a Python process or an unsupported CPython, 6 no samples.\n"

const char usage_snapshot[] =
	"  snapshot --pid N|SELECT [RANGE] [--format F] [--output FILE] [VIEW]\n"
	"                   profile of process N (or of the processes SELECT names,\n"
	"                   merged) over RANGE (default: the last 60 s),\n"
	"                   taken in whole seconds: the range covered is\n"
	"                   stated (on stderr for folded, in the file otherwise).\n"
	"                   RANGE: --seconds D (30, 30s, 5m, 1h), --since T,\n"
	"                   --until T (two at most); T is ISO 8601\n"
	"                   (2026-12-02T10:02:00Z, +01:00, no zone: local time),\n"
	"                   HH:MM[:SS] today (local), -15m, '2h ago' or now\n"
	"                   Formats: folded (default; FlameGraph's: one line per stack,\n"
	"                   root first, frames joined by ';', then the sample count,\n"
	"                   or the ns in --mode wall and offcpu),\n"
	"                   svg (interactive flame graph: click to zoom, Ctrl-F to\n"
	"                   search), speedscope (JSON for speedscope.app), pprof\n"
	"                   (gzipped protobuf for go tool pprof), json\n"
	"  snapshot --pid N|SELECT --lines [--rows R] [VIEW]\n"
	"                   source lines ranked by CPU (by time in --mode wall and\n"
	"                   offcpu), with their text\n";
const char usage_top[] =
	"  top --pid N|SELECT [--interval DUR] [--sort own|total] [--rows R]\n"
	"      [--iterations K] [VIEW]\n"
	"                   live per-function view, refreshed every interval (1s),\n"
	"                   with the share of each function's samples that held the\n"
	"                   GIL (%GIL, cpu mode; '-' where the daemon does not say);\n"
	"                   q or Ctrl-C quits, --iterations stops after K views\n";
const char usage_diff[] =
	"  diff [A] --vs [B] [--format folded|svg] [--normalize] [--output FILE]\n"
	"       [VIEW]      profile A (the baseline) against B: SELECT options and\n"
	"                   RANGE before --vs choose A; after it, a SELECT option\n"
	"                   replaces all of A's selection for B only, a RANGE option\n"
	"                   A's range, the rest is A's ('diff --pid 42 --vs --pid 43',\n"
	"                   'diff --unit web --vs --unit web-canary').  Formats: folded (default; FlameGraph's difffolded.pl\n"
	"                   output, for its flamegraph.pl: a line per stack of either\n"
	"                   profile, 'stack countA countB', 0 where it is not, sorted),\n"
	"                   svg (differential flame graph: frames as wide as B's\n"
	"                   samples plus A's scaled to B's total, red where a frame's\n"
	"                   share of the total grew, blue where it shrank, white where\n"
	"                   the same; hover shows both counts and the change).\n"
	"                   --normalize: folded counts of A scaled to B's total\n"
	"                   (difffolded.pl -n); by default the counts are as sampled\n"
	"                   (svg always compares shares of the totals).  VIEW options\n"
	"                   apply to both profiles, before --vs\n";
/* The selector options of snapshot and top (select.c). */
static const char usage_select[] =
	"SELECT options (snapshot, top, diff): which processes; together they must all hold,\n"
	"and every process they match is merged into one profile, exited ones whose\n"
	"history is still kept included (a service restarted meanwhile: its old and\n"
	"new processes).  Only the processes you may see count (root and the pyprof\n"
	"group: all; others: their own).\n"
	"  --pid N[,M...]   these processes (may come more than once)\n"
	"  --comm NAME      the process name, exactly (as list --wide's COMM)\n"
	"  --cmdline REGEX  a command line that REGEX (POSIX extended) matches\n"
	"  --user NAME|UID  processes running as that user\n"
	"  --unit NAME      the systemd unit's processes (list's UNIT); a name\n"
	"                   without a type is a service: billing = billing.service\n"
	"  --cgroup PATH    processes in that cgroup or below it (list --wide's CGROUP)\n"
	"  --container ID   the container whose id starts with ID (4 to 64 hex digits)\n"
	"  --all            every process\n"
	"  --per-process    a root frame per process, 'PID COMMAND-LINE', instead of\n"
	"                   the process name: one tower each in a flame graph\n";
/* The view options of snapshot, top and diff (fetch.c). */
static const char usage_view[] =
	"VIEW options (snapshot, top, diff): which stacks, and how they merge\n"
	"  --mode M         cpu (default): on-CPU samples; wall: where each thread's\n"
	"                   time went, on and off the CPU, in ns; offcpu: time off\n"
	"                   the CPU (sleeping, blocked, waiting), in ns; gil: on-CPU\n"
	"                   samples of threads holding the GIL\n"
	"  --tid N[,M...]   only these threads (thread ids, as --threads shows them;\n"
	"                   --tid may come more than once)\n"
	"  --thread-name GLOB  only the threads whose name (Python's\n"
	"                   threading.Thread.name, or on 3.14+ the OS thread name)\n"
	"                   matches the shell pattern GLOB ('worker-*'); may come more\n"
	"                   than once; with --tid, a thread must match both\n"
	"  --no-gc          no [gc] frame on samples taken while the garbage\n"
	"                   collector ran (they stay, under their Python frames)\n"
	"  --function       a Python frame's line is its function's first line\n"
	"                   (py-spy -F): one frame per function, at its def\n"
	"  --no-lines       no line numbers on Python frames\n"
	"  --full-filenames full file paths; by default a file is named relative to\n"
	"                   site-packages (or dist-packages), the standard library\n"
	"                   (lib/pythonX.Y) or the main script's directory (--lines\n"
	"                   always shows full paths: it reads the source from them)\n"
	"  --threads        a level under the process, one per thread: 'NAME (tid N)'\n"
	"                   for a thread with a name, else 'thread N'\n"
	"  --native         with the native (C) frames of a pyprofd --native: each\n"
	"                   C function above the Python frame that called it\n"
	"  --native-all     ... the interpreter's own call plumbing too\n";
const char usage_dump[] =
	"  dump --pid N     what every thread of process N does right now (on or off\n"
	"                   CPU, for how long, in which kernel function, the GIL) and\n"
	"                   its Python stack, read from its memory (for a stuck or\n"
	"                   idle program)\n";
const char usage_list[] =
	"  list [--all] [--wide] [--json]\n"
	"                   Python processes pyprofd sees: PID, CPython VERSION, STATE,\n"
	"                   SAMPLES, %CPU, USER, START (local time today, else the\n"
	"                   date), the systemd UNIT, the CONTAINER id (12 characters),\n"
	"                   NOTE (why not profiled) and the COMMAND line last (UNIT,\n"
	"                   CONTAINER and NOTE only when some process has one); on a\n"
	"                   terminal rows are cut to its width.  %CPU is the share of\n"
	"                   one CPU, as top's: the on-CPU samples of the last minute\n"
	"                   (whole windows: up to one window more; since the process\n"
	"                   was found, if later) times the sampling period, over that\n"
	"                   time; for an exited process, its last minute.  Command\n"
	"                   lines over 4096 bytes end in '...'; names from other\n"
	"                   users' processes are shown escaped (\\xHH).\n"
	"                   --all: with exited ones whose history is still kept\n"
	"                   --wide: whole rows, plus CGROUP, COMM, EXE and LABELS\n"
	"                   --json: one JSON array, an object per process (pid, version,\n"
	"                   state, samples, cpu_percent, user, uid, start in ISO 8601,\n"
	"                   unit, container, cgroup, comm, exe, note, command, labels);\n"
	"                   null for what is not known\n";
const char usage_status[] =
	"  status [--json]  daemon health: rate, processes, samples, BPF counters\n"
	"                   (--json: one JSON object of the same keys, numbers as\n"
	"                   numbers)\n";

static void help(void)
{
	printf("Usage: pyprofctl [--socket PATH] COMMAND [OPTIONS]\n"
	       "\n"
	       "Ask pyprofd for CPU profiles of the Python processes on this host.\n"
	       "\n"
	       "Commands:\n%s%s%s%s%s%s"
	       "\n%s"
	       "\n%s"
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
	       "  pyprofctl snapshot --pid 1234 --function --threads > app.folded\n"
	       "  pyprofctl snapshot --pid 1234 --format pprof -o app.pb.gz && go tool pprof -top app.pb.gz\n"
	       "  pyprofctl snapshot --unit billing --per-process --format svg -o billing.svg\n"
	       "  pyprofctl diff --pid 1234 --vs --pid 1240 --format svg -o change.svg\n"
	       "  pyprofctl top --pid 1234\n"
	       "  pyprofctl dump --pid 1234\n"
	       "\n" EXIT_STATUS_HELP,
	       usage_snapshot, usage_top, usage_diff, usage_dump, usage_list, usage_status,
	       usage_select, usage_view, DEFAULT_SOCKET);
}

int verb_help(const char *usage, bool view)
{
	printf("Usage: pyprofctl [--socket PATH] COMMAND [OPTIONS]\n\n%s\n%s%s%s%s" EXIT_STATUS_HELP,
	       usage, view ? usage_select : "", view ? "\n" : "", view ? usage_view : "",
	       view ? "\n" : "");
	return fflush(stdout) ? EXIT_ERROR : 0;
}

int opt_id_list(const char *opt, const char *arg, int *ids, size_t *nr, size_t max,
		const char *noun, const char *plural)
{
	const char *p = arg;
	char num[16];
	long long id;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (!len || len >= sizeof(num))
			break;
		memcpy(num, p, len);
		num[len] = '\0';
		if (parse_int_range(num, 1, 0x7fffffff, &id) < 0)
			break;
		if (*nr >= max) {
			fprintf(stderr, "pyprofctl: --%s names at most %zu %s\n", opt, max, plural);
			return -1;
		}
		ids[(*nr)++] = (int)id;
		if (!p[len])
			return 0;
		p += len + 1;
	}
	fprintf(stderr, "pyprofctl: invalid --%s '%s' (%s ids: N[,M...])\n", opt, arg, noun);
	return -1;
}

int opt_int(const char *opt, const char *arg, long long min, long long max, long long *ret)
{
	if (parse_int_range(arg, min, max, ret) == 0)
		return 0;
	fprintf(stderr, "pyprofctl: invalid --%s '%s'\n", opt, arg);
	return -EINVAL;
}

int check_rest(int argc, char **argv, const char *verb, bool have_pid)
{
	if (optind < argc) {
		fprintf(stderr, "pyprofctl: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!have_pid) {
		fprintf(stderr, "pyprofctl: %s needs --pid N or another selector (--comm, --cmdline, "
				"--user, --unit, --cgroup, --container, --all)\n", verb);
		return -EINVAL;
	}
	return 0;
}

__u64 wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

__u64 mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
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
	{ "diff", verb_diff },
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
		fprintf(stderr, "pyprofctl: missing command (snapshot, top, dump, list, status, "
				"diff); try --help\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			return verbs[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "pyprofctl: unknown command '%s'; try --help\n", argv[optind]);
	return EXIT_USAGE;
}
