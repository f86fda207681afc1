/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: reading target memory, and turning raw samples into frames (struct frame). */
#ifndef PYPROFD_SYMBOLIZE_H
#define PYPROFD_SYMBOLIZE_H

#include <linux/types.h>
#include <stddef.h>
#include "pyprof_abi.h"

#define PYPROFD_CODE_CACHE_MAX	65536	/* code objects cached per process */

struct ksyms;
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
};

/* Reads target memory; a short read is -EFAULT (the target may be exiting or corrupt). */
int target_read(int pid, __u64 addr, void *buf, size_t len);
/* The pointer-sized field at offset off of a copy of size bytes; 0 if absent (-1) or outside. */
__u64 target_field_u64(const __u8 *buf, size_t size, __s16 off);
/* Reads the pointer at addr + off, as target_read(); -EINVAL when off is -1 (field absent). */
int target_read_ptr(int pid, __u64 addr, __s16 off, __u64 *ret);

/* The fingerprint BPF would take of the code object at addr now: 0 or -EFAULT. */
int symbolize__code_fp(const struct pyproc *p, __u64 addr, __u32 *fp);
/* Writes a frame's label (frame__label(): "func (file:line)", or a marker); 0 or -ENOMEM. */
int symbolize__frame(struct pyproc *p, const struct pyprof_frame *f, struct strbuf *sb);
/* Adds a sample to its process's profile (discovering an unknown pid first). */
int symbolize__sample(const struct symbolize_ctx *sy, const struct pyprof_sample *s, size_t size);
/* Forgets the process's code objects and its cache of other frames' ids (at exit). */
void symbolize__free_codes(struct pyproc *p);

#endif /* PYPROFD_SYMBOLIZE_H */
