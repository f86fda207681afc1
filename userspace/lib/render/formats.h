/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * formats: renderers of a profile (a struct stackset, see stacks.h) for the
 * tools people open it with.  Each takes kind, name, file and line from the
 * set's frames (struct frame); where a format shows a frame as one string it
 * is frame__label()'s.  A line of 0 or FRAME_LINE_NONE is shown as none.
 * Each appends to out and returns 0, -ENOMEM or -EINVAL (an empty set is
 * valid and renders an empty profile); on error out is as it was.
 * (fmt_folded.h renders folded text.)
 */
#ifndef PYPROF_FORMATS_H
#define PYPROF_FORMATS_H

#include <linux/types.h>
#include "profile/stacks.h"
#include "profile/view.h"

struct strbuf;

/* What the profile covers; all fields optional (0 / NULL = unknown). */
struct fmt_meta {
	int pid;
	const char *comm;	/* process name */
	__u64 seconds;		/* length of the time range, whole seconds */
	__u64 duration_ns;	/* the same, exact (0: seconds * 1e9) */
	__u32 rate_hz;		/* samples per second: one sample = 1e9 / rate_hz ns of CPU */
	__u64 end_unix_ns;	/* end of the time range, wall clock */
	/*
	 * The view the stacks are (profile/view.h): its unit is the counts'
	 * (view_mode__unit(): samples for cpu and gil, ns for wall and offcpu).
	 */
	enum view_mode mode;
	__u64 period_ns;	/* wall: the ns one on-CPU sample stood for (0: unknown) */
};

struct strbuf;

/*
 * The wall-clock range m covers (end_unix_ns set), in UTC, read the same
 * wherever and whenever the file is: "2026-12-02 10:02:00<dash>10:05:00 UTC",
 * the end's date too when it is another day.  0, -EINVAL or -ENOMEM.
 */
int fmt_meta__put_range(struct strbuf *out, const struct fmt_meta *m, const char *dash);

/*
 * A self-contained interactive flame graph (SVG with inline script): root at
 * the bottom, frame width proportional to samples, hover shows name, samples
 * and percentage, click zooms into a frame (and "Reset Zoom" undoes it),
 * "Search" (or Ctrl-F) highlights frames matching a regular expression and
 * shows the matched percentage.  Frames are labelled by frame__label(), and
 * frames of equal labels under one parent are one.  Colours by frame kind
 * (Python, kernel, marker, process, others), shade by name.  No external
 * resources.
 */
int fmt_svg__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

/*
 * The differential flame graph of profile A (the baseline, ma) and B (mb), as
 * fmt_svg__render() draws one, with the same zoom and search: the stacks of
 * both, each frame as wide as its samples in B plus its samples in A scaled
 * to B's total (so both weigh the same, and what vanished from B still
 * shows); coloured by the change of its share of the total (its callees
 * included) from A to B: red where it grew, blue where it shrank, deeper the
 * larger the change relative to the largest one shown, white where the share
 * is the same.  Hover shows both counts and shares and the change in points
 * of the total ("main (A: 12 samples, 40.00%; B: 0 samples, 0.00%; -40.00%)").
 * The title describes A then B (ma, mb; B's mode is ma's).
 */
int fmt_svg__render_diff(const struct stackset *a, const struct fmt_meta *ma,
			 const struct stackset *b, const struct fmt_meta *mb, struct strbuf *out);

/*
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json):
 * one "sampled" profile named after the process, the time range and (but for
 * cpu) what the view counts, unit "nanoseconds" when rate_hz is known (each
 * sample weighs 1e9 / rate_hz) or the view counts time (each stack weighs its
 * count), else "none" with weight 1; shared frames (one per frame of the set, in the order
 * stacks first use them) carry name, file (Python and native frames; kernel
 * frames: "[kernel]") and line; a thread frame's name is its label.
 */
int fmt_speedscope__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

/*
 * pprof's profile.proto, gzip-compressed (what `go tool pprof` reads):
 * sample types samples/count and cpu/nanoseconds, period cpu/nanoseconds
 * (1e9 / rate_hz); in the time views one sample type, wall/nanoseconds
 * (period wall/nanoseconds, period_ns: Pyroscope's wall profile type) or
 * off_cpu/nanoseconds (no period).  One Function per distinct (name, file)
 * (file: Python and native frames' file, "[kernel]" for kernel frames, else
 * none), one Location per (function, line), leaf first in each Sample.
 */
int fmt_pprof__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

/*
 * pyprof's own JSON, for scripts:
 * {"version":1,"pid":N,"comm":"...","seconds":S,"duration_ns":D,"rate_hz":R,
 *  "mode":"cpu|wall|offcpu|gil","unit":"samples|nanoseconds","period_ns":P,"total":T,
 *  "frames":[{"name":"...",
 *             "kind":"python|kernel|marker|process|other|thread|native",
 *             "file":"...","line":N,"func_line":N}, ...],
 *  "stacks":[{"frames":[i, ...], "count":N}, ...]}
 * frames deduplicated (frames that would print the same are one), in the
 * order stacks first use them; stack frame indexes root first; file, line
 * and func_line omitted when unknown (a thread frame's line is its tid);
 * strings JSON-escaped (control characters, invalid UTF-8 as U+FFFD);
 * counts and total in unit; period_ns the ns of one on-CPU sample in a wall
 * view (0: not known or not used).
 */
int fmt_json__render(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

#endif /* PYPROF_FORMATS_H */
