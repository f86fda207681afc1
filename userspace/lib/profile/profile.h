/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * profile: one process's samples folded into time windows.
 *
 * Frames are interned strings (ids); a stack is an array of ids, root first,
 * itself interned once per profile, so a window only counts stack ids.
 * Window k holds the samples with k * window_ns <= ts < (k + 1) * window_ns
 * (CLOCK_MONOTONIC).  Windows older than the retention are dropped and the
 * names no window uses any more are forgotten, so memory follows the
 * retained history.  Limits keep a hostile or huge process bounded: past
 * max_stacks distinct stacks in a window, or max_frames distinct names, the
 * samples are still counted, under PROFILE_OVERFLOW_STACKS /
 * PROFILE_OVERFLOW_NAMES frames.
 */
#ifndef PYPROF_PROFILE_H
#define PYPROF_PROFILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"

#define PROFILE_OVERFLOW_STACKS "[pyprof: too many distinct stacks]"
#define PROFILE_OVERFLOW_NAMES	"[pyprof: too many distinct frames]"
/* Frames per stack (the one limit, from pyprof_abi.h); deeper stacks keep their root part. */
#define PROFILE_MAX_DEPTH	PYPROF_MAX_STACK

struct profile_opts {
	__u64 window_ns;
	__u64 retention_ns;
	size_t max_stacks;	/* distinct stacks per window (4 times that in all) */
	size_t max_frames;	/* distinct names in the whole profile */
};

struct profile;

/* Returns NULL with errno EINVAL (zero window) or ENOMEM. */
struct profile *profile__new(const struct profile_opts *opts);

/* NULL is fine. */
void profile__free(struct profile *p);

/* Id of the name s[0..len) (may hold any bytes but NUL), added if new.  Returns 0 or -ENOMEM. */
int profile__intern(struct profile *p, const char *s, size_t len, __u32 *ret_id);

/*
 * Changes whenever the profile renumbers its names (compaction), and no two
 * profiles share one: a caller may keep ids it interned for as long as this
 * stays the same.  Never 0.
 */
__u64 profile__epoch(const struct profile *p);

/* The name of id, or NULL for an id the profile does not have. */
const char *profile__name(const struct profile *p, __u32 id);

/* Adds count samples of the stack ids[0..nr) (root first) taken at ts.  0 or -ENOMEM/-EINVAL. */
int profile__add(struct profile *p, __u64 ts, const __u32 *ids, size_t nr, __u64 count);

typedef int (*profile_collect_fn)(const __u32 *ids, size_t nr, __u64 count, void *arg);

/*
 * Calls fn once for every stack with samples in the windows that overlap
 * [from, to), with its count summed over them.  Stops at and returns fn's
 * first non-zero return; else 0 (or -ENOMEM).
 */
int profile__collect(const struct profile *p, __u64 from, __u64 to, profile_collect_fn fn,
		     void *arg);

/* Total samples in windows overlapping [from, to). */
__u64 profile__samples(const struct profile *p, __u64 from, __u64 to);

/* Drops the windows that ended at or before now - retention, then compacts the names. */
void profile__expire(struct profile *p, __u64 now);

/* No window left. */
bool profile__empty(const struct profile *p);

struct profile_stats {
	size_t windows;
	size_t stacks;		/* distinct stacks kept */
	size_t names;
	size_t bytes;		/* heap held, approximately */
};

void profile__stats(const struct profile *p, struct profile_stats *ret);

#endif /* PYPROF_PROFILE_H */
