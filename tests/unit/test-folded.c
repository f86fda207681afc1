// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_folded: frame encoding, merging and sorting of stacks, round trips. */
#include <errno.h>
#include "testhelp.h"
#include "render/fmt_folded.h"
#include "profile/stacks.h"
#include "base/strbuf.h"

static const char *enc(const char *name)
{
	static struct strbuf sb;

	strbuf__reset(&sb);
	if (folded__encode_frame(&sb, name))
		return NULL;
	return sb.buf;
}

TEST(encode_frames)
{
	ASSERT_STREQ(enc("hot (/srv/app.py:12)"), "hot (/srv/app.py:12)");
	ASSERT_STREQ(enc("a;b"), "a:b");
	ASSERT_STREQ(enc("line\nbreak\ttab\r"), "line?break?tab?");
	ASSERT_STREQ(enc(""), "[unknown]");
	/* Trailing " <number>" would read as a second count. */
	ASSERT_STREQ(enc("worker 12"), "worker_12");
	ASSERT_STREQ(enc("ratio 1.5"), "ratio_1.5");
	ASSERT_STREQ(enc("ratio 1."), "ratio_1.");
	ASSERT_STREQ(enc("v1.2"), "v1.2");
	ASSERT_STREQ(enc("x12"), "x12");
	ASSERT_STREQ(enc("12"), "12");
	ASSERT_STREQ(enc("a 1;2"), "a 1:2");
	ASSERT_STREQ(enc("do_syscall_64_[k]"), "do_syscall_64_[k]");
	ASSERT_STREQ(enc("caf\xc3\xa9"), "caf\xc3\xa9"); /* UTF-8 passes through */
}

/* Adds the stack of frame texts names[0..nr) (read by frame__split) to ss. */
static int add_texts(struct stackset *ss, const char *const *names, size_t nr, __u64 count)
{
	__u32 ids[16];
	char buf[16][64];
	int err = 0;

	for (size_t i = 0; i < nr && !err; i++) {
		struct frame f;

		snprintf(buf[i], sizeof(buf[i]), "%s", names[i]);
		frame__split(buf[i], i, &f);
		err = stackset__frame(ss, &f, &ids[i]);
	}
	return err ?: stackset__add(ss, ids, nr, SAMPLE_ON_CPU, count);
}

TEST(merge_and_sort)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	const char *s1[] = { "python3", "<module> (a.py:1)", "main (a.py:5)", "hot (a.py:9)" };
	const char *s2[] = { "python3", "<module> (a.py:1)", "main (a.py:6)", "warm (a.py:12)" };
	const char *s3[] = { "python3", "<module> (a.py:1)", "main (a.py:5)" };
	const char *s4[] = { "python3", "x;y", "n 1" };
	const char *s5[] = { "python3", "x:y", "n_1" }; /* same line as s4 once encoded */

	ASSERT_OK(add_texts(&ss, s2, 4, 1));
	ASSERT_OK(add_texts(&ss, s1, 4, 3));
	ASSERT_OK(add_texts(&ss, s3, 3, 2));
	ASSERT_OK(add_texts(&ss, s1, 4, 4));
	ASSERT_OK(add_texts(&ss, s4, 3, 1));
	ASSERT_OK(add_texts(&ss, s5, 3, 1));
	ASSERT_EQ(ss.nr, 5);
	ASSERT_OK(strbuf__puts(&out, "keep\n"));
	ASSERT_OK(fmt_folded__render(&ss, &out));
	ASSERT_STREQ(out.buf, "keep\n"
			      "python3;<module> (a.py:1);main (a.py:5) 2\n"
			      "python3;<module> (a.py:1);main (a.py:5);hot (a.py:9) 7\n"
			      "python3;<module> (a.py:1);main (a.py:6);warm (a.py:12) 1\n"
			      "python3;x:y;n_1 2\n");
	stackset__done(&ss);
	strbuf__reset(&out);
	ASSERT_OK(fmt_folded__render(&ss, &out));
	ASSERT_EQ(out.len, 0);
	strbuf__done(&out);
}

/* Frames made as data render as their labels, encoded. */
TEST(structured_frames)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	__u32 ids[5];

	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PROCESS, "", NULL, -1, -1 },
				  &ids[0]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_THREAD, "", NULL, 12, -1 }, &ids[1]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PYTHON, "a;b", "x.py", 3, 1 },
				  &ids[2]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PYTHON, "g", "y\tz.py", -1, -1 },
				  &ids[3]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_KERNEL, "0xff", NULL, -1, -1 },
				  &ids[4]));
	ASSERT_OK(stackset__add(&ss, ids, 5, SAMPLE_ON_CPU, 3));
	ASSERT_OK(fmt_folded__render(&ss, &out));
	ASSERT_STREQ(out.buf, "[unknown];thread_12;a:b (x.py:3);g (y?z.py);0xff_[k] 3\n");
	stackset__done(&ss);
	strbuf__done(&out);
}

/* folded -> stackset -> folded is the identity on folded output. */
TEST(round_trip)
{
	const char *text = "app;<module> (/a.py:1);f (x) (/b (c).py:2);g (C:/d.py) 4\n"
			   "app;[python: truncated stack];h_[k];0x1f_[k] 1\n"
			   "app;thread_7;w (/a.py:3) 2\n"
			   "app;x_1;y (a.py:007);z (:5);[] 18446744073709551000\n"
			   "p:q (tid 3);caf\xc3\xa9 (/\xff.py:1) 1\n";
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, text, strlen(text)));
	ASSERT_OK(fmt_folded__render(&ss, &out));
	ASSERT_STREQ(out.buf, text);
	stackset__done(&ss);
	strbuf__done(&out);
}

TEST(many_stacks)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	char a[32], b[32];
	const char *st[] = { "root", a, b };
	size_t lines = 0;

	/* Enough to rehash several times; each stack added twice. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 5000; i++) {
			snprintf(a, sizeof(a), "f%d", i % 97);
			snprintf(b, sizeof(b), "g%d", i);
			ASSERT_OK(add_texts(&ss, st, 3, 1));
		}
	}
	ASSERT_EQ(ss.nr, 5000);
	ASSERT_OK(fmt_folded__render(&ss, &out));
	for (size_t i = 0; i < out.len; i++)
		lines += out.buf[i] == '\n';
	ASSERT_EQ(lines, 5000);
	/* Sorted bytewise, every count 2. */
	for (char *p = out.buf, *prev = NULL, *nl; *p; prev = p, p = nl + 1) {
		nl = strchr(p, '\n');
		ASSERT_TRUE(nl && nl - p > 2 && memcmp(nl - 2, " 2", 2) == 0);
		if (prev)
			ASSERT_TRUE(strcmp(prev, p) < 0);
		*nl = '\0';
	}
	strbuf__done(&out);
	stackset__done(&ss);
}
