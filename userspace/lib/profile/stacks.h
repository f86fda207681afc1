/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stacks: a profile as a set of (stack, count), parsed from folded text, the
 * one input of every output format (svg, speedscope, pprof, json, top).
 *
 * Frame names follow pyprofd's folded output: the root frame is the process
 * name; Python frames read "func (file:line)" or "func (file)"; kernel frames
 * end in "_[k]"; "[...]" frames are markers (unknown code, unwind errors).
 */
#ifndef PYPROF_STACKS_H
#define PYPROF_STACKS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct stack {
	const char **frames;	/* root first; point into the set's storage */
	size_t nr;
	__u64 count;
};

struct stackset {
	struct stack *stacks;
	size_t nr, cap;
	__u64 total;		/* sum of counts */
	/* storage */
	char *text;
	const char **frames;
	size_t nr_frames, cap_frames;
};

/*
 * Parses folded text (len bytes) into an empty, zeroed set.  Lines are
 * "frame;frame;... count"; empty lines are skipped.  Returns 0, -EINVAL on
 * a malformed line or counts that sum past 2^64 (the set is then emptied),
 * -ENOMEM.
 */
int stackset__parse_folded(struct stackset *ss, const char *text, size_t len);

/* Frees the contents; the set is empty and reusable after. */
void stackset__done(struct stackset *ss);

enum frame_kind {
	FRAME_PROCESS,	/* the root: process name */
	FRAME_PYTHON,	/* func (file:line) */
	FRAME_KERNEL,	/* name_[k] */
	FRAME_MARKER,	/* [python: no Python frame], [unknown], ... */
	FRAME_OTHER,	/* anything else */
};

struct frame_parts {
	enum frame_kind kind;
	const char *name;	/* not NUL-terminated: name_len bytes */
	size_t name_len;
	const char *file;	/* NULL when there is none */
	size_t file_len;
	int line;		/* 0 when unknown */
};

/* Splits one frame name; depth 0 is the root.  Never fails. */
void frame__split(const char *frame, size_t depth, struct frame_parts *ret);

#endif /* PYPROF_STACKS_H */
