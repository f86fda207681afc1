/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: reading a target process's memory (process_vm_readv).  Its own
 * unit so that a unit test links a fake that serves reads from a table.
 */
#ifndef PYPROFD_TARGET_H
#define PYPROFD_TARGET_H

#include <linux/types.h>
#include <stddef.h>

/* Reads target memory; a short read is -EFAULT (the target may be exiting or corrupt). */
int target_read(int pid, __u64 addr, void *buf, size_t len);
/* The pointer-sized field at offset off of a copy of size bytes; 0 if absent (-1) or outside. */
__u64 target_field_u64(const __u8 *buf, size_t size, __s16 off);
/* Reads the pointer at addr + off, as target_read(); -EINVAL when off is -1 (field absent). */
int target_read_ptr(int pid, __u64 addr, __s16 off, __u64 *ret);

#endif /* PYPROFD_TARGET_H */
