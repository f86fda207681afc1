// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for profclock: the wall-clock offset of the profiles' clock. */
#include <errno.h>
#include "testhelp.h"
#include "base/profclock.h"
#include "base/util.h"

TEST(offset_is_realtime_minus_the_middle_of_two_monotonic_readings)
{
	__u64 off = 0;

	ASSERT_OK(profclock__offset_of(100, 1000, 200, &off));
	ASSERT_EQ(off, 850ull);
	ASSERT_OK(profclock__offset_of(5, 6, 5, &off));
	ASSERT_EQ(off, 1ull);
}

TEST(a_wall_clock_behind_the_monotonic_one_falls_back)
{
	__u64 off = 0;

	ASSERT_EQ(profclock__offset_of(1000, 900, 1000, &off), -ERANGE);
	ASSERT_EQ(off, PROFCLOCK_FALLBACK_NS);
	ASSERT_EQ(profclock__offset_of(1000, 900, 10, &off), -ERANGE);
	ASSERT_EQ(off, PROFCLOCK_FALLBACK_NS);
}

/* The kept offset puts CLOCK_MONOTONIC on the wall clock (give a second for load). */
TEST(init_keeps_the_measured_offset)
{
	__u64 wall, prof;

	ASSERT_EQ(profclock__offset(), PROFCLOCK_FALLBACK_NS);
	ASSERT_OK(profclock__init());
	prof = clock_ns(CLOCK_MONOTONIC) + profclock__offset();
	wall = clock_ns(CLOCK_REALTIME);
	ASSERT_TRUE(prof + NSEC_PER_SEC > wall && prof < wall + NSEC_PER_SEC);
}
