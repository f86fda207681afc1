// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* safedir: directories the daemon writes in, that nobody else can write to. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/safedir.h"

int safedir__open(const char *path, mode_t mode, char *why, size_t whysz)
{
	struct stat st;
	int fd, err;

	snprintf(why, whysz, "%s", "");
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		err = -errno;
		snprintf(why, whysz, "cannot create it: %s", strerror(-err));
		return err;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP || err == -ENOTDIR)
			snprintf(why, whysz, "%s",
				 lstat(path, &st) == 0 && S_ISLNK(st.st_mode)
					 ? "a symlink (give the directory itself)"
					 : "not a directory");
		else
			snprintf(why, whysz, "%s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		snprintf(why, whysz, "%s", strerror(-err));
		close(fd);
		return err;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whysz,
			 "owned by uid %u, mode %04o; it must be owned by uid %u and not writable "
			 "by group or others (0755 or stricter)",
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			 (unsigned int)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}
