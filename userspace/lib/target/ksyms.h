/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* ksyms: kernel symbols from /proc/kallsyms, address to name. */
#ifndef PYPROF_KSYMS_H
#define PYPROF_KSYMS_H

#include <linux/types.h>

struct ksyms;

/*
 * Loads a kallsyms-format file ("ffffffff81000000 T _stext [module]").
 * Returns NULL with errno set: from fopen(), ENOMEM, or EPERM when every
 * address reads as zero (kptr_restrict hides them).
 */
struct ksyms *ksyms__load(const char *path);

/*
 * Name of the symbol containing addr (the nearest symbol at or below it),
 * or NULL when addr is below the first symbol.  *ret_off (optional) gets
 * addr minus the symbol's address.
 */
const char *ksyms__lookup(const struct ksyms *ks, __u64 addr, __u64 *ret_off);

/* NULL is fine. */
void ksyms__free(struct ksyms *ks);

#endif /* PYPROF_KSYMS_H */
