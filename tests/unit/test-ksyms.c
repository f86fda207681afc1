// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for ksyms: a fixture kallsyms file and, when readable, /proc/kallsyms. */
#include <errno.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/ksyms.h"

static const char fixture[] =
	"ffffffff81000300 T second_func\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 t alias_of_stext\n"
	"ffffffff81000100 t first_local\n"
	"ffffffff81000200 D some_data\n"
	"ffffffff81000180 r some_rodata\n"
	"ffffffffc0a00100 T mod_func2\t[mymod]\n"
	"ffffffffc0a00000 t mod_func\t[mymod]\n"
	"ffffffff81000400 W weak_func\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000500 b bss_thing\n"
	"ffffffff81000600 B big_bss\n"
	"not a symbol line\n"
	"ffffffff81000700 T\n"
	"ffffffff81000800\n"
	"ffffffff81000900 T stext_end";		/* no trailing newline */

static const char zeros[] =
	"0000000000000000 T _stext\n"
	"0000000000000000 t first_local\n"
	"0000000000000000 D some_data\n"
	"0000000000000000 t mod_func\t[mymod]\n";

static char tmp_dir[] = "/tmp/test-ksyms.XXXXXX";
static int tmp_dir_made;

/* Writes text to a file in a fresh temp dir; returns its path (static). */
static const char *write_tmp(const char *name, const char *text)
{
	static char path[64];
	FILE *f;

	if (!tmp_dir_made && mkdtemp(tmp_dir))
		tmp_dir_made = 1;
	if (tmp_dir_made) {
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
		f = fopen(path, "we");
		if (f && fputs(text, f) >= 0 && fclose(f) == 0)
			return path;
	}
	TEST_FAIL("cannot write %s: %s", name, strerror(errno));
}

static void check(const struct ksyms *ks, __u64 addr, const char *want, __u64 want_off)
{
	__u64 off = ~0ULL;
	const char *got = ksyms__lookup(ks, addr, &off);

	if (!want) {
		if (got)
			TEST_FAIL("0x%llx: got %s, want NULL", (unsigned long long)addr, got);
		return;
	}
	if (!got || strcmp(got, want) || off != want_off)
		TEST_FAIL("0x%llx: got %s+0x%llx, want %s+0x%llx", (unsigned long long)addr,
			  got ? got : "NULL", (unsigned long long)off, want,
			  (unsigned long long)want_off);
}

TEST(fixture)
{
	const char *path = write_tmp("kallsyms", fixture);
	struct ksyms *ks = ksyms__load(path);

	unlink(path);
	ASSERT_TRUE(ks != NULL);
	check(ks, 0, NULL, 0);
	check(ks, 0xffffffff80ffffffULL, NULL, 0);
	/* Duplicate addresses: the first in file order wins. */
	check(ks, 0xffffffff81000000ULL, "_stext", 0);
	check(ks, 0xffffffff810000ffULL, "_stext", 0xff);
	check(ks, 0xffffffff81000100ULL, "first_local", 0);
	check(ks, 0xffffffff81000150ULL, "first_local", 0x50);
	/* Data symbols (D, r, b, B, A) are not symbols of text. */
	check(ks, 0xffffffff81000250ULL, "first_local", 0x150);
	check(ks, 0xffffffff81000300ULL, "second_func", 0);
	check(ks, 0xffffffff810003ffULL, "second_func", 0xff);
	check(ks, 0xffffffff81000450ULL, "weak_func", 0x50);
	check(ks, 0xffffffff81000650ULL, "weak_func", 0x250);
	/* Malformed lines are skipped; the last line needs no newline. */
	check(ks, 0xffffffff81000800ULL, "weak_func", 0x400);
	check(ks, 0xffffffff81000901ULL, "stext_end", 1);
	/* Module symbols, named without their module. */
	check(ks, 0xffffffffc0a00000ULL, "mod_func", 0);
	check(ks, 0xffffffffc0a00105ULL, "mod_func2", 5);
	check(ks, ~0ULL, "mod_func2", ~0ULL - 0xffffffffc0a00100ULL);
	ASSERT_STREQ(ksyms__lookup(ks, 0xffffffff81000001ULL, NULL), "_stext");
	ksyms__free(ks);
	ksyms__free(NULL);
}

TEST(all_zero)
{
	const char *path = write_tmp("zeros", zeros);
	struct ksyms *ks;

	errno = 0;
	ks = ksyms__load(path);
	unlink(path);
	ASSERT_TRUE(ks == NULL);
	ASSERT_EQ(errno, EPERM);

	errno = 0;
	ASSERT_TRUE(ksyms__load("/nonexistent/kallsyms") == NULL);
	ASSERT_EQ(errno, ENOENT);
	rmdir(tmp_dir);
}

/*
 * Independently of ksyms: the address of vfs_read, and the name of the
 * first text symbol at that address in file order (normally vfs_read).
 */
static int find_in_kallsyms(const char *sym, unsigned long long *ret_addr, char *ret_name,
			    size_t name_sz)
{
	unsigned long long addr, want = 0;
	char type, name[256];
	int found = 0;
	FILE *f;

	for (int pass = 0; pass < 2 && (pass == 0 || found); pass++) {
		f = fopen("/proc/kallsyms", "re");
		if (!f)
			return -errno;
		while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3) {
			if (pass == 0 && strcmp(name, sym) == 0 && (type == 'T' || type == 't')) {
				want = addr;
				found = 1;
				break;
			}
			if (pass == 1 && addr == want && strchr("tTwW", type)) {
				snprintf(ret_name, name_sz, "%s", name);
				break;
			}
		}
		fclose(f);
	}
	*ret_addr = want;
	return found ? 0 : -ENOENT;
}

TEST(proc_kallsyms)
{
	unsigned long long addr = 0;
	struct ksyms *ks;
	char want[256] = "";
	__u64 off = 0;

	if (access("/proc/kallsyms", R_OK))
		TEST_SKIP("/proc/kallsyms not readable");
	ks = ksyms__load("/proc/kallsyms");
	if (!ks && errno == EPERM)
		TEST_SKIP("kernel addresses are hidden (kptr_restrict)");
	ASSERT_TRUE(ks != NULL);
	if (find_in_kallsyms("vfs_read", &addr, want, sizeof(want)) || !addr) {
		ksyms__free(ks);
		TEST_SKIP("no vfs_read in /proc/kallsyms");
	}
	ASSERT_STREQ(ksyms__lookup(ks, addr + 1, &off), want);
	ASSERT_EQ(off, 1);
	ASSERT_STREQ(ksyms__lookup(ks, addr, &off), want);
	ASSERT_EQ(off, 0);
	ASSERT_TRUE(ksyms__lookup(ks, 0, NULL) == NULL);
	ksyms__free(ks);
}
