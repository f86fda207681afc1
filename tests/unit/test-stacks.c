// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for stacks: parsing folded text and splitting frame names. */
#include <errno.h>
#include "testhelp.h"
#include "profile/stacks.h"

TEST(parse)
{
	const char *text = "python3;<module> (a.py:1);hot (a.py:9) 7\n"
			   "\n"
			   "python3;[python: no Python frame] 2\n"
			   "python3;x;do_syscall_64_[k] 1";
	struct stackset ss = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, text, strlen(text)));
	ASSERT_EQ(ss.nr, 3);
	ASSERT_EQ(ss.total, 10);
	ASSERT_EQ(ss.stacks[0].nr, 3);
	ASSERT_STREQ(ss.stacks[0].frames[2], "hot (a.py:9)");
	ASSERT_EQ(ss.stacks[0].count, 7);
	ASSERT_STREQ(ss.stacks[2].frames[2], "do_syscall_64_[k]");
	stackset__done(&ss);
	ASSERT_OK(stackset__parse_folded(&ss, "", 0));
	ASSERT_EQ(ss.nr, 0);
	stackset__done(&ss);
}

TEST(parse_malformed)
{
	static const char *const bad[] = { "a;b\n", "a;b x\n", "a;b 1x\n", " 3\n", "a 99999999999999999999999\n",
					   "a;b \n",
					   /* counts summing past 2^64: no total to render percentages of */
					   "a;b 10000000000000000000\na;c 10000000000000000000\n" };
	struct stackset ss = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (stackset__parse_folded(&ss, bad[i], strlen(bad[i])) != -EINVAL)
			TEST_FAIL("'%s' accepted", bad[i]);
		ASSERT_EQ(ss.nr, 0);
	}
}

static void check(const char *frame, size_t depth, enum frame_kind kind, const char *name,
		  const char *file, int line)
{
	struct frame_parts fp;

	frame__split(frame, depth, &fp);
	if (fp.kind != kind || fp.name_len != strlen(name) || memcmp(fp.name, name, fp.name_len) ||
	    (file && (!fp.file || fp.file_len != strlen(file) || memcmp(fp.file, file, fp.file_len))) ||
	    (!file && fp.file) || fp.line != line)
		TEST_FAIL("'%s': kind %d name '%.*s' file '%.*s' line %d", frame, fp.kind,
			  (int)fp.name_len, fp.name, (int)fp.file_len, fp.file ? fp.file : "", fp.line);
}

TEST(split)
{
	check("python3.11", 0, FRAME_PROCESS, "python3.11", NULL, 0);
	check("hot (/srv/app.py:12)", 1, FRAME_PYTHON, "hot", "/srv/app.py", 12);
	check("Cls.m.<locals>.f (/a b/c.py:3)", 2, FRAME_PYTHON, "Cls.m.<locals>.f", "/a b/c.py", 3);
	check("f (/My Project (copy)/a.py:7)", 2, FRAME_PYTHON, "f", "/My Project (copy)/a.py", 7);
	check("_find_and_load (<frozen importlib._bootstrap>:1176)", 1, FRAME_PYTHON,
	      "_find_and_load", "<frozen importlib._bootstrap>", 1176);
	check("g (mod.py)", 1, FRAME_PYTHON, "g", "mod.py", 0);
	check("h (c:\\\\x:y)", 1, FRAME_PYTHON, "h", "c:\\\\x:y", 0);
	check("vfs_read_[k]", 3, FRAME_KERNEL, "vfs_read", NULL, 0);
	check("[python: no Python frame]", 1, FRAME_MARKER, "[python: no Python frame]", NULL, 0);
	check("plain", 1, FRAME_OTHER, "plain", NULL, 0);
}
