// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for tables: per-function and per-line rankings. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "render/tables.h"
#include "render/units.h"

static const char profile[] =
	"py;<module> (/a.py:30);main (/a.py:28);hot (/a.py:17);spin (/a.py:11) 60\n"
	"py;<module> (/a.py:30);main (/a.py:28);hot (/a.py:17);spin (/a.py:12) 15\n"
	"py;<module> (/a.py:30);main (/a.py:29);warm (/a.py:21);spin (/a.py:11) 20\n"
	"py;<module> (/a.py:30);main (/a.py:29);warm (/a.py:21) 1\n"
	"py;rec (/b.py:5);rec (/b.py:5);rec (/b.py:6) 3\n"
	"py;[python: no Python frame] 1\n"
	"py;<module> (/a.py:30);main (/a.py:28);hot (/a.py:17);spin (/a.py:11);vfs_read_[k] 0\n";

/* The line of the table whose last column is name, as numbers. */
static void row(const char *table, const char *name, double *a, double *b)
{
	const char *p = strstr(table, name);

	if (!p)
		TEST_FAIL("no row '%s' in:\n%s", name, table);
	while (p > table && p[-1] != '\n')
		p--;
	if (sscanf(p, " %lf%% %lf%%", a, b) != 2)
		TEST_FAIL("unparsable row '%.60s'", p);
}

TEST(top)
{
	struct stackset ss = { 0 };
	struct table_opts o = { .sort = TABLE_SORT_OWN, .rate_hz = 100 };
	struct strbuf out = { 0 };
	double own, total;

	ASSERT_OK(stackset__parse_folded(&ss, profile, strlen(profile)));
	ASSERT_OK(table_top__render(&ss, &o, &out));
	/* 100 samples: spin owns 95, hot's total is 75, warm's 21 (own 1). */
	row(out.buf, "spin (/a.py)", &own, &total);
	ASSERT_EQ((int)(own * 100 + 0.5), 9500);
	ASSERT_EQ((int)(total * 100 + 0.5), 9500);
	row(out.buf, "hot (/a.py)", &own, &total);
	ASSERT_EQ((int)own, 0);
	ASSERT_EQ((int)(total + 0.5), 75);
	row(out.buf, "warm (/a.py)", &own, &total);
	ASSERT_EQ((int)(own + 0.5), 1);
	ASSERT_EQ((int)(total + 0.5), 21);
	/* Recursion counts once in total. */
	row(out.buf, "rec (/b.py)", &own, &total);
	ASSERT_EQ((int)(own + 0.5), 3);
	ASSERT_EQ((int)(total + 0.5), 3);
	row(out.buf, "[python: no Python frame]", &own, &total);
	ASSERT_EQ((int)(own + 0.5), 1);
	ASSERT_TRUE(strstr(out.buf, "vfs_read") == NULL);
	/* Sorted by own: spin first. */
	ASSERT_TRUE(strstr(out.buf, "spin (/a.py)") < strstr(out.buf, "rec (/b.py)"));
	ASSERT_TRUE(strstr(out.buf, "0.95s") != NULL);
	strbuf__reset(&out);
	o.max_rows = 2;
	o.sort = TABLE_SORT_TOTAL;
	ASSERT_OK(table_top__render(&ss, &o, &out));
	ASSERT_TRUE(strstr(out.buf, "<module> (/a.py)") && strstr(out.buf, "main (/a.py)"));
	ASSERT_TRUE(strstr(out.buf, "spin") == NULL);
	strbuf__done(&out);
	stackset__done(&ss);
}

/* top's %GIL: the share of a function's samples whose thread held the GIL. */
TEST(top_gil_share)
{
	struct stackset ss = { 0 };
	struct table_opts o = { .sort = TABLE_SORT_OWN, .gil = true };
	struct strbuf out = { 0 };
	const char *spin, *idle;
	double own, total, gil;
	__u32 ids[3];
	struct frame f[] = {
		{ .kind = FRAME_PROCESS, .name = "py", .line = -1, .func_line = -1 },
		{ .kind = FRAME_PYTHON, .name = "spin", .file = "/a.py", .line = 3, .func_line = 1 },
		{ .kind = FRAME_PYTHON, .name = "idle", .file = "/a.py", .line = 9, .func_line = 8 },
	};

	for (int i = 0; i < 3; i++)
		ASSERT_OK(stackset__frame(&ss, &f[i], &ids[i]));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_GIL, 3));
	ASSERT_OK(stackset__add(&ss, ids, 2, SAMPLE_ON_CPU, 1));
	ASSERT_OK(stackset__add(&ss, (__u32[]){ ids[0], ids[2] }, 2, SAMPLE_ON_CPU, 4));
	ASSERT_OK(table_top__render(&ss, &o, &out));
	ASSERT_TRUE(strstr(out.buf, "%GIL") != NULL);
	spin = strstr(out.buf, "spin (/a.py)");
	idle = strstr(out.buf, "idle (/a.py)");
	ASSERT_TRUE(spin && idle);
	row(out.buf, "spin (/a.py)", &own, &total);
	ASSERT_EQ((int)(own + 0.5), 50);
	while (spin > out.buf && spin[-1] != '\n')
		spin--;
	ASSERT_EQ(sscanf(spin, " %*f%% %*f%% %*u %*u %lf%%", &gil), 1);
	ASSERT_EQ((int)(gil + 0.5), 75);
	while (idle > out.buf && idle[-1] != '\n')
		idle--;
	ASSERT_EQ(sscanf(idle, " %*f%% %*f%% %*u %*u %lf%%", &gil), 1);
	ASSERT_EQ((int)(gil + 0.5), 0);
	/* No stack tagged: nothing is known of the GIL, "-" rather than 0% */
	stackset__done(&ss);
	strbuf__reset(&out);
	ASSERT_OK(stackset__parse_folded(&ss, profile, strlen(profile)));
	ASSERT_OK(table_top__render(&ss, &o, &out));
	ASSERT_TRUE(strstr(out.buf, "      -  spin (/a.py)") != NULL);
	strbuf__done(&out);
	stackset__done(&ss);
}

/* A time view's counts are ns: shown as times whatever the rate. */
TEST(times_in_a_time_view)
{
	static const char wall[] = "py;main (/a.py:3);nap (/a.py:9) 2000000000\n"
				   "py;main (/a.py:3);work (/a.py:5) 20000000\n";
	struct stackset ss = { 0 };
	struct table_opts o = { .sort = TABLE_SORT_OWN, .unit = VIEW_UNIT_NS, .rate_hz = 100 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, wall, strlen(wall)));
	ASSERT_OK(table_top__render(&ss, &o, &out));
	ASSERT_TRUE(strstr(out.buf, "OwnTime") != NULL);
	ASSERT_TRUE(strstr(out.buf, " 99.01%  99.01%     2.00s     2.00s  nap (/a.py)") != NULL);
	ASSERT_TRUE(strstr(out.buf, "  0.99%   0.99%     0.02s     0.02s  work (/a.py)") != NULL);
	strbuf__reset(&out);
	o.rate_hz = 0;
	ASSERT_OK(table_lines__render(&ss, &o, &out));
	ASSERT_TRUE(strstr(out.buf, "TotalTime") != NULL);
	ASSERT_TRUE(strstr(out.buf, "100.00%   0.00%     2.02s     0.00s  /a.py:3 (main)") != NULL);
	strbuf__done(&out);
	stackset__done(&ss);
}

/* How counts read in text, in every format that writes them as words. */
TEST(units)
{
	static const struct {
		enum view_unit unit;
		__u64 count;
		const char *want;
	} cases[] = {
		{ VIEW_UNIT_SAMPLES, 0, "0 samples" },	{ VIEW_UNIT_SAMPLES, 1, "1 sample" },
		{ VIEW_UNIT_SAMPLES, 12, "12 samples" }, { VIEW_UNIT_NS, 0, "0 ns" },
		{ VIEW_UNIT_NS, 999, "999 ns" },	{ VIEW_UNIT_NS, 1000, "1.00 us" },
		{ VIEW_UNIT_NS, 12345, "12.3 us" },	{ VIEW_UNIT_NS, 999499, "999 us" },
		{ VIEW_UNIT_NS, 999500, "1.00 ms" },	{ VIEW_UNIT_NS, 4560000, "4.56 ms" },
		{ VIEW_UNIT_NS, 2000000000, "2.00 s" }, { VIEW_UNIT_NS, 61234567890, "61.2 s" },
		{ VIEW_UNIT_NS, 3600000000000, "3600 s" },
		{ VIEW_UNIT_NS, UINT64_MAX, "18446744074 s" },
	};
	struct strbuf out = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf__reset(&out);
		ASSERT_OK(units__put(&out, cases[i].unit, cases[i].count));
		ASSERT_STREQ(out.buf, cases[i].want);
	}
	ASSERT_STREQ(units__what(VIEW_MODE_WALL), "wall-clock time");
	ASSERT_TRUE(units__what(VIEW_MODE__MAX) == NULL);
	strbuf__done(&out);
}

TEST(lines)
{
	char dir[] = "/tmp/pyproftest-lines.XXXXXX", path[64];
	struct stackset ss = { 0 };
	struct table_opts o = { .sort = TABLE_SORT_TOTAL, .source = true };
	struct strbuf out = { 0 };
	const char *text;
	double total, own;
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a.py", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	for (int i = 1; i <= 40; i++)
		fprintf(f, "    source of line %d\n", i);
	fclose(f);
	text = "py;<module> (DIR/a.py:30);hot (DIR/a.py:17);spin (DIR/a.py:11) 6\n"
	       "py;<module> (DIR/a.py:30);hot (DIR/a.py:17);spin (DIR/a.py:12) 2\n"
	       "py;<module> (DIR/a.py:30);loop (DIR/a.py:11);loop (DIR/a.py:11) 2\n";
	{
		struct strbuf t = { 0 };

		for (const char *p = text; *p; p++) {
			if (strncmp(p, "DIR", 3) == 0) {
				ASSERT_OK(strbuf__puts(&t, dir));
				p += 2;
			} else {
				ASSERT_OK(strbuf__append(&t, p, 1));
			}
		}
		ASSERT_OK(stackset__parse_folded(&ss, t.buf, t.len));
		strbuf__done(&t);
	}
	ASSERT_OK(table_lines__render(&ss, &o, &out));
	/* Line 11: spin's leaf in 6 and loop's in 2 (recursion once): total 8, own 8. */
	row(out.buf, "a.py:11 (", &total, &own);
	ASSERT_EQ((int)(total + 0.5), 80);
	ASSERT_EQ((int)(own + 0.5), 80);
	row(out.buf, "a.py:17 (", &total, &own);
	ASSERT_EQ((int)(total + 0.5), 80);
	ASSERT_EQ((int)own, 0);
	row(out.buf, "a.py:30 (", &total, &own);
	ASSERT_EQ((int)(total + 0.5), 100);
	ASSERT_TRUE(strstr(out.buf, "a.py:17 (hot)  source of line 17\n") != NULL);
	ASSERT_TRUE(strstr(out.buf, "a.py:11 (spin)") || strstr(out.buf, "a.py:11 (loop)"));
	strbuf__done(&out);
	stackset__done(&ss);
	unlink(path);
	rmdir(dir);
}

/* Names of files from other users' processes: only world-readable regular files are read. */
TEST(lines_source_only_from_public_files)
{
	char dir[] = "/tmp/pyproftest-src.XXXXXX", priv[64], fifo[64], text[256];
	struct table_opts o = { .sort = TABLE_SORT_TOTAL, .source = true };
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(priv, sizeof(priv), "%s/secret.py", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.py", dir);
	f = fopen(priv, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "root:SECRET:19000::::::\n");
	fclose(f);
	ASSERT_OK(chmod(priv, 0600));
	ASSERT_OK(mkfifo(fifo, 0644));
	snprintf(text, sizeof(text), "py;f (%s:1) 3\npy;g (%s:1) 2\npy;h (/dev/zero:1) 1\n", priv,
		 fifo);
	ASSERT_OK(stackset__parse_folded(&ss, text, strlen(text)));
	alarm(20); /* a FIFO or /dev/zero read would hang here */
	ASSERT_OK(table_lines__render(&ss, &o, &out));
	alarm(0);
	ASSERT_TRUE(strstr(out.buf, "secret.py:1 (f)") != NULL);
	ASSERT_TRUE(strstr(out.buf, "SECRET") == NULL);
	strbuf__done(&out);
	stackset__done(&ss);
	unlink(priv);
	unlink(fifo);
	rmdir(dir);
}

TEST(empty)
{
	struct stackset ss = { 0 };
	struct table_opts o = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, "", 0));
	ASSERT_OK(table_top__render(&ss, &o, &out));
	ASSERT_OK(table_lines__render(&ss, &o, &out));
	strbuf__done(&out);
	stackset__done(&ss);
}

/* pyprofctl --threads: a thread level is not a function of its own. */
TEST(top_threads_are_no_rows)
{
	static const char text[] = "py;thread 7;hot (/a.py:17) 5\npy;thread 8;hot (/a.py:17) 3\n"
				   "py;thread 8 1\n";
	struct stackset ss = { 0 };
	struct table_opts o = { .sort = TABLE_SORT_OWN };
	struct strbuf out = { 0 };
	double own, total;

	ASSERT_OK(stackset__parse_folded(&ss, text, strlen(text)));
	ASSERT_EQ(ss.frames[stack__ids(&ss, &ss.stacks[0])[1]].kind, FRAME_THREAD);
	ASSERT_OK(table_top__render(&ss, &o, &out));
	row(out.buf, "hot", &own, &total);
	ASSERT_TRUE(own > 88 && own < 89);
	ASSERT_TRUE(!strstr(out.buf, "thread"));
	strbuf__done(&out);
	stackset__done(&ss);
}
