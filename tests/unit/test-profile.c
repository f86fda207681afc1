// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for profile: interning, folding into windows, window rotation, retention, limits. */
#include <errno.h>
#include "testhelp.h"
#include "profile/profile.h"

#define SEC 1000000000ull

static struct profile *mk(__u64 window_s, __u64 retention_s, size_t max_stacks, size_t max_frames)
{
	struct profile_opts o = { .window_ns = window_s * SEC, .retention_ns = retention_s * SEC,
				  .max_stacks = max_stacks, .max_frames = max_frames };

	return profile__new(&o);
}

static __u32 id(struct profile *p, const char *s)
{
	__u32 v = 0;

	if (profile__intern(p, s, strlen(s), &v))
		TEST_FAIL("intern '%s' failed", s);
	return v;
}

struct sum {
	struct profile *p;
	__u64 total;
	__u64 with;	/* samples whose stack has the frame named `name` */
	const char *name;
	size_t calls;
};

static int sum_cb(const __u32 *ids, size_t nr, __u64 count, void *arg)
{
	struct sum *s = arg;

	s->calls++;
	s->total += count;
	for (size_t i = 0; i < nr; i++) {
		if (s->name && strcmp(profile__name(s->p, ids[i]), s->name) == 0) {
			s->with += count;
			break;
		}
	}
	return 0;
}

static struct sum collect(struct profile *p, __u64 from, __u64 to, const char *name)
{
	struct sum s = { .p = p, .name = name };

	if (profile__collect(p, from, to, sum_cb, &s))
		TEST_FAIL("collect failed");
	return s;
}

TEST(intern)
{
	struct profile *p = mk(10, 60, 100, 100);
	__u32 a, b;

	ASSERT_TRUE(p != NULL);
	a = id(p, "main (x.py:1)");
	b = id(p, "hot (x.py:2)");
	ASSERT_TRUE(a != b);
	ASSERT_EQ(id(p, "main (x.py:1)"), a);
	ASSERT_STREQ(profile__name(p, a), "main (x.py:1)");
	ASSERT_TRUE(profile__name(p, 1000000) == NULL);
	ASSERT_EQ(profile__intern(p, "a\0b", 3, &a), -EINVAL);
	profile__free(p);
}

TEST(windows_fold_and_select)
{
	struct profile *p = mk(10, 3600, 100, 100);
	__u32 st1[3], st2[3];
	struct sum s;

	st1[0] = st2[0] = id(p, "python3");
	st1[1] = st2[1] = id(p, "main");
	st1[2] = id(p, "hot");
	st2[2] = id(p, "warm");
	/* Window 0: [0,10s), window 1: [10s,20s), window 5: [50s,60s). */
	ASSERT_OK(profile__add(p, 1 * SEC, st1, 3, 1));
	ASSERT_OK(profile__add(p, 2 * SEC, st1, 3, 1));
	ASSERT_OK(profile__add(p, 9 * SEC, st2, 3, 1));
	ASSERT_OK(profile__add(p, 10 * SEC, st1, 3, 5));
	ASSERT_OK(profile__add(p, 55 * SEC, st2, 3, 7));
	/* Out of order: a late sample for window 0 goes to window 0. */
	ASSERT_OK(profile__add(p, 3 * SEC, st2, 3, 1));
	s = collect(p, 0, 100 * SEC, "hot");
	ASSERT_EQ(s.total, 16);
	ASSERT_EQ(s.with, 7);
	ASSERT_EQ(s.calls, 2); /* each stack once, summed over its windows */
	s = collect(p, 10 * SEC, 20 * SEC, "hot");
	ASSERT_EQ(s.total, 5);
	ASSERT_EQ(s.with, 5);
	/* A range touching a window's last nanosecond includes that window. */
	s = collect(p, 20 * SEC - 1, 21 * SEC, NULL);
	ASSERT_EQ(s.total, 5);
	s = collect(p, 20 * SEC, 50 * SEC, NULL);
	ASSERT_EQ(s.total, 0);
	ASSERT_EQ(profile__samples(p, 0, 100 * SEC), 16);
	ASSERT_EQ(profile__samples(p, 50 * SEC, 51 * SEC), 7);
	ASSERT_EQ(profile__add(p, 1, st1, 0, 1), -EINVAL);
	st1[2] = 999;
	ASSERT_EQ(profile__add(p, 1, st1, 3, 1), -EINVAL);
	profile__free(p);
}

TEST(retention_and_compaction)
{
	struct profile *p = mk(10, 60, 1000, 100000);
	struct profile_stats before, after;
	char name[64];
	__u32 st[2];
	struct sum s;

	st[0] = id(p, "python3");
	/* 10 minutes of samples, one distinct leaf per second. */
	for (int t = 0; t < 600; t++) {
		snprintf(name, sizeof(name), "leaf%d", t);
		st[1] = id(p, name);
		ASSERT_OK(profile__add(p, (__u64)t * SEC, st, 2, 1));
	}
	profile__stats(p, &before);
	ASSERT_EQ(before.windows, 60);
	ASSERT_TRUE(before.names >= 601);
	/* At 600 s, a 60 s retention keeps the windows ending after 540 s. */
	profile__expire(p, 600 * SEC);
	profile__stats(p, &after);
	ASSERT_EQ(after.windows, 6);
	ASSERT_TRUE(after.names < 100);
	ASSERT_TRUE(after.bytes < before.bytes);
	s = collect(p, 0, 1000 * SEC, "leaf599");
	ASSERT_EQ(s.total, 60);
	ASSERT_EQ(s.with, 1);
	s = collect(p, 0, 1000 * SEC, "leaf540");
	ASSERT_EQ(s.with, 1);
	ASSERT_STREQ(profile__name(p, st[0] < after.names ? st[0] : 0), profile__name(p, st[0]));
	/* Names and stacks still work after renumbering: re-adding merges. */
	st[0] = id(p, "python3");
	st[1] = id(p, "leaf599");
	ASSERT_OK(profile__add(p, 599 * SEC, st, 2, 10));
	s = collect(p, 590 * SEC, 600 * SEC, "leaf599");
	ASSERT_EQ(s.with, 11);
	ASSERT_EQ(s.calls, 10);
	ASSERT_TRUE(!profile__empty(p));
	profile__expire(p, 10000 * SEC);
	ASSERT_TRUE(profile__empty(p));
	profile__stats(p, &after);
	ASSERT_TRUE(after.names <= 2);
	profile__free(p);
}

TEST(epoch_changes_when_ids_do)
{
	struct profile *p = mk(10, 60, 1000, 100000), *q = mk(10, 60, 1000, 100000);
	__u64 e0 = profile__epoch(p);
	char name[32];
	__u32 st[2];

	/* No two profiles share an epoch: a cached id never crosses profiles. */
	ASSERT_TRUE(e0 != 0 && profile__epoch(q) != 0 && profile__epoch(q) != e0);
	st[0] = id(p, "python3");
	for (int t = 0; t < 50; t++) {
		snprintf(name, sizeof(name), "gone%d", t);
		st[1] = id(p, name);
		ASSERT_OK(profile__add(p, (__u64)t * SEC, st, 2, 1));
	}
	st[1] = id(p, "keep");
	ASSERT_OK(profile__add(p, 100 * SEC, st, 2, 1));
	/* Expiring with nothing to compact keeps the ids, and the epoch. */
	profile__expire(p, 0);
	ASSERT_EQ(profile__epoch(p), e0);
	/* The gone* windows expire; compaction renumbers "keep": a new epoch. */
	profile__expire(p, 120 * SEC);
	ASSERT_TRUE(profile__epoch(p) != e0);
	ASSERT_TRUE(id(p, "keep") != st[1]);
	profile__free(p);
	profile__free(q);
}

TEST(limits_never_drop_samples)
{
	struct profile *p = mk(10, 60, 4, 1000), *q = mk(10, 60, 1000, 8);
	char name[32];
	__u32 st[2];
	struct sum s;

	/* Too many distinct stacks in a window: the rest are counted under a marker. */
	st[0] = id(p, "python3");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		st[1] = id(p, name);
		ASSERT_OK(profile__add(p, SEC, st, 2, 1));
	}
	s = collect(p, 0, 10 * SEC, PROFILE_OVERFLOW_STACKS);
	ASSERT_EQ(s.total, 20);
	ASSERT_EQ(s.with, 16);
	/* Too many distinct names: the rest share one marker name. */
	st[0] = id(q, "python3");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		st[1] = id(q, name);
		ASSERT_OK(profile__add(q, SEC, st, 2, 1));
	}
	s = collect(q, 0, 10 * SEC, PROFILE_OVERFLOW_NAMES);
	ASSERT_EQ(s.total, 20);
	ASSERT_EQ(s.with, 15); /* 2 built-in names + python3 + f0..f4 fill the 8 */
	profile__free(p);
	profile__free(q);
}

TEST(stacks_interned_across_windows)
{
	struct profile *p = mk(1, 3600, 4, 1000);
	struct profile_stats st;
	char name[32];
	__u32 ids[2];
	struct sum s;

	ids[0] = id(p, "python3");
	/* The same 3 stacks in 100 windows are kept once. */
	for (int w = 0; w < 100; w++) {
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "f%d", k);
			ids[1] = id(p, name);
			ASSERT_OK(profile__add(p, (__u64)w * SEC, ids, 2, 1));
		}
	}
	profile__stats(p, &st);
	ASSERT_EQ(st.windows, 100);
	ASSERT_EQ(st.stacks, 3);
	s = collect(p, 0, 100 * SEC, "f1");
	ASSERT_EQ(s.total, 300);
	ASSERT_EQ(s.with, 100);
	ASSERT_EQ(s.calls, 3);
	/* 3 new stacks per window, 4 allowed per window, 16 in all: the rest overflow. */
	for (int w = 100; w < 110; w++) {
		for (int k = 0; k < 3; k++) {
			snprintf(name, sizeof(name), "g%d", w * 3 + k);
			ids[1] = id(p, name);
			ASSERT_OK(profile__add(p, (__u64)w * SEC, ids, 2, 1));
		}
	}
	profile__stats(p, &st);
	ASSERT_TRUE(st.stacks <= 16 + 1);
	s = collect(p, 100 * SEC, 110 * SEC, PROFILE_OVERFLOW_STACKS);
	ASSERT_EQ(s.total, 30);
	ASSERT_TRUE(s.with >= 30 - 16);
	profile__free(p);
}

TEST(deep_stacks_and_bad_opts)
{
	struct profile_opts bad = { .window_ns = 0, .retention_ns = 1, .max_stacks = 1,
				    .max_frames = 10 };
	struct profile *p = mk(1, 10, 10, 10);
	static __u32 deep[PROFILE_MAX_DEPTH + 50];
	struct sum s;

	ASSERT_TRUE(profile__new(&bad) == NULL && errno == EINVAL);
	deep[0] = id(p, "root");
	for (size_t i = 1; i < sizeof(deep) / sizeof(deep[0]); i++)
		deep[i] = deep[0];
	ASSERT_OK(profile__add(p, 0, deep, sizeof(deep) / sizeof(deep[0]), 1));
	s = collect(p, 0, SEC, NULL);
	ASSERT_EQ(s.total, 1);
	profile__free(p);
}
