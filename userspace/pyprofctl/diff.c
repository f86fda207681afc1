// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofctl diff: profile A (the baseline) against profile B, as
 * differential folded text (difffolded.pl's) or a differential flame graph.
 * The options before --vs choose A; after it, naming an option of a side
 * group replaces A's whole group for B, the rest of B is A's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/util.h"
#include "profile/stacks.h"
#include "render/fmt_diff.h"
#include "render/formats.h"
#include "ctl.h"

/* What chooses one profile: the option groups below fill it. */
struct diff_side {
	struct ctl_select sel;
	struct ctl_range range;
};

/*
 * A group of options that choose a profile.  Its function takes getopt's c
 * into a side: 1 when c is its, 0 when not, -1 when its argument is wrong
 * (reported).  After --vs, one option of a group replaces A's whole group:
 * "--vs --pid 43" is another process over A's range, not A's selection
 * plus pid 43.  A new group is its options in diff_opts and a line here.
 */
typedef int (*side_group_fn)(int c, const char *arg, struct diff_side *s);

static int select_group(int c, const char *arg, struct diff_side *s)
{
	return select_option(c, arg, &s->sel);
}

static int range_group(int c, const char *arg, struct diff_side *s)
{
	return range_option(c, arg, &s->range);
}

static const side_group_fn side_groups[] = { select_group, range_group };

#define NR_SIDE_GROUPS (sizeof(side_groups) / sizeof(side_groups[0]))

enum { OPT_DIFF_NORMALIZE = 0x100, OPT_DIFF_VS };

static const struct option diff_opts[] = {
	SELECT_OPTIONS,
	RANGE_OPTIONS,
	{ "vs", no_argument, NULL, OPT_DIFF_VS },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "normalize", no_argument, NULL, OPT_DIFF_NORMALIZE },
	{ "help", no_argument, NULL, 'h' },
	VIEW_OPTIONS,
	{}
};

/* A side option as given, to replay: which group took it. */
struct side_opt {
	int c;
	const char *arg;
	size_t group;
};

struct diff_args {
	struct diff_side side[2];	/* A, B */
	struct side_opt *opts[2];	/* each side's options, in order */
	size_t nr_opts[2];
	bool named[2][NR_SIDE_GROUPS];	/* the groups each side names */
	bool vs;			/* --vs seen: options are B's */
	bool svg, normalize;
	const char *output;
	struct ctl_view view;
};

/* The options that are no side's: output and view.  1 taken, 0 not one, -1 bad. */
static int common_option(int c, const char *arg, struct diff_args *a)
{
	switch (c) {
	case 'f':
		if (strcmp(arg, "folded") && strcmp(arg, "svg")) {
			fprintf(stderr, "pyprofctl: diff --format is folded or svg, not '%s'\n",
				arg);
			return -1;
		}
		a->svg = strcmp(arg, "svg") == 0;
		return 1;
	case 'o':
		if (!*arg) {
			fprintf(stderr, "pyprofctl: empty --output\n");
			return -1;
		}
		a->output = arg;
		return 1;
	case OPT_DIFF_NORMALIZE:
		a->normalize = true;
		return 1;
	}
	if (!a->vs)
		return view_option(c, arg, &a->view);
	if (view_option(c, arg, &(struct ctl_view){ 0 }) > 0) {
		fprintf(stderr, "pyprofctl: the view options apply to both profiles: give them "
				"before --vs\n");
		return -1;
	}
	return 0;
}

/* Takes side option c into the current side's list (checked on scratch).  1, 0 or -1. */
static int side_option(int c, const char *arg, struct diff_args *a)
{
	struct diff_side scratch = { 0 };
	int s = a->vs;

	for (size_t g = 0; g < NR_SIDE_GROUPS; g++) {
		int r = side_groups[g](c, arg, &scratch);

		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		a->opts[s][a->nr_opts[s]++] = (struct side_opt){ .c = c, .arg = arg, .group = g };
		a->named[s][g] = true;
		return 1;
	}
	return 0;
}

/* Applies the options of side from into out, but for those of groups skip names. */
static void side_replay(const struct diff_args *a, int from, const bool *skip,
			struct diff_side *out)
{
	for (size_t i = 0; i < a->nr_opts[from]; i++) {
		const struct side_opt *o = &a->opts[from][i];

		if (!skip || !skip[o->group])
			side_groups[o->group](o->c, o->arg, out);
	}
}

/* Parses diff's options into *a.  Returns 0, -1 after --help, or an exit status. */
static int diff_parse(int argc, char **argv, struct diff_args *a)
{
	int c, r;

	a->opts[0] = calloc((size_t)argc, sizeof(*a->opts[0]));
	a->opts[1] = calloc((size_t)argc, sizeof(*a->opts[1]));
	if (!a->opts[0] || !a->opts[1])
		return EXIT_ERROR;
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:S:f:o:h", diff_opts, NULL)) >= 0) {
		if (c == 'h')
			return verb_help(usage_diff, true) ?: -1;
		if (c == OPT_DIFF_VS) {
			if (a->vs) {
				fprintf(stderr, "pyprofctl: diff takes one --vs\n");
				return EXIT_USAGE;
			}
			a->vs = true;
			continue;
		}
		r = side_option(c, optarg, a);
		if (!r)
			r = common_option(c, optarg, a);
		if (r <= 0)
			return EXIT_USAGE;
	}
	if (!a->vs) {
		fprintf(stderr, "pyprofctl: diff needs --vs: 'diff A-OPTIONS --vs B-OPTIONS'\n");
		return EXIT_USAGE;
	}
	side_replay(a, 0, NULL, &a->side[0]);
	side_replay(a, 0, a->named[1], &a->side[1]);
	side_replay(a, 1, NULL, &a->side[1]);
	if (check_rest(argc, argv, "diff", ctl_select__any(&a->side[0].sel)))
		return EXIT_USAGE;
	return 0;
}

/* Asks for side s's profile: its range in *rep, its stacks in *ss.  0 or an exit status. */
static int side_fetch(const struct diff_side *s, const struct ctl_view *cv, struct reply *rep,
		      struct stackset *ss)
{
	struct proto_request req;

	proto_request__init(&req, "snapshot");
	if (ctl_select__add_keys(&s->sel, &req) || proto_request__add(&req, "range", "1") ||
	    range__request(&s->range, &req))
		return EXIT_USAGE;
	return fetch_stacks(&req, cv, rep, ss);
}

/* What side s covers, for the title and the notes; from its reply's range when it has one. */
static void side_meta(const struct diff_side *s, const struct diff_args *a,
		      const struct reply *rep, const struct stackset *ss, struct fmt_meta *m)
{
	m->pid = ctl_select__single_pid(&s->sel) ? s->sel.pids[0] : 0;
	m->comm = stacks_comm(ss);
	m->mode = a->view.mode;
	m->period_ns = rep->has_period ? (__u64)rep->period_ns : 0;
	range__meta(&s->range, rep, m);
}

/* On stderr: what each side covers (folded text cannot say it), and an empty side. */
static void diff_notes(const struct diff_args *a, const struct reply *rep,
		       const struct stackset *ss, const struct fmt_meta *m)
{
	static const char *const names[] = { "A", "B" };
	char what[512];

	for (int s = 0; s < 2; s++) {
		char range[96];

		range__describe(&m[s], range, sizeof(range));
		ctl_select__describe(&a->side[s].sel, &rep[s], what, sizeof(what));
		if (!ss[s].nr)
			fprintf(stderr, "pyprofctl: %s (%s): no %s in the last %.1f s: all of "
					"it is %s\n",
				names[s], what, ctl_view__unit(&a->view) == VIEW_UNIT_NS ?
				"time recorded" : "samples", m[s].duration_ns / 1e9,
				s ? "shrinkage" : "growth");
		else if (!a->svg)
			fprintf(stderr, "pyprofctl: %s: %s, total %llu %s over %s\n",
				names[s], what, (unsigned long long)ss[s].total,
				ctl_view__unit(&a->view) == VIEW_UNIT_NS ? "ns" : "samples", range);
	}
}

/* Renders the differential as a asks and writes it out.  Returns 0 or an exit status. */
static int diff_output(const struct diff_args *a, const struct stackset *ss,
		       const struct fmt_meta *m)
{
	struct strbuf out = { 0 };
	int err, status = 0;

	if (a->svg)
		err = fmt_svg__render_diff(&ss[0], &m[0], &ss[1], &m[1], &out);
	else
		err = fmt_diff__render(&ss[0], &ss[1], a->normalize, &out);
	if (err) {
		fprintf(stderr, "pyprofctl: cannot render the diff: %s\n", strerror(-err));
		status = EXIT_ERROR;
	} else if (write_output(a->output, out.buf, out.len)) {
		status = EXIT_ERROR;
	}
	strbuf__done(&out);
	return status;
}

int verb_diff(int argc, char **argv)
{
	struct diff_args a = { 0 };
	struct reply rep[2] = { 0 };
	struct stackset ss[2] = { 0 };
	struct fmt_meta meta[2] = { 0 };
	int status;

	status = diff_parse(argc, argv, &a);
	if (status) {
		status = status < 0 ? 0 : status;
		goto cleanup;
	}
	for (int s = 0; s < 2 && !status; s++) {
		status = side_fetch(&a.side[s], &a.view, &rep[s], &ss[s]);
		if (!status)
			side_meta(&a.side[s], &a, &rep[s], &ss[s], &meta[s]);
	}
	if (status)
		goto cleanup;
	diff_notes(&a, rep, ss, meta);
	status = diff_output(&a, ss, meta);
	if (!status && !ss[0].nr && !ss[1].nr)
		status = EXIT_NO_SAMPLES;
cleanup:
	for (int s = 0; s < 2; s++) {
		strbuf__done(&rep[s].payload);
		stackset__done(&ss[s]);
	}
	free(a.opts[0]);
	free(a.opts[1]);
	return status;
}
