// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for linetable: hand-made tables and every CPython interpreter of this machine as oracle. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <unistd.h>
#include "testhelp.h"
#include "target/linetable.h"

#define V38  0x030812f0
#define V39  0x030912f0
#define V310 0x030a0df0
#define V311 0x030b07f0
#define V312 0x030c01f0
#define V313 0x030d00f0
#define V314 0x030e00a1
#define V315 0x030f02f0

#define PY_MINOR_OF(hex) (((hex) >> 16) & 0xff)

/* Errors are shifted far below any line so that ASSERT_EQ tells them apart from line -1. */
#define ERR(e) (-(e) - 1000000000LL)

/* The line, or ERR(e) when the call fails with -e. */
static long long a2l(__u32 v, int first, const __u8 *tab, size_t len, int addr)
{
	int line = INT_MIN;
	int err;

	err = linetable__addr2line(v, first, tab, len, addr, &line);
	if (err)
		return err < 0 ? ERR(-err) : -2000000000LL;
	if (line == INT_MIN)
		return -3000000000LL;
	return line;
}

/* A heap copy of exactly len bytes, so that ASan/valgrind see any over-read. */
static __u8 *dup_tab(const __u8 *tab, size_t len)
{
	__u8 *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, tab, len);
	return p;
}

static void check_table(__u32 v, int first, const __u8 *tab, size_t len, const int *want,
			size_t nwant, int step)
{
	__u8 *t = dup_tab(tab, len);

	for (size_t i = 0; i < nwant; i++) {
		long long got = a2l(v, first, t, len, (int)i * step);

		if (got != want[i])
			TEST_FAIL("version 0x%x, offset %zu: line %lld, expected %d", v, i * step,
				  got, want[i]);
	}
	free(t);
}

/* 3.9 co_lnotab, checked against 3.9.18's PyCode_Addr2Line on the same table. */
static const __u8 lnotab[] = { 6, 1, 4, 2, 8, (__u8)-3, 2, 5 };
static const int lnotab_want[] = { 10, 10, 10, 11, 11, 13, 13, 13, 13, 10, 15, 15 };

TEST(lnotab_39)
{
	/* zero-width pairs for a jump of 177 lines, a split address step, then -100 */
	static const __u8 big[] = { 0, 127, 0, 50, 4, 1, 255, 0, 45, (__u8)-100 };
	__u8 *t = dup_tab(big, sizeof(big));

	check_table(V39, 10, lnotab, sizeof(lnotab), lnotab_want, 12, 2);
	check_table(V38, 10, lnotab, sizeof(lnotab), lnotab_want, 12, 2);
	/* the lnotab does not know the code size: the last line runs on */
	ASSERT_EQ(a2l(V39, 10, lnotab, sizeof(lnotab), 1000), 15);
	ASSERT_EQ(a2l(V39, 10, lnotab, sizeof(lnotab), -5), 10);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 0), 178);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 3), 178);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 4), 179);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 303), 179);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 304), 79);
	ASSERT_EQ(a2l(V39, 1, t, sizeof(big), 1000), 79);
	free(t);
	ASSERT_EQ(a2l(V39, 7, NULL, 0, 0), 7);
	ASSERT_EQ(a2l(V39, 7, NULL, 0, 400), 7);
	ASSERT_EQ(a2l(V39, 10, lnotab, sizeof(lnotab) - 1, 0), ERR(EINVAL));
}

/*
 * 3.10 co_linetable, checked against 3.10.13's co_lines(): a no-line range,
 * two zero-width pairs for a 254-line jump, -3, another no-line range.
 */
static const __u8 lt310[] = { 4, 1, 6, 0x80, 0, 127, 0, 127, 8, (__u8)-3, 2, 0x80, 4, 2 };
static const int lt310_want[] = { 6, 6, -1, -1, -1, 257, 257, 257, 257, -1, 259, 259 };

TEST(linetable_310)
{
	check_table(V310, 5, lt310, sizeof(lt310), lt310_want, 12, 2);
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310), 3), 6);
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310), 23), 259);
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310), 24), ERR(ERANGE));
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310), INT_MAX), ERR(ERANGE));
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310), -1), 5);
	ASSERT_EQ(a2l(V310, 5, NULL, 0, 0), ERR(ERANGE));
	ASSERT_EQ(a2l(V310, 5, lt310, sizeof(lt310) - 1, 0), ERR(EINVAL));
}

/*
 * 3.11+ location table, checked against co_lines() and PyCode_Addr2Line of
 * 3.11.7, 3.12.1 and 3.13.0.  Ranges in code units.
 */
static const __u8 loc[] = {
	0x81, 0x05,		/* SHORT0, 2 units: [0,2) 100 */
	0xd8, 4, 10,		/* ONE_LINE1, 1: [2,3) 101 */
	0xfa,			/* NONE, 3: [3,6) -1, running line stays 101 */
	0xa8, 0x12,		/* SHORT5, 1: [6,7) 101 */
	0xe9, 0x07,		/* NO_COLUMNS -3, 2: [7,9) 98 */
	0xf8,			/* NONE, 1: [9,10) -1 */
	0xe0, 1, 2,		/* ONE_LINE2, 1: [10,11) 100 */
	0xf3, 0x65, 0x01, 0x00, 0x48, 0x03, 0x52, 0x03, /* LONG -50, 4: [11,15) 50 */
	0xf0, 0x50, 0x5c, 0x02, 0x00, 0x01, 0x01,	/* LONG +5000, 1: [15,16) 5050 */
	0xd7, 0, 0,		/* ONE_LINE0, 8: [16,24) 5050 */
};
static const int loc_want[] = { 100, 100, 101, -1,   -1,   -1,   101,  98,
				98,  -1,  100, 50,   50,   50,   50,   5050,
				5050, 5050, 5050, 5050, 5050, 5050, 5050, 5050 };

TEST(loctable_311_plus)
{
	static const __u32 vers[] = { V311, V312, V313, V314, V315 };

	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		check_table(vers[i], 100, loc, sizeof(loc), loc_want, 24, 2);
		ASSERT_EQ(a2l(vers[i], 100, loc, sizeof(loc), 5), 101);
		ASSERT_EQ(a2l(vers[i], 100, loc, sizeof(loc), 47), 5050);
		ASSERT_EQ(a2l(vers[i], 100, loc, sizeof(loc), 48), ERR(ERANGE));
		ASSERT_EQ(a2l(vers[i], 100, loc, sizeof(loc), -2), 100);
		ASSERT_EQ(a2l(vers[i], 100, NULL, 0, 0), ERR(ERANGE));
	}
}

/* NONE at the very start: -1 there, and the next entry counts from co_firstlineno. */
TEST(loctable_none_first)
{
	static const __u8 t[] = { 0xf9, 0xe8, 0x04, 0xf8, 0xe8, 0x03 };
	static const int want[] = { -1, -1, 102, -1, 101 };

	check_table(V312, 100, t, sizeof(t), want, 5, 2);
}

TEST(loctable_malformed)
{
	static const struct {
		const char *why;
		__u8 b[8];
		size_t len;
		int addr;
		int err;
	} cases[] = {
		{ "no entry start", { 0x05, 0x81, 0x05 }, 3, 0, EINVAL },
		{ "short form cut", { 0x81 }, 1, 0, EINVAL },
		{ "one-line cut", { 0xd8, 4 }, 2, 0, EINVAL },
		{ "varint cut", { 0xe8, 0x45 }, 2, 0, EINVAL },
		{ "varint runs into next entry", { 0xe8, 0x45, 0x81, 0x05 }, 4, 0, EINVAL },
		{ "varint too long", { 0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x01 }, 8, 0,
		  EINVAL },
		{ "long form columns cut", { 0xf0, 0x02, 0x00, 0x01 }, 4, 0, EINVAL },
		{ "extra byte in entry", { 0x81, 0x05, 0x05 }, 3, 4, EINVAL },
		{ "cut after a whole entry", { 0x81, 0x05, 0x81 }, 3, 4, EINVAL },
		{ "past the end", { 0x81, 0x05, 0xf8 }, 3, 6, ERANGE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u8 *t = dup_tab(cases[i].b, cases[i].len);
		long long got = a2l(V311, 1, t, cases[i].len, cases[i].addr);

		free(t);
		if (got != ERR(cases[i].err))
			TEST_FAIL("%s: got %lld, expected -%d", cases[i].why, got, cases[i].err);
	}
	/* six chunks still fit the 32 bits CPython uses */
	static const __u8 six[] = { 0xe8, 0x40, 0x40, 0x40, 0x40, 0x40, 0x01 };
	ASSERT_EQ(a2l(V311, 1, six, sizeof(six), 0), 1 + (1 << 29));
}

/*
 * Every prefix of each table: only 0, -EINVAL or -ERANGE, and a line that
 * a prefix does give is the full table's line.
 */
static void check_prefixes(__u32 v, int first, const __u8 *tab, size_t len, int nbytes, int ranged)
{
	for (size_t n = 0; n <= len; n++) {
		__u8 *t = dup_tab(tab, n);

		for (int addr = 0; addr < nbytes + 8; addr++) {
			long long got = a2l(v, first, t, n, addr);
			long long full = a2l(v, first, tab, len, addr);

			if (got == ERR(EINVAL) || got == ERR(ERANGE))
				continue;
			if (got < -1)
				TEST_FAIL("0x%x prefix %zu addr %d: %lld", v, n, addr, got);
			if (ranged && got != full)
				TEST_FAIL("0x%x prefix %zu addr %d: %lld, full table %lld", v, n,
					  addr, got, full);
		}
		free(t);
	}
}

TEST(truncated_tables)
{
	check_prefixes(V39, 10, lnotab, sizeof(lnotab), 24, 0);
	check_prefixes(V310, 5, lt310, sizeof(lt310), 24, 1);
	check_prefixes(V311, 100, loc, sizeof(loc), 48, 1);
	check_prefixes(V313, 100, loc, sizeof(loc), 48, 1);
}

/* Random bytes: no crash, no read outside the table (run under ASan/valgrind), sane results. */
TEST(garbage_tables)
{
	static const __u32 vers[] = { V38, V39, V310, V311, V312, V313, V314, V315 };
	unsigned int seed = 12345;

	for (int round = 0; round < 3000; round++) {
		size_t len = round % 64;
		__u8 *t = malloc(len ? len : 1);
		__u32 v = vers[round % 7];

		if (!t)
			abort();
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			t[i] = (seed >> 16) & 0xff;
			/* favour entry starts, so that 3.11+ tables get past the first byte */
			if (round & 1)
				t[i] |= 0x80;
		}
		for (int addr = -1; addr < 600; addr += 3) {
			int line = INT_MIN;
			int err = linetable__addr2line(v, 1, t, len, addr, &line);

			if (err && err != -EINVAL && err != -ERANGE)
				TEST_FAIL("0x%x len %zu addr %d: error %d", v, len, addr, err);
			if (err == -ERANGE && PY_MINOR_OF(v) < 10)
				TEST_FAIL("0x%x len %zu addr %d: ERANGE from an lnotab", v, len,
					  addr);
			if (!err && addr < 0 && line != 1)
				TEST_FAIL("0x%x len %zu addr %d: line %d", v, len, addr, line);
		}
		free(t);
	}
}

TEST(unsupported_versions)
{
	static const __u32 bad[] = { 0x02070ff0, 0x030600f0, 0x030710f0, 0x031000a0, 0x040000a0,
				     0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(a2l(bad[i], 1, loc, sizeof(loc), 0), ERR(EPROTONOSUPPORT));
}

/* ---- oracle: every CPython of this machine decodes its own stdlib ---- */

#define MAX_INTERPS 64

struct interp_list {
	char *path[MAX_INTERPS];
	unsigned int minor[MAX_INTERPS];
	int n;
};

static void add_interps(struct interp_list *l, const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc && l->n < MAX_INTERPS; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		unsigned int minor;
		char real[PATH_MAX];
		int end = 0, dup = 0;

		if (sscanf(base, "python3.%u%n", &minor, &end) != 1 || base[end])
			continue;
		/* 2.7, 3.6 and 3.7 cannot run the oracle; linetable supports 3.8-3.15 */
		if (minor < 8 || minor > 15 || !realpath(g.gl_pathv[i], real))
			continue;
		if (strchr(real, '\''))
			continue;
		for (int j = 0; j < l->n; j++)
			dup |= !strcmp(l->path[j], real);
		if (dup)
			continue;
		l->path[l->n] = strdup(real);
		l->minor[l->n++] = minor;
	}
	globfree(&g);
}

static void find_interps(struct interp_list *l)
{
	const char *roots[] = { getenv("PYENV_ROOT"), "/root/.pyenv" };
	char pat[PATH_MAX];

	add_interps(l, "/usr/bin/python3.*");
	add_interps(l, "/usr/local/bin/python3.*");
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (!roots[i] || !*roots[i] || strchr(roots[i], '\''))
			continue;
		snprintf(pat, sizeof(pat), "%s/versions/*/bin/python3.*", roots[i]);
		add_interps(l, pat);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct oracle_result {
	char version[32];
	long offsets, mismatches, codes;
};

/* Runs the oracle script with one interpreter and checks every offset it reports. */
static void run_oracle(const char *interp, const char *script, struct oracle_result *r)
{
	char cmd[2 * PATH_MAX + 32];
	char *buf = NULL, *lbuf = NULL;
	size_t bufsz = 0, lbufsz = 0;
	__u32 hex = 0;
	long expect_codes = -1;
	FILE *f;
	int status;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), "'%s' -I '%s'", interp, script);
	f = popen(cmd, "re");
	if (!f)
		TEST_FAIL("popen %s: %s", cmd, strerror(errno));
	while (getline(&buf, &bufsz, f) > 0) {
		int first = 0, nbytes = 0, pos = 0;
		size_t len, n;
		__u8 *tab;
		char *p, *end;

		buf[strcspn(buf, "\n")] = 0;
		if (buf[0] == 'V') {
			if (sscanf(buf, "V %u %31s", &hex, r->version) != 2)
				TEST_FAIL("%s: bad line: %.80s", interp, buf);
			continue;
		}
		if (buf[0] == 'E') {
			expect_codes = strtol(buf + 2, NULL, 10);
			continue;
		}
		if (buf[0] != 'C' || sscanf(buf, "C %d %d %n", &first, &nbytes, &pos) != 2 || !pos)
			TEST_FAIL("%s: bad line: %.80s", interp, buf);
		if (!hex)
			TEST_FAIL("%s: no version line", interp);
		p = buf + pos;
		len = strcmp(p, "-") ? strlen(p) / 2 : 0;
		tab = malloc(len ? len : 1);
		if (!tab)
			abort();
		for (n = 0; n < len; n++) {
			int hi = hexval(p[2 * n]), lo = hexval(p[2 * n + 1]);

			if (hi < 0 || lo < 0)
				TEST_FAIL("%s: bad hex: %.80s", interp, buf);
			tab[n] = hi << 4 | lo;
		}
		if (getline(&lbuf, &lbufsz, f) <= 0 || lbuf[0] != 'L')
			TEST_FAIL("%s: no L line after %.80s", interp, buf);
		p = lbuf + 1;
		for (int addr = 0; addr < nbytes; addr += 2) {
			long long want, got;

			while (*p == ' ')
				p++;
			if (*p == 'R') {
				want = ERR(ERANGE);
				p++;
			} else {
				want = strtol(p, &end, 10);
				if (end == p)
					TEST_FAIL("%s: short L line for %.80s", interp, buf);
				p = end;
			}
			got = a2l(hex, first, tab, len, addr);
			r->offsets++;
			if (got != want && ++r->mismatches <= 5)
				fprintf(stderr,
					"  %s: firstlineno %d offset %d: got %lld want %lld\n",
					interp, first, addr, got, want);
		}
		if (strspn(p, " \n") != strlen(p))
			TEST_FAIL("%s: long L line for %.80s", interp, buf);
		/* 3.10+ tables cover exactly the code; 3.8/3.9 lnotabs run on */
		if (PY_MINOR_OF(hex) >= 10 && a2l(hex, first, tab, len, nbytes) != ERR(ERANGE) &&
		    ++r->mismatches <= 5)
			fprintf(stderr,
				"  %s: firstlineno %d: offset %d past the code not ERANGE\n",
				interp, first, nbytes);
		if (a2l(hex, first, tab, len, -1) != first && ++r->mismatches <= 5)
			fprintf(stderr, "  %s: firstlineno %d: offset -1 not firstlineno\n", interp,
				first);
		free(tab);
		r->codes++;
	}
	free(buf);
	free(lbuf);
	status = pclose(f);
	if (status != 0)
		TEST_FAIL("%s exited with status 0x%x", cmd, status);
	if (expect_codes != r->codes)
		TEST_FAIL("%s: %ld code objects read, oracle announced %ld", interp, r->codes,
			  expect_codes);
}

TEST(oracle_cpython)
{
	const char *srcdir = getenv("PYPROF_SRCDIR");
	struct interp_list l = { 0 };
	char script[PATH_MAX];
	long mismatches = 0;

	snprintf(script, sizeof(script), "%s/tests/unit/linetable_oracle.py",
		 srcdir && *srcdir ? srcdir : ".");
	if (strchr(script, '\''))
		TEST_FAIL("unusable path %s", script);
	if (access(script, R_OK))
		TEST_FAIL("%s: %s (set PYPROF_SRCDIR to the source tree)", script, strerror(errno));
	find_interps(&l);
	if (!l.n)
		TEST_SKIP("no CPython 3.8-3.15 interpreter found");
	for (int i = 0; i < l.n; i++) {
		struct oracle_result r;
		unsigned int minor;

		run_oracle(l.path[i], script, &r);
		fprintf(stderr, "  %s (%s): %ld code objects, %ld offsets, %ld mismatches\n",
			l.path[i], r.version, r.codes, r.offsets, r.mismatches);
		if (sscanf(r.version, "3.%u", &minor) != 1 || minor != l.minor[i])
			TEST_FAIL("%s reports version %s", l.path[i], r.version);
		if (!r.offsets)
			TEST_FAIL("%s: no offsets", l.path[i]);
		mismatches += r.mismatches;
	}
	for (int i = 0; i < l.n; i++)
		free(l.path[i]);
	ASSERT_EQ(mismatches, 0);
}
