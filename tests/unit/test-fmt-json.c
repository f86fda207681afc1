// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for fmt_json: schema, frame deduplication and strict string escaping. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include "testhelp.h"
#include "render/formats.h"
#include "profile/stacks.h"
#include "base/strbuf.h"

static char *render(const char *folded, const struct fmt_meta *m)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };
	int err;

	ASSERT_OK(stackset__parse_folded(&ss, folded, strlen(folded)));
	err = fmt_json__render(&ss, m, &out);
	stackset__done(&ss);
	ASSERT_OK(err);
	ASSERT_TRUE(out.buf);
	return strbuf__detach(&out, NULL);
}

/*
 * Runs the Python statements in check (no single quotes) with d = the parsed json, strictly
 * decoded as UTF-8; true when they raise nothing.
 */
static int python_accepts(const char *json, const char *check)
{
	struct strbuf cmd = { 0 };
	FILE *p;
	int st;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		TEST_SKIP("python3 not found");
	signal(SIGPIPE, SIG_IGN);
	ASSERT_OK(strbuf__printf(&cmd,
				 "python3 -c 'import json, sys\n"
				 "d = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))\n%s'",
				 check));
	p = popen(cmd.buf, "w");
	strbuf__done(&cmd);
	if (!p)
		return 0;
	fwrite(json, 1, strlen(json), p);
	st = pclose(p);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static const char profile[] =
	"python3;<module> (/app/main.py:30);hot (/app/w.py:5) 7\n"
	"python3;<module> (/app/main.py:30);read_[k];do_syscall_64_[k] 2\n"
	"python3;[python: no Python frame] 1\n"
	/* equal to the first line: merged by the parser */
	"python3;<module> (/app/main.py:30);hot (/app/w.py:5) 3\n"
	"python3;lambda (<frozen x>);native 4\n";

TEST(exact)
{
	struct fmt_meta m = { .pid = 42, .comm = "python3", .seconds = 10, .rate_hz = 99,
			      .end_unix_ns = 1700000000000000000ull };
	char *json = render(profile, &m);

	ASSERT_STREQ(json, "{\"version\":1,\"pid\":42,\"comm\":\"python3\",\"seconds\":10,\"duration_ns\":10000000000,"
			   "\"rate_hz\":99,\"mode\":\"cpu\",\"unit\":\"samples\",\"period_ns\":0,"
			   "\"total\":17,\"from\":\"2023-11-14T22:13:10.000000000Z\","
			   "\"to\":\"2023-11-14T22:13:20.000000000Z\",\n"
			   "\"frames\":[\n"
			   "{\"name\":\"python3\",\"kind\":\"process\"},\n"
			   "{\"name\":\"<module>\",\"kind\":\"python\",\"file\":\"/app/main.py\","
			   "\"line\":30},\n"
			   "{\"name\":\"hot\",\"kind\":\"python\",\"file\":\"/app/w.py\","
			   "\"line\":5},\n"
			   "{\"name\":\"read\",\"kind\":\"kernel\"},\n"
			   "{\"name\":\"do_syscall_64\",\"kind\":\"kernel\"},\n"
			   "{\"name\":\"[python: no Python frame]\",\"kind\":\"marker\"},\n"
			   "{\"name\":\"lambda\",\"kind\":\"python\",\"file\":\"<frozen x>\"},\n"
			   "{\"name\":\"native\",\"kind\":\"other\"}],\n"
			   "\"stacks\":[\n"
			   "{\"frames\":[0,1,2],\"count\":10},\n"
			   "{\"frames\":[0,1,3,4],\"count\":2},\n"
			   "{\"frames\":[0,5],\"count\":1},\n"
			   "{\"frames\":[0,6,7],\"count\":4}]}\n");
	free(json);
}

/* A time view says its mode, its unit and the period it turned samples into time with. */
TEST(time_view)
{
	struct fmt_meta m = { .pid = 42, .mode = VIEW_MODE_WALL, .period_ns = 10101010 };
	char *json = render("p;f (a.py:1) 2000000000\n", &m);

	ASSERT_TRUE(strstr(json, "\"mode\":\"wall\",\"unit\":\"nanoseconds\","
				 "\"period_ns\":10101010,\"total\":2000000000,"));
	ASSERT_TRUE(strstr(json, "\"count\":2000000000}"));
	free(json);
	m.mode = VIEW_MODE_GIL;
	json = render("p;f (a.py:1) 3\n", &m);
	ASSERT_TRUE(strstr(json, "\"mode\":\"gil\",\"unit\":\"samples\","));
	free(json);
}

TEST(parsed)
{
	struct fmt_meta m = { .pid = 42, .comm = "python3", .seconds = 10, .rate_hz = 99 };
	char *json = render(profile, &m);

	ASSERT_TRUE(python_accepts(json,
		"assert d[\"version\"] == 1 and d[\"pid\"] == 42 and d[\"comm\"] == \"python3\"\n"
		"assert d[\"seconds\"] == 10 and d[\"rate_hz\"] == 99 and d[\"total\"] == 17\n"
		"assert sum(s[\"count\"] for s in d[\"stacks\"]) == d[\"total\"]\n"
		"f = d[\"frames\"]\n"
		"kinds = [x[\"kind\"] for x in f]\n"
		"assert kinds == [\"process\", \"python\", \"python\", \"kernel\", \"kernel\",\n"
		"                 \"marker\", \"python\", \"other\"], kinds\n"
		"assert f[2] == {\"name\": \"hot\", \"kind\": \"python\",\n"
		"                \"file\": \"/app/w.py\", \"line\": 5}, f[2]\n"
		"assert \"file\" not in f[3] and \"line\" not in f[3]\n"
		"assert f[6][\"file\"] == \"<frozen x>\" and \"line\" not in f[6]\n"
		"names = [\";\".join(f[i][\"name\"] for i in s[\"frames\"])\n"
		"         for s in d[\"stacks\"]]\n"
		"assert names[1] == \"python3;<module>;read;do_syscall_64\", names\n"
		"assert names[3] == \"python3;lambda;native\", names\n"
		"assert len(set(json.dumps(x, sort_keys=True) for x in f)) == len(f)\n"));
	free(json);
}

TEST(dedup_by_parts)
{
	/* Same text as root and below it: two kinds.  "(m.py)" and "(m.py:0)": one frame. */
	char *json = render("f (a.py:1);f (a.py:1);g (m.py) 1\nf (a.py:1);g (m.py:0) 2\n", NULL);

	ASSERT_TRUE(strstr(json, "\"frames\":[\n"
				 "{\"name\":\"f (a.py:1)\",\"kind\":\"process\"},\n"
				 "{\"name\":\"f\",\"kind\":\"python\",\"file\":\"a.py\","
				 "\"line\":1},\n"
				 "{\"name\":\"g\",\"kind\":\"python\",\"file\":\"m.py\"}],\n"));
	ASSERT_TRUE(strstr(json, "{\"frames\":[0,1,2],\"count\":1},\n"
				 "{\"frames\":[0,2],\"count\":2}]}"));
	free(json);
}

TEST(escaping)
{
	struct fmt_meta m = { .comm = "a\"b\\c\n" };
	const char *text = "p\x01\x1f\x7f;f \"q\" \\ (a\\b.py:3);\xff\xc3\xa9\xc0\xaf x\xe2\x82;"
			   "t\tab;s\xed\xa0\x80;\xf0\x9f\x90\x8d\xf4\x90\x80\x80\xef\xbf\xbe 5\n";
	char *json = render(text, &m);

	ASSERT_TRUE(strstr(json, "\"comm\":\"a\\\"b\\\\c\\u000a\""));
	ASSERT_TRUE(strstr(json, "{\"name\":\"p\\u0001\\u001f\\u007f\",\"kind\":\"process\"}"));
	ASSERT_TRUE(strstr(json, "{\"name\":\"f \\\"q\\\" \\\\\",\"kind\":\"python\","
				 "\"file\":\"a\\\\b.py\",\"line\":3}"));
	ASSERT_TRUE(strstr(json, "{\"name\":\"\\ufffd\xc3\xa9\\ufffd\\ufffd x\\ufffd\","
				 "\"kind\":\"other\"}"));
	ASSERT_TRUE(strstr(json, "{\"name\":\"t\\u0009ab\""));
	ASSERT_TRUE(strstr(json, "{\"name\":\"s\\ufffd\\ufffd\\ufffd\""));
	/* U+10FFFF is the last code point: F4 90 is past it.  U+FFFE is valid UTF-8. */
	ASSERT_TRUE(strstr(json, "{\"name\":\"\xf0\x9f\x90\x8d\\ufffd\\ufffd\\ufffd\\ufffd"
				 "\xef\xbf\xbe\""));
	ASSERT_TRUE(python_accepts(json,
		"f = d[\"frames\"]\n"
		"assert d[\"comm\"] == \"a\\\"b\\\\c\\n\", d[\"comm\"]\n"
		"assert f[0][\"name\"] == \"p\\x01\\x1f\\x7f\"\n"
		"assert f[1][\"name\"] == \"f \\\"q\\\" \\\\\"\n"
		"assert f[1][\"file\"] == \"a\\\\b.py\"\n"
		"assert f[2][\"name\"] == \"\\ufffd\\u00e9\\ufffd\\ufffd x\\ufffd\", f[2]\n"
		"assert f[3][\"name\"] == \"t\\tab\"\n"
		"assert f[5][\"name\"] == \"\\U0001f40d\" + \"\\ufffd\" * 4 + \"\\ufffe\"\n"));
	free(json);
}

TEST(empty)
{
	char *json = render("", NULL);

	ASSERT_STREQ(json, "{\"version\":1,\"pid\":0,\"comm\":\"\",\"seconds\":0,\"duration_ns\":0,\"rate_hz\":0,"
			   "\"mode\":\"cpu\",\"unit\":\"samples\",\"period_ns\":0,"
			   "\"total\":0,\n\"frames\":[\n],\n\"stacks\":[\n]}\n");
	ASSERT_TRUE(python_accepts(json, "assert d[\"frames\"] == [] and d[\"stacks\"] == []\n"));
	free(json);
}

TEST(many_frames)
{
	struct strbuf text = { 0 };
	char *json;

	for (int i = 0; i < 3000; i++)
		ASSERT_OK(strbuf__printf(&text, "p;f%d (m%d.py:%d);g (x.py:1) %d\n", i % 1000,
					 i % 1000 % 7, i % 1000, i + 1));
	json = render(text.buf, NULL);
	strbuf__done(&text);
	ASSERT_TRUE(python_accepts(json,
		"f = d[\"frames\"]\n"
		"assert len(f) == 1 + 1000 + 1, len(f)\n"
		"assert len(d[\"stacks\"]) == 1000 and d[\"total\"] == 3000 * 3001 // 2\n"
		"for i, s in enumerate(d[\"stacks\"]):\n"
		"    x = f[s[\"frames\"][1]]\n"
		"    assert x[\"name\"] == \"f%d\" % (i % 1000)\n"
		"    assert x[\"file\"] == \"m%d.py\" % (i % 1000 % 7)\n"
		"    assert s[\"count\"] == 3 * i + 3003 and f[s[\"frames\"][2]][\"name\"] == \"g\"\n"));
	free(json);
}

TEST(appends_and_checks_args)
{
	struct stackset ss = { 0 };
	struct strbuf out = { 0 };

	ASSERT_OK(stackset__parse_folded(&ss, "p;a 1\n", 6));
	ASSERT_OK(strbuf__puts(&out, "head"));
	ASSERT_OK(fmt_json__render(&ss, NULL, &out));
	ASSERT_TRUE(!strncmp(out.buf, "head{\"version\":1,", 17));
	ASSERT_EQ(fmt_json__render(NULL, NULL, &out), -EINVAL);
	ASSERT_EQ(fmt_json__render(&ss, NULL, NULL), -EINVAL);
	strbuf__done(&out);
	stackset__done(&ss);
}
