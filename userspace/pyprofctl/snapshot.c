// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl snapshot: a profile of a time range, in one of the output formats. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/util.h"
#include "profile/stacks.h"
#include "render/fmt_folded.h"
#include "render/formats.h"
#include "render/tables.h"
#include "render/units.h"
#include "ctl.h"

enum format { FMT_FOLDED, FMT_SVG, FMT_SPEEDSCOPE, FMT_PPROF, FMT_JSON, FMT_LINES };

static const char *const format_names[] = {
	[FMT_FOLDED] = "folded", [FMT_SVG] = "svg", [FMT_SPEEDSCOPE] = "speedscope",
	[FMT_PPROF] = "pprof",	 [FMT_JSON] = "json",
};

/* Renders the profile in the chosen format into out. */
static int render(enum format fmt, const struct stackset *ss, const struct fmt_meta *m,
		  size_t rows, struct strbuf *out)
{
	struct table_opts to = { .max_rows = rows, .sort = TABLE_SORT_TOTAL, .rate_hz = m->rate_hz,
				 .unit = view_mode__unit(m->mode), .source = true };
	int err;

	switch (fmt) {
	case FMT_FOLDED:
		err = fmt_folded__render(ss, out);
		break;
	case FMT_SVG:
		err = fmt_svg__render(ss, m, out);
		break;
	case FMT_SPEEDSCOPE:
		err = fmt_speedscope__render(ss, m, out);
		break;
	case FMT_PPROF:
		err = fmt_pprof__render(ss, m, out);
		break;
	case FMT_JSON:
		err = fmt_json__render(ss, m, out);
		break;
	case FMT_LINES:
		err = table_lines__render(ss, &to, out);
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		fprintf(stderr, "pyprofctl: cannot render the profile: %s\n", strerror(-err));
	return err;
}

struct snapshot_args {
	const char *output;
	struct ctl_range range;
	enum format fmt;
	long long rows;
	struct ctl_view view;
	struct ctl_select sel;
	char what[512];		/* what was selected (ctl_select__describe()) */
};

/* --format name, or --lines (name NULL); they exclude each other.  0 or -EINVAL. */
static int snapshot_format(struct snapshot_args *a, const char *name, bool *format_set)
{
	const size_t nr_formats = sizeof(format_names) / sizeof(format_names[0]);
	size_t f = FMT_LINES;

	if (name) {
		for (f = 0; f < nr_formats; f++)
			if (strcmp(name, format_names[f]) == 0)
				break;
		if (f == nr_formats) {
			fprintf(stderr, "pyprofctl: unknown --format '%s' (folded, svg, "
					"speedscope, pprof, json)\n", name);
			return -EINVAL;
		}
	}
	if (*format_set && (a->fmt == FMT_LINES) != (f == FMT_LINES)) {
		fprintf(stderr, "pyprofctl: --lines and --format exclude each other\n");
		return -EINVAL;
	}
	a->fmt = (enum format)f;
	*format_set = true;
	return 0;
}

/* Parses snapshot's options into *a.  Returns 0, -1 after --help, or an exit status. */
static int snapshot_parse(int argc, char **argv, struct snapshot_args *a)
{
	enum { OPT_LINES = 0x100, OPT_ROWS };
	static const struct option opts[] = {
		RANGE_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "lines", no_argument, NULL, OPT_LINES },
		{ "rows", required_argument, NULL, OPT_ROWS },
		{ "help", no_argument, NULL, 'h' },
		VIEW_OPTIONS,
		SELECT_OPTIONS,
		{}
	};
	bool format_set = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "p:S:f:o:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'f':
		case OPT_LINES:
			if (snapshot_format(a, c == OPT_LINES ? NULL : optarg, &format_set))
				return EXIT_USAGE;
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
			return verb_help(usage_snapshot, true) ?: -1;
		default:
			r = range_option(c, optarg, &a->range);
			if (r > 0 || (r == 0 && (view_option(c, optarg, &a->view) > 0 ||
						 select_option(c, optarg, &a->sel) > 0)))
				break;
			return EXIT_USAGE;
		}
	}
	if (check_rest(argc, argv, "snapshot", ctl_select__any(&a->sel)))
		return EXIT_USAGE;
	if (a->fmt == FMT_PPROF && !a->output && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pyprofctl: pprof is binary: use --output FILE or a redirection\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* ctl.h */
const char *stacks_comm(const struct stackset *ss)
{
	const char *comm = NULL;

	for (size_t i = 0; i < ss->nr; i++) {
		const struct frame *f;

		if (!ss->stacks[i].nr)
			continue;
		f = &ss->frames[stack__ids(ss, &ss->stacks[i])[0]];
		if (f->kind == FRAME_PROCESS && (!comm || strcmp(f->name, comm) < 0))
			comm = f->name;
	}
	return comm;
}

/* Asks for the snapshot a describes: its range in *rep, its stacks in *ss. */
static int snapshot_fetch(struct snapshot_args *a, struct reply *rep, struct stackset *ss)
{
	struct proto_request req;

	proto_request__init(&req, "snapshot");
	if (ctl_select__add_keys(&a->sel, &req) || proto_request__add(&req, "range", "1") ||
	    range__request(&a->range, &req))
		return EXIT_USAGE;
	/* --lines reads each line's source text from the file: it needs the path. */
	if (a->fmt == FMT_LINES)
		a->view.v.full_filenames = true;
	return fetch_stacks(&req, &a->view, rep, ss);
}

/* What a view's counts are, for the notes: "samples", "time off the CPU in ns", ... */
static const char *const counted[VIEW_MODE__MAX] = {
	[VIEW_MODE_CPU] = "samples",
	[VIEW_MODE_WALL] = "time on and off the CPU in ns",
	[VIEW_MODE_OFFCPU] = "time off the CPU in ns",
	[VIEW_MODE_GIL] = "samples holding the GIL",
};

/* Why a view may be empty. */
static const char *const empty_why[VIEW_MODE__MAX] = {
	[VIEW_MODE_CPU] = "the profile counts CPU time, which an idle or waiting process does "
			  "not use",
	[VIEW_MODE_WALL] = "it had neither CPU time nor time off the CPU recorded",
	[VIEW_MODE_OFFCPU] = "no time off the CPU was recorded for it (a thread that never "
			     "blocks, or a pyprofd that does not record such time)",
	[VIEW_MODE_GIL] = "no sample of it held the GIL (a free-threaded build has none)",
};

/* The notes on stderr: why a profile is empty, or for folded what it covers. */
static void snapshot_notes(const struct snapshot_args *a, const struct stackset *ss,
			   const struct fmt_meta *m)
{
	enum view_mode mode = a->view.mode;
	char range[96];

	range__describe(m, range, sizeof(range));
	if (!ss->nr && ctl_select__single_pid(&a->sel))
		fprintf(stderr, "pyprofctl: no %s for pid %d in the last %.1f s: %s; "
				"'pyprofctl dump --pid %d' shows where its threads are now\n",
			counted[mode], a->sel.pids[0], m->duration_ns / 1e9, empty_why[mode],
			a->sel.pids[0]);
	else if (!ss->nr)
		fprintf(stderr, "pyprofctl: no %s for %s in the last %.1f s: %s\n", counted[mode],
			a->what, m->duration_ns / 1e9, empty_why[mode]);
	else if (a->fmt == FMT_FOLDED)
		fprintf(stderr, "pyprofctl: %s: %s of %s\n", a->what, counted[mode], range);
}

/* Renders the profile as a asks and writes it out.  Returns 0 or an exit status. */
static int snapshot_output(const struct snapshot_args *a, const struct stackset *ss,
			   const struct fmt_meta *m)
{
	struct strbuf out = { 0 };
	int status = 0;
	char range[96];

	range__describe(m, range, sizeof(range));
	if (a->fmt == FMT_LINES)
		status = strbuf__printf(&out, "pyprofctl snapshot: %s, %s%s%s\n\n",
					a->what, range, m->mode ? ", " : "",
					m->mode ? units__what(m->mode) : "") ? EXIT_ERROR : 0;
	status = status ?: render(a->fmt, ss, m, (size_t)a->rows, &out) ? EXIT_ERROR : 0;
	if (!status && a->fmt == FMT_LINES && (!a->output || strcmp(a->output, "-") == 0))
		status = term_write(stdout, out.buf, out.len, "\n") ? EXIT_ERROR : 0;
	else if (!status)
		status = write_output(a->output, out.buf, out.len) ? EXIT_ERROR : 0;
	strbuf__done(&out);
	return status;
}

int verb_snapshot(int argc, char **argv)
{
	struct snapshot_args a = { .fmt = FMT_FOLDED };
	struct reply rep = { 0 };
	struct stackset ss = { 0 };
	struct fmt_meta meta = { 0 };
	int status;

	status = snapshot_parse(argc, argv, &a);
	if (status)
		return status < 0 ? 0 : status;
	status = snapshot_fetch(&a, &rep, &ss);
	if (status)
		goto cleanup;
	ctl_select__describe(&a.sel, &rep, a.what, sizeof(a.what));
	meta.mode = a.view.mode;
	meta.period_ns = rep.has_period ? (__u64)rep.period_ns : 0;
	range__meta(&a.range, &rep, &meta);
	snapshot_notes(&a, &ss, &meta);
	if (a.fmt != FMT_FOLDED)
		daemon_params(&meta.rate_hz, NULL);
	/*
	 * A set has no one pid nor name: its title says what was selected (json's
	 * "comm" field stays a process name: none).
	 */
	meta.pid = ctl_select__single_pid(&a.sel) ? a.sel.pids[0] : 0;
	meta.comm = meta.pid ? stacks_comm(&ss) : a.fmt == FMT_JSON ? NULL : a.what;
	status = snapshot_output(&a, &ss, &meta);
	if (!status && !ss.nr)
		status = EXIT_NO_SAMPLES;
cleanup:
	strbuf__done(&rep.payload);
	stackset__done(&ss);
	return status;
}
