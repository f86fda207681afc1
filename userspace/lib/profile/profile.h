/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * profile: one process's samples folded into time windows.
 *
 * Frames (struct frame, frame.h) are interned: each distinct frame has an id,
 * and its strings are interned too, so a frame costs a few small integers
 * and a file name is stored once however many functions and lines it has.
 * A stack is an array of frame ids, root first, and a tag (sample.h: the
 * same frames with two tags are two stacks), itself interned once per
 * profile, so a window only counts stack ids.  Window k holds the samples
 * with k * window_ns <= ts < (k + 1) * window_ns (the caller's clock, in ns),
 * each stack's count kept per bucket of bucket_ns inside it.
 * Windows older than the retention are dropped and the frames no window uses
 * any more are forgotten, so memory follows the retained history.  Limits
 * keep a hostile or huge process bounded: past max_stacks distinct stacks in
 * a window, or max_frames distinct frames, the samples are still counted,
 * under FRAME_MARKER frames named PROFILE_OVERFLOW_STACKS /
 * PROFILE_OVERFLOW_NAMES.
 */
#ifndef PYPROF_PROFILE_H
#define PYPROF_PROFILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "profile/frame.h"
#include "profile/sample.h"
#include "profile/stacks.h"

#define PROFILE_OVERFLOW_STACKS "[pyprof: too many distinct stacks]"
#define PROFILE_OVERFLOW_NAMES	"[pyprof: too many distinct frames]"

/* Buckets a window may be cut into (the bits of a stack's key in a window). */
#define PROFILE_BUCKET_BITS 4
#define PROFILE_MAX_BUCKETS (1u << PROFILE_BUCKET_BITS)

struct profile_opts {
	__u64 window_ns;
	/*
	 * Each window counts its stacks per bucket of bucket_ns (0: the whole
	 * window), so that a range of whole buckets is exact: window_ns a multiple
	 * of it, at most PROFILE_MAX_BUCKETS of them.
	 */
	__u64 bucket_ns;
	__u64 retention_ns;
	size_t max_stacks;	/* distinct stacks per window (4 times that in all) */
	size_t max_frames;	/* distinct frames in the whole profile (>= 2: the markers) */
};

struct profile;

/* Returns NULL with errno EINVAL (zero window, buckets that do not cut it) or ENOMEM. */
struct profile *profile__new(const struct profile_opts *opts);

/* NULL is fine. */
void profile__free(struct profile *p);

/*
 * Id of frame f, added (its strings copied) if new.  Frames are equal when
 * every field is.  Past max_frames a new frame gets the id of the
 * PROFILE_OVERFLOW_NAMES marker.  Returns 0, -EINVAL (kind, name, a string
 * longer than FRAME_MAX_STRING, line or func_line below FRAME_LINE_NONE)
 * or -ENOMEM.
 */
int profile__intern(struct profile *p, const struct frame *f, __u32 *ret_id);

/*
 * Changes whenever the profile renumbers its frames (compaction), and no two
 * profiles share one: a caller may keep ids it interned for as long as this
 * stays the same.  Never 0.
 */
__u64 profile__epoch(const struct profile *p);

/*
 * The frame of id, or NULL for an id the profile does not have.  The frame
 * and its strings are valid until the next profile__frame() on p or the
 * next change to p (one frame is handed out at a time: copy it to keep it).
 */
const struct frame *profile__frame(const struct profile *p, __u32 id);

/*
 * Adds count (in tag's unit: samples, or ns off the CPU) to the stack
 * ids[0..nr) (root first) with tag, taken at ts; a stack deeper than
 * STACK_MAX_DEPTH (stacks.h) keeps its root part.  A stack counted under
 * the overflow marker keeps its tag.  0, -ENOMEM, or -EINVAL (no frames, a
 * count of 0, an unknown frame id, a tag sample_tag__valid() rejects).
 */
int profile__add(struct profile *p, __u64 ts, sample_tag_t tag, const __u32 *ids, size_t nr,
		 __u64 count);

typedef int (*profile_collect_fn)(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count,
				  void *arg);

/*
 * Calls fn once for every stack (frames and tag) with a count in the
 * windows that overlap [from, to), with its count summed over them.  Stops at and returns fn's
 * first non-zero return; else 0 (or -ENOMEM).
 */
int profile__collect(const struct profile *p, __u64 from, __u64 to, profile_collect_fn fn,
		     void *arg);

/*
 * The counts of the windows overlapping [from, to) summed, whatever their
 * tags: 0 when those windows hold nothing.
 */
__u64 profile__samples(const struct profile *p, __u64 from, __u64 to);

/*
 * The same for the stacks without SAMPLE_OFF_CPU only (samples, not ns):
 * what profile__collect() hands out for them, summed, without a walk of
 * every window's stacks (list's CPU share of every process).
 */
__u64 profile__samples_on_cpu(const struct profile *p, __u64 from, __u64 to);

/* Drops the windows that ended at or before now - retention, then compacts the frames. */
void profile__expire(struct profile *p, __u64 now);

/* No window left. */
bool profile__empty(const struct profile *p);

struct profile_stats {
	size_t windows;
	size_t stacks;		/* distinct stacks kept */
	size_t frames;		/* distinct frames kept (ids are below this) */
	size_t strings;		/* distinct strings of those frames */
	size_t bytes;		/* heap held, approximately */
};

void profile__stats(const struct profile *p, struct profile_stats *ret);

#endif /* PYPROF_PROFILE_H */
