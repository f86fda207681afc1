// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for nativemerge: eval frames replaced by their runs, truncated and unmatched stacks. */
#include <errno.h>
#include "testhelp.h"
#include "profile/nativemerge.h"

#define MARK 99

/* Python: f (leaf) called by g, both in one eval call, under main in an outer one. */
static const struct merge_py py[] = { { 1, false }, { 2, true }, { 3, true } };

TEST(full)
{
	/* sha (leaf), eval (f, g), call, eval (main), main (root). */
	const struct merge_native nat[] = { { 10, false }, { 11, true }, { 12, false },
					    { 13, true }, { 14, false } };
	const __u32 want[] = { 14, 3, 12, 2, 1, 10 };
	__u32 out[16];

	ASSERT_EQ(nativemerge(py, 3, nat, 5, false, MARK, out, 16), 6);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(out[i], want[i]);
}

TEST(truncated)
{
	/* The copy holds the leaf-most eval call only: main goes below a marker. */
	const struct merge_native nat[] = { { 10, false }, { 11, true }, { 12, false } };
	const __u32 want[] = { 3, MARK, 12, 2, 1, 10 };
	__u32 out[16];

	ASSERT_EQ(nativemerge(py, 3, nat, 3, true, MARK, out, 16), 6);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(out[i], want[i]);
}

TEST(unmatched)
{
	/* Three eval frames for two runs: no native frame is kept. */
	const struct merge_native nat[] = { { 10, false }, { 11, true }, { 12, true }, { 13, true } };
	const __u32 want[] = { 3, 2, 1, MARK };
	__u32 out[16];

	ASSERT_EQ(nativemerge(py, 3, nat, 4, false, MARK, out, 16), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(out[i], want[i]);
	ASSERT_EQ(nativemerge(py, 3, nat, 4, false, MARK, out, 2), -E2BIG);
	/* A truncated copy without an eval frame: the C frames' caller is not known. */
	ASSERT_EQ(nativemerge(py, 3, nat, 1, true, MARK, out, 16), 4);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(out[i], want[i]);
}
