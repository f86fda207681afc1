/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* procmaps: parse /proc/PID/maps. */
#ifndef PYPROF_PROCMAPS_H
#define PYPROF_PROCMAPS_H

#include <linux/types.h>
#include <stddef.h>

struct procmap {
	__u64 start, end;	/* [start, end) */
	__u64 offset;		/* file offset of start */
	__u32 dev_major, dev_minor;
	__u64 inode;		/* 0 for anonymous mappings */
	char perms[5];		/* "r-xp" */
	char *path;		/* never NULL: "" for anonymous, "[heap]", "/x (deleted)" kept */
};

struct procmaps {
	struct procmap *maps;
	size_t nr, cap;
};

/*
 * Parses the text of a maps file (len bytes, need not be NUL-terminated)
 * and appends its lines to pm.  Returns 0, -EINVAL on a malformed line
 * (pm then holds the lines before it), -ENOMEM.
 */
int procmaps__parse(const char *text, size_t len, struct procmaps *pm);

/*
 * Reads <proc_root>/<pid>/maps (proc_root is normally "/proc") into pm.
 * Returns 0, -ESRCH when the process is gone, -errno otherwise.
 */
int procmaps__read(const char *proc_root, int pid, struct procmaps *pm);

/* Frees the entries; pm is empty and reusable afterwards. */
void procmaps__done(struct procmaps *pm);

#endif /* PYPROF_PROCMAPS_H */
