// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A fake of daemon/sampler.c for unit tests (fakesampler.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fakesampler.h"
#include "sampler.h"

struct fakesampler fake_sampler;

void fakesampler__reset(void)
{
	memset(&fake_sampler, 0, sizeof(fake_sampler));
}

int sampler__set_proc(struct sampler *s, int pid, const struct pyprof_proc *cfg)
{
	if (fake_sampler.nr_set < FAKESAMPLER_MAX) {
		fake_sampler.runtime_addr[fake_sampler.nr_set] = cfg->runtime_addr;
		fake_sampler.set[fake_sampler.nr_set++] = pid;
	}
	return 0;
}

void sampler__clear_proc(struct sampler *s, int pid)
{
	if (fake_sampler.nr_cleared < FAKESAMPLER_MAX)
		fake_sampler.cleared[fake_sampler.nr_cleared++] = pid;
}

int sampler__get_proc(struct sampler *s, int pid, struct pyprof_proc *ret)
{
	return -ENOENT;
}

void sampler__unknown_pid(struct sampler *s, int pid)
{
	sampler__clear_proc(s, pid);
}

int sampler__seed_tstates(struct sampler *s, const struct pyprof_thread_key *keys,
			  const __u64 *tstates, size_t nr)
{
	return -EOPNOTSUPP;
}

void sampler__drop_tstate(struct sampler *s, const struct pyprof_thread_key *key)
{
}

/* No probes: discovery goes on without them, as it does when attaching fails. */
struct bpf_link *sampler__attach_init(struct sampler *s, const char *path, __u64 off)
{
	errno = EOPNOTSUPP;
	return NULL;
}

struct bpf_link *sampler__attach_dlopen(struct sampler *s, const char *path, __u64 off)
{
	errno = EOPNOTSUPP;
	return NULL;
}

void sampler__drain_all(struct sampler *s)
{
	fake_sampler.drains++;
	if (fake_sampler.on_drain)
		fake_sampler.on_drain();
}

int sampler__nr_cpus(const struct sampler *s)
{
	return 3;
}

int sampler__stats(struct sampler *s, struct sampler_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->events[PYPROF_EV_SAMPLE] = 1234;
	for (int k = 0; k < PYPROF_CNT__MAX; k++)
		ret->counters[k] = 100 + k;
	ret->offcpu = true;
	ret->offcpu_min_ns = 1000000;
	ret->offcpu_sample_ns = 5000000;
	return 0;
}

const char *sampler__counter_name(int c)
{
	static char names[PYPROF_CNT__MAX][32];

	snprintf(names[c], sizeof(names[c]), "fake_counter_%d", c);
	return names[c];
}
