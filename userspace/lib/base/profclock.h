/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * profclock: the clock profiles are kept on.  CLOCK_MONOTONIC (what BPF
 * stamps samples with) moved by the CLOCK_REALTIME - CLOCK_MONOTONIC offset
 * measured once, so that profile time reads as wall-clock ns since the epoch
 * (what a user asks for, what survives a restart) yet never jumps when the
 * wall clock is set later.
 */
#ifndef PYPROF_PROFCLOCK_H
#define PYPROF_PROFCLOCK_H

#include <linux/types.h>

/* Where a clock that reads before the epoch + uptime leaves the offset: history still fits. */
#define PROFCLOCK_FALLBACK_NS (1ull << 56)

/*
 * The offset from a REALTIME reading taken between two MONOTONIC ones
 * (mono_before <= mono_after): realtime - the middle of the two.  Pure.
 * Returns 0, or -ERANGE (wall clock before the monotonic one: *ret is the
 * fallback).
 */
int profclock__offset_of(__u64 mono_before, __u64 realtime, __u64 mono_after, __u64 *ret);

/* Measures the offset now and keeps it: once, at start.  Returns as profclock__offset_of(). */
int profclock__init(void);

/* The kept offset (the fallback before profclock__init()). */
__u64 profclock__offset(void);

#endif /* PYPROF_PROFCLOCK_H */
