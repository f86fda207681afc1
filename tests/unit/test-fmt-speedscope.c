// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_speedscope: Python's strict JSON parser reads back what it writes. */
#include <errno.h>
#include <unistd.h>
#include "testhelp.h"
#include "render/formats.h"
#include "base/strbuf.h"

/*
 * Loads the file strictly (UTF-8, no NaN), checks the invariants of the
 * schema and prints a summary: a header line, one "F" line per frame and one
 * "S" line per sample with its stack as frame names.
 */
static const char checker[] =
	"import json, sys\n"
	"def bad(c): raise ValueError('non-JSON constant ' + c)\n"
	"with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
	"    d = json.load(f, parse_constant=bad)\n"
	"assert d['$schema'] == 'https://www.speedscope.app/file-format-schema.json', d\n"
	"assert set(d) == {'$schema', 'shared', 'profiles', 'name', 'activeProfileIndex',\n"
	"                  'exporter'}, set(d)\n"
	"frames = d['shared']['frames']\n"
	"for fr in frames:\n"
	"    assert set(fr) <= {'name', 'file', 'line'} and 'name' in fr, fr\n"
	"    assert isinstance(fr.get('line', 1), int), fr\n"
	"assert len(d['profiles']) == 1\n"
	"p = d['profiles'][0]\n"
	"assert set(p) == {'type', 'name', 'unit', 'startValue', 'endValue', 'samples',\n"
	"                  'weights'}, set(p)\n"
	"assert len(p['samples']) == len(p['weights'])\n"
	"assert sum(p['weights']) == p['endValue']\n"
	"print(ascii(d['name']), ascii(p['name']), p['type'], p['unit'], p['startValue'],\n"
	"      p['endValue'], d['activeProfileIndex'], d['exporter'])\n"
	"for fr in frames:\n"
	"    print('F', ascii(fr['name']), ascii(fr.get('file')), fr.get('line'))\n"
	"for s, w in zip(p['samples'], p['weights']):\n"
	"    assert all(isinstance(i, int) and 0 <= i < len(frames) for i in s), s\n"
	"    print('S', ';'.join(frames[i]['name'] for i in s), w)\n";

/* Renders folded through fmt_speedscope and returns the checker's summary (malloc'd). */
static char *check(const char *folded, const struct fmt_meta *m)
{
	char json[] = "/tmp/test-fmt-speedscope.XXXXXX";
	char script[] = "/tmp/test-fmt-speedscope.XXXXXX";
	struct stackset ss = { 0 };
	struct strbuf out = { 0 }, res = { 0 }, cmd = { 0 };
	char buf[4096];
	size_t n;
	FILE *p;
	int fd, st;

	if (access("/usr/bin/python3", X_OK))
		TEST_SKIP("no /usr/bin/python3");
	ASSERT_OK(stackset__parse_folded(&ss, folded, strlen(folded)));
	ASSERT_OK(fmt_speedscope__render(&ss, m, &out));
	stackset__done(&ss);
	fd = mkstemp(json);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, out.buf, out.len), (ssize_t)out.len);
	close(fd);
	fd = mkstemp(script);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, checker, strlen(checker)), (ssize_t)strlen(checker));
	close(fd);
	ASSERT_OK(strbuf__printf(&cmd, "/usr/bin/python3 %s %s", script, json));
	p = popen(cmd.buf, "r");
	ASSERT_TRUE(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		ASSERT_OK(strbuf__append(&res, buf, n));
	st = pclose(p);
	unlink(json);
	unlink(script);
	if (st != 0)
		TEST_FAIL("python3 rejected the output (status %d):\n%s", st, out.buf);
	strbuf__done(&out);
	strbuf__done(&cmd);
	return strbuf__detach(&res, NULL);
}

static const char folded[] =
	"python3;<module> (/app/main.py:30);Worker.run (/app/w.py:12);hot (/app/w.py:5) 70\n"
	"python3;<module> (/app/main.py:30);Worker.run (/app/w.py:14);"
	"read_[k];do_syscall_64_[k] 20\n"
	"python3;[python: no Python frame] 9\n"
	"python3;<module> (/app/main.py:31);hot (/app/w.py:5) 1\n";

TEST(nanoseconds)
{
	struct fmt_meta m = { .rate_hz = 100, .comm = "python3", .pid = 42 };
	char *got = check(folded, &m);

	ASSERT_STREQ(got,
		     "'python3 (pid 42)' 'python3 (pid 42)' "
		     "sampled nanoseconds 0 1000000000 0 pyprof\n"
		     "F 'python3' None None\n"
		     "F '<module>' '/app/main.py' 30\n"
		     "F 'Worker.run' '/app/w.py' 12\n"
		     "F 'hot' '/app/w.py' 5\n"
		     "F 'Worker.run' '/app/w.py' 14\n"
		     "F 'read' '[kernel]' None\n"
		     "F 'do_syscall_64' '[kernel]' None\n"
		     "F '[python: no Python frame]' None None\n"
		     "F '<module>' '/app/main.py' 31\n"
		     "S python3;<module>;Worker.run;hot 700000000\n"
		     "S python3;<module>;Worker.run;read;do_syscall_64 200000000\n"
		     "S python3;[python: no Python frame] 90000000\n"
		     "S python3;<module>;hot 10000000\n");
	free(got);
}

TEST(unknown_rate)
{
	const char *head = "'pyprof profile' 'pyprof profile' sampled none 0 100 0 pyprof\n";
	char *got = check(folded, NULL);

	ASSERT_TRUE(!strncmp(got, head, strlen(head)));
	ASSERT_TRUE(strstr(got, "S python3;<module>;Worker.run;hot 70\n"));
	ASSERT_TRUE(strstr(got, "S python3;<module>;hot 1\n"));
	free(got);
}

TEST(odd_rate_sums)
{
	/* 1e9 / 99 is no integer: each weight rounds, endValue is still their sum. */
	struct fmt_meta m = { .rate_hz = 99, .pid = 7 };
	char *got = check("p;a 1\np;b 2\np;c 3\n", &m);

	ASSERT_TRUE(strstr(got, "'pid 7' 'pid 7' sampled nanoseconds 0 60606060 0 pyprof\n"));
	ASSERT_TRUE(strstr(got, "S p;a 10101010\n"));
	ASSERT_TRUE(strstr(got, "S p;b 20202020\n"));
	ASSERT_TRUE(strstr(got, "S p;c 30303030\n"));
	free(got);
}

/* A time view's counts are ns already: weights as they are, the view in the name. */
TEST(time_view)
{
	struct fmt_meta m = { .rate_hz = 100, .pid = 7, .mode = VIEW_MODE_OFFCPU };
	char *got = check("p;a 2000000000\np;b 850\n", &m);

	ASSERT_TRUE(strstr(got, "'pid 7, off-CPU time' 'pid 7, off-CPU time' sampled nanoseconds "
				"0 2000000850 0 pyprof\n"));
	ASSERT_TRUE(strstr(got, "S p;a 2000000000\n"));
	ASSERT_TRUE(strstr(got, "S p;b 850\n"));
	free(got);
}

/* Samples whose time would pass 2^64 ns are weighed as samples, not wrapped. */
TEST(huge_counts_stay_samples)
{
	struct fmt_meta m = { .rate_hz = 99, .pid = 7 };
	char *got = check("p;a 9223372036854775807\np;b 9223372036854775808\n", &m);

	ASSERT_TRUE(strstr(got, "sampled none 0 18446744073709551615 0 pyprof\n"));
	ASSERT_TRUE(strstr(got, "S p;b 9223372036854775808\n"));
	free(got);
}

TEST(root_is_no_kernel_frame)
{
	char *got = check("x_[k];x_[k] 1\n", NULL);

	ASSERT_TRUE(strstr(got, "F 'x_[k]' None None\nF 'x' '[kernel]' None\n"));
	ASSERT_TRUE(strstr(got, "S x_[k];x 1\n"));
	free(got);
}

TEST(escaping)
{
	struct fmt_meta m = { .comm = "a\"b\\c\n" };
	/* quote, backslash, control, valid 2/3/4-byte UTF-8, then invalid bytes:
	 * a stray continuation, an overlong '/', a surrogate, a truncated sequence. */
	const char *text = "p;q\"b\\s\x01t\x1f (f\xc3\xa9.py:3);\xe2\x82\xac\xf0\x9f\x98\x80 1\n"
			   "p;\x80;\xc0\xaf;\xed\xa0\x80;\xe2\x82 2\n";
	char *got = check(text, &m);

	ASSERT_TRUE(!strncmp(got, "'a\"b\\\\c\\n' ", strlen("'a\"b\\\\c\\n' ")));
	ASSERT_TRUE(strstr(got, "F 'q\"b\\\\s\\x01t\\x1f' 'f\\xe9.py' 3\n"));
	ASSERT_TRUE(strstr(got, "F '\\u20ac\\U0001f600' None None\n"));
	ASSERT_TRUE(strstr(got, "F '\\ufffd' None None\n"));
	ASSERT_TRUE(strstr(got, "F '\\ufffd\\ufffd' None None\n"));
	ASSERT_TRUE(strstr(got, "F '\\ufffd\\ufffd\\ufffd' None None\n"));
	free(got);
}

TEST(empty)
{
	struct fmt_meta m = { .rate_hz = 99 };
	char *got = check("", &m);

	ASSERT_STREQ(got, "'pyprof profile' 'pyprof profile' sampled nanoseconds 0 0 0 pyprof\n");
	free(got);
}

TEST(appends)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, folded, strlen(folded)));
	ASSERT_OK(strbuf__puts(&out, "x"));
	ASSERT_OK(fmt_speedscope__render(&ss, NULL, &out));
	ASSERT_TRUE(!strncmp(out.buf, "x{\"$schema\":", 12));
	ASSERT_EQ(out.buf[out.len - 1], '\n');
	strbuf__done(&out);
	stackset__done(&ss);
}

TEST(many_frames)
{
	struct strbuf text = { 0 };
	struct fmt_meta m = { .rate_hz = 1000 };
	char *got;

	/* More distinct frames than the first table holds. */
	for (int i = 0; i < 600; i++)
		ASSERT_OK(strbuf__printf(&text, "p;f%d (m.py:%d);g (m.py:1) 1\n", i, i + 1));
	got = check(text.buf, &m);
	ASSERT_TRUE(strstr(got, "sampled nanoseconds 0 600000000 0 pyprof\n"));
	ASSERT_TRUE(strstr(got, "F 'f599' 'm.py' 600\n"));
	ASSERT_TRUE(strstr(got, "S p;f599;g 1000000\n"));
	free(got);
	strbuf__done(&text);
}
