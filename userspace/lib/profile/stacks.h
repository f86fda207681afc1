/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stacks: a profile as a set of (stack, count) over interned frames, the one
 * input of every renderer (folded, svg, speedscope, pprof, json, top) and what
 * PYPROF/2 carries (proto/wire.h).
 *
 * A frame (profile/frame.h) is data; frame__label() makes its text, the one
 * place labels are made, and frame__split() reads such text back: folded
 * text -> stackset -> folded text is the identity.
 */
#ifndef PYPROF_STACKS_H
#define PYPROF_STACKS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"
#include "profile/frame.h"
#include "profile/sample.h"

struct strbuf;

/* Frames of one stack: a stored stack (PYPROF_MAX_STACK) and a thread frame. */
#define STACK_MAX_DEPTH (PYPROF_MAX_STACK + 1)

struct stack {
	__u32 off;	/* first frame index in ss->ids[], root first */
	__u32 nr;	/* 1..STACK_MAX_DEPTH */
	__u64 count;	/* in the unit of tag (profile/sample.h): samples, or ns off the CPU */
	sample_tag_t tag;	/* part of the stack's identity */
};

struct stackset_chunk;

struct stackset {
	struct frame *frames;	/* distinct frames; strings owned by the set */
	size_t nr_frames;
	struct stack *stacks;	/* distinct stacks (equal ids and tag merged), first seen first */
	size_t nr;
	__u32 *ids;		/* frame indexes of all stacks */
	__u64 total;		/* sum of counts */
	/* private: string arena, hash tables (a zeroed struct is an empty set) */
	size_t cap_frames, cap_frame_hash, cap_stacks, cap_stack_hash, nr_ids, cap_ids;
	__u64 *frame_hash, *stack_hash;
	size_t *frame_slots, nr_frame_slots;
	size_t *stack_slots, nr_stack_slots;
	struct stackset_string *strings;	/* distinct strings, in the arena */
	size_t nr_strings, cap_strings;
	size_t *string_slots, nr_string_slots;
	struct stackset_chunk *chunks;
};

static inline const __u32 *stack__ids(const struct stackset *ss, const struct stack *st)
{
	return ss->ids + st->off;
}

/*
 * The index of a frame equal to *f in ss->frames (kind, name, file, line and
 * func_line equal), adding a copy of it (strings copied into the set) when
 * there is none.  Returns 0, -EINVAL (kind not below FRAME__MAX, name NULL,
 * line or func_line below FRAME_LINE_NONE), -ENOMEM.
 */
int stackset__frame(struct stackset *ss, const struct frame *f, __u32 *ret_idx);

/*
 * Adds count to the stack idx[0..nr) (frame indexes, root first) with tag;
 * a stack of the same frames and the same tag already in the set gets the
 * count added (the same frames with another tag are another stack).  A
 * count of 0 is kept (folded text may hold one).  Returns 0, -EINVAL (nr
 * not in 1..STACK_MAX_DEPTH, an index not below nr_frames, a tag
 * sample_tag__valid() rejects, the total past 2^64), -ENOMEM.  The set is
 * unchanged on error.
 */
int stackset__add(struct stackset *ss, const __u32 *idx, size_t nr, sample_tag_t tag,
		  __u64 count);

/*
 * Parses folded text (len bytes) into an empty set: lines
 * "frame;frame;... count", root first, frames read by frame__split(); empty
 * lines are skipped; equal stacks merge.  Returns 0, -EINVAL on a malformed
 * line, a stack deeper than STACK_MAX_DEPTH or counts that sum past 2^64
 * (the set is then emptied), -ENOMEM (the same).
 */
int stackset__parse_folded(struct stackset *ss, const char *text, size_t len);

/* Frees the contents; the set is empty and reusable after. */
void stackset__done(struct stackset *ss);

/*
 * Appends the text of a frame, what the daemon has always written:
 *   FRAME_PYTHON   "name (file:line)", "name (file)" without a line, "name" without a file
 *   FRAME_KERNEL   "name_[k]" (name: the symbol, or "0x<hex>")
 *   FRAME_THREAD   "thread <tid>" for name "", else "name (tid <tid>)"
 *   FRAME_NATIVE   "name (file)", or "name" without a file
 *   others         "name"
 * A line below 0 counts as none.  Returns 0 or -ENOMEM.
 */
int frame__label(const struct frame *f, struct strbuf *out);

/*
 * Reads one frame's text (depth 0 is the root) as the frame whose label it
 * is, so that frame__label(frame__split(t)) == t for every t.  Works in place:
 * writes NUL bytes into text where name and file end, and ret's strings point
 * into text (or at a constant "").  Depth 0 is FRAME_PROCESS; then
 * "..._[k]" FRAME_KERNEL, "[...]" FRAME_MARKER, at depth 1 "thread <tid>" and
 * "name (tid <tid>)" FRAME_THREAD, "name (file:line)" / "name (file)"
 * FRAME_PYTHON (the first " (" ends the name; a line is a canonical decimal
 * below 2^31), anything else FRAME_OTHER.  func_line is always
 * FRAME_LINE_NONE.  Never fails.
 */
void frame__split(char *text, size_t depth, struct frame *ret);

#endif /* PYPROF_STACKS_H */
