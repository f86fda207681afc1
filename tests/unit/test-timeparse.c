// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for timeparse: --since/--until times, in fixed time zones. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "testhelp.h"
#include "base/timeparse.h"
#include "base/util.h"

#define SEC NSEC_PER_SEC
/* 2026-12-02T12:30:15.5Z */
#define NOW (1796214615ull * SEC + SEC / 2)

static void zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static __u64 at(const char *s)
{
	__u64 t = 0;
	int r = timeparse__instant(s, NOW, &t);

	if (r)
		TEST_FAIL("'%s': %d", s, r);
	return t;
}

static int err_of(const char *s)
{
	__u64 t = 7;
	int r = timeparse__instant(s, NOW, &t);

	ASSERT_EQ(t, 7ull);
	return r;
}

TEST(iso_8601_with_a_zone_is_that_instant_whatever_the_local_zone)
{
	zone("America/New_York");
	ASSERT_EQ(at("2026-12-02T12:30:15Z"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02t12:30:15z"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02 13:30:15+01:00"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02T07:30:15-0500"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02T14:30:15+02"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02T12:30Z"), 1796214600ull * SEC);
	ASSERT_EQ(at("2026-12-02T12:30:15.25Z"), 1796214615ull * SEC + SEC / 4);
	ASSERT_EQ(at("1970-01-01T00:00:00Z"), 0ull);
	ASSERT_EQ(at("2024-02-29T00:00:00Z"), 1709164800ull * SEC);
}

TEST(iso_8601_without_a_zone_is_local_time)
{
	zone("UTC");
	ASSERT_EQ(at("2026-12-02T12:30:15"), 1796214615ull * SEC);
	ASSERT_EQ(at("2026-12-02"), 1796169600ull * SEC);
	zone("Europe/Berlin");
	ASSERT_EQ(at("2026-12-02T13:30:15"), 1796214615ull * SEC);
	/* Summer time: +02:00. */
	ASSERT_EQ(at("2026-07-01T02:00:00"), at("2026-07-01T00:00:00Z"));
}

TEST(a_time_of_day_is_today_in_local_time)
{
	zone("UTC");
	ASSERT_EQ(at("12:30"), 1796214600ull * SEC);
	ASSERT_EQ(at("10:02:07"), 1796214615ull * SEC - (2 * 3600 + 28 * 60 + 8) * SEC);
	ASSERT_EQ(at("00:00"), 1796169600ull * SEC);
	/* In Tokyo it is 21:30 on the same day. */
	zone("Asia/Tokyo");
	ASSERT_EQ(at("21:30:15"), 1796214615ull * SEC);
}

TEST(relative_times_count_back_from_now)
{
	ASSERT_EQ(at("now"), NOW);
	ASSERT_EQ(at("-15m"), NOW - 900 * SEC);
	ASSERT_EQ(at("-90"), NOW - 90 * SEC);
	ASSERT_EQ(at("2h ago"), NOW - 7200 * SEC);
	ASSERT_EQ(at("1d ago"), NOW - 86400 * SEC);
	ASSERT_EQ(at("500ms ago"), NOW - SEC / 2);
}

TEST(bad_times_are_refused)
{
	static const char *const bad[] = {
		"", "yesterday", "now ", "Now", "-", "-x", "--5m", "ago", " ago", "5 ago x",
		"25:00", "12:60", "12:00:60", "1:00", "12:0", "12", "12:00:", "12:00:00.",
		"12:00Z", "2026-13-01", "2026-00-10", "2026-02-29", "2026-04-31", "2026-12-32",
		"2026-12-02T", "2026-12-02T12", "2026-12-02T12:30:15+24:00", "2026-12-02T12:30+1",
		"2026-12-02T12:30:15Zjunk", "2026-12-02X12:30", "26-12-02", "2026-1-02",
		"2026-12-02T12:30:15+01:00:00", "12:00 ago",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
	};

	zone("UTC");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (err_of(bad[i]) != -EINVAL)
			TEST_FAIL("'%s' accepted or not -EINVAL", bad[i]);
}

TEST(times_out_of_the_clock_are_refused)
{
	zone("UTC");
	ASSERT_EQ(err_of("1969-12-31T23:59:59Z"), -ERANGE);
	ASSERT_EQ(err_of("9999-12-31T00:00:00Z"), -ERANGE);
	ASSERT_EQ(at("1000d ago"), NOW - 1000ull * 86400 * SEC);
	ASSERT_EQ(err_of("36500d ago"), -ERANGE);
}
