// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for profile: interning frames, folding into windows, rotation, retention, limits. */
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

static __u32 fid(struct profile *p, enum frame_kind kind, const char *name, const char *file,
		 int line, int func_line)
{
	struct frame f = { .kind = kind, .name = name, .file = file, .line = line,
			   .func_line = func_line };
	__u32 v = 0;

	if (profile__intern(p, &f, &v))
		TEST_FAIL("intern '%s' failed", name);
	return v;
}

/* A frame known by its name alone. */
static __u32 id(struct profile *p, const char *s)
{
	return fid(p, FRAME_OTHER, s, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
}

static int intern_err(struct profile *p, enum frame_kind kind, const char *name, const char *file,
		      int line, int func_line)
{
	struct frame f = { .kind = kind, .name = name, .file = file, .line = line,
			   .func_line = func_line };
	__u32 v;

	return profile__intern(p, &f, &v);
}

static void assert_frame(const struct profile *p, __u32 id, enum frame_kind kind, const char *name,
			 const char *file, int line, int func_line)
{
	const struct frame *f = profile__frame(p, id);

	if (!f)
		TEST_FAIL("no frame %u", id);
	if (f->kind != kind || strcmp(f->name, name) != 0 || (!f->file) != (!file) ||
	    (file && strcmp(f->file, file) != 0) || f->line != line || f->func_line != func_line)
		TEST_FAIL("frame %u is {%d, %s, %s, %d, %d}, not {%d, %s, %s, %d, %d}", id, f->kind,
			  f->name, f->file ? f->file : "NULL", f->line, f->func_line, kind, name,
			  file ? file : "NULL", line, func_line);
}

struct sum {
	struct profile *p;
	__u64 total;
	__u64 with;	/* samples whose stack has the frame named `name` */
	const char *name;
	int kind;	/* or: samples whose stack has a frame of this kind (-1: none) */
	size_t calls;
};

static int sum_cb(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct sum *s = arg;

	s->calls++;
	s->total += count;
	for (size_t i = 0; i < nr; i++) {
		const struct frame *f = profile__frame(s->p, ids[i]);

		if (!f)
			TEST_FAIL("stack with unknown frame %u", ids[i]);
		if ((s->name && strcmp(f->name, s->name) == 0) || (int)f->kind == s->kind) {
			s->with += count;
			break;
		}
	}
	return 0;
}

static struct sum collect(struct profile *p, __u64 from, __u64 to, const char *name)
{
	struct sum s = { .p = p, .name = name, .kind = -1 };

	if (profile__collect(p, from, to, sum_cb, &s))
		TEST_FAIL("collect failed");
	return s;
}

static struct sum collect_kind(struct profile *p, enum frame_kind kind)
{
	struct sum s = { .p = p, .kind = (int)kind };

	if (profile__collect(p, 0, ~0ull, sum_cb, &s))
		TEST_FAIL("collect failed");
	return s;
}

TEST(intern)
{
	struct profile *p = mk(10, 60, 100, 100);
	__u32 a, b;

	ASSERT_TRUE(p != NULL);
	a = fid(p, FRAME_PYTHON, "main", "x.py", 1, 1);
	b = fid(p, FRAME_PYTHON, "hot", "x.py", 2, 2);
	ASSERT_TRUE(a != b);
	ASSERT_EQ(fid(p, FRAME_PYTHON, "main", "x.py", 1, 1), a);
	assert_frame(p, a, FRAME_PYTHON, "main", "x.py", 1, 1);
	assert_frame(p, b, FRAME_PYTHON, "hot", "x.py", 2, 2);
	ASSERT_TRUE(profile__frame(p, 1000000) == NULL);
	/* Names may hold any bytes but NUL, "" included. */
	a = fid(p, FRAME_THREAD, "", NULL, 4242, FRAME_LINE_NONE);
	assert_frame(p, a, FRAME_THREAD, "", NULL, 4242, FRAME_LINE_NONE);
	a = fid(p, FRAME_PYTHON, "f (x.py:3);\xff", "a:b (c)", FRAME_LINE_NONE, 0);
	assert_frame(p, a, FRAME_PYTHON, "f (x.py:3);\xff", "a:b (c)", FRAME_LINE_NONE, 0);
	profile__free(p);
}

TEST(intern_rejects_bad_frames)
{
	struct profile *p = mk(10, 60, 100, 100);
	static char big[FRAME_MAX_STRING + 2];
	struct profile_stats st;

	ASSERT_EQ(intern_err(p, FRAME__MAX, "f", NULL, 1, 1), -EINVAL);
	ASSERT_EQ(intern_err(p, (enum frame_kind)-1, "f", NULL, 1, 1), -EINVAL);
	ASSERT_EQ(intern_err(p, FRAME_PYTHON, NULL, "x.py", 1, 1), -EINVAL);
	ASSERT_EQ(intern_err(p, FRAME_PYTHON, "f", "x.py", -2, 1), -EINVAL);
	ASSERT_EQ(intern_err(p, FRAME_PYTHON, "f", "x.py", 1, -2), -EINVAL);
	memset(big, 'a', FRAME_MAX_STRING + 1);
	ASSERT_EQ(intern_err(p, FRAME_PYTHON, big, "x.py", 1, 1), -EINVAL);
	ASSERT_EQ(intern_err(p, FRAME_PYTHON, "f", big, 1, 1), -EINVAL);
	big[FRAME_MAX_STRING] = '\0';
	ASSERT_OK(intern_err(p, FRAME_PYTHON, big, big, 1, 1));
	/* Nothing rejected was kept: the markers and the one good frame. */
	profile__stats(p, &st);
	ASSERT_EQ(st.frames, 3);
	ASSERT_EQ(st.strings, 3);
	profile__free(p);
}

TEST(frames_differ_in_every_field)
{
	struct profile *p = mk(10, 60, 100, 100);
	__u32 ids[8];
	struct profile_stats st;

	ids[0] = fid(p, FRAME_PYTHON, "f", "x.py", 10, 5);
	ids[1] = fid(p, FRAME_PYTHON, "f", "y.py", 10, 5);
	ids[2] = fid(p, FRAME_PYTHON, "f", "x.py", 11, 5);
	ids[3] = fid(p, FRAME_PYTHON, "f", "x.py", 10, 6);
	ids[4] = fid(p, FRAME_PYTHON, "f", "x.py", FRAME_LINE_NONE, 5);
	ids[5] = fid(p, FRAME_NATIVE, "f", "x.py", 10, 5);
	ids[6] = fid(p, FRAME_PYTHON, "f", NULL, 10, 5);
	ids[7] = fid(p, FRAME_PYTHON, "f", "", 10, 5);
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < i; k++)
			ASSERT_TRUE(ids[i] != ids[k]);
	assert_frame(p, ids[1], FRAME_PYTHON, "f", "y.py", 10, 5);
	assert_frame(p, ids[4], FRAME_PYTHON, "f", "x.py", FRAME_LINE_NONE, 5);
	assert_frame(p, ids[5], FRAME_NATIVE, "f", "x.py", 10, 5);
	assert_frame(p, ids[6], FRAME_PYTHON, "f", NULL, 10, 5);
	assert_frame(p, ids[7], FRAME_PYTHON, "f", "", 10, 5);
	/* A name and a file equal as strings are one string. */
	ASSERT_EQ(fid(p, FRAME_KERNEL, "x.py", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE),
		  fid(p, FRAME_KERNEL, "x.py", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE));
	profile__stats(p, &st);
	ASSERT_EQ(st.frames, 2 + 8 + 1);
	ASSERT_EQ(st.strings, 2 + 4); /* the markers', "f", "x.py", "y.py", "" */
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
	ASSERT_OK(profile__add(p, 1 * SEC, SAMPLE_ON_CPU, st1, 3, 1));
	ASSERT_OK(profile__add(p, 2 * SEC, SAMPLE_ON_CPU, st1, 3, 1));
	ASSERT_OK(profile__add(p, 9 * SEC, SAMPLE_ON_CPU, st2, 3, 1));
	ASSERT_OK(profile__add(p, 10 * SEC, SAMPLE_ON_CPU, st1, 3, 5));
	ASSERT_OK(profile__add(p, 55 * SEC, SAMPLE_ON_CPU, st2, 3, 7));
	/* Out of order: a late sample for window 0 goes to window 0. */
	ASSERT_OK(profile__add(p, 3 * SEC, SAMPLE_ON_CPU, st2, 3, 1));
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
	ASSERT_EQ(profile__add(p, 1, SAMPLE_ON_CPU, st1, 0, 1), -EINVAL);
	st1[2] = 999;
	ASSERT_EQ(profile__add(p, 1, SAMPLE_ON_CPU, st1, 3, 1), -EINVAL);
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
		ASSERT_OK(profile__add(p, (__u64)t * SEC, SAMPLE_ON_CPU, st, 2, 1));
	}
	profile__stats(p, &before);
	ASSERT_EQ(before.windows, 60);
	ASSERT_TRUE(before.frames >= 601);
	/* At 600 s, a 60 s retention keeps the windows ending after 540 s. */
	profile__expire(p, 600 * SEC);
	profile__stats(p, &after);
	ASSERT_EQ(after.windows, 6);
	ASSERT_TRUE(after.frames < 100);
	ASSERT_TRUE(after.bytes < before.bytes);
	s = collect(p, 0, 1000 * SEC, "leaf599");
	ASSERT_EQ(s.total, 60);
	ASSERT_EQ(s.with, 1);
	s = collect(p, 0, 1000 * SEC, "leaf540");
	ASSERT_EQ(s.with, 1);
	/* Names and stacks still work after renumbering: re-adding merges. */
	st[0] = id(p, "python3");
	st[1] = id(p, "leaf599");
	ASSERT_OK(profile__add(p, 599 * SEC, SAMPLE_ON_CPU, st, 2, 10));
	s = collect(p, 590 * SEC, 600 * SEC, "leaf599");
	ASSERT_EQ(s.with, 11);
	ASSERT_EQ(s.calls, 10);
	ASSERT_TRUE(!profile__empty(p));
	profile__expire(p, 10000 * SEC);
	ASSERT_TRUE(profile__empty(p));
	profile__stats(p, &after);
	ASSERT_EQ(after.frames, 2); /* the markers stay */
	ASSERT_EQ(after.strings, 2);
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
		ASSERT_OK(profile__add(p, (__u64)t * SEC, SAMPLE_ON_CPU, st, 2, 1));
	}
	st[1] = id(p, "keep");
	ASSERT_OK(profile__add(p, 100 * SEC, SAMPLE_ON_CPU, st, 2, 1));
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
		ASSERT_OK(profile__add(p, SEC, SAMPLE_ON_CPU, st, 2, 1));
	}
	s = collect(p, 0, 10 * SEC, PROFILE_OVERFLOW_STACKS);
	ASSERT_EQ(s.total, 20);
	ASSERT_EQ(s.with, 16);
	s = collect_kind(p, FRAME_MARKER);
	ASSERT_EQ(s.with, 16);
	/* Too many distinct names: the rest share one marker name. */
	st[0] = id(q, "python3");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		st[1] = id(q, name);
		ASSERT_OK(profile__add(q, SEC, SAMPLE_ON_CPU, st, 2, 1));
	}
	s = collect(q, 0, 10 * SEC, PROFILE_OVERFLOW_NAMES);
	ASSERT_EQ(s.total, 20);
	ASSERT_EQ(s.with, 15); /* 2 built-in markers + python3 + f0..f4 fill the 8 */
	/* The overflow entries are marker frames with their texts. */
	ASSERT_EQ(id(q, "f19"), id(q, "f18"));
	assert_frame(q, id(q, "f19"), FRAME_MARKER, PROFILE_OVERFLOW_NAMES, NULL, FRAME_LINE_NONE,
		     FRAME_LINE_NONE);
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
			ASSERT_OK(profile__add(p, (__u64)w * SEC, SAMPLE_ON_CPU, ids, 2, 1));
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
			ASSERT_OK(profile__add(p, (__u64)w * SEC, SAMPLE_ON_CPU, ids, 2, 1));
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
	static __u32 deep[STACK_MAX_DEPTH + 50];
	struct sum s;

	ASSERT_TRUE(profile__new(&bad) == NULL && errno == EINVAL);
	deep[0] = id(p, "root");
	for (size_t i = 1; i < sizeof(deep) / sizeof(deep[0]); i++)
		deep[i] = deep[0];
	ASSERT_OK(profile__add(p, 0, SAMPLE_ON_CPU, deep, sizeof(deep) / sizeof(deep[0]), 1));
	s = collect(p, 0, SEC, NULL);
	ASSERT_EQ(s.total, 1);
	profile__free(p);
}

/* What compaction keeps must read back as it was interned, ids and stacks agreeing. */
struct check {
	const struct profile *p;
	size_t stacks;
	__u64 total;
	int bumped;	/* the t whose stack got t samples more */
	unsigned int tags;	/* bit tag: seen */
};

static int check_cb(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct check *c = arg;
	char name[32], file[32];
	int t;

	c->stacks++;
	c->total += count;
	ASSERT_EQ(nr, 4);
	c->tags |= 1u << tag;
	assert_frame(c->p, ids[0], FRAME_PROCESS, "python3", NULL, FRAME_LINE_NONE,
		     FRAME_LINE_NONE);
	assert_frame(c->p, ids[1], FRAME_THREAD, "", NULL, 77, FRAME_LINE_NONE);
	t = profile__frame(c->p, ids[2])->line - 1000;
	snprintf(name, sizeof(name), "f%d", t);
	snprintf(file, sizeof(file), "m%d.py", t % 3);
	assert_frame(c->p, ids[2], FRAME_PYTHON, name, file, 1000 + t, t);
	assert_frame(c->p, ids[3], FRAME_KERNEL, file, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	ASSERT_EQ(count, t == c->bumped ? 2 * t : t);
	ASSERT_EQ(tag, t % 2 ? SAMPLE_OFF_CPU : SAMPLE_ON_CPU);
	return 0;
}

/* The same frames under two tags are two stacks, in every window and in the sum. */
struct tagged {
	__u64 count[SAMPLE_TAG_KNOWN + 1];
	size_t calls;
};

static int tagged_cb(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct tagged *t = arg;

	if (tag > SAMPLE_TAG_KNOWN)
		TEST_FAIL("tag %u", tag);
	t->count[tag] += count;
	t->calls++;
	return 0;
}

TEST(tags_kept_apart)
{
	struct profile *p = mk(10, 60, 100, 100);
	struct tagged t = { 0 };
	struct profile_stats ps;
	__u32 st[2];

	st[0] = fid(p, FRAME_PROCESS, "python3", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	st[1] = fid(p, FRAME_PYTHON, "f", "a.py", 3, 1);
	ASSERT_OK(profile__add(p, 1 * SEC, SAMPLE_ON_CPU, st, 2, 2));
	ASSERT_OK(profile__add(p, 2 * SEC, SAMPLE_OFF_CPU, st, 2, 5000));
	ASSERT_OK(profile__add(p, 3 * SEC, SAMPLE_GIL_WAIT | SAMPLE_OFF_CPU, st, 2, 70));
	ASSERT_OK(profile__add(p, 12 * SEC, SAMPLE_OFF_CPU, st, 2, 1000));
	ASSERT_OK(profile__add(p, 13 * SEC, SAMPLE_ON_CPU, st, 2, 1));
	ASSERT_EQ(profile__add(p, 13 * SEC, 0x10, st, 2, 1), -EINVAL);
	ASSERT_EQ(profile__add(p, 13 * SEC, 0xff, st, 2, 1), -EINVAL);
	ASSERT_OK(profile__collect(p, 0, ~0ull, tagged_cb, &t));
	ASSERT_EQ(t.calls, 3);
	ASSERT_EQ(t.count[SAMPLE_ON_CPU], 3);
	ASSERT_EQ(t.count[SAMPLE_OFF_CPU], 6000);
	ASSERT_EQ(t.count[SAMPLE_GIL_WAIT | SAMPLE_OFF_CPU], 70);
	profile__stats(p, &ps);
	ASSERT_EQ(ps.stacks, 3);
	/* The second window alone. */
	t = (struct tagged){ 0 };
	ASSERT_OK(profile__collect(p, 10 * SEC, 20 * SEC, tagged_cb, &t));
	ASSERT_EQ(t.calls, 2);
	ASSERT_EQ(t.count[SAMPLE_ON_CPU], 1);
	ASSERT_EQ(t.count[SAMPLE_OFF_CPU], 1000);
	profile__free(p);
}

/* Past the limits a sample goes under the overflow marker with its tag. */
TEST(overflow_keeps_tags)
{
	struct profile *p = mk(10, 60, 1, 100);
	struct tagged t = { 0 };
	struct sum s;
	__u32 a[2], b[2];

	a[0] = b[0] = fid(p, FRAME_PROCESS, "python3", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	a[1] = fid(p, FRAME_PYTHON, "a", "a.py", 1, 1);
	b[1] = fid(p, FRAME_PYTHON, "b", "a.py", 2, 1);
	ASSERT_OK(profile__add(p, SEC, SAMPLE_ON_CPU, a, 2, 1));
	ASSERT_OK(profile__add(p, SEC, SAMPLE_ON_CPU, b, 2, 2));
	ASSERT_OK(profile__add(p, SEC, SAMPLE_OFF_CPU, b, 2, 300));
	ASSERT_OK(profile__add(p, SEC, SAMPLE_OFF_CPU, a, 2, 400));
	ASSERT_OK(profile__collect(p, 0, ~0ull, tagged_cb, &t));
	ASSERT_EQ(t.calls, 3);
	ASSERT_EQ(t.count[SAMPLE_ON_CPU], 3);
	ASSERT_EQ(t.count[SAMPLE_OFF_CPU], 700);
	s = collect(p, 0, ~0ull, PROFILE_OVERFLOW_STACKS);
	ASSERT_EQ(s.with, 2 + 700);
	profile__free(p);
}

TEST(compaction_keeps_frames)
{
	struct profile *p = mk(10, 60, 1000, 100000);
	struct profile_stats before, after;
	struct check c = { .p = p };
	char name[32], file[32];
	__u32 st[4];

	/* 600 s of stacks whose frames share strings across kinds and fields. */
	for (int t = 1; t <= 600; t++) {
		snprintf(name, sizeof(name), "f%d", t);
		snprintf(file, sizeof(file), "m%d.py", t % 3);
		st[0] = fid(p, FRAME_PROCESS, "python3", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
		st[1] = fid(p, FRAME_THREAD, "", NULL, 77, FRAME_LINE_NONE);
		st[2] = fid(p, FRAME_PYTHON, name, file, 1000 + t, t);
		st[3] = fid(p, FRAME_KERNEL, file, NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
		ASSERT_OK(profile__add(p, (__u64)t * SEC, t % 2 ? SAMPLE_OFF_CPU : SAMPLE_ON_CPU,
				       st, 4, (__u64)t));
	}
	profile__stats(p, &before);
	profile__expire(p, 600 * SEC);
	profile__stats(p, &after);
	ASSERT_TRUE(after.frames < before.frames && after.strings < before.strings);
	/* Windows 54 to 60 are kept: t = 540 .. 600. */
	ASSERT_EQ(after.frames, 2 + 2 + 61 + 3);	/* markers, root, thread, Python, kernel */
	ASSERT_EQ(after.strings, 2 + 2 + 61 + 3);	/* markers, "python3", "", names, files */
	ASSERT_OK(profile__collect(p, 0, ~0ull, check_cb, &c));
	ASSERT_EQ(c.stacks, 61);
	ASSERT_EQ(c.total, (540 + 600) * 61 / 2);
	ASSERT_EQ(c.tags, 1u << SAMPLE_ON_CPU | 1u << SAMPLE_OFF_CPU);
	/* Interning again finds the renumbered frames: the stack merges. */
	st[0] = fid(p, FRAME_PROCESS, "python3", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	st[1] = fid(p, FRAME_THREAD, "", NULL, 77, FRAME_LINE_NONE);
	st[2] = fid(p, FRAME_PYTHON, "f600", "m0.py", 1600, 600);
	st[3] = fid(p, FRAME_KERNEL, "m0.py", NULL, FRAME_LINE_NONE, FRAME_LINE_NONE);
	profile__stats(p, &before);
	ASSERT_EQ(before.frames, after.frames);
	ASSERT_OK(profile__add(p, 600 * SEC, SAMPLE_ON_CPU, st, 4, 600));
	c = (struct check){ .p = p, .bumped = 600 };
	ASSERT_OK(profile__collect(p, 0, ~0ull, check_cb, &c));
	ASSERT_EQ(c.stacks, 61);
	/* New frames after compaction get ids of their own. */
	ASSERT_EQ(fid(p, FRAME_PYTHON, "new", "m0.py", 1, 1), after.frames);
	assert_frame(p, after.frames, FRAME_PYTHON, "new", "m0.py", 1, 1);
	profile__free(p);
}

/* Buckets inside a window: a range of whole buckets sums those alone, compaction keeps them. */
TEST(buckets_cut_windows_to_the_second)
{
	struct profile_opts o = { .window_ns = 10 * SEC, .bucket_ns = SEC,
				  .retention_ns = 100 * SEC, .max_stacks = 10, .max_frames = 100 };
	struct profile *p = profile__new(&o);
	__u32 st[3];
	struct sum s;

	ASSERT_TRUE(p != NULL);
	st[0] = id(p, "root");
	st[1] = id(p, "main");
	st[2] = id(p, "hot");
	for (__u64 t = 0; t < 30; t++)
		ASSERT_OK(profile__add(p, t * SEC + SEC / 2, SAMPLE_ON_CPU, st, 3, t + 1));
	s = collect(p, 3 * SEC, 4 * SEC, NULL);
	ASSERT_EQ(s.total, 4);
	ASSERT_EQ(s.calls, 1);
	s = collect(p, 8 * SEC, 15 * SEC, NULL);
	ASSERT_EQ(s.total, 9 + 10 + 11 + 12 + 13 + 14 + 15);
	ASSERT_EQ(profile__samples(p, 8 * SEC, 15 * SEC), 9 + 10 + 11 + 12 + 13 + 14 + 15);
	ASSERT_EQ(profile__samples(p, 10 * SEC, 20 * SEC), 155);
	/* The first window expires: the rest still counts per second under new ids. */
	profile__expire(p, 110 * SEC);
	s = collect(p, 0, 11 * SEC, NULL);
	ASSERT_EQ(s.total, 11);
	s = collect(p, 25 * SEC, 26 * SEC, NULL);
	ASSERT_EQ(s.total, 26);
	profile__free(p);
	/* Buckets must cut the window into at most PROFILE_MAX_BUCKETS. */
	o.bucket_ns = 3 * SEC;
	ASSERT_TRUE(profile__new(&o) == NULL && errno == EINVAL);
	o.window_ns = 100 * SEC;
	o.bucket_ns = SEC;
	ASSERT_TRUE(profile__new(&o) == NULL && errno == EINVAL);
}

/* What profile__collect() hands out for [from, to), on-CPU (no SAMPLE_OFF_CPU) and in all. */
static void assert_samples_as_collected(struct profile *p, __u64 from, __u64 to)
{
	struct tagged t = { 0 };
	__u64 on = 0, all = 0;

	ASSERT_OK(profile__collect(p, from, to, tagged_cb, &t));
	for (unsigned int tag = 0; tag <= SAMPLE_TAG_KNOWN; tag++) {
		all += t.count[tag];
		if (!(tag & SAMPLE_OFF_CPU))
			on += t.count[tag];
	}
	if (profile__samples_on_cpu(p, from, to) != on || profile__samples(p, from, to) != all)
		TEST_FAIL("[%llu, %llu): on-CPU %llu, all %llu; collected %llu, %llu",
			  (unsigned long long)from, (unsigned long long)to,
			  (unsigned long long)profile__samples_on_cpu(p, from, to),
			  (unsigned long long)profile__samples(p, from, to), (unsigned long long)on,
			  (unsigned long long)all);
}

/*
 * The windows' totals (whole windows) and their buckets (the others) count
 * exactly what collect does, tags and overflowed stacks included, before and
 * after compaction renumbers the stacks.
 */
TEST(samples_on_cpu_as_collected)
{
	static const sample_tag_t tags[] = { SAMPLE_ON_CPU, SAMPLE_GIL, SAMPLE_GC, SAMPLE_OFF_CPU,
					     SAMPLE_GIL_WAIT | SAMPLE_OFF_CPU };
	struct profile_opts o = { .window_ns = 10 * SEC, .bucket_ns = SEC,
				  .retention_ns = 100 * SEC, .max_stacks = 4, .max_frames = 100 };
	struct profile *p = profile__new(&o);
	__u64 rnd = 1, edges[] = { 0, SEC / 2, 3 * SEC, 10 * SEC, 12 * SEC + 1, 20 * SEC,
				   29 * SEC + SEC / 3, 40 * SEC, 41 * SEC, ~0ull };
	size_t n = sizeof(edges) / sizeof(edges[0]);
	__u32 st[3];

	ASSERT_TRUE(p != NULL);
	st[0] = id(p, "root");
	for (int i = 0; i < 2000; i++) {
		char name[16];

		rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
		snprintf(name, sizeof(name), "f%llu", (unsigned long long)(rnd >> 60));
		st[1] = id(p, name);
		st[2] = id(p, (rnd >> 40) & 1 ? "a" : "b");
		/* More stacks than a window keeps: some go under the overflow marker. */
		ASSERT_OK(profile__add(p, (rnd >> 20) % (40 * SEC), tags[(rnd >> 33) % 5], st, 3,
				       1 + (rnd >> 50) % 7));
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_samples_as_collected(p, edges[i], edges[j]);
	ASSERT_EQ(profile__samples_on_cpu(p, 5 * SEC, 5 * SEC), 0);
	/* The first window goes, the stacks are renumbered. */
	profile__expire(p, 110 * SEC);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_samples_as_collected(p, edges[i], edges[j]);
	ASSERT_EQ(profile__samples_on_cpu(p, 0, 10 * SEC), 0);
	profile__free(p);
}
