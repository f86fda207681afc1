// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_diff: difffolded.pl's two-count lines, union, order and normalisation. */
#include <errno.h>
#include "testhelp.h"
#include "render/fmt_diff.h"
#include "profile/stacks.h"
#include "base/strbuf.h"

/* The differential folded text of folded texts a and b (caller frees). */
static char *diff(const char *a, const char *b, bool normalize)
{
	struct stackset sa = { 0 }, sb = { 0 };
	struct strbuf out = { 0 };
	int err;

	ASSERT_OK(stackset__parse_folded(&sa, a, strlen(a)));
	ASSERT_OK(stackset__parse_folded(&sb, b, strlen(b)));
	err = fmt_diff__render(&sa, &sb, normalize, &out);
	stackset__done(&sa);
	stackset__done(&sb);
	ASSERT_OK(err);
	return out.buf ? strbuf__detach(&out, NULL) : strdup("");
}

#define ASSERT_DIFF(a, b, normalize, want)                                       \
	do {                                                                     \
		char *_got = diff(a, b, normalize);                              \
		ASSERT_STREQ(_got, want);                                        \
		free(_got);                                                      \
	} while (0)

TEST(union_of_stacks)
{
	ASSERT_DIFF("p;main;a 5\np;main;b 3\n", "p;main;c 2\np;main;b 4\n", false,
		    "p;main;a 5 0\np;main;b 3 4\np;main;c 0 2\n");
	/* a stack only one side has, either side */
	ASSERT_DIFF("p;x 1\n", "", false, "p;x 1 0\n");
	ASSERT_DIFF("", "p;x 1\n", false, "p;x 0 1\n");
	ASSERT_DIFF("", "", false, "");
	/* equal stacks merge within a side, as difffolded.pl's += does */
	ASSERT_DIFF("p;x 1\np;x 2\n", "p;x 4\n", false, "p;x 3 4\n");
	/* a count of 0 stays a line */
	ASSERT_DIFF("p;x 0\n", "p;y 1\n", false, "p;x 0 0\np;y 0 1\n");
}

/* Sorted by the stack, not the line: "p;a 5" sorts after "p;a 1x 2" as text. */
TEST(sorted_by_stack)
{
	ASSERT_DIFF("p;a 1x 2\np;a 5\n", "p;a 3\np;a 1x 1\n", false, "p;a 5 3\np;a 1x 2 1\n");
	ASSERT_DIFF("q;z 1\np;b 1\n", "p;a 1\nr 1\n", false, "p;a 0 1\np;b 1 0\nq;z 1 0\nr 0 1\n");
}

/* Names as fmt_folded encodes them: the same text on both sides is one stack. */
TEST(encoded_names)
{
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf out = { 0 };
	struct frame root = { .kind = FRAME_PROCESS, .name = "p", .line = FRAME_LINE_NONE,
			      .func_line = FRAME_LINE_NONE };
	struct frame semi = { .kind = FRAME_OTHER, .name = "x;y", .line = FRAME_LINE_NONE,
			      .func_line = FRAME_LINE_NONE };
	struct frame colon = semi;
	__u32 ids[2];

	colon.name = "x:y";
	ASSERT_OK(stackset__frame(&a, &root, &ids[0]));
	ASSERT_OK(stackset__frame(&a, &semi, &ids[1]));
	ASSERT_OK(stackset__add(&a, ids, 2, 0, 2));
	ASSERT_OK(stackset__frame(&a, &colon, &ids[1]));
	ASSERT_OK(stackset__add(&a, ids, 2, 0, 3));
	ASSERT_OK(stackset__frame(&b, &root, &ids[0]));
	ASSERT_OK(stackset__frame(&b, &colon, &ids[1]));
	ASSERT_OK(stackset__add(&b, ids, 2, 0, 7));
	ASSERT_OK(fmt_diff__render(&a, &b, false, &out));
	ASSERT_STREQ(out.buf, "p;x:y 5 7\n");
	strbuf__done(&out);
	stackset__done(&a);
	stackset__done(&b);
}

/* difffolded.pl -n: int(countA * totalB / totalA), when the totals differ. */
TEST(normalize)
{
	ASSERT_DIFF("p;x 3\np;y 7\n", "p;x 15\np;y 5\n", true, "p;x 6 15\np;y 14 5\n");
	/* rounded down: 1 * 1 / 3 */
	ASSERT_DIFF("p;x 1\np;y 2\n", "p;x 1\n", true, "p;x 0 1\np;y 0 0\n");
	/* not asked, equal totals, or an empty side: as sampled */
	ASSERT_DIFF("p;x 3\np;y 7\n", "p;x 15\np;y 5\n", false, "p;x 3 15\np;y 7 5\n");
	ASSERT_DIFF("p;x 3\n", "p;y 3\n", true, "p;x 3 0\np;y 0 3\n");
	ASSERT_DIFF("p;x 3\n", "", true, "p;x 3 0\n");
	ASSERT_DIFF("", "p;x 3\n", true, "p;x 0 3\n");
	/* exact past 2^64 in the product: 2^40 * 2^50 / 2^41 */
	ASSERT_DIFF("p;x 1099511627776\np;y 1099511627776\n", "p;x 1125899906842624\n", true,
		    "p;x 562949953421312 1125899906842624\np;y 562949953421312 0\n");
}

/* The two columns add up to the totals, each stack once: what flamegraph.pl sums. */
TEST(columns_sum_to_totals)
{
	char *text = diff("p;a;b 4\np;a 3\np;c 1\np;a;b 2\n", "p;a 9\np;d;e 2\n", false);
	unsigned long long ta = 0, tb = 0, ca, cb;
	size_t lines = 0;

	for (char *p = text; *p; lines++) {
		char *nl = strchr(p, '\n'), *sp;

		ASSERT_TRUE(nl);
		*nl = '\0';
		sp = strrchr(p, ' ');
		ASSERT_TRUE(sp && sscanf(sp, " %llu", &cb) == 1);
		*sp = '\0';
		sp = strrchr(p, ' ');
		ASSERT_TRUE(sp && sscanf(sp, " %llu", &ca) == 1);
		ta += ca;
		tb += cb;
		p = nl + 1;
	}
	ASSERT_EQ(lines, 4);
	ASSERT_EQ(ta, 10);
	ASSERT_EQ(tb, 11);
	free(text);
}

TEST(appends_and_checks_args)
{
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&a, "p;a 1\n", 6));
	ASSERT_OK(stackset__parse_folded(&b, "p;b 2\n", 6));
	ASSERT_OK(strbuf__puts(&out, "head\n"));
	ASSERT_OK(fmt_diff__render(&a, &b, false, &out));
	ASSERT_STREQ(out.buf, "head\np;a 1 0\np;b 0 2\n");
	ASSERT_EQ(fmt_diff__render(NULL, &b, false, &out), -EINVAL);
	ASSERT_EQ(fmt_diff__render(&a, NULL, false, &out), -EINVAL);
	ASSERT_EQ(fmt_diff__render(&a, &b, false, NULL), -EINVAL);
	/* counts set by hand past 2^64 (the parser refuses such a sum): refused, out kept */
	strbuf__reset(&out);
	ASSERT_OK(strbuf__puts(&out, "head"));
	stackset__done(&a);
	ASSERT_OK(stackset__parse_folded(&a, "p;a 1\np;c 1\n", 12));
	a.stacks[0].count = ~0ull;
	ASSERT_EQ(fmt_diff__render(&a, &b, true, &out), -EINVAL);
	ASSERT_STREQ(out.buf, "head");
	strbuf__done(&out);
	stackset__done(&a);
	stackset__done(&b);
}
