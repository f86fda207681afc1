/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: the daemon's clocks, all in nanoseconds. */
#ifndef PYPROFD_CLOCK_H
#define PYPROFD_CLOCK_H

#include <linux/types.h>
#include "base/util.h"

/* CLOCK_MONOTONIC: what BPF stamps events with. */
static inline __u64 now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * The clock of the profiles: CLOCK_MONOTONIC (what BPF stamps samples with)
 * moved forward by a constant, so that history from before this boot, loaded
 * from --state-dir, still has a place on it however short the uptime.
 */
#define PYPROFD_EPOCH_NS (1ull << 56)

static inline __u64 prof_time(__u64 mono_ns)
{
	return mono_ns + PYPROFD_EPOCH_NS;
}

#endif /* PYPROFD_CLOCK_H */
