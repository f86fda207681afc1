// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_folded: frame encoding and merging/sorting of folded stacks. */
#include <errno.h>
#include "testhelp.h"
#include "render/fmt_folded.h"
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

TEST(merge_and_sort)
{
	struct folded *f = folded__new();
	struct strbuf out = { 0 };
	const char *s1[] = { "python3", "<module> (a.py:1)", "main (a.py:5)", "hot (a.py:9)" };
	const char *s2[] = { "python3", "<module> (a.py:1)", "main (a.py:6)", "warm (a.py:12)" };
	const char *s3[] = { "python3", "<module> (a.py:1)", "main (a.py:5)" };
	const char *s4[] = { "python3", "x;y", "n 1" };
	const char *s5[] = { "python3", "x:y", "n_1" }; /* same line as s4 once encoded */

	ASSERT_TRUE(f != NULL);
	ASSERT_OK(folded__add(f, s2, 4, 1));
	ASSERT_OK(folded__add(f, s1, 4, 3));
	ASSERT_OK(folded__add(f, s3, 3, 2));
	ASSERT_OK(folded__add(f, s1, 4, 4));
	ASSERT_OK(folded__add(f, s4, 3, 1));
	ASSERT_OK(folded__add(f, s5, 3, 1));
	ASSERT_EQ(folded__add(f, s1, 0, 1), -EINVAL);
	ASSERT_EQ(folded__nr_stacks(f), 4);
	ASSERT_EQ(folded__total(f), 12);
	ASSERT_OK(folded__render(f, &out));
	ASSERT_STREQ(out.buf, "python3;<module> (a.py:1);main (a.py:5) 2\n"
			      "python3;<module> (a.py:1);main (a.py:5);hot (a.py:9) 7\n"
			      "python3;<module> (a.py:1);main (a.py:6);warm (a.py:12) 1\n"
			      "python3;x:y;n_1 2\n");
	strbuf__done(&out);
	folded__free(f);
	folded__free(NULL);
}

TEST(many_stacks)
{
	struct folded *f = folded__new();
	struct strbuf out = { 0 };
	char a[32], b[32];
	const char *st[] = { "root", a, b };
	size_t lines = 0;

	/* Enough to rehash several times; each stack added twice. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 5000; i++) {
			snprintf(a, sizeof(a), "f%d", i % 97);
			snprintf(b, sizeof(b), "g%d", i);
			ASSERT_OK(folded__add(f, st, 3, 1));
		}
	}
	ASSERT_EQ(folded__nr_stacks(f), 5000);
	ASSERT_OK(folded__render(f, &out));
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
	folded__free(f);
}
