// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for pyinterp: version and layout detection on the interpreters of this machine. */
#include <errno.h>
#include <glob.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/elffile.h"
#include "target/pyinterp.h"

static int analyze(const char *path, struct pyinterp_info *info)
{
	struct elf_file *ef = elf_file__open(path);
	int err;

	if (!ef)
		return -errno;
	err = pyinterp__analyze(ef, info);
	elf_file__free(ef);
	return err;
}

TEST(debian_static_311)
{
	struct pyinterp_info info;

	if (access("/usr/bin/python3.11", R_OK))
		TEST_SKIP("/usr/bin/python3.11 not installed");
	ASSERT_OK(analyze("/usr/bin/python3.11", &info));
	ASSERT_TRUE(info.supported);
	ASSERT_EQ(info.version_hex >> 16, 0x030b);
	ASSERT_TRUE(info.runtime_vaddr != 0);
	ASSERT_EQ(info.layout.tstate_thread_id, 152);
	ASSERT_EQ(info.code.co_qualname, 128);
}

/* Every pyenv build: the right minor version from the binary, a layout or a reason. */
TEST(pyenv_libpython)
{
	glob_t g;
	size_t checked = 0;

	if (glob("/root/.pyenv/versions/*/lib/libpython*.so.1.0", 0, NULL, &g) != 0)
		TEST_SKIP("no pyenv builds");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		const char *v = strstr(path, "versions/") + 9;
		unsigned int maj = 0, min = 0;
		struct pyinterp_info info;

		if (sscanf(v, "%u.%u", &maj, &min) != 2)
			continue;
		ASSERT_OK(analyze(path, &info));
		if ((info.version_hex >> 24) != maj || ((info.version_hex >> 16) & 0xff) != min)
			TEST_FAIL("%s: detected 0x%x", path, info.version_hex);
		if (maj == 3 && min >= 9 && min <= 13) {
			if (!info.supported)
				TEST_FAIL("%s: unsupported: %s", path, info.why);
			ASSERT_TRUE(info.runtime_vaddr != 0);
		} else if (info.supported || !info.why[0]) {
			TEST_FAIL("%s: %u.%u should be unsupported with a reason", path, maj, min);
		}
		if (maj == 3 && min == 13)
			ASSERT_EQ(info.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
		checked++;
	}
	globfree(&g);
	ASSERT_TRUE(checked > 0);
}

/* 3.13's own debug offsets must agree with the built-in table for 3.13. */
TEST(debug_offsets_match_table)
{
	struct pyinterp_info dbg, tab;
	glob_t g;

	if (glob("/root/.pyenv/versions/3.13*/lib/libpython3.13.so.1.0", 0, NULL, &g) != 0)
		TEST_SKIP("no CPython 3.13");
	ASSERT_OK(analyze(g.gl_pathv[0], &dbg));
	globfree(&g);
	ASSERT_EQ(dbg.source, PYINTERP_SOURCE_DEBUG_OFFSETS);
	ASSERT_OK(pyinterp__table_layout(dbg.version_hex, &tab));
	dbg.layout.version_hex = tab.layout.version_hex;
	ASSERT_TRUE(memcmp(&dbg.layout, &tab.layout, sizeof(tab.layout)) == 0);
	ASSERT_TRUE(memcmp(&dbg.code, &tab.code, sizeof(tab.code)) == 0);
}

TEST(debug_offsets_reject_garbage)
{
	__u64 buf[80] = { 0 };
	struct pyinterp_info info;

	ASSERT_EQ(pyinterp__parse_debug_offsets(buf, sizeof(buf), &info), -EINVAL);
	memcpy(buf, "xdebugpy", 8);
	buf[1] = 0x030e00f0; /* 3.14: different struct */
	ASSERT_EQ(pyinterp__parse_debug_offsets(buf, sizeof(buf), &info), -EPROTONOSUPPORT);
	buf[1] = 0x030d00f0;
	for (int i = 3; i < 80; i++)
		buf[i] = 0xffffffffull; /* absurd offsets */
	ASSERT_EQ(pyinterp__parse_debug_offsets(buf, sizeof(buf), &info), -EINVAL);
	ASSERT_EQ(pyinterp__parse_debug_offsets(buf, 16, &info), -EINVAL);
}

/*
 * Found by UBSan in fuzz-debugoffsets: the blob was read as __u64 words in place, but
 * pyinterp__analyze() hands over a byte array that promises no alignment.  Fails under the
 * sanitizer build (make asan) before the fix.
 */
TEST(debug_offsets_unaligned)
{
	__u64 words[80] = { 0 };
	_Alignas(8) __u8 raw[sizeof(words) + 1];
	struct pyinterp_info info;

	memcpy(words, "xdebugpy", 8);
	words[1] = 0x030e00f0;
	memcpy(raw + 1, words, sizeof(words));
	ASSERT_EQ(pyinterp__parse_debug_offsets(raw + 1, sizeof(words), &info), -EPROTONOSUPPORT);
	words[1] = 0x030d00f0;
	for (int i = 3; i < 80; i++)
		words[i] = 0xffffffffull;
	memcpy(raw + 1, words, sizeof(words));
	ASSERT_EQ(pyinterp__parse_debug_offsets(raw + 1, sizeof(words), &info), -EINVAL);
}

TEST(not_python)
{
	struct pyinterp_info info;

	ASSERT_EQ(analyze("/bin/sh", &info), -ENOENT);
}

TEST(version_str)
{
	char b[32];

	ASSERT_STREQ(pyinterp__version_str(0x030b07f0, b, sizeof(b)), "3.11.7");
	ASSERT_STREQ(pyinterp__version_str(0x030d00a2, b, sizeof(b)), "3.13.0a2");
	ASSERT_STREQ(pyinterp__version_str(0x030a0000, b, sizeof(b)), "3.10");
	ASSERT_STREQ(pyinterp__version_str(0, b, sizeof(b)), "unknown");
}
