// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "debugfile.h"

/* DEBUGFILE_DIR/XX/REST.debug for id: 0, or -EINVAL. */
static int id_path(const __u8 *id, size_t len, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%02x/", DEBUGFILE_DIR, id[0]);

	for (size_t i = 1; i < len && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "%02x", id[i]);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ".debug");
	return n > 0 && (size_t)n < size ? 0 : -EINVAL;
}

/* path opened read-only inside the directory root: symlinks, ".." included, stay in it. */
static int open_in_root(int root, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* 0 if fd is a regular file of a size we read whose ELF has build-id id; *elfp its ELF. */
static int check(int fd, const __u8 *id, size_t len, Elf **elfp)
{
	const void *got = NULL;
	struct stat st;
	Elf *elf;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (__u64)st.st_size > DEBUGFILE_MAX_SIZE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF || dwelf_elf_gnu_build_id(elf, &got) != (ssize_t)len ||
	    memcmp(got, id, len) != 0) {
		elf_end(elf);
		return -EINVAL;
	}
	*elfp = elf;
	return 0;
}

int debugfile__open(const char *proc_root, int pid, const __u8 *id, size_t len, Elf **elfp)
{
	char root_path[PATH_MAX], path[sizeof(DEBUGFILE_DIR) + 2 * DEBUGFILE_ID_MAX + 16];
	int root = -1, fd = -1, err;

	*elfp = NULL;
	if (len < DEBUGFILE_ID_MIN || len > DEBUGFILE_ID_MAX || id_path(id, len, path, sizeof(path)))
		return -EINVAL;
	if (snprintf(root_path, sizeof(root_path), "%s/%d/root", proc_root, pid) >=
	    (int)sizeof(root_path))
		return -EINVAL;
	root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	fd = open_in_root(root, path);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	err = check(fd, id, len, elfp);
	if (err) {
		close(fd);
		goto cleanup;
	}
	err = fd;
cleanup:
	close(root);
	return err;
}
