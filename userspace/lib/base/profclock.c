// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <time.h>
#include "base/profclock.h"
#include "base/util.h"

/* One process, one profile clock: measured once, read everywhere. */
static __u64 offset = PROFCLOCK_FALLBACK_NS;

int profclock__offset_of(__u64 mono_before, __u64 realtime, __u64 mono_after, __u64 *ret)
{
	__u64 mono = mono_before + (mono_after - mono_before) / 2;

	if (mono_after < mono_before || realtime <= mono) {
		*ret = PROFCLOCK_FALLBACK_NS;
		return -ERANGE;
	}
	*ret = realtime - mono;
	return 0;
}

int profclock__init(void)
{
	__u64 before = clock_ns(CLOCK_MONOTONIC), wall = clock_ns(CLOCK_REALTIME),
	      after = clock_ns(CLOCK_MONOTONIC);

	return profclock__offset_of(before, wall, after, &offset);
}

__u64 profclock__offset(void)
{
	return offset;
}
