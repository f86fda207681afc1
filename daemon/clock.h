/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the daemon's clocks, all in nanoseconds. */
#ifndef PYPROFD_CLOCK_H
#define PYPROFD_CLOCK_H

#include <linux/types.h>
#include "base/profclock.h"
#include "base/util.h"

/* CLOCK_MONOTONIC: what BPF stamps events with. */
static inline __u64 now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * The clock of the profiles (profclock.h): wall-clock ns since the epoch as
 * they were at the daemon's start, advancing with CLOCK_MONOTONIC, so window
 * times keep their meaning across restarts and reboots.
 */
static inline __u64 prof_time(__u64 mono_ns)
{
	return mono_ns + profclock__offset();
}

/* The CLOCK_MONOTONIC instant of a profile time (negative: before this boot). */
static inline long long prof_to_mono(__u64 prof_ns)
{
	return (long long)(prof_ns - profclock__offset());
}

#endif /* PYPROFD_CLOCK_H */
