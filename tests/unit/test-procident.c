// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for list's identity parts: command lines, start times, CPU shares, JSON of status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "profile/procident.h"
#include "render/infojson.h"

static void expect_cmdline(const char *raw, size_t len, bool cut, const char *want)
{
	char *got = NULL;

	ASSERT_OK(procident__cmdline(raw, len, cut, &got));
	ASSERT_STREQ(got, want);
	free(got);
}

TEST(cmdline_nuls_become_spaces)
{
	static const char raw[] = "python3.11\0-m\0http.server\0008000\0";

	expect_cmdline(raw, sizeof(raw) - 1, false, "python3.11 -m http.server 8000");
	/* Empty arguments stay (as spaces); trailing NULs go. */
	expect_cmdline("a\0\0b\0\0\0", 7, false, "a  b");
	/* A zombie's or a kernel thread's: empty. */
	expect_cmdline("", 0, false, "");
	expect_cmdline("\0\0", 2, false, "");
	/* setproctitle: no NULs at all. */
	expect_cmdline("worker: billing [idle]", 22, false, "worker: billing [idle]");
}

TEST(cmdline_other_bytes_kept_for_the_shower_to_escape)
{
	static const char raw[] = "p\x1b[2J\n\t\xff\xc2\x9b\0x";
	char *got = NULL;

	ASSERT_OK(procident__cmdline(raw, sizeof(raw) - 1, false, &got));
	ASSERT_EQ(strlen(got), sizeof(raw) - 1);
	ASSERT_TRUE(memcmp(got, "p\x1b[2J\n\t\xff\xc2\x9b x", sizeof(raw) - 1) == 0);
	free(got);
}

TEST(cmdline_cut_at_the_limit_and_marked)
{
	char *raw = malloc(3 * PROCIDENT_CMDLINE_MAX), *got = NULL;

	ASSERT_TRUE(raw != NULL);
	memset(raw, 'a', 3 * PROCIDENT_CMDLINE_MAX);
	/* Longer than the limit: cut there, whatever the caller said. */
	ASSERT_OK(procident__cmdline(raw, 3 * PROCIDENT_CMDLINE_MAX, false, &got));
	ASSERT_EQ(strlen(got), PROCIDENT_CMDLINE_MAX + strlen(PROCIDENT_CUT_MARK));
	ASSERT_STREQ(got + PROCIDENT_CMDLINE_MAX, PROCIDENT_CUT_MARK);
	free(got);
	/* Exactly the limit, nothing more in the file: whole, no mark. */
	ASSERT_OK(procident__cmdline(raw, PROCIDENT_CMDLINE_MAX, false, &got));
	ASSERT_EQ(strlen(got), PROCIDENT_CMDLINE_MAX);
	free(got);
	/* The reader saw more than it kept: marked. */
	ASSERT_OK(procident__cmdline(raw, 10, true, &got));
	ASSERT_STREQ(got, "aaaaaaaaaa" PROCIDENT_CUT_MARK);
	free(got);
	/* A cut through a character: the character goes, not half of it. */
	memcpy(raw + PROCIDENT_CMDLINE_MAX - 2, "\xe2\x82\xac", 3); /* U+20AC across the limit */
	ASSERT_OK(procident__cmdline(raw, PROCIDENT_CMDLINE_MAX + 1, false, &got));
	ASSERT_EQ(strlen(got), PROCIDENT_CMDLINE_MAX - 2 + strlen(PROCIDENT_CUT_MARK));
	ASSERT_STREQ(got + PROCIDENT_CMDLINE_MAX - 2, PROCIDENT_CUT_MARK);
	free(got);
	/* ... but ill-formed bytes are not a character: kept (escaped when shown). */
	memcpy(raw + PROCIDENT_CMDLINE_MAX - 2, "\xff\xfe", 2);
	ASSERT_OK(procident__cmdline(raw, PROCIDENT_CMDLINE_MAX + 1, false, &got));
	ASSERT_EQ(strlen(got), PROCIDENT_CMDLINE_MAX + strlen(PROCIDENT_CUT_MARK));
	free(got);
	free(raw);
}

TEST(start_wall_clock)
{
	const __u64 real = 1764645000ull * NSEC_PER_SEC, boot = 3600 * NSEC_PER_SEC;

	/* Started 1000.5 s after boot, booted an hour ago. */
	ASSERT_EQ(procident__start_wall_ns(100050, 100, real, boot),
		  real - boot + 1000500 * NSEC_PER_MSEC);
	ASSERT_EQ(procident__start_wall_ns(0, 100, real, boot), real - boot);
	/* A /proc that lies: after now, or no clock rate. */
	ASSERT_EQ(procident__start_wall_ns(360001, 100, real, boot), 0);
	ASSERT_EQ(procident__start_wall_ns(~0ull, 100, real, boot), 0);
	ASSERT_EQ(procident__start_wall_ns(5, 0, real, boot), 0);
	ASSERT_EQ(procident__start_wall_ns(5, -1, real, boot), 0);
	/* A boot clock ahead of the wall clock (a clock set to 1970). */
	ASSERT_EQ(procident__start_wall_ns(5, 100, boot - 1, boot), 0);
}

TEST(cpu_range_whole_windows_since_found)
{
	const __u64 w = 10 * NSEC_PER_SEC, s = NSEC_PER_SEC;
	__u64 from, to;

	/* Found long ago: the windows overlapping the last minute, from a window's start. */
	procident__cpu_range(1005 * s, 100 * s, w, PROCIDENT_CPU_SPAN_NS, &from, &to);
	ASSERT_EQ(from, 940 * s);
	ASSERT_EQ(to, 1005 * s);
	/* On a window boundary: exactly a minute. */
	procident__cpu_range(1000 * s, 100 * s, w, PROCIDENT_CPU_SPAN_NS, &from, &to);
	ASSERT_EQ(from, 940 * s);
	/* Found 7 s ago: those 7 s. */
	procident__cpu_range(1005 * s, 998 * s, w, PROCIDENT_CPU_SPAN_NS, &from, &to);
	ASSERT_EQ(from, 998 * s);
	ASSERT_EQ(to - from, 7 * s);
	/* Early in the clock: no underflow. */
	procident__cpu_range(5 * s, 0, w, PROCIDENT_CPU_SPAN_NS, &from, &to);
	ASSERT_EQ(from, 0);
	ASSERT_EQ(to, 5 * s);
}

TEST(cpu_permille)
{
	const __u64 period = NSEC_PER_SEC / 99, s = NSEC_PER_SEC;

	/* 99 Hz for 60 s, busy: one CPU. */
	ASSERT_EQ(procident__cpu_permille(99 * 60, period, 60 * s), 1000);
	/* Two busy threads: two CPUs, as top says 200%. */
	ASSERT_EQ(procident__cpu_permille(2 * 99 * 65, period, 65 * s), 2000);
	/* Idle. */
	ASSERT_EQ(procident__cpu_permille(0, period, 60 * s), 0);
	/* 3 samples of 10 ms in 60 s: 0.05%, rounded to 0.1% (1 per mille is 60 ms). */
	ASSERT_EQ(procident__cpu_permille(3, 10 * NSEC_PER_MSEC, 60 * s), 1);
	ASSERT_EQ(procident__cpu_permille(2, 10 * NSEC_PER_MSEC, 60 * s), 0);
	/* Half the time. */
	ASSERT_EQ(procident__cpu_permille(50, 10 * NSEC_PER_MSEC, s), 500);
	/* No span, and a count that would overflow 64 bits. */
	ASSERT_EQ(procident__cpu_permille(5, period, 0), 0);
	ASSERT_EQ(procident__cpu_permille(~0ull, NSEC_PER_SEC, 1), ~0ull);
}

TEST(json_ints)
{
	ASSERT_TRUE(infojson__is_int("0", 1));
	ASSERT_TRUE(infojson__is_int("-12", 3));
	ASSERT_TRUE(infojson__is_int("18446744073709551615", 20));
	ASSERT_TRUE(!infojson__is_int("", 0));
	ASSERT_TRUE(!infojson__is_int("-", 1));
	ASSERT_TRUE(!infojson__is_int("007", 3));
	ASSERT_TRUE(!infojson__is_int("1.5", 3));
	ASSERT_TRUE(!infojson__is_int("on", 2));
	ASSERT_TRUE(!infojson__is_int("1 2", 3));
}

TEST(status_json)
{
	static const char text[] = "version 0.1.0\nrate_hz 99\nneg -3\nlead 007\nempty\n"
				   "state_dir /a \"b\"\\c\x1b\xff\n\nlast 1";
	struct strbuf out = { 0 };

	ASSERT_OK(infojson__status(text, sizeof(text) - 1, &out));
	ASSERT_STREQ(out.buf, "{\n  \"version\": \"0.1.0\",\n  \"rate_hz\": 99,\n  \"neg\": -3,\n"
			      "  \"lead\": \"007\",\n  \"empty\": \"\",\n"
			      "  \"state_dir\": \"/a \\\"b\\\"\\\\c\\u001b\\ufffd\",\n"
			      "  \"last\": 1\n}\n");
	strbuf__reset(&out);
	ASSERT_OK(infojson__status("", 0, &out));
	ASSERT_STREQ(out.buf, "{}\n");
	strbuf__done(&out);
}
