/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sample: the tag a sample carries besides its stack, i.e. what its thread
 * was doing.  A tag is part of a stack's identity in the profile store, in a
 * stackset, in the state files and in PYPROF/2: the same frames with two
 * tags are two stacks, never merged, because their counts may not even be in
 * the same unit.
 *
 * The bit values are part of PYPROF/2 (proto/wire.h) and the state files
 * (profile/statefile.h); a decoder rejects bits it does not know, so a new
 * bit goes with a new format version.
 */
#ifndef PYPROF_SAMPLE_H
#define PYPROF_SAMPLE_H

#include <linux/types.h>
#include <stdbool.h>

#define SAMPLE_ON_CPU	0x00	/* sampled on a CPU (perf_event); count = samples */
#define SAMPLE_OFF_CPU	0x01	/* time off the CPU (scheduler); count = nanoseconds */
#define SAMPLE_GIL	0x02	/* the thread held the GIL */
#define SAMPLE_GIL_WAIT 0x04	/* the thread was waiting to take the GIL */
#define SAMPLE_GC	0x08	/* the garbage collector was running */
#define SAMPLE_TAG_KNOWN (SAMPLE_OFF_CPU | SAMPLE_GIL | SAMPLE_GIL_WAIT | SAMPLE_GC)

typedef __u8 sample_tag_t;

static inline bool sample_tag__valid(unsigned int tag)
{
	return (tag & ~(unsigned int)SAMPLE_TAG_KNOWN) == 0;
}

#endif /* PYPROF_SAMPLE_H */
