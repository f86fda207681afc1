// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for stacks: the interned stackset, folded parsing, frame labels and their inverse. */
#include <errno.h>
#include "testhelp.h"
#include "profile/stacks.h"
#include "base/strbuf.h"

/* The label of frame idx of ss, in a static buffer. */
static const char *label_of(const struct stackset *ss, __u32 idx)
{
	static struct strbuf sb;

	strbuf__reset(&sb);
	if (frame__label(&ss->frames[idx], &sb))
		return NULL;
	return sb.buf;
}

TEST(parse)
{
	const char *text = "python3;<module> (a.py:1);hot (a.py:9) 7\n"
			   "\n"
			   "python3;[python: no Python frame] 2\n"
			   "python3;<module> (a.py:1);hot (a.py:9) 5\n"
			   "python3;x;do_syscall_64_[k] 1";
	struct stackset ss = { 0 };
	const __u32 *ids;

	ASSERT_OK(stackset__parse_folded(&ss, text, strlen(text)));
	ASSERT_EQ(ss.nr, 3);	/* the equal stacks merged */
	ASSERT_EQ(ss.total, 15);
	ASSERT_EQ(ss.nr_frames, 6);
	ASSERT_EQ(ss.stacks[0].nr, 3);
	ASSERT_EQ(ss.stacks[0].count, 12);
	ids = stack__ids(&ss, &ss.stacks[0]);
	ASSERT_EQ(ss.frames[ids[0]].kind, FRAME_PROCESS);
	ASSERT_STREQ(ss.frames[ids[0]].name, "python3");
	ASSERT_EQ(ss.frames[ids[2]].kind, FRAME_PYTHON);
	ASSERT_STREQ(ss.frames[ids[2]].name, "hot");
	ASSERT_STREQ(ss.frames[ids[2]].file, "a.py");
	ASSERT_EQ(ss.frames[ids[2]].line, 9);
	ASSERT_EQ(ss.frames[ids[2]].func_line, FRAME_LINE_NONE);
	ASSERT_STREQ(label_of(&ss, ids[2]), "hot (a.py:9)");
	ids = stack__ids(&ss, &ss.stacks[2]);
	ASSERT_EQ(ss.frames[ids[2]].kind, FRAME_KERNEL);
	ASSERT_STREQ(ss.frames[ids[2]].name, "do_syscall_64");
	ASSERT_EQ(ss.stacks[1].count, 2);
	stackset__done(&ss);
	ASSERT_OK(stackset__parse_folded(&ss, "", 0));
	ASSERT_EQ(ss.nr, 0);
	ASSERT_EQ(ss.nr_frames, 0);
	stackset__done(&ss);
}

TEST(parse_malformed)
{
	static const char *const bad[] = { "a;b\n", "a;b x\n", "a;b 1x\n", " 3\n", "a 99999999999999999999999\n",
					   "a;b \n", "a;b -1\n", "a;b +1\n",
					   /* counts summing past 2^64: no total to render percentages of */
					   "a;b 10000000000000000000\na;c 10000000000000000000\n",
					   "a;b 18446744073709551615\na;b 1\n" };
	struct stackset ss = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (stackset__parse_folded(&ss, bad[i], strlen(bad[i])) != -EINVAL)
			TEST_FAIL("'%s' accepted", bad[i]);
		ASSERT_EQ(ss.nr, 0);
		ASSERT_EQ(ss.nr_frames, 0);
	}
	/* a NUL inside a line */
	ASSERT_EQ(stackset__parse_folded(&ss, "a;b\0c 1\n", 8), -EINVAL);
	ASSERT_EQ(ss.nr, 0);
}

TEST(parse_depth_limit)
{
	struct strbuf t = { 0 };
	struct stackset ss = { 0 };

	for (size_t i = 0; i < STACK_MAX_DEPTH; i++)
		ASSERT_OK(strbuf__printf(&t, "%sf%zu", i ? ";" : "", i));
	ASSERT_OK(strbuf__puts(&t, " 1\n"));
	ASSERT_OK(stackset__parse_folded(&ss, t.buf, t.len));
	ASSERT_EQ(ss.stacks[0].nr, STACK_MAX_DEPTH);
	stackset__done(&ss);
	strbuf__reset(&t);
	for (size_t i = 0; i <= STACK_MAX_DEPTH; i++)
		ASSERT_OK(strbuf__printf(&t, "%sf%zu", i ? ";" : "", i));
	ASSERT_OK(strbuf__puts(&t, " 1\n"));
	ASSERT_EQ(stackset__parse_folded(&ss, t.buf, t.len), -EINVAL);
	ASSERT_EQ(ss.nr, 0);
	strbuf__done(&t);
}

static void check(const char *text, size_t depth, enum frame_kind kind, const char *name,
		  const char *file, int line)
{
	char buf[256];
	struct frame f;

	snprintf(buf, sizeof(buf), "%s", text);
	frame__split(buf, depth, &f);
	if (f.kind != kind || strcmp(f.name, name) || (!file != !f.file) ||
	    (file && strcmp(f.file, file)) || f.line != line || f.func_line != FRAME_LINE_NONE)
		TEST_FAIL("'%s': kind %d name '%s' file '%s' line %d", text, f.kind, f.name,
			  f.file ? f.file : "(none)", f.line);
}

TEST(split)
{
	check("python3.11", 0, FRAME_PROCESS, "python3.11", NULL, -1);
	check("x (a.py:1)", 0, FRAME_PROCESS, "x (a.py:1)", NULL, -1);
	check("x_[k]", 0, FRAME_PROCESS, "x_[k]", NULL, -1);
	check("hot (/srv/app.py:12)", 1, FRAME_PYTHON, "hot", "/srv/app.py", 12);
	check("Cls.m.<locals>.f (/a b/c.py:3)", 2, FRAME_PYTHON, "Cls.m.<locals>.f", "/a b/c.py", 3);
	check("f (/My Project (copy)/a.py:7)", 2, FRAME_PYTHON, "f", "/My Project (copy)/a.py", 7);
	check("_find_and_load (<frozen importlib._bootstrap>:1176)", 1, FRAME_PYTHON,
	      "_find_and_load", "<frozen importlib._bootstrap>", 1176);
	check("g (mod.py)", 1, FRAME_PYTHON, "g", "mod.py", -1);
	check("h (c:\\\\x:y)", 1, FRAME_PYTHON, "h", "c:\\\\x:y", -1);
	check("f (a.py:0)", 2, FRAME_PYTHON, "f", "a.py", 0);
	check("f (a.py:007)", 2, FRAME_PYTHON, "f", "a.py:007", -1);
	check("f (a.py:2147483647)", 2, FRAME_PYTHON, "f", "a.py", 2147483647);
	check("f (a.py:2147483648)", 2, FRAME_PYTHON, "f", "a.py:2147483648", -1);
	check("f (a.py:-1)", 2, FRAME_PYTHON, "f", "a.py:-1", -1);
	check("f (a.py:)", 2, FRAME_PYTHON, "f", "a.py:", -1);
	check("f (:12)", 2, FRAME_PYTHON, "f", "", 12);
	check("f ()", 2, FRAME_PYTHON, "f", "", -1);
	check(" (a.py:1)", 2, FRAME_OTHER, " (a.py:1)", NULL, -1);
	check("f(x)", 2, FRAME_OTHER, "f(x)", NULL, -1);
	check("vfs_read_[k]", 3, FRAME_KERNEL, "vfs_read", NULL, -1);
	check("0xffffffff81000000_[k]", 3, FRAME_KERNEL, "0xffffffff81000000", NULL, -1);
	check("_[k]", 3, FRAME_KERNEL, "", NULL, -1);
	check("[python: no Python frame]", 1, FRAME_MARKER, "[python: no Python frame]", NULL, -1);
	check("[]", 1, FRAME_MARKER, "[]", NULL, -1);
	check("[", 1, FRAME_OTHER, "[", NULL, -1);
	check("thread 42", 1, FRAME_THREAD, "", NULL, 42);
	check("thread 42", 2, FRAME_OTHER, "thread 42", NULL, -1);
	check("thread 042", 1, FRAME_OTHER, "thread 042", NULL, -1);
	check("worker (tid 7)", 1, FRAME_THREAD, "worker", NULL, 7);
	check("a (tid 1) (tid 7)", 1, FRAME_THREAD, "a (tid 1)", NULL, 7);
	check("worker (tid 7)", 2, FRAME_PYTHON, "worker", "tid 7", -1);
	check(" (tid 7)", 1, FRAME_OTHER, " (tid 7)", NULL, -1);
	check("plain", 1, FRAME_OTHER, "plain", NULL, -1);
	check("", 1, FRAME_OTHER, "", NULL, -1);
}

/* frame__label(frame__split(t)) == t, at every depth that reads differently. */
static void check_identity(const char *text)
{
	static const size_t depths[] = { 0, 1, 2 };
	struct strbuf out = { 0 };
	char buf[512];

	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		struct frame f;

		snprintf(buf, sizeof(buf), "%s", text);
		frame__split(buf, depths[i], &f);
		strbuf__reset(&out);
		ASSERT_OK(frame__label(&f, &out));
		if (strcmp(out.buf, text))
			TEST_FAIL("depth %zu: '%s' became '%s'", depths[i], text, out.buf);
	}
	strbuf__done(&out);
}

TEST(label_split_identity)
{
	static const char *const names[] = {
		"", "f", "<module>", "a b", "x (y", "a:1", "[m]", "t_[k]", "thread", "thread 3",
		"caf\xc3\xa9", "(", ")", " (",
	};
	static const char *const tails[] = {
		"", " (a.py:1)", " (a.py)", " ()", " (:5)", " (a.py:0)", " (a.py:01)", " (a.py:x)",
		" (a:b.py:12)", " (x) (y:3)", "_[k]", " (tid 9)", " (tid 09)", " (tid -1)", ")", "]",
		" 12", " (a.py:99999999999)",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
			snprintf(text, sizeof(text), "%s%s", names[i], tails[k]);
			check_identity(text);
			snprintf(text, sizeof(text), "[%s%s]", names[i], tails[k]);
			check_identity(text);
		}
	}
	/* every byte value in every position of a short label */
	for (int c = 1; c < 256; c++) {
		snprintf(text, sizeof(text), "%cf (a%c.py:1%c)%c", c, c, c, c);
		check_identity(text);
	}
}

/* Labels of frames made as data, and their text read back. */
static void check_label(const struct frame *f, const char *want, size_t depth, bool same)
{
	struct strbuf out = { 0 };
	struct frame back;
	char buf[256];

	ASSERT_OK(frame__label(f, &out));
	if (strcmp(out.buf, want))
		TEST_FAIL("kind %d '%s': label '%s', want '%s'", f->kind, f->name, out.buf, want);
	snprintf(buf, sizeof(buf), "%s", out.buf);
	frame__split(buf, depth, &back);
	if (same && (back.kind != f->kind || strcmp(back.name, f->name) || !back.file != !f->file ||
		     (f->file && strcmp(back.file, f->file)) || back.line != f->line))
		TEST_FAIL("'%s' split back as kind %d name '%s'", want, back.kind, back.name);
	strbuf__done(&out);
}

TEST(labels)
{
	const int N = FRAME_LINE_NONE;

	check_label(&(struct frame){ FRAME_PROCESS, "python3", NULL, N, N }, "python3", 0, true);
	check_label(&(struct frame){ FRAME_PYTHON, "f", "a.py", 3, 1 }, "f (a.py:3)", 1, false);
	check_label(&(struct frame){ FRAME_PYTHON, "f", "a.py", 3, N }, "f (a.py:3)", 1, true);
	check_label(&(struct frame){ FRAME_PYTHON, "f", "a.py", N, N }, "f (a.py)", 1, true);
	check_label(&(struct frame){ FRAME_PYTHON, "f", NULL, 3, N }, "f", 1, false);
	check_label(&(struct frame){ FRAME_KERNEL, "vfs_read", NULL, N, N }, "vfs_read_[k]", 5,
		    true);
	check_label(&(struct frame){ FRAME_KERNEL, "0x1234", NULL, N, N }, "0x1234_[k]", 5, true);
	check_label(&(struct frame){ FRAME_MARKER, "[python: truncated stack]", NULL, N, N },
		    "[python: truncated stack]", 1, true);
	check_label(&(struct frame){ FRAME_OTHER, "x", NULL, N, N }, "x", 2, true);
	check_label(&(struct frame){ FRAME_THREAD, "", NULL, 1234, N }, "thread 1234", 1, true);
	check_label(&(struct frame){ FRAME_THREAD, "MainThread", NULL, 7, N },
		    "MainThread (tid 7)", 1, true);
	check_label(&(struct frame){ FRAME_NATIVE, "malloc", "/lib/libc.so.6", N, N },
		    "malloc (/lib/libc.so.6)", 3, false);
	check_label(&(struct frame){ FRAME_NATIVE, "malloc", NULL, N, N }, "malloc", 3, false);
}

TEST(intern_frames)
{
	struct stackset ss = { 0 };
	char name[16] = "f", file[16] = "a.py";
	struct frame f = { FRAME_PYTHON, name, file, 3, 1 };
	__u32 a, b, c, d;

	ASSERT_OK(stackset__frame(&ss, &f, &a));
	/* a copy: the caller's strings may change */
	strcpy(name, "g");
	ASSERT_STREQ(ss.frames[a].name, "f");
	ASSERT_OK(stackset__frame(&ss, &f, &b));
	ASSERT_TRUE(a != b);
	strcpy(name, "f");
	ASSERT_OK(stackset__frame(&ss, &f, &c));
	ASSERT_EQ(c, a);
	f.func_line = FRAME_LINE_NONE;
	ASSERT_OK(stackset__frame(&ss, &f, &d));
	ASSERT_TRUE(d != a);
	f.file = NULL;
	ASSERT_OK(stackset__frame(&ss, &f, &d));
	ASSERT_EQ(ss.frames[d].file, NULL);
	ASSERT_EQ(ss.nr_frames, 4);
	/* strings are shared between frames */
	ASSERT_TRUE(ss.frames[a].file == ss.frames[c].file);
	f.kind = FRAME__MAX;
	ASSERT_EQ(stackset__frame(&ss, &f, &d), -EINVAL);
	f.kind = FRAME_OTHER;
	f.line = -2;
	ASSERT_EQ(stackset__frame(&ss, &f, &d), -EINVAL);
	f.line = 0;
	f.func_line = -5;
	ASSERT_EQ(stackset__frame(&ss, &f, &d), -EINVAL);
	f.func_line = 0;
	f.name = NULL;
	ASSERT_EQ(stackset__frame(&ss, &f, &d), -EINVAL);
	ASSERT_EQ(ss.nr_frames, 4);
	stackset__done(&ss);
	ASSERT_EQ(ss.nr_frames, 0);
	ASSERT_TRUE(ss.frames == NULL);
}

TEST(add_and_merge)
{
	struct stackset ss = { 0 };
	__u32 ids[STACK_MAX_DEPTH + 1], x, y;

	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PROCESS, "p", NULL, -1, -1 }, &x));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, "f", NULL, -1, -1 }, &y));
	ids[0] = x;
	ids[1] = y;
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 3));
	ASSERT_OK(stackset__add(&ss, ids, 1, SAMPLE_ON_CPU, 1));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 4));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 0));
	ASSERT_EQ(ss.nr, 2);
	ASSERT_EQ(ss.stacks[0].count, 7);
	ASSERT_EQ(ss.stacks[1].count, 1);
	ASSERT_EQ(ss.total, 8);
	ASSERT_EQ(stackset__add(&ss, ids, 0, SAMPLE_ON_CPU, 1), -EINVAL);
	ids[1] = 2;
	ASSERT_EQ(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 1), -EINVAL);
	for (size_t i = 0; i <= STACK_MAX_DEPTH; i++)
		ids[i] = y;
	ASSERT_OK(stackset__add(&ss, ids, STACK_MAX_DEPTH, SAMPLE_ON_CPU, 1));
	ASSERT_EQ(stackset__add(&ss, ids, STACK_MAX_DEPTH + 1, SAMPLE_ON_CPU, 1), -EINVAL);
	ASSERT_EQ(stackset__add(&ss, ids, 3, SAMPLE_ON_CPU, ~0ull - 8), -EINVAL);
	ASSERT_OK(stackset__add(&ss, ids, 3, SAMPLE_ON_CPU, ~0ull - 9));
	ASSERT_EQ(ss.total, ~0ull);
	ASSERT_EQ(ss.nr, 4);
	stackset__done(&ss);
}

/* A tag is part of a stack's identity: the same frames with two tags stay two stacks. */
TEST(tags_kept_apart)
{
	struct stackset ss = { 0 };
	__u32 ids[2];

	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PROCESS, "p", NULL, -1, -1 },
				  &ids[0]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, "f", NULL, -1, -1 }, &ids[1]));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 3));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_OFF_CPU, 1000));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_GIL | SAMPLE_GC, 2));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_OFF_CPU, 500));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 4));
	ASSERT_EQ(ss.nr, 3);
	ASSERT_EQ(ss.stacks[0].tag, SAMPLE_ON_CPU);
	ASSERT_EQ(ss.stacks[0].count, 7);
	ASSERT_EQ(ss.stacks[1].tag, SAMPLE_OFF_CPU);
	ASSERT_EQ(ss.stacks[1].count, 1500);
	ASSERT_EQ(ss.stacks[2].tag, SAMPLE_GIL | SAMPLE_GC);
	ASSERT_EQ(ss.stacks[2].count, 2);
	ASSERT_EQ(ss.nr_frames, 2);
	/* A bit no format knows is refused, the set unchanged. */
	ASSERT_EQ(stackset__add(&ss, ids, 2, 0x10, 1), -EINVAL);
	ASSERT_EQ(stackset__add(&ss, ids, 2, 0x80 | SAMPLE_OFF_CPU, 1), -EINVAL);
	ASSERT_EQ(ss.nr, 3);
	ASSERT_EQ(ss.total, 1509);
	stackset__done(&ss);
	/* Folded text has no tags: every stack is on-CPU. */
	ASSERT_OK(stackset__parse_folded(&ss, "p;f 2\np 1\n", 10));
	ASSERT_EQ(ss.nr, 2);
	ASSERT_EQ(ss.stacks[0].tag, SAMPLE_ON_CPU);
	ASSERT_EQ(ss.stacks[1].tag, SAMPLE_ON_CPU);
	stackset__done(&ss);
}

TEST(many)
{
	struct stackset ss = { 0 };
	const struct frame root = { FRAME_PROCESS, "p", NULL, -1, -1 };
	const struct frame kernel = { FRAME_KERNEL, "k", NULL, -1, -1 };
	char name[32];
	__u32 ids[3];

	/* Enough to rehash every table several times; each stack added twice. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(name, sizeof(name), "f%d", i);
			ASSERT_OK(stackset__frame(&ss, &root, &ids[0]));
			ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PYTHON, name, "a.py",
								      i % 100, -1 },
						  &ids[1]));
			ASSERT_OK(stackset__frame(&ss, &kernel, &ids[2]));
			ASSERT_OK(stackset__add(&ss, ids, 2 + (size_t)(i % 2), SAMPLE_ON_CPU, 1));
		}
	}
	ASSERT_EQ(ss.nr_frames, 20002);
	ASSERT_EQ(ss.nr, 20000);
	ASSERT_EQ(ss.total, 40000);
	for (size_t i = 0; i < ss.nr; i++)
		ASSERT_EQ(ss.stacks[i].count, 2);
	ASSERT_STREQ(label_of(&ss, stack__ids(&ss, &ss.stacks[19999])[1]), "f19999 (a.py:99)");
	stackset__done(&ss);
}

/* A frame name longer than an arena chunk. */
TEST(long_strings)
{
	struct stackset ss = { 0 };
	size_t n = 200000;
	char *big = malloc(n + 1);
	__u32 a, b;

	ASSERT_TRUE(big != NULL);
	memset(big, 'x', n);
	big[n] = '\0';
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, "small", NULL, -1, -1 }, &a));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, big, NULL, -1, -1 }, &b));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, "small2", NULL, -1, -1 }, &a));
	ASSERT_EQ(strlen(ss.frames[b].name), n);
	ASSERT_STREQ(ss.frames[a].name, "small2");
	free(big);
	stackset__done(&ss);
}
