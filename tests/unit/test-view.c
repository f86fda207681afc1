// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for view: the aggregation options, short file names, and top's subtraction. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "profile/view.h"

#define PY(n, f, l, fl) ((struct frame){ .kind = FRAME_PYTHON, .name = n, .file = f, .line = l, \
					 .func_line = fl })
#define ROOT ((struct frame){ .kind = FRAME_PROCESS, .name = "python3", .line = FRAME_LINE_NONE, \
			      .func_line = FRAME_LINE_NONE })
#define THREAD(tid) ((struct frame){ .kind = FRAME_THREAD, .name = "", .line = tid, \
				     .func_line = FRAME_LINE_NONE })

/* A file's short name without a script directory. */
#define SHORT(file) view__short_file(file, NULL, 0)

/* Adds the stack of nr frames with tag to ss. */
static void add_tagged(struct stackset *ss, const struct frame *f, size_t nr, sample_tag_t tag,
		       __u64 count)
{
	__u32 ids[16];

	for (size_t i = 0; i < nr; i++)
		ASSERT_OK(stackset__frame(ss, &f[i], &ids[i]));
	ASSERT_OK(stackset__add(ss, ids, nr, tag, count));
}

static void add(struct stackset *ss, const struct frame *f, size_t nr, __u64 count)
{
	add_tagged(ss, f, nr, SAMPLE_ON_CPU, count);
}

/* ss as folded text, stacks in their order (tags as " #<tag>"), into a static buffer. */
static const char *folded(const struct stackset *ss)
{
	static struct strbuf sb;

	strbuf__reset(&sb);
	for (size_t i = 0; i < ss->nr; i++) {
		const __u32 *ids = stack__ids(ss, &ss->stacks[i]);

		for (size_t j = 0; j < ss->stacks[i].nr; j++) {
			if (j)
				ASSERT_OK(strbuf__puts(&sb, ";"));
			ASSERT_OK(frame__label(&ss->frames[ids[j]], &sb));
		}
		if (ss->stacks[i].tag)
			ASSERT_OK(strbuf__printf(&sb, " #%u", ss->stacks[i].tag));
		ASSERT_OK(strbuf__printf(&sb, " %llu\n", (unsigned long long)ss->stacks[i].count));
	}
	return sb.buf ? sb.buf : "";
}

/* folded(in seen through v), whatever it keeps of in. */
static const char *selected(const struct stackset *in, struct stackset_view v)
{
	static struct stackset out;

	stackset__done(&out);
	ASSERT_OK(stackset__view(in, &v, &out));
	return folded(&out);
}

/* folded(in seen through v), in emptied after. */
static const char *viewed(struct stackset *in, struct stackset_view v)
{
	static struct stackset out;

	stackset__done(&out);
	ASSERT_OK(stackset__view(in, &v, &out));
	ASSERT_EQ(out.total, in->total);
	return folded(&out);
}

TEST(short_file_packages)
{
	ASSERT_STREQ(SHORT("/venv/lib/python3.11/site-packages/req/api.py"), "req/api.py");
	ASSERT_STREQ(SHORT("/usr/lib/python3/dist-packages/yaml/__init__.py"),
		     "yaml/__init__.py");
	/* the last one wins: a venv inside a package directory */
	ASSERT_STREQ(SHORT("/a/site-packages/x/dist-packages/y.py"), "y.py");
	ASSERT_STREQ(SHORT("/a/dist-packages/x/site-packages/y.py"), "y.py");
	/* nothing after it: the path stays */
	ASSERT_STREQ(SHORT("/a/site-packages/"), "/a/site-packages/");
	/* packages before stdlib and script dir */
	ASSERT_STREQ(view__short_file("/app/lib/python3.12/site-packages/np/core.py", "/app/", 5),
		     "np/core.py");
}

TEST(short_file_stdlib)
{
	ASSERT_STREQ(SHORT("/usr/lib/python3.11/json/decoder.py"),
		     "json/decoder.py");
	ASSERT_STREQ(SHORT("/usr/lib64/python3.12/threading.py"), "threading.py");
	ASSERT_STREQ(SHORT("/opt/py/lib/python3.13t/os.py"), "os.py");
	ASSERT_STREQ(SHORT("lib/python3.9/os.py"), "os.py");
	/* not a stdlib directory */
	ASSERT_STREQ(SHORT("/usr/lib/pythonista/x.py"), "/usr/lib/pythonista/x.py");
	ASSERT_STREQ(SHORT("/usr/lib/python3/x.py"), "/usr/lib/python3/x.py");
	ASSERT_STREQ(SHORT("/usr/mylib/python3.11/x.py"),
		     "/usr/mylib/python3.11/x.py");
	ASSERT_STREQ(SHORT("/usr/lib/python3.11"), "/usr/lib/python3.11");
	ASSERT_STREQ(SHORT("<frozen importlib._bootstrap>"),
		     "<frozen importlib._bootstrap>");
}

TEST(short_file_script_dir)
{
	ASSERT_STREQ(view__short_file("/home/u/app/main.py", "/home/u/app/", 12), "main.py");
	ASSERT_STREQ(view__short_file("/home/u/app/pkg/mod.py", "/home/u/app/", 12), "pkg/mod.py");
	ASSERT_STREQ(view__short_file("/home/u/apple.py", "/home/u/app/", 12), "/home/u/apple.py");
	ASSERT_STREQ(view__short_file("/srv/other.py", "/home/u/app/", 12), "/srv/other.py");
}

TEST(view_full_is_identity_without_threads)
{
	struct stackset in = { 0 };
	const struct frame a[] = { ROOT, PY("<module>", "/app/main.py", 9, 1),
				   PY("f", "/usr/lib/python3.11/json/decoder.py", 20, 18) };
	const struct frame t1[] = { ROOT, THREAD(101), PY("<module>", "/app/main.py", 9, 1) };
	const struct frame t2[] = { ROOT, THREAD(102), PY("<module>", "/app/main.py", 9, 1) };

	add(&in, a, 3, 5);
	add(&in, t1, 3, 2);
	add(&in, t2, 3, 3);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .full_filenames = true }),
		     "python3;<module> (/app/main.py:9);"
		     "f (/usr/lib/python3.11/json/decoder.py:20) 5\n"
		     "python3;<module> (/app/main.py:9) 5\n");
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .full_filenames = true, .threads = true }),
		     "python3;<module> (/app/main.py:9);"
		     "f (/usr/lib/python3.11/json/decoder.py:20) 5\n"
		     "python3;thread 101;<module> (/app/main.py:9) 2\n"
		     "python3;thread 102;<module> (/app/main.py:9) 3\n");
	stackset__done(&in);
}

TEST(view_short_names)
{
	struct stackset in = { 0 };
	const struct frame a[] = { ROOT, PY("<module>", "/app/main.py", 9, 1),
				   PY("g", "/app/pkg/util.py", 4, 3),
				   PY("f", "/venv/lib/python3.11/site-packages/req/api.py", 20, 18),
				   PY("dumps", "/usr/lib/python3.11/json/__init__.py", 7, 5),
				   PY("h", "/srv/x.py", 2, 1) };

	add(&in, a, 6, 4);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ 0 }),
		     "python3;<module> (main.py:9);g (pkg/util.py:4);f (req/api.py:20);"
		     "dumps (json/__init__.py:7);h (/srv/x.py:2) 4\n");
	stackset__done(&in);
}

TEST(view_script_dir_of_most_samples)
{
	struct stackset in = { 0 };
	/* a thread's outermost frame is threading's, not a "<module>": it does not vote */
	const struct frame a[] = { ROOT, PY("_bootstrap", "/lib/x/threading.py", 1, 1),
				   PY("w", "/b/w.py", 1, 1) };
	const struct frame b[] = { ROOT, PY("<module>", "/a/s.py", 1, 1) };
	const struct frame c[] = { ROOT, PY("<module>", "/b/t.py", 1, 1) };

	add(&in, a, 3, 100);
	add(&in, b, 2, 2);
	add(&in, c, 2, 3);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ 0 }),
		     "python3;_bootstrap (/lib/x/threading.py:1);w (w.py:1) 100\n"
		     "python3;<module> (/a/s.py:1) 2\n"
		     "python3;<module> (t.py:1) 3\n");
	stackset__done(&in);
	/* a script at the root directory does not shorten everything */
	add(&in, (const struct frame[]){ ROOT, PY("<module>", "/s.py", 1, 1) }, 2, 1);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ 0 }), "python3;<module> (/s.py:1) 1\n");
	stackset__done(&in);
}

TEST(view_lines_merge)
{
	struct stackset in = { 0 };
	const struct frame a[] = { ROOT, PY("f", "/x/a.py", 12, 10) };
	const struct frame b[] = { ROOT, PY("f", "/x/a.py", 14, 10) };
	const struct frame c[] = { ROOT, PY("g", "/x/a.py", 30, FRAME_LINE_NONE) };
	const struct frame k[] = { ROOT, PY("f", "/x/a.py", 14, 10),
				   { .kind = FRAME_KERNEL, .name = "do_sys",
				     .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE } };

	add(&in, a, 2, 1);
	add(&in, b, 2, 2);
	add(&in, c, 2, 4);
	add(&in, k, 3, 8);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .full_filenames = 1, .function = 1 }),
		     "python3;f (/x/a.py:10) 3\n"
		     "python3;g (/x/a.py) 4\n"
		     "python3;f (/x/a.py:10);do_sys_[k] 8\n");
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .full_filenames = 1, .no_lines = 1 }),
		     "python3;f (/x/a.py) 3\n"
		     "python3;g (/x/a.py) 4\n"
		     "python3;f (/x/a.py);do_sys_[k] 8\n");
	/* both: no lines wins */
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .no_lines = true, .function = true }),
		     "python3;f (/x/a.py) 3\n"
		     "python3;g (/x/a.py) 4\n"
		     "python3;f (/x/a.py);do_sys_[k] 8\n");
	stackset__done(&in);
}

TEST(view_empty)
{
	struct stackset in = { 0 };

	ASSERT_STREQ(viewed(&in, (struct stackset_view){ 0 }), "");
}

/* The default view: on-CPU stacks (GIL and GC bits or not), untagged, equal ones merged. */
TEST(view_selects_on_cpu_by_default)
{
	struct stackset in = { 0 };
	const struct frame a[] = { ROOT, PY("f", "/x/a.py", 12, 10) };
	const struct frame b[] = { ROOT, PY("g", "/x/a.py", 14, 10) };
	struct stackset_view full = { .full_filenames = true };

	add_tagged(&in, a, 2, SAMPLE_ON_CPU, 3);
	add_tagged(&in, a, 2, SAMPLE_OFF_CPU, 1000);
	add_tagged(&in, a, 2, SAMPLE_GIL, 2);
	add_tagged(&in, b, 2, SAMPLE_OFF_CPU | SAMPLE_GIL_WAIT, 50);
	add_tagged(&in, b, 2, SAMPLE_ON_CPU | SAMPLE_GC, 1);
	ASSERT_EQ(in.nr, 5);
	ASSERT_STREQ(selected(&in, full), "python3;f (/x/a.py:12) 5\npython3;g (/x/a.py:14) 1\n");
	/* off-CPU time, tags kept or not */
	full.by_tag = true;
	full.tag_mask = SAMPLE_OFF_CPU;
	full.tag_value = SAMPLE_OFF_CPU;
	ASSERT_STREQ(selected(&in, full),
		     "python3;f (/x/a.py:12) 1000\npython3;g (/x/a.py:14) 50\n");
	full.keep_tags = true;
	ASSERT_STREQ(selected(&in, full),
		     "python3;f (/x/a.py:12) #1 1000\npython3;g (/x/a.py:14) #5 50\n");
	/* one bit, whatever the others */
	full.tag_mask = full.tag_value = SAMPLE_GIL;
	ASSERT_STREQ(selected(&in, full), "python3;f (/x/a.py:12) #2 2\n");
	/* on-CPU by mask: the default's set, tags kept */
	full.tag_mask = SAMPLE_OFF_CPU;
	full.tag_value = 0;
	ASSERT_STREQ(selected(&in, full), "python3;f (/x/a.py:12) 3\npython3;f (/x/a.py:12) #2 2\n"
					  "python3;g (/x/a.py:14) #8 1\n");
	/* everything, each stack as it is */
	full.tag_mask = 0;
	ASSERT_STREQ(selected(&in, full), folded(&in));
	/* a value outside the mask selects nothing */
	full.tag_value = SAMPLE_GC;
	ASSERT_STREQ(selected(&in, full), "");
	stackset__done(&in);
}

/* The script directory is the selected stacks' (an off-CPU hour does not outvote samples). */
TEST(view_script_dir_of_the_selected_stacks)
{
	struct stackset in = { 0 };
	const struct frame a[] = { ROOT, PY("<module>", "/a/app.py", 1, 1),
				   PY("f", "/a/m.py", 2, 1) };
	const struct frame b[] = { ROOT, PY("<module>", "/b/app.py", 1, 1),
				   PY("f", "/a/m.py", 2, 1) };

	add_tagged(&in, a, 3, SAMPLE_ON_CPU, 1);
	add_tagged(&in, b, 3, SAMPLE_OFF_CPU, 3600000000000ull);
	ASSERT_STREQ(selected(&in, (struct stackset_view){ 0 }),
		     "python3;<module> (app.py:1);f (m.py:2) 1\n");
	ASSERT_STREQ(selected(&in, (struct stackset_view){ .by_tag = true,
							   .tag_mask = SAMPLE_OFF_CPU,
							   .tag_value = SAMPLE_OFF_CPU }),
		     "python3;<module> (app.py:1);f (/a/m.py:2) 3600000000000\n");
	stackset__done(&in);
}

#define KERNEL(n) ((struct frame){ .kind = FRAME_KERNEL, .name = n, .line = FRAME_LINE_NONE, \
				   .func_line = FRAME_LINE_NONE })
#define MARKER(n) ((struct frame){ .kind = FRAME_MARKER, .name = n, .line = FRAME_LINE_NONE, \
				   .func_line = FRAME_LINE_NONE })

/* folded(in seen in mode, period_ns for wall), other options from v. */
static const char *in_mode(const struct stackset *in, struct stackset_view v, enum view_mode mode,
			   __u64 period_ns)
{
	ASSERT_OK(stackset_view__set_mode(&v, mode, period_ns));
	return selected(in, v);
}

/* One thread's stacks under every tag: the view a mode makes of them. */
TEST(view_modes_choose_stacks_and_units)
{
	struct stackset in = { 0 };
	const struct frame run[] = { ROOT, PY("run", "/x/a.py", 3, 1) };
	const struct frame sleep[] = { ROOT, PY("nap", "/x/a.py", 7, 6), KERNEL("do_nanosleep") };
	struct stackset_view full = { .full_filenames = true };

	add_tagged(&in, run, 2, SAMPLE_ON_CPU, 2);
	add_tagged(&in, run, 2, SAMPLE_GIL, 3);
	add_tagged(&in, run, 2, SAMPLE_GIL | SAMPLE_GC, 1);
	add_tagged(&in, sleep, 3, SAMPLE_OFF_CPU, 2000000000);
	add_tagged(&in, run, 2, SAMPLE_OFF_CPU | SAMPLE_GIL_WAIT, 500);
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_CPU, 0), "python3;run (/x/a.py:3) 6\n");
	/* on-CPU samples are 10 ms each, beside off-CPU ns; the same frames merge */
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_WALL, 10000000),
		     "python3;run (/x/a.py:3) 60000500\n"
		     "python3;nap (/x/a.py:7);do_nanosleep_[k] 2000000000\n");
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_OFFCPU, 0),
		     "python3;nap (/x/a.py:7);do_nanosleep_[k] 2000000000\n"
		     "python3;run (/x/a.py:3) 500\n");
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_GIL, 0), "python3;run (/x/a.py:3) 4\n");
	/* the period is ignored by modes other than wall; wall cannot do without */
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_CPU, 7), "python3;run (/x/a.py:3) 6\n");
	ASSERT_EQ(stackset_view__set_mode(&full, VIEW_MODE_WALL, 0), -EINVAL);
	ASSERT_EQ(stackset_view__set_mode(&full, VIEW_MODE__MAX, 1), -EINVAL);
	/* tags kept: each stack with its own, counts in the view's unit */
	full.keep_tags = true;
	ASSERT_STREQ(in_mode(&in, full, VIEW_MODE_WALL, 10),
		     "python3;run (/x/a.py:3) 20\npython3;run (/x/a.py:3) #2 30\n"
		     "python3;run (/x/a.py:3) #10 10\n"
		     "python3;nap (/x/a.py:7);do_nanosleep_[k] #1 2000000000\n"
		     "python3;run (/x/a.py:3) #5 500\n");
	stackset__done(&in);
}

TEST(view_mode_names)
{
	enum view_mode m = VIEW_MODE__MAX;

	for (unsigned int i = 0; i < VIEW_MODE__MAX; i++) {
		ASSERT_OK(view_mode__parse(view_mode__name((enum view_mode)i), &m));
		ASSERT_EQ(m, i);
	}
	ASSERT_STREQ(view_mode__name(VIEW_MODE_OFFCPU), "offcpu");
	ASSERT_TRUE(view_mode__name(VIEW_MODE__MAX) == NULL);
	ASSERT_EQ(view_mode__parse("Wall", &m), -EINVAL);
	ASSERT_EQ(view_mode__parse("", &m), -EINVAL);
	ASSERT_EQ(view_mode__unit(VIEW_MODE_CPU), VIEW_UNIT_SAMPLES);
	ASSERT_EQ(view_mode__unit(VIEW_MODE_GIL), VIEW_UNIT_SAMPLES);
	ASSERT_EQ(view_mode__unit(VIEW_MODE_WALL), VIEW_UNIT_NS);
	ASSERT_EQ(view_mode__unit(VIEW_MODE_OFFCPU), VIEW_UNIT_NS);
}

/* A sample count that would pass 2^64 as ns is refused, not wrapped. */
TEST(view_wall_overflow)
{
	struct stackset in = { 0 }, out = { 0 };
	const struct frame run[] = { ROOT, PY("run", "/x/a.py", 3, 1) };
	struct stackset_view v = { 0 };

	add_tagged(&in, run, 2, SAMPLE_ON_CPU, UINT64_MAX / 10 + 1);
	ASSERT_OK(stackset_view__set_mode(&v, VIEW_MODE_WALL, 10));
	ASSERT_EQ(stackset__view(&in, &v, &out), -EINVAL);
	ASSERT_EQ(out.nr, 0);
	ASSERT_OK(stackset_view__set_mode(&v, VIEW_MODE_WALL, 9));
	ASSERT_OK(stackset__view(&in, &v, &out));
	ASSERT_EQ(out.total, (UINT64_MAX / 10 + 1) * 9);
	stackset__done(&out);
	stackset__done(&in);
}

/* Markers: after the last Python frame, before the kernel frames; frames, not text. */
TEST(view_markers_where_the_tag_says)
{
	struct stackset in = { 0 }, out = { 0 };
	const struct frame gc[] = { ROOT, THREAD(7), PY("a", "/x/a.py", 1, 1),
				    PY("b", "/x/a.py", 2, 1), KERNEL("k1"), KERNEL("k2") };
	const struct frame wait[] = { ROOT, PY("a", "/x/a.py", 1, 1), KERNEL("futex_wait") };
	const struct frame nopy[] = { ROOT, MARKER("[python: no Python frame]"), KERNEL("k1") };
	const struct frame bare[] = { ROOT };
	struct stackset_view v = { .full_filenames = true, .gc_marker = true,
				   .gil_wait_marker = true, .by_tag = true };
	const struct frame *m = NULL;

	add_tagged(&in, gc, 6, SAMPLE_GIL | SAMPLE_GC, 4);
	add_tagged(&in, wait, 3, SAMPLE_OFF_CPU | SAMPLE_GIL_WAIT | SAMPLE_GC, 90);
	add_tagged(&in, nopy, 3, SAMPLE_GC, 1);
	add_tagged(&in, bare, 1, SAMPLE_GC, 2);
	add_tagged(&in, wait, 3, SAMPLE_ON_CPU, 5);
	ASSERT_STREQ(selected(&in, v),
		     "python3;a (/x/a.py:1);b (/x/a.py:2);[gc];k1_[k];k2_[k] 4\n"
		     "python3;a (/x/a.py:1);[gc];[waiting for GIL];futex_wait_[k] 90\n"
		     "python3;[python: no Python frame];[gc];k1_[k] 1\n"
		     "python3;[gc] 2\n"
		     "python3;a (/x/a.py:1);futex_wait_[k] 5\n");
	/* the marker is a FRAME_MARKER frame, one for every stack */
	ASSERT_OK(stackset__view(&in, &v, &out));
	for (size_t i = 0; i < out.nr_frames; i++)
		if (strcmp(out.frames[i].name, "[gc]") == 0) {
			ASSERT_TRUE(m == NULL);
			m = &out.frames[i];
		}
	ASSERT_TRUE(m && m->kind == FRAME_MARKER && !m->file);
	stackset__done(&out);
	/* --no-gc: no marker, the samples stay; threads shown: the marker after Python still */
	v.gc_marker = false;
	v.threads = true;
	ASSERT_STREQ(selected(&in, v),
		     "python3;thread 7;a (/x/a.py:1);b (/x/a.py:2);k1_[k];k2_[k] 4\n"
		     "python3;a (/x/a.py:1);[waiting for GIL];futex_wait_[k] 90\n"
		     "python3;[python: no Python frame];k1_[k] 1\n"
		     "python3 2\n"
		     "python3;a (/x/a.py:1);futex_wait_[k] 5\n");
	/* a zeroed view adds none (what PYPROF/2 showed) */
	ASSERT_STREQ(selected(&in, (struct stackset_view){ .full_filenames = true }),
		     "python3;a (/x/a.py:1);b (/x/a.py:2);k1_[k];k2_[k] 4\n"
		     "python3;[python: no Python frame];k1_[k] 1\n"
		     "python3 2\n"
		     "python3;a (/x/a.py:1);futex_wait_[k] 5\n");
	stackset__done(&in);
}

/* A stack at the depth limit keeps its root and its markers, losing the leaf's frames. */
TEST(view_markers_at_the_depth_limit)
{
	struct stackset in = { 0 }, out = { 0 };
	struct frame f = ROOT;
	struct stackset_view v = { .gc_marker = true, .gil_wait_marker = true, .by_tag = true };
	__u32 ids[STACK_MAX_DEPTH];
	const __u32 *o;
	char name[16];

	ASSERT_OK(stackset__frame(&in, &f, &ids[0]));
	for (size_t i = 1; i < STACK_MAX_DEPTH; i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		f = KERNEL(name);
		ASSERT_OK(stackset__frame(&in, &f, &ids[i]));
	}
	f = PY("a", "/x/a.py", 1, 1);
	ASSERT_OK(stackset__frame(&in, &f, &ids[1]));
	ASSERT_OK(stackset__add(&in, ids, STACK_MAX_DEPTH,
				SAMPLE_OFF_CPU | SAMPLE_GIL_WAIT | SAMPLE_GC, 3));
	ASSERT_OK(stackset__view(&in, &v, &out));
	ASSERT_EQ(out.nr, 1);
	ASSERT_EQ(out.stacks[0].nr, STACK_MAX_DEPTH);
	o = stack__ids(&out, &out.stacks[0]);
	ASSERT_EQ(out.frames[o[0]].kind, FRAME_PROCESS);
	ASSERT_STREQ(out.frames[o[1]].name, "a");
	ASSERT_STREQ(out.frames[o[2]].name, "[gc]");
	ASSERT_STREQ(out.frames[o[3]].name, "[waiting for GIL]");
	ASSERT_STREQ(out.frames[o[4]].name, "k2");
	snprintf(name, sizeof(name), "k%d", STACK_MAX_DEPTH - 3);
	ASSERT_STREQ(out.frames[o[STACK_MAX_DEPTH - 1]].name, name);
	stackset__done(&out);
	/* markers at the leaf end (no kernel frames after Python): the frames before give way */
	stackset__done(&in);
	f = ROOT;
	ASSERT_OK(stackset__frame(&in, &f, &ids[0]));
	for (size_t i = 1; i < STACK_MAX_DEPTH; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		f = PY(name, "/x/a.py", (int)i, 1);
		ASSERT_OK(stackset__frame(&in, &f, &ids[i]));
	}
	ASSERT_OK(stackset__add(&in, ids, STACK_MAX_DEPTH, SAMPLE_GC, 1));
	ASSERT_OK(stackset__view(&in, &v, &out));
	ASSERT_EQ(out.stacks[0].nr, STACK_MAX_DEPTH);
	o = stack__ids(&out, &out.stacks[0]);
	ASSERT_STREQ(out.frames[o[STACK_MAX_DEPTH - 1]].name, "[gc]");
	snprintf(name, sizeof(name), "p%d", STACK_MAX_DEPTH - 2);
	ASSERT_STREQ(out.frames[o[STACK_MAX_DEPTH - 2]].name, name);
	stackset__done(&out);
	stackset__done(&in);
}

/* --tid: the stacks of those threads, by their thread frame, shown or not. */
TEST(view_tid_filter)
{
	struct stackset in = { 0 };
	const struct frame t1[] = { ROOT, THREAD(11), PY("a", "/x/a.py", 1, 1) };
	const struct frame t2[] = { ROOT, THREAD(22), PY("b", "/x/a.py", 2, 1) };
	const struct frame t3[] = { ROOT, THREAD(33), PY("a", "/x/a.py", 1, 1) };
	const struct frame none[] = { ROOT, PY("c", "/x/a.py", 3, 1) };
	const __s32 tids[] = { 33, 11 };
	struct stackset_view v = { .full_filenames = true, .tids = tids, .nr_tids = 1 };

	add(&in, t1, 3, 1);
	add(&in, t2, 3, 2);
	add(&in, t3, 3, 4);
	add(&in, none, 2, 8);
	ASSERT_STREQ(selected(&in, v), "python3;a (/x/a.py:1) 4\n");
	v.nr_tids = 2;
	ASSERT_STREQ(selected(&in, v), "python3;a (/x/a.py:1) 5\n");
	v.threads = true;
	ASSERT_STREQ(selected(&in, v), "python3;thread 11;a (/x/a.py:1) 1\n"
				       "python3;thread 33;a (/x/a.py:1) 4\n");
	v.nr_tids = 0;
	ASSERT_EQ(strlen(selected(&in, v)), strlen(folded(&in)));
	stackset__done(&in);
}

#define NAMED(n, tid) ((struct frame){ .kind = FRAME_THREAD, .name = n, .line = tid, \
					.func_line = FRAME_LINE_NONE })

/* --thread-name: shell patterns on the thread frame's name; with --tid, both must match. */
TEST(view_thread_name_filter)
{
	struct stackset in = { 0 };
	const struct frame w1[] = { ROOT, NAMED("busy-1", 11), PY("a", "/x/a.py", 1, 1) };
	const struct frame w12[] = { ROOT, NAMED("busy-12", 12), PY("b", "/x/a.py", 2, 1) };
	const struct frame w2[] = { ROOT, NAMED("busy-2", 13), PY("c", "/x/a.py", 3, 1) };
	const struct frame anon[] = { ROOT, THREAD(14), PY("d", "/x/a.py", 4, 1) };
	const struct frame none[] = { ROOT, PY("e", "/x/a.py", 5, 1) };
	const char *const pats[] = { "busy-1*", "", "[!b]*" };
	const __s32 tids[] = { 12 };
	struct stackset_view v = { .full_filenames = true, .thread_names = pats,
				   .nr_thread_names = 1 };

	add(&in, w1, 3, 1);
	add(&in, w12, 3, 2);
	add(&in, w2, 3, 4);
	add(&in, anon, 3, 8);
	add(&in, none, 2, 16);
	ASSERT_STREQ(selected(&in, v), "python3;a (/x/a.py:1) 1\npython3;b (/x/a.py:2) 2\n");
	v.threads = true;
	ASSERT_STREQ(selected(&in, v), "python3;busy-1 (tid 11);a (/x/a.py:1) 1\n"
				       "python3;busy-12 (tid 12);b (/x/a.py:2) 2\n");
	/* "" is the name of a thread without one; no thread frame matches nothing */
	v.nr_thread_names = 2;
	ASSERT_STREQ(selected(&in, v), "python3;busy-1 (tid 11);a (/x/a.py:1) 1\n"
				       "python3;busy-12 (tid 12);b (/x/a.py:2) 2\n"
				       "python3;thread 14;d (/x/a.py:4) 8\n");
	v.tids = tids;
	v.nr_tids = 1;
	ASSERT_STREQ(selected(&in, v), "python3;busy-12 (tid 12);b (/x/a.py:2) 2\n");
	v.thread_names = pats + 2;
	v.nr_thread_names = 1;
	ASSERT_STREQ(selected(&in, v), "");
	stackset__done(&in);
}

/* top's deltas: a stack is its frames and its tag. */
TEST(subtract_by_tag)
{
	struct stackset cur = { 0 }, prev = { 0 }, out = { 0 };
	const struct frame a[] = { ROOT, PY("f", "/x/a.py", 12, 10) };

	add_tagged(&prev, a, 2, SAMPLE_OFF_CPU, 100);
	add_tagged(&prev, a, 2, SAMPLE_ON_CPU, 3);
	add_tagged(&cur, a, 2, SAMPLE_ON_CPU, 5);
	add_tagged(&cur, a, 2, SAMPLE_OFF_CPU, 100);
	add_tagged(&cur, a, 2, SAMPLE_GIL, 4);
	ASSERT_OK(stackset__subtract(&cur, &prev, &out));
	ASSERT_STREQ(folded(&out), "python3;f (/x/a.py:12) 2\npython3;f (/x/a.py:12) #2 4\n");
	stackset__done(&out);
	stackset__done(&prev);
	/* samples before under another tag are not these */
	add_tagged(&prev, a, 2, SAMPLE_OFF_CPU, 40);
	ASSERT_OK(stackset__subtract(&cur, &prev, &out));
	ASSERT_STREQ(folded(&out), "python3;f (/x/a.py:12) 5\npython3;f (/x/a.py:12) #1 60\n"
				   "python3;f (/x/a.py:12) #2 4\n");
	stackset__done(&out);
	stackset__done(&prev);
	stackset__done(&cur);
}

TEST(subtract)
{
	struct stackset cur = { 0 }, prev = { 0 }, out = { 0 }, none = { 0 };
	const struct frame a[] = { ROOT, PY("f", "/x/a.py", 12, 10) };
	const struct frame b[] = { ROOT, PY("g", "/x/a.py", 14, 10) };
	const struct frame c[] = { ROOT, PY("h", "/x/a.py", 16, 10) };

	/* prev interns its frames in another order: stacks compare by frames, not ids */
	add(&prev, c, 2, 5);
	add(&prev, b, 2, 2);
	add(&prev, a, 2, 3);
	add(&cur, a, 2, 7);
	add(&cur, b, 2, 2);
	add(&cur, c, 2, 1);	/* fewer than before: what is there */
	add(&cur, (const struct frame[]){ ROOT }, 1, 4);
	ASSERT_OK(stackset__subtract(&cur, &prev, &out));
	ASSERT_STREQ(folded(&out),
		     "python3;f (/x/a.py:12) 4\npython3;h (/x/a.py:16) 1\npython3 4\n");
	ASSERT_EQ(out.total, 9);
	stackset__done(&out);
	/* nothing before: all of cur; nothing now: nothing */
	ASSERT_OK(stackset__subtract(&cur, &none, &out));
	ASSERT_EQ(out.total, 14);
	stackset__done(&out);
	stackset__done(&prev);
	ASSERT_OK(stackset__subtract(&prev, &cur, &out));
	ASSERT_EQ(out.nr, 0);
	stackset__done(&cur);
}

/*
 * A C-only thread's marker stands for its native stack: dropped where the
 * native frames show, merged with the plain marker (a failed unwind) where not.
 */
TEST(view_native_standin_marker)
{
	struct stackset in = { 0 };
	const struct frame standin = { .kind = FRAME_MARKER, .name = "[python: no state]",
				       .line = FRAME_LINE_NONE,
				       .func_line = FRAME_MARKER_NATIVE_STANDIN };
	const struct frame plain = { .kind = FRAME_MARKER, .name = "[python: no state]",
				     .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE };
	const struct frame spin = { .kind = FRAME_NATIVE, .name = "spin", .file = "/x/lib.so",
				    .line = FRAME_LINE_NONE, .func_line = FRAME_LINE_NONE };
	const struct frame a[] = { ROOT, standin, spin };
	const struct frame b[] = { ROOT, plain };

	add(&in, a, 3, 2);
	add(&in, b, 2, 1);
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ 0 }), "python3;[python: no state] 3\n");
	ASSERT_STREQ(viewed(&in, (struct stackset_view){ .native = true }),
		     "python3;spin (/x/lib.so) 2\n"
		     "python3;[python: no state] 1\n");
	stackset__done(&in);
}
