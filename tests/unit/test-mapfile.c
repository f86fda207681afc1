// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for daemon/mapfile.c against a fake /proc tree: which way into a
 * mapped file is taken (map_files, the process's root, the path itself),
 * that a path is taken only for the inode the mapping names, and that what
 * is not a regular file is never opened.  A fake process is a directory
 * with a root symlink and map_files/START-END symlinks (the kernel's are
 * magic links: the same to follow).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/procmaps.h"
#include "mapfile.h"

#define PID 42
#define START 0x400000ULL
#define END 0x401000ULL

static char top[64];		/* the test's directory */
static char proc_root[128];	/* its fake /proc */

static void path_of(char *buf, size_t sz, const char *rel)
{
	snprintf(buf, sz, "%s/%s", top, rel);
}

/* Makes top/rel (and its parents), a regular file; returns its inode. */
static __u64 put_file(const char *rel)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];
	struct stat st;
	FILE *f;

	path_of(path, sizeof(path), rel);
	snprintf(cmd, sizeof(cmd), "%s", path);
	*strrchr(cmd, '/') = '\0';
	for (char *p = cmd + strlen(top) + 1; (p = strchr(p, '/')); *p++ = '/') {
		*p = '\0';
		(void)mkdir(cmd, 0755);
	}
	(void)mkdir(cmd, 0755);
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "%s\n", rel);
	fclose(f);
	ASSERT_OK(stat(path, &st));
	return st.st_ino;
}

static void put_link(const char *rel, const char *target)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), rel);
	ASSERT_OK(symlink(target, path));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * A fresh tree: proc/42/root -> ctr (the process's root), proc/42/map_files/.
 * The mapped file's identity is that of a file the test makes.
 */
static void teardown(void);

static void setup(void)
{
	char path[PATH_MAX];

	if (top[0])
		teardown(); /* what a failed test left */
	snprintf(top, sizeof(top), "/tmp/pyprof-mapfile-XXXXXX");
	ASSERT_TRUE(mkdtemp(top) != NULL);
	snprintf(proc_root, sizeof(proc_root), "%s/proc", top);
	path_of(path, sizeof(path), "proc");
	ASSERT_OK(mkdir(path, 0755));
	path_of(path, sizeof(path), "proc/42");
	ASSERT_OK(mkdir(path, 0755));
	path_of(path, sizeof(path), "proc/42/map_files");
	ASSERT_OK(mkdir(path, 0755));
	path_of(path, sizeof(path), "ctr");
	ASSERT_OK(mkdir(path, 0755));
	put_link("proc/42/root", path);
}

static void teardown(void)
{
	(void)nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	top[0] = '\0';
}

/* The ref of a mapping of pid 42 of the file at path (as maps shows it), known as inode. */
static void ref_of(struct mapfile_ref *ref, const char *path, __u64 inode)
{
	struct procmap m = { .start = START, .end = END, .inode = inode, .path = (char *)path };
	struct stat st;

	ASSERT_OK(stat(top, &st));
	m.dev_major = major(st.st_dev);
	m.dev_minor = minor(st.st_dev);
	ASSERT_OK(mapfile__ref_map(ref, proc_root, PID, &m));
}

/* Opens the ref: the inode of what was opened (0 for a failure, *ret_err set). */
static __u64 open_ref(const struct mapfile_ref *ref, enum mapfile_via *via, int *ret_err)
{
	struct stat st;
	int fd = mapfile__open(ref, via);

	*ret_err = fd < 0 ? fd : 0;
	if (fd < 0)
		return 0;
	ASSERT_OK(fstat(fd, &st));
	ASSERT_TRUE((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	ASSERT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	return st.st_ino;
}

TEST(map_files_first_whatever_the_path)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 mapped, other;
	int err;

	setup();
	mapped = put_file("hidden/python3");
	other = put_file("ctr/usr/bin/python3");
	put_link("proc/42/map_files/400000-401000", "../../../hidden/python3");
	/* Not checked: the kernel hands over the mapping's own file. */
	ref_of(&ref, "/usr/bin/python3", other);
	ASSERT_EQ(open_ref(&ref, &via, &err), mapped);
	ASSERT_EQ(via, MAPFILE_VIA_MAP_FILES);
	teardown();
}

TEST(container_path_through_root)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 ino;
	int err;

	setup();
	ino = put_file("ctr/usr/bin/python3");
	ref_of(&ref, "/usr/bin/python3", ino);
	ASSERT_EQ(open_ref(&ref, &via, &err), ino);
	ASSERT_EQ(via, MAPFILE_VIA_ROOT);
	teardown();
}

TEST(chroot_host_path)
{
	char host[PATH_MAX];
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 ino;
	int err;

	setup();
	/* chroot TREE: maps show TREE/usr/bin/python3, /proc/PID/root is TREE (ctr here). */
	ino = put_file("tree/usr/bin/python3");
	path_of(host, sizeof(host), "tree/usr/bin/python3");
	ref_of(&ref, host, ino);
	ASSERT_EQ(open_ref(&ref, &via, &err), ino);
	ASSERT_EQ(via, MAPFILE_VIA_PATH);
	teardown();
}

TEST(planted_file_under_root_loses_to_the_mapped_inode)
{
	char host[PATH_MAX], planted[PATH_MAX + 8];
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 ino;
	int err;

	setup();
	ino = put_file("tree/usr/bin/python3");
	path_of(host, sizeof(host), "tree/usr/bin/python3");
	/* What the chrooted process put at its own ROOT + the host path. */
	snprintf(planted, sizeof(planted), "ctr%s", host);
	(void)put_file(planted);
	ref_of(&ref, host, ino);
	ASSERT_EQ(open_ref(&ref, &via, &err), ino);
	ASSERT_EQ(via, MAPFILE_VIA_PATH);
	teardown();
}

TEST(root_path_unchecked_as_last_resort)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 ino;
	int err;

	setup();
	/* maps and stat disagree on the inode (an overlayfs's layer): the root path still. */
	ino = put_file("ctr/usr/bin/python3");
	ref_of(&ref, "/usr/bin/python3", ino + 1000);
	ASSERT_EQ(open_ref(&ref, &via, &err), ino);
	ASSERT_EQ(via, MAPFILE_VIA_ROOT);
	teardown();
}

TEST(nothing_opens)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	int err;

	setup();
	ref_of(&ref, "/usr/bin/python3", 1234);
	ASSERT_EQ(open_ref(&ref, &via, &err), 0);
	ASSERT_EQ(err, -ENOENT);
	teardown();
}

TEST(deleted_file_only_through_map_files)
{
	struct mapfile_ref ref;
	enum mapfile_via via;
	__u64 ino, mapped;
	int err;

	setup();
	/* A file at the path maps shows, suffix and all: never the mapped one. */
	ino = put_file("ctr/usr/bin/python3 (deleted)");
	ref_of(&ref, "/usr/bin/python3 (deleted)", ino);
	ASSERT_EQ(open_ref(&ref, &via, &err), 0);
	ASSERT_EQ(via, MAPFILE_VIA_MAP_FILES);
	mapped = put_file("hidden/old");
	put_link("proc/42/map_files/400000-401000", "../../../hidden/old");
	ASSERT_EQ(open_ref(&ref, &via, &err), mapped);
	teardown();
}

static void on_alarm(int sig)
{
	static const char msg[] = "  mapfile__open blocked on a FIFO\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

TEST(fifo_and_directory_never_opened)
{
	char path[PATH_MAX];
	struct mapfile_ref ref;
	enum mapfile_via via;
	struct stat st;
	int err;

	setup();
	path_of(path, sizeof(path), "ctr/fifo");
	ASSERT_OK(mkfifo(path, 0600));
	ASSERT_OK(stat(path, &st));
	ref_of(&ref, "/fifo", st.st_ino);
	signal(SIGALRM, on_alarm);
	alarm(5);
	ASSERT_EQ(open_ref(&ref, &via, &err), 0);
	alarm(0);
	ASSERT_EQ(err, -EINVAL);
	path_of(path, sizeof(path), "ctr/dir");
	ASSERT_OK(mkdir(path, 0755));
	ASSERT_OK(stat(path, &st));
	ref_of(&ref, "/dir", st.st_ino);
	ASSERT_EQ(open_ref(&ref, &via, &err), 0);
	ASSERT_EQ(err, -EINVAL);
	teardown();
}

TEST(own_file_only_if_unchanged)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct mapfile_ref ref;
	enum mapfile_via via;
	struct stat st;
	__u64 ino;
	int err;

	setup();
	ino = put_file("lib/libpython3.13.so");
	path_of(path, sizeof(path), "lib/libpython3.13.so");
	ASSERT_OK(stat(path, &st));
	ASSERT_OK(mapfile__ref_path(&ref, path, st.st_dev, ino));
	ASSERT_EQ(open_ref(&ref, &via, &err), ino);
	ASSERT_EQ(via, MAPFILE_VIA_PATH);
	/* Replaced since stat(): not the file the verdict would be kept for. */
	(void)put_file("lib/new");
	path_of(other, sizeof(other), "lib/new");
	ASSERT_OK(rename(other, path));
	ASSERT_EQ(open_ref(&ref, &via, &err), 0);
	ASSERT_EQ(err, -ESTALE);
	teardown();
}

TEST(paths_of_each_way)
{
	struct mapfile_ref ref;
	char buf[PATH_MAX + 64];

	setup();
	ref_of(&ref, "/usr/bin/python3", 1);
	ASSERT_OK(mapfile__path(&ref, MAPFILE_VIA_MAP_FILES, buf, sizeof(buf)));
	ASSERT_TRUE(strstr(buf, "/proc/42/map_files/400000-401000") != NULL);
	ASSERT_OK(mapfile__path(&ref, MAPFILE_VIA_ROOT, buf, sizeof(buf)));
	ASSERT_TRUE(strstr(buf, "/proc/42/root/usr/bin/python3") != NULL);
	ASSERT_OK(mapfile__path(&ref, MAPFILE_VIA_PATH, buf, sizeof(buf)));
	ASSERT_STREQ(buf, "/usr/bin/python3");
	ASSERT_EQ(mapfile__path(&ref, MAPFILE_VIA_ROOT, buf, 20), -ENAMETOOLONG);
	teardown();
}

TEST(too_long_a_path)
{
	static char longpath[PATH_MAX + 2];
	struct procmap m = { .inode = 1, .path = longpath };
	struct mapfile_ref ref;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	ASSERT_EQ(mapfile__ref_map(&ref, "/proc", 1, &m), -ENAMETOOLONG);
	ASSERT_EQ(mapfile__ref_path(&ref, longpath, 0, 1), -ENAMETOOLONG);
}
