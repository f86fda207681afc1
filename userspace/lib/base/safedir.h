/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* safedir: directories the daemon writes in, that nobody else can write to. */
#ifndef PYPROF_SAFEDIR_H
#define PYPROF_SAFEDIR_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Opens directory path (creating it with mode if missing) as an O_DIRECTORY
 * fd, for openat() and friends.  It must be a directory, not a symlink,
 * owned by the caller's euid and writable by nobody else: whoever else can
 * write there could replace or plant the names the caller creates, reads or
 * removes.  Returns the fd, or -errno with a reason for a person in why:
 * -ELOOP/-ENOTDIR (a symlink, not a directory), -EPERM (owner or mode).
 */
int safedir__open(const char *path, mode_t mode, char *why, size_t whysz);

#endif /* PYPROF_SAFEDIR_H */
