/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nativemerge: one stack, in call order, from a sample's Python frames and
 * its native frames (both leaf first, as frame ids of a profile).
 */
#ifndef PYPROF_NATIVEMERGE_H
#define PYPROF_NATIVEMERGE_H
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct merge_py {
	__u32 id;
	bool entry;	/* the first frame an eval loop call ran (pyprof_native.entry) */
};

struct merge_native {
	__u32 id;
	bool eval;	/* the eval loop (_PyEval_EvalFrameDefault): replaced by its frames */
};

/*
 * Writes root first into out (at most max) the merged stack: each eval
 * frame replaced by the run of Python frames it was running (the leaf-most
 * eval frame by the leaf-most run), the other native frames where they
 * are, so that C called from Python is above its Python caller.  A native
 * stack cut short at its root (truncated: the copy ran out) gets the Python
 * runs it has no eval frame for first, then marker, then what it has; one
 * with more eval frames than runs, or none, cannot be matched: the Python
 * frames and marker only, never a native frame next to the wrong Python one.
 * Returns the number of ids or -E2BIG.
 */
int nativemerge(const struct merge_py *py, size_t nr_py, const struct merge_native *nat,
		size_t nr_nat, bool truncated, __u32 marker, __u32 *out, size_t max);
#endif /* PYPROF_NATIVEMERGE_H */
