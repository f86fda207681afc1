/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd --native: the stack copies BPF sends before their samples, kept
 * until the sample comes, unwound (nativeunwind) and merged with its Python
 * frames (nativemerge) into the profile's frame ids.
 */
#ifndef PYPROFD_NATIVE_H
#define PYPROFD_NATIVE_H

#include <linux/types.h>
#include <stddef.h>
#include "pyprof_abi.h"

#define PYPROFD_NATIVE_PENDING 256	/* CPUs whose copy can wait for its sample at once */

struct pyproc;
struct native;

struct native_stats {
	__u64 received;		/* stack copies read off the ring */
	__u64 malformed;	/* ... refused: a size or length that does not fit */
	__u64 orphaned;		/* ... replaced before their sample came (sample lost) */
	__u64 unwound;		/* samples given native frames */
	__u64 truncated;	/* ... whose unwind ran out of the copy (marked) */
	__u64 unmatched;	/* ... whose eval frames did not match the Python runs (marked) */
	__u64 no_elf;		/* samples left Python-only: no ELF of the process readable */
	__u64 too_deep;		/* ... merged stack deeper than the profile keeps */
	__u64 unwind_ns;	/* time spent unwinding and merging, summed */
	__u64 symtabs_read;	/* ELF symbol tables read (once per build-id while kept) */
	__u64 symtabs_shared;	/* ... found again by build-id: a lookup another read served */
	__u64 symtabs_debug;	/* ... given a debug file's symbols (a stripped file's) */
};

struct native *native__new(void);
void native__free(struct native *n);
/* Keeps copy e for the sample that follows it on its CPU. */
void native__record(struct native *n, const struct pyprof_native *e, size_t size);
/*
 * The merged stack of sample s of p, root first, into out (at most max),
 * py_ids its Python frames' ids (leaf first, as s->frames).  Returns the
 * number of ids, or -ENOENT when s has no copy (or it cannot be used: the
 * caller puts the Python frames alone).
 */
int native__stack(struct native *n, struct pyproc *p, const struct pyprof_sample *s,
		  const __u32 *py_ids, __u32 *out, size_t max);
void native__forget(struct native *n, int pid);
void native__stats(const struct native *n, struct native_stats *ret);
#endif /* PYPROFD_NATIVE_H */
