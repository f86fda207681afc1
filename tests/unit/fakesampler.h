/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fake of daemon/sampler.c for the unit tests of the modules that use it:
 * it records the BPF configuration it is asked to set and clear, serves
 * fixed counters (3 CPUs, 1234 samples received, counter k = 100 + k named
 * "fake_counter_k"), and runs a hook where the server drains the ring.
 */
#ifndef PYPROF_TEST_FAKESAMPLER_H
#define PYPROF_TEST_FAKESAMPLER_H

#include <linux/types.h>

#define FAKESAMPLER_MAX 16 /* calls recorded of each kind */

struct fakesampler {
	int set[FAKESAMPLER_MAX], cleared[FAKESAMPLER_MAX]; /* pids, in order */
	__u64 runtime_addr[FAKESAMPLER_MAX];		    /* of each set */
	int nr_set, nr_cleared;
	int drains;
	void (*on_drain)(void);
};

/* What the fake was asked; cleared by fakesampler__reset(). */
extern struct fakesampler fake_sampler;

void fakesampler__reset(void);

#endif /* PYPROF_TEST_FAKESAMPLER_H */
