// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofd: opening the file another process maps, whatever its root and mount namespace.
 *
 * /proc/PID/maps names a file by its path as seen from the reader's root: a
 * process in a container (another mount namespace) shows paths of its own
 * namespace, which /proc/PID/root leads to; a process under a plain chroot
 * in the daemon's namespace shows host paths (/srv/tree/usr/bin/python3),
 * which /proc/PID/root (the tree) does not.  /proc/PID/map_files opens the
 * mapped file itself in both cases, and in every other (a chroot inside a
 * private namespace: its path exists nowhere the daemon can reach), but
 * needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE.  The paths are other
 * users' to plant files at: a file opened by path is taken only when it is
 * the inode the mapping names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "target/procmaps.h"
#include "mapfile.h"

/* What maps appends to the path of a file unlinked since it was mapped. */
static const char deleted_suffix[] = " (deleted)";

static bool is_deleted(const char *path)
{
	size_t len = strlen(path), n = sizeof(deleted_suffix) - 1;

	return len > n && strcmp(path + len - n, deleted_suffix) == 0;
}

int mapfile__ref_map(struct mapfile_ref *ref, const char *proc_root, int pid,
		     const struct procmap *m)
{
	ref->proc_root = proc_root;
	ref->pid = pid;
	ref->start = m->start;
	ref->end = m->end;
	ref->dev_major = m->dev_major;
	ref->dev_minor = m->dev_minor;
	ref->inode = m->inode;
	if (snprintf(ref->path, sizeof(ref->path), "%s", m->path) >= (int)sizeof(ref->path))
		return -ENAMETOOLONG;
	return 0;
}

int mapfile__ref_path(struct mapfile_ref *ref, const char *path, dev_t dev, __u64 inode)
{
	memset(ref, 0, sizeof(*ref));
	ref->dev_major = major(dev);
	ref->dev_minor = minor(dev);
	ref->inode = inode;
	if (snprintf(ref->path, sizeof(ref->path), "%s", path) >= (int)sizeof(ref->path))
		return -ENAMETOOLONG;
	return 0;
}

int mapfile__path(const struct mapfile_ref *ref, enum mapfile_via via, char *buf, size_t sz)
{
	int n;

	if (via == MAPFILE_VIA_MAP_FILES && ref->proc_root)
		n = snprintf(buf, sz, "%s/%d/map_files/%llx-%llx", ref->proc_root, ref->pid,
			     (unsigned long long)ref->start, (unsigned long long)ref->end);
	else if (via == MAPFILE_VIA_ROOT && ref->proc_root)
		n = snprintf(buf, sz, "%s/%d/root%s", ref->proc_root, ref->pid, ref->path);
	else
		n = snprintf(buf, sz, "%s", ref->path);
	return n >= 0 && (size_t)n < sz ? 0 : -ENAMETOOLONG;
}

/*
 * Opens one way in for reading, if it leads to a regular file: O_PATH first,
 * so that a FIFO put at the path cannot block the worker nor a device act on
 * an open, then the same inode again through /proc/self/fd.  *ret_same: it is
 * the inode the ref names.  The descriptor, or -errno.
 */
static int open_via(const struct mapfile_ref *ref, enum mapfile_via via, bool *ret_same)
{
	char path[PATH_MAX + 64], self[64];
	struct stat st;
	int pfd, fd;

	*ret_same = false;
	if (mapfile__path(ref, via, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		fd = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		fd = -EINVAL;
		goto cleanup;
	}
	*ret_same = major(st.st_dev) == ref->dev_major && minor(st.st_dev) == ref->dev_minor &&
		    st.st_ino == ref->inode;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		fd = -errno;
cleanup:
	close(pfd);
	return fd;
}

int mapfile__open(const struct mapfile_ref *ref, enum mapfile_via *ret_via)
{
	int fd, root_fd;
	bool same;

	*ret_via = MAPFILE_VIA_PATH;
	if (!ref->proc_root) {
		/* The daemon's own file: if it is still the one stat() saw. */
		fd = open_via(ref, MAPFILE_VIA_PATH, &same);
		if (fd >= 0 && !same) {
			close(fd);
			fd = -ESTALE;
		}
		return fd;
	}
	/* The mapping's own file, whatever its path says (not checked: maps and the
	 * file opened may disagree on an overlayfs's inode). */
	fd = open_via(ref, MAPFILE_VIA_MAP_FILES, &same);
	if (fd >= 0 || is_deleted(ref->path)) {
		*ret_via = MAPFILE_VIA_MAP_FILES;
		return fd; /* a deleted file's path names another file, if any */
	}
	*ret_via = MAPFILE_VIA_ROOT;
	root_fd = open_via(ref, MAPFILE_VIA_ROOT, &same);
	if (root_fd >= 0 && same)
		return root_fd;
	/* A chroot in the daemon's mount namespace: maps show the host's path. */
	fd = open_via(ref, MAPFILE_VIA_PATH, &same);
	if (fd >= 0 && same) {
		if (root_fd >= 0)
			close(root_fd);
		*ret_via = MAPFILE_VIA_PATH;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	/*
	 * Some kernels show in maps the inode under an overlayfs (a layer's), the
	 * path the overlay's: a container's file is then taken unchecked, as it was
	 * before map_files was tried.
	 */
	return root_fd;
}
