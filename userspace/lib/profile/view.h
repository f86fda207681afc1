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
};

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
 * Returns 0, -ENOMEM or -EINVAL (out emptied).
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
