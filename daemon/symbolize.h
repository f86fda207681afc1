/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: turning raw samples into frames (struct frame). */
#ifndef PYPROFD_SYMBOLIZE_H
#define PYPROFD_SYMBOLIZE_H

#include <linux/types.h>
#include <stddef.h>
#include "pyprof_abi.h"

#define PYPROFD_CODE_CACHE_MAX	65536	/* code objects cached per process */

struct ksyms;
struct native;
struct procs;
struct pyproc;
struct sampler;
struct strbuf;
struct threads;

/* What symbolizing a sample needs of the other modules. */
struct symbolize_ctx {
	struct procs *procs;		/* the sample's process, found or discovered */
	struct sampler *sampler;	/* forgets the pids of no process */
	struct threads *threads;	/* seeds the threads BPF missed */
	struct ksyms *ksyms;		/* kernel frame names; NULL: addresses */
	struct native *native;		/* --native's copies and unwinder; NULL: off */
};

/* What symbolize.c counted of one process (status and list show it). */
struct symbolize_proc_stats {
	__u64 samples;				/* in its profile: symbolized, or loaded */
	__u64 errors[PYPROF_UNWIND__MAX];	/* of those, by how BPF's walk ended */
	__u64 code_gone;	/* sampled code objects freed before they were named */
	__u64 code_snaps;	/* code objects named from BPF's snapshot (young processes) */
	size_t codes_cached;	/* code objects known now */
};

/* The fingerprint BPF would take of the code object at addr now: 0 or -EFAULT. */
int symbolize__code_fp(const struct pyproc *p, __u64 addr, __u32 *fp);
/* Writes a frame's label (frame__label(): "func (file:line)", or a marker); 0 or -ENOMEM. */
int symbolize__frame(struct pyproc *p, const struct pyprof_frame *f, struct strbuf *sb);
/* Adds a sample to its process's profile (discovering an unknown pid first). */
/*
 * A snapshot of a young process's code object (PYPROF_EV_CODE), sent just
 * before the sample that first shows it: caches its name, file and line
 * table from what BPF copied, so that it is named though freed since.
 */
int symbolize__code_snap(const struct symbolize_ctx *sy, const struct pyprof_code_snap *e,
			 size_t size);
int symbolize__sample(const struct symbolize_ctx *sy, const struct pyprof_sample *s, size_t size);
/* --native: keeps stack copy e for its sample (symbolize__sample() merges it). */
void symbolize__native(const struct symbolize_ctx *sy, const struct pyprof_native *e, size_t size);
/* Forgets the process's code objects and its cache of other frames' ids (at exit). */
void symbolize__free_codes(struct pyproc *p);
/* Frees everything symbolize.c keeps of the process, counters included (the record goes). */
void symbolize__forget(struct pyproc *p);
void symbolize__proc_stats(const struct pyproc *p, struct symbolize_proc_stats *ret);
/* Counts n samples put in the profile by other means (history loaded from disk). 0 or -ENOMEM. */
int symbolize__add_samples(struct pyproc *p, __u64 n);

#endif /* PYPROFD_SYMBOLIZE_H */
