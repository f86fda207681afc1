/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A /proc tree for unit tests of discovery (daemon/procs.c) and of what
 * runs over it: each fake process is a directory with stat, status, maps,
 * an exe symlink and a root symlink to "/", so the ELF files it maps are
 * the host's own.  Failures end the test: include it after testhelp.h,
 * which it uses (and which, holding main(), only a test's own file can).
 */
#ifndef PYPROF_TEST_FAKEPROC_H
#define PYPROF_TEST_FAKEPROC_H

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/types.h>
#include "procs.h"

struct fakeproc {
	char root[64]; /* the tree, for procs__new() */
};

/* A new empty tree under /tmp. */
static inline void fakeproc__init(struct fakeproc *fp)
{
	snprintf(fp->root, sizeof(fp->root), "/tmp/pyprof-proc-XXXXXX");
	ASSERT_TRUE(mkdtemp(fp->root) != NULL);
}

static inline int fakeproc_rm_entry(const char *path, const struct stat *st, int flag,
				    struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything below it (no symlink followed); a missing one is fine. */
static inline void fakeproc__remove_tree(const char *dir)
{
	(void)nftw(dir, fakeproc_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the tree. */
static inline void fakeproc__done(struct fakeproc *fp)
{
	fakeproc__remove_tree(fp->root);
}

static inline void fakeproc__put_file(const struct fakeproc *fp, int pid, const char *name,
				      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline void fakeproc__put_file(const struct fakeproc *fp, int pid, const char *name,
				      const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/%s", fp->root, pid, name);
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ASSERT_EQ(fclose(f), 0);
}

/* /proc/PID/stat with this comm and starttime (field 22). */
static inline void fakeproc__put_stat(const struct fakeproc *fp, int pid, const char *comm,
				      __u64 start)
{
	fakeproc__put_file(fp, pid, "stat",
			   "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 %llu 1000000 "
			   "100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
			   pid, comm, pid, pid, (unsigned long long)start);
}

/*
 * /proc/PID/status of a process whose ids are all uid and gid, the file
 * owned by uid as the kernel's is (uid other than the test's own: root only).
 */
static inline void fakeproc__put_owner(const struct fakeproc *fp, int pid, const char *comm,
				       uid_t uid, gid_t gid)
{
	char path[128];

	fakeproc__put_file(fp, pid, "status",
			   "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", comm, uid,
			   uid, uid, uid, gid, gid, gid, gid);
	snprintf(path, sizeof(path), "%s/%d/status", fp->root, pid);
	ASSERT_EQ(lchown(path, uid, gid), 0);
}

/* Makes the process run exe: the exe link, and a mapping of it at its first page. */
static inline void fakeproc__put_exe(const struct fakeproc *fp, int pid, const char *exe)
{
	char path[128];
	struct stat st;

	ASSERT_EQ(stat(exe, &st), 0);
	snprintf(path, sizeof(path), "%s/%d/exe", fp->root, pid);
	(void)unlink(path);
	ASSERT_EQ(symlink(exe, path), 0);
	fakeproc__put_file(fp, pid, "maps",
			   "555555554000-555555556000 r--p 00000000 %02x:%02x %llu %s\n",
			   major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, exe);
}

/* A process of the test's own uid and gid running exe. */
static inline void fakeproc__add(const struct fakeproc *fp, int pid, const char *comm, __u64 start,
				 const char *exe)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%d", fp->root, pid);
	ASSERT_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/root", fp->root, pid);
	ASSERT_EQ(symlink("/", path), 0);
	fakeproc__put_stat(fp, pid, comm, start);
	fakeproc__put_owner(fp, pid, comm, getuid(), getgid());
	fakeproc__put_exe(fp, pid, exe);
}

/* The process is gone: its directory removed. */
static inline void fakeproc__remove(const struct fakeproc *fp, int pid)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%d", fp->root, pid);
	fakeproc__remove_tree(path);
	ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
}

/* Waits for the ELF analysis worker, then lets discovery take its results. */
static inline void fakeproc__analysed(struct procs *ps)
{
	struct pollfd pfd = {.fd = procs__analysis_fd(ps), .events = POLLIN};

	ASSERT_EQ(poll(&pfd, 1, 30000), 1);
	procs__analysis_done(ps);
}

/* Discovery of pid as the rescan would, with the worker's verdict waited for. */
static inline int fakeproc__discover(struct procs *ps, int pid)
{
	int err = procs__discover(ps, pid, DISCOVER_SCAN);

	if (err != -EINPROGRESS)
		return err;
	fakeproc__analysed(ps);
	/* The worker's result made discovery look at pid again, as a waiter. */
	return procs__find_live(ps, pid) ? 0 : procs__discover(ps, pid, DISCOVER_SCAN);
}

#endif /* PYPROF_TEST_FAKEPROC_H */
