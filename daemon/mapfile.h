/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pyprofd: opening the file another process maps, whatever its root and mount namespace. */
#ifndef PYPROFD_MAPFILE_H
#define PYPROFD_MAPFILE_H

#include <limits.h>
#include <linux/types.h>
#include <stddef.h>
#include <sys/types.h>

struct procmap;

/* A file one mapping of a process maps, or a file of the daemon's own (an interpreter probed). */
struct mapfile_ref {
	const char *proc_root;		/* "/proc" (a unit test's tree); NULL: path is the daemon's */
	int pid;
	__u64 start, end;		/* the mapping */
	__u32 dev_major, dev_minor;	/* the mapped file's identity, as maps shows it */
	__u64 inode;
	char path[PATH_MAX];		/* as maps shows it (relative to the daemon's root or not) */
};

/* Which way the file was opened: mapfile__path() gives the path again (for a uprobe). */
enum mapfile_via {
	MAPFILE_VIA_MAP_FILES,	/* /proc/PID/map_files/START-END: the mapping's own file */
	MAPFILE_VIA_ROOT,	/* /proc/PID/root + path: a container's path in its namespace */
	MAPFILE_VIA_PATH,	/* the path itself: a chroot's host path, or the daemon's own file */
};

/* The ref of one line of /proc/PID/maps.  Returns 0, or -ENAMETOOLONG. */
int mapfile__ref_map(struct mapfile_ref *ref, const char *proc_root, int pid,
		     const struct procmap *m);

/* The ref of a file of the daemon's own, with the identity stat() gave.  0 or -ENAMETOOLONG. */
int mapfile__ref_path(struct mapfile_ref *ref, const char *path, dev_t dev, __u64 inode);

/*
 * Opens the file for reading: a descriptor (O_CLOEXEC), its way in *ret_via,
 * or -errno.  Only regular files are opened (never a FIFO or a device someone
 * put at the path), and a path is taken only for the file whose device and
 * inode the ref names, except /proc/PID/root + path as the last resort (see
 * mapfile.c).  A failure says nothing about what the file is.
 */
int mapfile__open(const struct mapfile_ref *ref, enum mapfile_via *ret_via);

/* The path mapfile__open() opened the file by, into buf.  0 or -ENAMETOOLONG. */
int mapfile__path(const struct mapfile_ref *ref, enum mapfile_via via, char *buf, size_t sz);

#endif /* PYPROFD_MAPFILE_H */
