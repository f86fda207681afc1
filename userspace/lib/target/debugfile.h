/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * debugfile: the separate debug file of an ELF file, found by build-id where
 * Debian's -dbg and -dbgsym packages (and other distributions' debuginfo)
 * install it, /usr/lib/debug/.build-id/XX/REST.debug, in the root of the
 * process that maps the file.  It carries the .symtab a stripped binary
 * lacks: the names of static functions (json's encoder_*, _sre's).
 *
 * The root may be another user's (a container's), so the file is hostile:
 * the path is resolved inside that root (openat2 RESOLVE_IN_ROOT, no magic
 * links, no symlink leading out of it), it must be a regular file of at most
 * DEBUGFILE_MAX_SIZE whose build-id is the one asked for, and it is read,
 * never mapped (a file truncated under us must not SIGBUS the daemon).
 */
#ifndef PYPROF_DEBUGFILE_H
#define PYPROF_DEBUGFILE_H
#include <gelf.h>
#include <linux/types.h>
#include <stddef.h>

#define DEBUGFILE_DIR	   "usr/lib/debug/.build-id"
#define DEBUGFILE_MAX_SIZE (1ULL << 30)	/* libpython's are ~20 MiB */
#define DEBUGFILE_ID_MIN   2		/* bytes of build-id: XX/ and at least one more */
#define DEBUGFILE_ID_MAX   64

/*
 * Opens the debug file of build-id id (len bytes) in process pid's root
 * (proc_root/pid/root): its fd, with *elfp its ELF (elf_end() it, then close
 * the fd), or -ENOENT (none installed), -EINVAL (bad id, not a regular file,
 * too big, not ELF or unreadable, another build-id), or open's error.
 */
int debugfile__open(const char *proc_root, int pid, const __u8 *id, size_t len, Elf **elfp);
#endif /* PYPROF_DEBUGFILE_H */
