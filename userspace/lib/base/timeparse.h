/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * timeparse: the instants pyprofctl's --since and --until take, as wall-clock
 * ns since the epoch (the daemon's profile clock, profclock.h):
 *   now
 *   relative:    -15m, -90s, 2h ago, 1d ago (a duration as parse_duration_ns()
 *                takes it, before now)
 *   ISO 8601:    2026-12-02T10:02:00Z, 2026-12-02 10:02:00.250+01:00,
 *                2026-12-02T10:02+0100, 2026-12-02T10:02:00 (local time),
 *                2026-12-02 (local midnight)
 *   time of day: 10:02, 10:02:30 (today, local time)
 * Pure but for the time zone (TZ, through mktime() and localtime_r()); now is
 * the caller's.  No logging.
 */
#ifndef PYPROF_TIMEPARSE_H
#define PYPROF_TIMEPARSE_H

#include <linux/types.h>

#define TIMEPARSE_MAX_LEN 64	/* longer strings are no time */

/*
 * Parses s (now_ns: the wall clock now) into *ret_ns.  Returns 0, -EINVAL
 * (not a time of these forms, or a field out of its range, e.g. 25:00 or
 * 2026-02-30) or -ERANGE (before the epoch, or past what ns in 64 bits hold).
 * *ret_ns is only written on success.
 */
int timeparse__instant(const char *s, __u64 now_ns, __u64 *ret_ns);

#endif /* PYPROF_TIMEPARSE_H */
