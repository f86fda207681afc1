// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl's output: text for the terminal, and -o files written without harm. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/textenc.h"
#include "base/util.h"
#include "ctl.h"

int term_write(FILE *f, const char *s, size_t len, const char *keep)
{
	struct strbuf sb = { 0 };
	int err = term__put_text(&sb, s ? s : "", s ? len : 0, keep);

	if (!err && sb.len && fwrite(sb.buf, 1, sb.len, f) != sb.len)
		err = -EIO;
	strbuf__done(&sb);
	return err ?: fflush(f) ? -EIO : 0;
}

void print_error(const char *msg)
{
	fputs("pyprofctl: ", stderr);
	(void)term_write(stderr, msg, strlen(msg), NULL);
	fputs("\n", stderr);
}

int write_all(const char *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, stdout) != len)
		return -EIO;
	return fflush(stdout) ? -EIO : 0;
}

/*
 * A new temporary file next to the target, in dirfd: O_EXCL|O_NOFOLLOW, so a
 * name planted there (a symlink to a file of ours, in a directory others can
 * write) is never opened; such a name is skipped for the next one.
 */
static int create_tmp(int dirfd, const char *base, char *tmp, size_t sz)
{
	for (unsigned int i = 0; i < 64; i++) {
		int fd;

		if (snprintf(tmp, sz, ".%s.tmp.%d.%u", base, (int)getpid(), i) >= (int)sz)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* A directory nobody but us (or root) can write to: names in it are trusted. */
static bool dir_is_ours(int dirfd)
{
	struct stat st;

	return fstat(dirfd, &st) == 0 && (st.st_uid == geteuid() || st.st_uid == 0) &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * Writes into an existing file that is not a regular one (/dev/null, a FIFO,
 * a terminal), as a shell redirection would.  Opened non-blocking, so that a
 * FIFO nobody reads (planted, say) is an error, not a hang; writes block.
 */
static int write_into(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), err, fl;

	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	err = fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? -errno : 0;
	err = err ?: fd__write_all(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* A new regular file at base: a temporary in the same directory renamed over it. */
static int replace_file(int dirfd, const char *dir, const char *base, const char *buf, size_t len)
{
	char tmp[4096];
	int fd, err;

	fd = create_tmp(dirfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		fprintf(stderr, "pyprofctl: cannot write a temporary file in '%s': %s\n", dir,
			strerror(-fd));
		return fd;
	}
	err = fd__write_all(fd, buf, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, base) < 0)
		err = -errno;
	if (err)
		(void)unlinkat(dirfd, tmp, 0);
	return err;
}

/*
 * Writes to path ("-" or NULL: stdout).  A regular file (or none yet) is
 * replaced through a temporary file renamed over it, so no half file is
 * left; a device, FIFO or terminal is written into (-o /dev/null must not
 * become a file).  A symlink is followed only in a directory nobody else can
 * write (/dev/stdout); elsewhere it may be planted, and is replaced itself,
 * never what it points to.
 */
#define OUTPUT_MAX_LINKS 8 /* trusted symlinks followed in a row */

/* The path a symlink at base in dir names, relative ones taken from dir. */
static int link_target(int dirfd, const char *dir, const char *base, char *ret, size_t sz)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, base, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (snprintf(ret, sz, "%s%s%s", target[0] == '/' ? "" : dir,
		     target[0] == '/' ? "" : "/", target) >= (int)sz)
		return -ENAMETOOLONG;
	return 0;
}

static int write_output_at(const char *path, const char *buf, size_t len, int links)
{
	const char *slash, *base;
	char dir[4096], real[PATH_MAX];
	struct stat st;
	int dirfd = -1, err;

	if (!path || strcmp(path, "-") == 0)
		return write_all(buf, len);
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base) {
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(EISDIR));
		return -EISDIR;
	}
	if (snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		     slash ? path : ".") >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err = -errno;
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(-err));
		return err;
	}
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISREG(st.st_mode))
		err = replace_file(dirfd, dir, base, buf, len);
	else if (!S_ISLNK(st.st_mode))
		err = write_into(path, buf, len);
	else if (!dir_is_ours(dirfd))
		err = replace_file(dirfd, dir, base, buf, len);
	else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		err = write_into(path, buf, len);
	else if (links >= OUTPUT_MAX_LINKS)
		err = -ELOOP;
	else if (!(err = link_target(dirfd, dir, base, real, sizeof(real))))
		err = write_output_at(real, buf, len, links + 1); /* what the trusted link names */
	if (err && !links)
		fprintf(stderr, "pyprofctl: cannot write '%s': %s\n", path, strerror(-err));
	close(dirfd);
	return err;
}

int write_output(const char *path, const char *buf, size_t len)
{
	return write_output_at(path, buf, len, 0);
}
