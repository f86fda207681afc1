// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for debugfile and the symbols nativesyms takes from it: a fake
 * process root (a temporary directory as proc_root/PID/root) holding
 * libcold.so's debug file where Debian's packages put one, and hostile
 * variants of it (a symlink out of the root, a FIFO, another file's).
 */
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dwflhelp.h"
#include "testhelp.h"
#include "target/debugfile.h"
#include "target/nativesyms.h"

#define PID 4242

static char proc_root[64];
static char dir[PATH_MAX - 256];	/* the root's build-id directory for libcold's id */
static char dbg[PATH_MAX];	/* libcold's debug file in the fake root */
static __u8 id[DEBUGFILE_ID_MAX];
static size_t id_len;

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

/* The build-id of ELF file path into id, id_len. */
static int read_id(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	const void *bits = NULL;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &bits) : -1;

	if (n > 0 && (size_t)n <= sizeof(id)) {
		memcpy(id, bits, (size_t)n);
		id_len = (size_t)n;
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return n > 0 ? 0 : -1;
}

static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

/* A fresh fake root with libcold's debug file in place. */
static void setup(void)
{
	char lib[PATH_MAX], debug[PATH_MAX], rest[2 * DEBUGFILE_ID_MAX + 1] = "";

	elf_version(EV_CURRENT);
	snprintf(proc_root, sizeof(proc_root), "/tmp/pyprof-debugfile.XXXXXX");
	ASSERT_TRUE(mkdtemp(proc_root) != NULL);
	helper_path("libcold_stripped.so", lib, sizeof(lib));
	helper_path("libcold.debug", debug, sizeof(debug));
	ASSERT_OK(read_id(lib));
	for (size_t i = 1; i < id_len; i++)
		snprintf(rest + 2 * (i - 1), 3, "%02x", id[i]);
	snprintf(dir, sizeof(dir), "%s/%d/root/%s/%02x", proc_root, PID, DEBUGFILE_DIR, id[0]);
	mkdirs(dir);
	snprintf(dbg, sizeof(dbg), "%s/%s.debug", dir, rest);
	ASSERT_OK(copy_file(debug, dbg));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", proc_root);
	ASSERT_EQ(system(cmd), 0);
}

static int try_open(void)
{
	Elf *elf = NULL;
	int fd = debugfile__open(proc_root, PID, id, id_len, &elf);

	if (fd >= 0) {
		ASSERT_TRUE(elf != NULL);
		elf_end(elf);
		close(fd);
		return 0;
	}
	ASSERT_TRUE(elf == NULL);
	return fd;
}

TEST(found_by_build_id_in_the_process_root)
{
	setup();
	ASSERT_OK(try_open());
	/* Another id, another process: nothing there. */
	id[id_len - 1] ^= 1;
	ASSERT_EQ(try_open(), -ENOENT);
	id[id_len - 1] ^= 1;
	ASSERT_TRUE(debugfile__open(proc_root, PID + 1, id, id_len, &(Elf *){ NULL }) < 0);
	ASSERT_EQ(debugfile__open(proc_root, PID, id, 1, &(Elf *){ NULL }), -EINVAL);
	teardown();
}

/* An absolute symlink is resolved inside the root: the host's copy is not reached. */
TEST(symlink_does_not_leave_the_root)
{
	char outside[128];

	setup();
	snprintf(outside, sizeof(outside), "%s/outside.debug", proc_root);
	ASSERT_OK(rename(dbg, outside));
	ASSERT_OK(symlink(outside, dbg));
	ASSERT_EQ(try_open(), -ENOENT);
	unlink(dbg);
	ASSERT_OK(symlink("../../../../../../../../../../../outside.debug", dbg));
	ASSERT_EQ(try_open(), -ENOENT);
	teardown();
}

TEST(hostile_files_refused)
{
	char other[PATH_MAX];

	setup();
	/* Another file's debug info under this id. */
	helper_path("libspin_a.so", other, sizeof(other));
	ASSERT_OK(copy_file(other, dbg));
	ASSERT_EQ(try_open(), -EINVAL);
	/* Not ELF. */
	ASSERT_OK(truncate(dbg, 3));
	ASSERT_EQ(try_open(), -EINVAL);
	/* A FIFO nobody writes: refused, not waited on. */
	unlink(dbg);
	ASSERT_OK(mkfifo(dbg, 0644));
	ASSERT_EQ(try_open(), -EINVAL);
	unlink(dbg);
	ASSERT_OK(mkdir(dbg, 0755));
	ASSERT_EQ(try_open(), -EINVAL);
	teardown();
}

/* The offset of symbol name in the unstripped libcold.so (the same layout), 0 if none. */
static __u64 full_offset(const char *name)
{
	Dwfl *full = NULL;
	Dwfl_Module *fm = helper_module(&full, "libcold.so");
	Dwarf_Addr start = 0, addr;

	ASSERT_TRUE(fm != NULL);
	dwfl_module_info(fm, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	addr = sym_addr(fm, name);
	dwfl_end(full);
	return addr ? addr - start : 0;
}

/* The name nativesyms gives to a pc inside cold_fail of the stripped libcold (NULL: none). */
static const char *stripped_name_of_cold_fail(struct native_symtabs *c, char *buf, size_t size)
{
	Dwfl *dwfl = NULL;
	Dwfl_Module *mod;
	const struct native_symtab *t;
	__u64 off = full_offset("cold_fail");
	const char *name;

	ASSERT_TRUE(off != 0);
	mod = helper_module(&dwfl, "libcold_stripped.so");
	ASSERT_TRUE(mod != NULL);
	t = native_symtabs__get(c, PID, mod);
	ASSERT_TRUE(t != NULL);
	name = native_symtab__lookup(t, off + 1, &(__u64){ 0 });
	snprintf(buf, size, "%s", name ? name : "");
	dwfl_end(dwfl);
	return name ? buf : NULL;
}

TEST(stripped_file_named_from_its_debug_file)
{
	struct native_symtabs *c;
	__u64 built, hits, debug;
	char buf[64];
	const char *name;

	setup();
	c = native_symtabs__new(proc_root);
	ASSERT_TRUE(c != NULL);
	name = stripped_name_of_cold_fail(c, buf, sizeof(buf));
	ASSERT_TRUE(name != NULL);
	ASSERT_STREQ(name, "cold_fail");
	native_symtabs__stats(c, &built, &hits, &debug);
	ASSERT_EQ(debug, 1);
	native_symtabs__free(c);
	/* Without the debug file the static function has no name. */
	unlink(dbg);
	c = native_symtabs__new(proc_root);
	name = stripped_name_of_cold_fail(c, buf, sizeof(buf));
	ASSERT_TRUE(name == NULL || strcmp(name, "cold_fail") != 0);
	native_symtabs__stats(c, &built, &hits, &debug);
	ASSERT_EQ(debug, 0);
	native_symtabs__free(c);
	teardown();
}
