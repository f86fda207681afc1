/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A one-page unit test helper.  TEST(name) { ... } registers a test; the
 * ASSERT_* macros print file:line and both values, then fail the test.
 * Every test prints one line "ok NAME", "FAIL NAME" or "skip NAME: why";
 * tests/run counts those lines.  TESTS=a,b runs a subset.
 */
#ifndef PYPROF_TESTHELP_H
#define PYPROF_TESTHELP_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_MAX 256
static struct test_case test_cases[TEST_MAX];
static int test_count;
static jmp_buf test_jmp;
static int test_skipped;

static inline void test_register(const char *name, void (*fn)(void))
{
	if (test_count < TEST_MAX)
		test_cases[test_count++] = (struct test_case){ name, fn };
}

#define TEST(n)                                                                  \
	static void test_##n(void);                                              \
	__attribute__((constructor)) static void test_reg_##n(void)              \
	{                                                                        \
		test_register(#n, test_##n);                                     \
	}                                                                        \
	static void test_##n(void)

#define TEST_FAIL(...)                                                           \
	do {                                                                     \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                \
		fprintf(stderr, __VA_ARGS__);                                    \
		fputc('\n', stderr);                                             \
		longjmp(test_jmp, 1);                                            \
	} while (0)

#define TEST_SKIP(...)                                                           \
	do {                                                                     \
		printf("skip %s: ", test_cur_name);                              \
		printf(__VA_ARGS__);                                             \
		putchar('\n');                                                   \
		test_skipped = 1;                                                \
		longjmp(test_jmp, 2);                                            \
	} while (0)

#define ASSERT_TRUE(c)                                                           \
	do {                                                                     \
		if (!(c))                                                        \
			TEST_FAIL("expected true: %s", #c);                      \
	} while (0)

#define ASSERT_EQ(a, b)                                                          \
	do {                                                                     \
		long long _a = (long long)(a), _b = (long long)(b);              \
		if (_a != _b)                                                    \
			TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);     \
	} while (0)

#define ASSERT_OK(e)                                                             \
	do {                                                                     \
		long long _e = (long long)(e);                                   \
		if (_e < 0)                                                      \
			TEST_FAIL("%s failed: %lld (%s)", #e, _e, strerror((int)-_e)); \
	} while (0)

#define ASSERT_STREQ(a, b)                                                       \
	do {                                                                     \
		const char *_a = (a), *_b = (b);                                 \
		if (!_a || !_b || strcmp(_a, _b) != 0)                           \
			TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,          \
				  _a ? _a : "(null)", _b ? _b : "(null)");       \
	} while (0)

static const char *test_cur_name;

static int test_selected(const char *name)
{
	const char *sel = getenv("TESTS");
	size_t n = strlen(name);

	if (!sel || !*sel)
		return 1;
	for (const char *p = sel; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int main(void)
{
	/* volatile: both live across the setjmp() below. */
	volatile int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (volatile int i = 0; i < test_count; i++) {
		if (!test_selected(test_cases[i].name))
			continue;
		test_cur_name = test_cases[i].name;
		test_skipped = 0;
		switch (setjmp(test_jmp)) {
		case 0:
			test_cases[i].fn();
			printf("ok %s\n", test_cur_name);
			break;
		case 1:
			printf("FAIL %s\n", test_cur_name);
			failed++;
			break;
		default:
			break;
		}
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* PYPROF_TESTHELP_H */
