/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* tables: per-function (top) and per-line rankings of a profile, as text tables. */
#ifndef PYPROF_TABLES_H
#define PYPROF_TABLES_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "profile/stacks.h"
#include "profile/view.h"

struct strbuf;

enum table_sort {
	TABLE_SORT_OWN,		/* samples where it is the leaf */
	TABLE_SORT_TOTAL,	/* samples where it is anywhere on the stack */
};

struct table_opts {
	size_t max_rows;	/* 0 = all */
	enum table_sort sort;
	__u32 rate_hz;		/* to show samples as times; 0 = samples only */
	enum view_unit unit;	/* of the counts: VIEW_UNIT_NS shows them as times, rate or not */
	bool gil;		/* top: a %GIL column (the set's stacks keep their tags) */
	bool source;		/* --lines: print each line's source text when the file is readable */
};

/*
 * py-spy top's table: one row per function (name and file), its own share
 * (leaf of the Python stack), its total share (anywhere on the stack, once
 * per stack however deep the recursion) and, with a rate or in a time
 * view, the time those stand for; with gil, the share of the function's
 * total in stacks tagged SAMPLE_GIL ("-" when no stack of the set is: a
 * free-threaded build, or a daemon that does not say).  Kernel frames are
 * not functions here; markers are.
 */
int table_top__render(const struct stackset *ss, const struct table_opts *o, struct strbuf *out);

/*
 * line_profiler's view without decorators: one row per source line (file
 * and line number) that Python frames sit on, with its total share (any
 * frame of the stack on that line, once per stack) and own share (the
 * leaf Python frame on it).
 */
int table_lines__render(const struct stackset *ss, const struct table_opts *o, struct strbuf *out);

#endif /* PYPROF_TABLES_H */
