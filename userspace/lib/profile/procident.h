/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procident: what `list` tells of a process besides its profile: its command
 * line as /proc/PID/cmdline has it, when it started on the wall clock, and
 * its share of a CPU over the last minute, from its samples.  Pure
 * arithmetic and string work: no I/O, no logging.
 */
#ifndef PYPROF_PROCIDENT_H
#define PYPROF_PROCIDENT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "base/util.h"

/* Bytes of a command line kept; a longer one is cut there and ends with PROCIDENT_CUT_MARK. */
#define PROCIDENT_CMDLINE_MAX 4096
#define PROCIDENT_CUT_MARK    "..."
/* The longest command line procident__cmdline() makes: cut, with its mark. */
#define PROCIDENT_CMDLINE_LEN (PROCIDENT_CMDLINE_MAX + sizeof(PROCIDENT_CUT_MARK) - 1)
/* The span list's CPU share is taken over (its whole windows: up to one window more). */
#define PROCIDENT_CPU_SPAN_NS (60 * NSEC_PER_SEC)

/*
 * The command line of raw[0..len), the bytes read from /proc/PID/cmdline (any
 * bytes: the process writes its own argv), as one string: the NULs between
 * arguments become spaces, trailing NULs go, more than PROCIDENT_CMDLINE_MAX
 * bytes (or cut: the file had more than raw holds) are cut before a
 * character the cut would split and marked PROCIDENT_CUT_MARK.  Other bytes
 * stay as they are: whoever shows it escapes them.  *ret is malloc'd and
 * NUL-terminated ("" for an empty file: a zombie, a kernel thread).
 * 0 or -ENOMEM.
 */
int procident__cmdline(const char *raw, size_t len, bool cut, char **ret);

/*
 * The wall-clock time (CLOCK_REALTIME ns) a process started, from
 * /proc/PID/stat's starttime (clock ticks of hz after boot, on the boot
 * clock) and the two clocks read together now: 0 when that cannot be (no
 * hz, a start after now or before the epoch: a /proc that lies).
 */
__u64 procident__start_wall_ns(__u64 start_ticks, long hz, __u64 realtime_ns, __u64 boottime_ns);

/*
 * The range [*ret_from, *ret_to) whose samples make the CPU share at end
 * (now, or when the process exited): the windows of window_ns overlapping
 * [end - span_ns, end) begin at a window's start, and nothing was sampled
 * before first (when the process was found).  An empty range (from >= to)
 * when end is not after first.
 */
void procident__cpu_range(__u64 end, __u64 first, __u64 window_ns, __u64 span_ns,
			  __u64 *ret_from, __u64 *ret_to);

/*
 * The share of one CPU that samples on-CPU samples of period_ns each stand
 * for over span_ns, in thousandths (1000: one CPU all the time, as top's
 * 100.0 %CPU; a process with threads on several CPUs has more), rounded to
 * the nearest.  0 for an empty span; saturates instead of overflowing.
 */
__u64 procident__cpu_permille(__u64 samples, __u64 period_ns, __u64 span_ns);

#endif /* PYPROF_PROCIDENT_H */
