/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * view: a profile seen through the aggregation options of pyprofctl
 * (--threads, --no-lines, --function, --full-filenames) and a choice of
 * stacks by their tags (profile/sample.h).  The daemon sends stacks as it
 * recorded them; the client chooses which to show and how to merge them.
 */
#ifndef PYPROF_VIEW_H
#define PYPROF_VIEW_H

#include <stdbool.h>
#include "profile/stacks.h"

struct stackset_view {
	bool threads;		/* keep FRAME_THREAD frames (else dropped, stacks merged) */
	bool native;		/* keep FRAME_NATIVE frames (else dropped: the Python-only stack) */
	bool native_all;	/* ... interpreter-internal ones too (FRAME_NATIVE_INTERNAL) */
	bool no_lines;		/* PYTHON line := FRAME_LINE_NONE */
	bool function;		/* PYTHON line := func_line (py-spy -F); none if unknown */
	bool full_filenames;	/* else files shortened (site-packages, stdlib, script dir) */
	/*
	 * Which stacks: those with (tag & tag_mask) == tag_value when by_tag,
	 * else the on-CPU ones ((tag & SAMPLE_OFF_CPU) == 0: counts in samples,
	 * whatever else they say), what every view showed before tags.
	 */
	bool by_tag;
	sample_tag_t tag_mask, tag_value;
	bool keep_tags;		/* else each stack's tag := SAMPLE_ON_CPU, equal stacks merged */
	/* When > 0: an on-CPU stack's count (samples) times this, in ns (the wall view). */
	__u64 on_cpu_ns;
	/*
	 * Marker frames (FRAME_MARKER) that say what a tag says, where the
	 * stack shows it: after the last Python frame (without one, before
	 * the kernel frames that end the stack).  VIEW_MARKER_GC in stacks of
	 * SAMPLE_GC, then VIEW_MARKER_GIL_WAIT in those of SAMPLE_GIL_WAIT.
	 */
	bool gc_marker, gil_wait_marker;
	/* When nr_tids > 0: only the stacks whose thread frame names one of tids. */
	const __s32 *tids;
	size_t nr_tids;
	/*
	 * When nr_thread_names > 0: only the stacks whose thread frame's name
	 * (a Python thread name, "" for a thread without one) matches one of
	 * these fnmatch(3) patterns; with tids too, stacks must match both.
	 */
	const char *const *thread_names;
	size_t nr_thread_names;
};

#define VIEW_MARKER_GC	     "[gc]"
#define VIEW_MARKER_GIL_WAIT "[waiting for GIL]"

/*
 * The views pyprofctl's --mode names (Tachyon's --mode wall|cpu|gil): which
 * stacks, and the unit of their counts.
 */
enum view_mode {
	VIEW_MODE_CPU,		/* on-CPU stacks, in samples: the default */
	VIEW_MODE_WALL,		/* on-CPU and off-CPU, in ns: where each thread's time went */
	VIEW_MODE_OFFCPU,	/* off-CPU stacks, in ns */
	VIEW_MODE_GIL,		/* on-CPU stacks of threads holding the GIL, in samples */
	VIEW_MODE__MAX,
};

enum view_unit {
	VIEW_UNIT_SAMPLES,
	VIEW_UNIT_NS,
};

/* "cpu", "wall", "offcpu", "gil"; NULL for a value not below VIEW_MODE__MAX. */
const char *view_mode__name(enum view_mode mode);

/* The mode named name.  Returns 0 or -EINVAL. */
int view_mode__parse(const char *name, enum view_mode *ret);

/* The unit of the counts a view of mode shows. */
enum view_unit view_mode__unit(enum view_mode mode);

/*
 * Sets v's choice of stacks (by_tag, tag_mask, tag_value, on_cpu_ns) for
 * mode; period_ns (the sampling period: the time one on-CPU sample stands
 * for) is needed by VIEW_MODE_WALL only.  Returns 0, or -EINVAL (mode
 * unknown, or wall without a period).
 */
int stackset_view__set_mode(struct stackset_view *v, enum view_mode mode, __u64 period_ns);

/*
 * out = the stacks of in that v selects, seen through v, equal stacks
 * merged; out must be empty.  Stacks keep the order in which they first
 * appear in in.  A zeroed view shows what PYPROF/2 showed before tags: the
 * on-CPU stacks, untagged.  Short file names
 * (py-spy's default) apply to Python frames, the first rule that matches:
 *  - through the last "/site-packages/" or "/dist-packages/";
 *  - through a standard library directory ".../lib/pythonX.Y/" (or lib64,
 *    and a "t" after the version for free-threaded builds);
 *  - the main script's directory, for files under it: the directory of the
 *    file of the outermost Python frame named "<module>", of the stacks
 *    with the most samples when they disagree (of the stacks v selects);
 * otherwise (and where the rule would leave nothing) the path stays.
 * Returns 0, -ENOMEM or -EINVAL (a count past 2^64 in ns; out emptied).
 */
int stackset__view(const struct stackset *in, const struct stackset_view *v, struct stackset *out);

/*
 * out = cur minus prev, stack by stack, stacks compared by their frames and tags:
 * the samples cur has that prev had not yet.  A stack with fewer samples in
 * cur than in prev (a time window left the history in between) counts what
 * cur has.  Stacks left with no samples are not in out; out must be empty.
 * Returns 0, -ENOMEM or -EINVAL (out emptied).
 */
int stackset__subtract(const struct stackset *cur, const struct stackset *prev,
		       struct stackset *out);

/*
 * The short name of file under the rules of stackset__view() (script_dir
 * may be NULL): a suffix of file, or file itself.
 */
const char *view__short_file(const char *file, const char *script_dir, size_t script_dir_len);

#endif /* PYPROF_VIEW_H */
