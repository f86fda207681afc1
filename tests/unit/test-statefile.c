// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for statefile: round trip, the byte layout, and that every corrupt or
 * truncated field (and every damaged byte of a stored file) rejects the file
 * whole, leaving nothing decoded, in W6 (buckets), W4 (tags and labels) and
 * W3; that version 5, 4, 3 and 2 files still load, as one bucket (W3 and W2
 * on-CPU and unlabelled, W2: each name read back as its frame); where a
 * window lands on the reader's clock.
 */
#include <errno.h>
#include <stdint.h>
#include <zlib.h>
#include "testhelp.h"
#include "profile/stacks.h"
#include "profile/statefile.h"
#include "base/strbuf.h"

#define BOOT_A "0123abcd-0000-4000-8000-00000000000a"
#define BOOT_B "0123abcd-0000-4000-8000-00000000000b"
#define SEC    1000000000ull
#define NONE   FRAME_LINE_NONE

static struct frame frames0[] = {
	{ FRAME_PROCESS, "py", NULL, NONE, NONE },
	{ FRAME_PYTHON, "main", "/a.py", 1, 1 },
	{ FRAME_PYTHON, "hot", "/a.py", 7, 5 },
	{ FRAME_THREAD, "", NULL, 42, NONE },
	{ FRAME_KERNEL, "py", NULL, NONE, NONE },	/* one string with the root's name */
};
static __u32 ids0[] = { 0, 3, 1, 0, 3, 1, 2, 4 };
static struct statefile_stack stacks0[] = { { .off = 0, .nr = 3, .count = 5 },
					     { .off = 3, .nr = 5, .count = 7 } };
static struct frame frames1[] = { { FRAME_MARKER, "[python: no Python frame]", NULL, NONE, NONE } };
static __u32 ids1[] = { 0 };
static struct statefile_stack stacks1[] = { { .off = 0, .nr = 1, .count = 1 } };

static struct statefile_proc procs[] = {
	{ .pid = 4242, .start_time = 99, .ruid = 1000, .euid = 1001, .version_hex = 0x030b07f0,
	  .supported = true, .comm = "py", .exe = "/usr/bin/python3", .why = "",
	  .nr_frames = 5, .frames = frames0, .nr_stacks = 2, .stacks = stacks0, .ids = ids0 },
	{ .pid = 7, .start_time = 1, .comm = "x", .exe = "", .why = "no libpython",
	  .nr_frames = 1, .frames = frames1, .nr_stacks = 1, .stacks = stacks1, .ids = ids1 },
};

/* The same processes with what W4 adds: labels on the first, tags on stacks of both. */
static struct proclabel labels0[] = { { "unit_a", "/x" }, { "unit_b", "a" } };
static struct statefile_stack stacks0_tagged[] = {
	{ .off = 0, .nr = 3, .count = 5, .tag = SAMPLE_OFF_CPU },
	{ .off = 3, .nr = 5, .count = 7, .tag = SAMPLE_GIL | SAMPLE_GC },
};
static struct statefile_stack stacks1_tagged[] = {
	{ .off = 0, .nr = 1, .count = 1, .tag = SAMPLE_TAG_KNOWN },
};
static struct statefile_proc procs4[2];

/*
 * What W6 adds: buckets of 1 s.  The first stack again in another bucket is
 * a stack of its own.
 */
static struct statefile_stack stacks0_bucketed[] = {
	{ .off = 0, .nr = 3, .count = 5, .tag = SAMPLE_OFF_CPU, .bucket = 3 },
	{ .off = 3, .nr = 5, .count = 7, .tag = SAMPLE_GIL | SAMPLE_GC, .bucket = 9 },
	{ .off = 0, .nr = 3, .count = 2, .tag = SAMPLE_OFF_CPU, .bucket = 4 },
};
static struct statefile_stack stacks1_bucketed[] = {
	{ .off = 0, .nr = 1, .count = 1, .tag = SAMPLE_TAG_KNOWN, .bucket = 9 },
};
static struct statefile_proc procs6[2];
#define CMDLINE0 "python3 app.py --port 8080"

/* Both files are one window of the two processes; fixture() fits W3 too. */
static struct statefile fixture(void)
{
	struct statefile sf = { .window_ns = 10 * SEC, .bucket_ns = 10 * SEC, .start = 100 * SEC,
				.start_wall = 5 * SEC, .nr_procs = 2, .procs = procs };

	memcpy(sf.boot_id, BOOT_A, STATEFILE_BOOT_ID);
	return sf;
}

static struct statefile fixture4(void)
{
	struct statefile sf = fixture();

	procs4[0] = procs[0];
	procs4[0].nr_labels = 2;
	procs4[0].labels = labels0;
	procs4[0].stacks = stacks0_tagged;
	procs4[1] = procs[1];
	procs4[1].stacks = stacks1_tagged;
	sf.procs = procs4;
	return sf;
}

static struct statefile fixture6(void)
{
	struct statefile sf = fixture4();

	procs6[0] = procs4[0];
	procs6[0].nr_stacks = 3;
	procs6[0].stacks = stacks0_bucketed;
	procs6[1] = procs4[1];
	procs6[1].stacks = stacks1_bucketed;
	procs6[0].cmdline = CMDLINE0;
	procs6[1].cmdline = "";
	sf.bucket_ns = SEC;
	sf.procs = procs6;
	return sf;
}

static struct strbuf encode(const struct statefile *sf)
{
	struct strbuf raw = { 0 };

	ASSERT_OK(statefile__encode_raw(sf, &raw));
	return raw;
}

/* Decoding failed and left nothing behind for a caller to apply. */
static void assert_rejected(int err, const struct statefile *sf)
{
	ASSERT_EQ(err, -EBADMSG);
	ASSERT_EQ(sf->nr_procs, 0);
	ASSERT_TRUE(sf->procs == NULL);
}

static bool frame_eq(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 && !a->file == !b->file &&
	       (!a->file || strcmp(a->file, b->file) == 0) && a->line == b->line &&
	       a->func_line == b->func_line;
}

/* b holds what a does: the same fields, stacks of equal frames. */
static void assert_same(const struct statefile *a, const struct statefile *b)
{
	ASSERT_EQ(b->window_ns, a->window_ns);
	ASSERT_EQ(b->bucket_ns, a->bucket_ns);
	ASSERT_EQ(b->start, a->start);
	ASSERT_EQ(b->start_wall, a->start_wall);
	ASSERT_TRUE(memcmp(b->boot_id, a->boot_id, STATEFILE_BOOT_ID) == 0);
	ASSERT_EQ(b->nr_procs, a->nr_procs);
	for (__u32 i = 0; i < a->nr_procs; i++) {
		const struct statefile_proc *x = &a->procs[i], *y = &b->procs[i];

		ASSERT_EQ(y->pid, x->pid);
		ASSERT_EQ(y->start_time, x->start_time);
		ASSERT_EQ(y->ruid, x->ruid);
		ASSERT_EQ(y->euid, x->euid);
		ASSERT_EQ(y->version_hex, x->version_hex);
		ASSERT_EQ(y->supported, x->supported);
		ASSERT_STREQ(y->comm, x->comm);
		ASSERT_STREQ(y->exe, x->exe);
		ASSERT_STREQ(y->why, x->why);
		ASSERT_STREQ(y->cmdline ? y->cmdline : "", x->cmdline ? x->cmdline : "");
		ASSERT_EQ(y->nr_labels, x->nr_labels);
		for (__u32 k = 0; k < x->nr_labels; k++) {
			ASSERT_STREQ(y->labels[k].key, x->labels[k].key);
			ASSERT_STREQ(y->labels[k].value, x->labels[k].value);
		}
		ASSERT_EQ(y->nr_stacks, x->nr_stacks);
		for (__u32 k = 0; k < x->nr_stacks; k++) {
			const struct statefile_stack *s = &x->stacks[k], *t = &y->stacks[k];

			ASSERT_EQ(t->nr, s->nr);
			ASSERT_EQ(t->count, s->count);
			ASSERT_EQ(t->tag, s->tag);
			ASSERT_EQ(t->bucket, s->bucket);
			for (__u32 f = 0; f < s->nr; f++)
				ASSERT_TRUE(frame_eq(&y->frames[y->ids[t->off + f]],
						     &x->frames[x->ids[s->off + f]]));
		}
	}
}

/* w3_of()'s walk over W4 bytes: the next u32, and copying n bytes on. */
struct walk {
	const char *p;
	struct strbuf *out;
};

static __u32 walk__u32(const struct walk *w)
{
	__u32 v;

	memcpy(&v, w->p, 4);
	return v;
}

static void walk__copy(struct walk *w, size_t n)
{
	ASSERT_OK(strbuf__append(w->out, w->p, n));
	w->p += n;
}

/*
 * The W5 bytes of sf (one bucket, the whole window): what the W5 writer made
 * of it, i.e. its W6 encoding without bucket_ns, the bucket column and the
 * command line.
 */
static struct strbuf w5_of(const struct statefile *sf)
{
	struct strbuf w6 = encode(sf), w5 = { 0 };
	struct walk w = { .p = w6.buf, .out = &w5 };

	ASSERT_EQ(sf->bucket_ns, sf->window_ns);
	walk__copy(&w, 60);
	w.p += 8;	/* bucket_ns */
	walk__copy(&w, 4);
	for (__u32 i = 0; i < sf->nr_procs; i++) {
		__u32 nr;

		walk__copy(&w, 4 + 8 + 4 * 4);
		for (int k = 0; k < 3; k++)
			walk__copy(&w, 4 + walk__u32(&w));
		nr = walk__u32(&w);
		walk__copy(&w, 4);
		for (__u32 k = 0; k < 2 * nr; k++)
			walk__copy(&w, 4 + walk__u32(&w));
		nr = walk__u32(&w);
		walk__copy(&w, 4);
		for (__u32 k = 0; k < nr; k++)
			walk__copy(&w, 4 + walk__u32(&w));
		walk__copy(&w, 4 + (size_t)walk__u32(&w) * 17);
		nr = walk__u32(&w);
		walk__copy(&w, 4);
		for (__u32 k = 0; k < nr; k++)
			walk__copy(&w, 4 + (size_t)walk__u32(&w) * 4 + 8);
		walk__copy(&w, nr);	/* tags */
		for (__u32 k = 0; k < nr; k++)
			ASSERT_EQ(w.p[k], 0);	/* the bucket column: not in W5 */
		w.p += nr;
		w.p += 4 + walk__u32(&w);	/* the command line: not in W5 */
	}
	ASSERT_EQ((size_t)(w.p - w6.buf), w6.len);
	strbuf__done(&w6);
	return w5;
}

/*
 * The W3 bytes of sf (no labels, every tag on-CPU): what the W3 writer made
 * of it, i.e. its W4 encoding without nr_labels and the tag column.
 */
static struct strbuf w3_of(const struct statefile *sf)
{
	struct strbuf w4 = w5_of(sf), w3 = { 0 };
	struct walk w = { .p = w4.buf, .out = &w3 };

	walk__copy(&w, 64);
	for (__u32 i = 0; i < sf->nr_procs; i++) {
		__u32 nr;

		walk__copy(&w, 4 + 8 + 4 * 4);
		for (int k = 0; k < 3; k++)
			walk__copy(&w, 4 + walk__u32(&w));
		ASSERT_EQ(walk__u32(&w), 0);	/* nr_labels: not in W3 */
		w.p += 4;
		nr = walk__u32(&w);
		walk__copy(&w, 4);
		for (__u32 k = 0; k < nr; k++)
			walk__copy(&w, 4 + walk__u32(&w));
		walk__copy(&w, 4 + (size_t)walk__u32(&w) * 17);
		nr = walk__u32(&w);
		walk__copy(&w, 4);
		for (__u32 k = 0; k < nr; k++)
			walk__copy(&w, 4 + (size_t)walk__u32(&w) * 4 + 8);
		for (__u32 k = 0; k < nr; k++)
			ASSERT_EQ(w.p[k], SAMPLE_ON_CPU);	/* the tag column: not in W3 */
		w.p += nr;
	}
	ASSERT_EQ((size_t)(w.p - w4.buf), w4.len);
	strbuf__done(&w4);
	return w3;
}

static __u8 *file_of(const char *magic, const struct strbuf *raw, size_t *ret_len);

TEST(round_trip)
{
	struct statefile in = fixture6(), out;
	struct strbuf raw = encode(&in);
	__u8 *file;
	size_t len;

	ASSERT_OK(statefile__compress((const __u8 *)raw.buf, raw.len, &file, &len));
	ASSERT_TRUE(memcmp(file, "PYPROFW6", 8) == 0);
	ASSERT_OK(statefile__decode(file, len, &out));
	assert_same(&in, &out);
	ASSERT_TRUE(!out.old_clock);
	ASSERT_EQ(out.bucket_ns, SEC);
	ASSERT_EQ(out.procs[0].stacks[2].bucket, 4);
	for (__u32 i = 0; i < 2; i++) {
		const struct statefile_proc *a = &in.procs[i], *b = &out.procs[i];

		ASSERT_EQ(b->samples, i ? 1 : 14);
		ASSERT_EQ(b->nr_frames, a->nr_frames);
		for (__u32 k = 0; k < a->nr_frames; k++)
			ASSERT_TRUE(frame_eq(&b->frames[k], &a->frames[k]));
	}
	/* Equal strings are stored once. */
	ASSERT_EQ(out.procs[0].nr_strings, 5);
	ASSERT_EQ(out.procs[1].nr_labels, 0);
	ASSERT_TRUE(out.procs[1].labels == NULL);
	statefile__fini(&out);
	statefile__fini(&out);
	free(file);
	strbuf__done(&raw);
	/* W5 bytes: one bucket, the whole window, every stack in bucket 0. */
	in = fixture4();
	raw = w5_of(&in);
	file = file_of(STATEFILE_MAGIC_W5, &raw, &len);
	ASSERT_OK(statefile__decode(file, len, &out));
	assert_same(&in, &out);
	ASSERT_EQ(out.bucket_ns, out.window_ns);
	ASSERT_TRUE(!out.old_clock);
	ASSERT_TRUE(out.procs[0].cmdline == NULL);	/* none kept before W6 */
	statefile__fini(&out);
	free(file);
	/* The same bytes as W4: read, and marked as of the old clock. */
	file = file_of(STATEFILE_MAGIC_W4, &raw, &len);
	ASSERT_OK(statefile__decode(file, len, &out));
	assert_same(&in, &out);
	ASSERT_TRUE(out.old_clock);
	statefile__fini(&out);
	free(file);
	strbuf__done(&raw);
}

/* Byte offsets of the fixture's fields, from the layout in statefile.h. */
enum {
	F_WINDOW = 0, F_START = 8, F_BOOT = 24, F_NR_PROCS = 60,
	F_PID = 64, F_SUPPORTED = 88, F_COMM_LEN = 92, F_EXE_LEN = 98, F_WHY_LEN = 118,
	F_NR_STRINGS = 122, F_STR0_LEN = 126, F_STR0 = 130, F_STR1 = 136,
	F_NR_FRAMES = 160, F_FRAME0_KIND = 164, F_FRAME4_KIND = 168, F_FRAME0_NAME = 169,
	F_FRAME4_NAME = 185, F_FRAME0_FILE = 189, F_FRAME1_FILE = 193, F_FRAME0_LINE = 209,
	F_FRAME2_LINE = 217, F_FRAME0_FUNC = 229, F_FRAME2_FUNC = 237, F_NR_STACKS = 249, F_STACK0_NR = 253, F_STACK0_ID1 = 261, F_STACK0_COUNT = 269,
	F_STACK1_NR = 277, F_STACKS_END = 309,
};

/*
 * In fixture4()'s W4 bytes: the labels after why, the tags after the stacks;
 * W3's fields after why move by the labels' bytes (4 + 2 x (4 + 6 + 4) + 2 + 1).
 */
enum {
	L_NR_LABELS = 122, L_KEY0_LEN = 126, L_KEY0 = 130, L_VALUE0_LEN = 136, L_VALUE0 = 140,
	L_KEY1_LEN = 142, L_KEY1 = 146, L_VALUE1_LEN = 152, L_VALUE1 = 156,
	L_SHIFT = 35, L_TAG0 = F_STACKS_END + L_SHIFT, L_TAG1 = L_TAG0 + 1,
};

/*
 * In fixture6()'s W6 bytes: bucket_ns before nr_procs moves what follows by
 * 8; a third stack of 3 frames (24 bytes) after the second, then the tags
 * and the buckets.
 */
enum {
	B_BUCKET_NS = F_NR_PROCS, B_SHIFT = 8,
	B_STACK2_NR = F_STACKS_END + L_SHIFT + B_SHIFT,
	B_TAG0 = B_STACK2_NR + 24, B_BUCKET0 = B_TAG0 + 3, B_BUCKET2 = B_BUCKET0 + 2,
	B_CMDLINE0_LEN = B_BUCKET2 + 1, B_CMDLINE0 = B_CMDLINE0_LEN + 4,
	B_PID1 = B_CMDLINE0 + sizeof(CMDLINE0) - 1,
};

static void put32(struct strbuf *raw, size_t off, __u32 v)
{
	memcpy(raw->buf + off, &v, sizeof(v));
}

static void put64(struct strbuf *raw, size_t off, __u64 v)
{
	memcpy(raw->buf + off, &v, sizeof(v));
}

static __u32 at32(const struct strbuf *raw, size_t off)
{
	__u32 v;

	memcpy(&v, raw->buf + off, sizeof(v));
	return v;
}

/* W3's layout (what w3_of() makes: the offsets above), then W4's. */
TEST(layout_matches_the_format)
{
	struct statefile sf = fixture();
	struct strbuf raw = w3_of(&sf);
	__u64 v64;

	memcpy(&v64, raw.buf + F_WINDOW, 8);
	ASSERT_EQ(v64, 10 * SEC);
	ASSERT_TRUE(memcmp(raw.buf + F_BOOT, BOOT_A, STATEFILE_BOOT_ID) == 0);
	ASSERT_EQ(at32(&raw, F_PID), 4242);
	ASSERT_EQ(at32(&raw, F_EXE_LEN), 16);
	ASSERT_EQ(at32(&raw, F_NR_STRINGS), 5);
	ASSERT_TRUE(memcmp(raw.buf + F_STR0, "py", 2) == 0);
	ASSERT_TRUE(memcmp(raw.buf + F_STR1, "main", 4) == 0);
	ASSERT_EQ(at32(&raw, F_NR_FRAMES), 5);
	ASSERT_EQ(raw.buf[F_FRAME0_KIND], FRAME_PROCESS);
	ASSERT_EQ(at32(&raw, F_FRAME0_NAME), 0);
	ASSERT_EQ(at32(&raw, F_FRAME0_FILE), STATEFILE_NO_FILE);
	ASSERT_EQ((__s32)at32(&raw, F_FRAME0_LINE), NONE);
	ASSERT_EQ((__s32)at32(&raw, F_FRAME0_FUNC), NONE);
	ASSERT_EQ(at32(&raw, F_FRAME1_FILE), 2);
	ASSERT_EQ(at32(&raw, F_FRAME2_LINE), 7);
	ASSERT_EQ(at32(&raw, F_FRAME2_FUNC), 5);
	ASSERT_EQ(raw.buf[F_FRAME4_KIND], FRAME_KERNEL);
	ASSERT_EQ(at32(&raw, F_FRAME4_NAME), 0);
	ASSERT_EQ(at32(&raw, F_NR_STACKS), 2);
	ASSERT_EQ(at32(&raw, F_STACK0_ID1), 3);
	memcpy(&v64, raw.buf + F_STACK0_COUNT, 8);
	ASSERT_EQ(v64, 5);
	ASSERT_EQ(at32(&raw, F_STACK1_NR), 5);
	strbuf__done(&raw);
	/* W4: W3's fields where the labels push them, the labels and the tag column. */
	sf = fixture4();
	raw = w5_of(&sf);
	ASSERT_EQ(at32(&raw, L_NR_LABELS), 2);
	ASSERT_EQ(at32(&raw, L_KEY0_LEN), 6);
	ASSERT_TRUE(memcmp(raw.buf + L_KEY0, "unit_a", 6) == 0);
	ASSERT_EQ(at32(&raw, L_VALUE0_LEN), 2);
	ASSERT_TRUE(memcmp(raw.buf + L_VALUE0, "/x", 2) == 0);
	ASSERT_EQ(at32(&raw, L_KEY1_LEN), 6);
	ASSERT_TRUE(memcmp(raw.buf + L_KEY1, "unit_b", 6) == 0);
	ASSERT_EQ(at32(&raw, L_VALUE1_LEN), 1);
	ASSERT_EQ(raw.buf[L_VALUE1], 'a');
	ASSERT_EQ(at32(&raw, F_NR_STRINGS + L_SHIFT), 5);
	ASSERT_EQ(at32(&raw, F_STACK1_NR + L_SHIFT), 5);
	ASSERT_EQ(raw.buf[L_TAG0], SAMPLE_OFF_CPU);
	ASSERT_EQ(raw.buf[L_TAG1], SAMPLE_GIL | SAMPLE_GC);
	/* the second process: no labels, then its frames; its one tag is the last byte */
	ASSERT_EQ(at32(&raw, L_TAG1 + 1), 7);
	ASSERT_EQ(raw.buf[raw.len - 1], SAMPLE_TAG_KNOWN);
	strbuf__done(&raw);
	/* W6: bucket_ns before nr_procs, W5's fields 8 on, the bucket column after the tags. */
	sf = fixture6();
	raw = encode(&sf);
	memcpy(&v64, raw.buf + B_BUCKET_NS, 8);
	ASSERT_EQ(v64, SEC);
	ASSERT_EQ(at32(&raw, F_NR_PROCS + B_SHIFT), 2);
	ASSERT_EQ(at32(&raw, L_NR_LABELS + B_SHIFT), 2);
	ASSERT_EQ(at32(&raw, F_NR_STACKS + L_SHIFT + B_SHIFT), 3);
	ASSERT_EQ(at32(&raw, B_STACK2_NR), 3);
	ASSERT_EQ(raw.buf[B_TAG0], SAMPLE_OFF_CPU);
	ASSERT_EQ(raw.buf[B_TAG0 + 2], SAMPLE_OFF_CPU);
	ASSERT_EQ(raw.buf[B_BUCKET0], 3);
	ASSERT_EQ(raw.buf[B_BUCKET0 + 1], 9);
	ASSERT_EQ(raw.buf[B_BUCKET2], 4);
	ASSERT_EQ(at32(&raw, B_CMDLINE0_LEN), sizeof(CMDLINE0) - 1);
	ASSERT_TRUE(memcmp(raw.buf + B_CMDLINE0, CMDLINE0, sizeof(CMDLINE0) - 1) == 0);
	ASSERT_EQ(at32(&raw, B_PID1), 7);	/* the second process's pid */
	/* its one tag, its one bucket and its empty command line are the last bytes */
	ASSERT_EQ(raw.buf[raw.len - 6], SAMPLE_TAG_KNOWN);
	ASSERT_EQ(raw.buf[raw.len - 5], 9);
	ASSERT_EQ(at32(&raw, raw.len - 4), 0);
	strbuf__done(&raw);
}

/* One corruption of one field; the decoder must refuse the whole file. */
struct corruption {
	const char *what;
	size_t off;
	int width;	/* 4, 8, or 1 (a byte) */
	__u64 value;
};

static const struct corruption corruptions[] = {
	{ "zero window", F_WINDOW, 8, 0 },
	{ "window end past the clock", F_START, 8, UINT64_MAX - 1 },
	{ "boot id not hex", F_BOOT + 3, 1, 'z' },
	{ "no process", F_NR_PROCS, 4, 0 },
	{ "one process more", F_NR_PROCS, 4, 3 },
	{ "absurd process count", F_NR_PROCS, 4, UINT32_MAX },
	{ "pid 0", F_PID, 4, 0 },
	{ "negative pid", F_PID, 4, 0x80000000u },
	{ "supported not a bool", F_SUPPORTED, 4, 2 },
	{ "comm too long", F_COMM_LEN, 4, PYPROF_COMM_LEN + 1 },
	{ "comm past the end", F_COMM_LEN, 4, UINT32_MAX },
	{ "NUL in comm", F_COMM_LEN + 4, 1, 0 },
	{ "exe too long", F_EXE_LEN, 4, STATEFILE_MAX_EXE + 1 },
	{ "why too long", F_WHY_LEN, 4, STATEFILE_MAX_WHY + 1 },
	{ "more strings than bytes", F_NR_STRINGS, 4, 1u << 30 },
	{ "string too long", F_STR0_LEN, 4, STATEFILE_MAX_STRING + 1 },
	{ "string past the end", F_STR0_LEN, 4, UINT32_MAX },
	{ "NUL in a string", F_STR0 + 1, 1, 0 },
	{ "more frames than bytes", F_NR_FRAMES, 4, 1u << 30 },
	{ "one frame more", F_NR_FRAMES, 4, 6 },
	{ "unknown kind", F_FRAME0_KIND, 1, FRAME__MAX },
	{ "kind past every kind", F_FRAME4_KIND, 1, 0xff },
	{ "last name is no string", F_FRAME4_NAME, 4, 5 },
	{ "name is no string", F_FRAME0_NAME, 4, 5 },
	{ "name is the no-file index", F_FRAME0_NAME, 4, STATEFILE_NO_FILE },
	{ "file is no string", F_FRAME1_FILE, 4, 5 },
	{ "line below none", F_FRAME0_LINE, 4, (__u32)-2 },
	{ "line negative", F_FRAME2_LINE, 4, 0x80000000u },
	{ "func_line below none", F_FRAME0_FUNC, 4, (__u32)-2 },
	{ "more stacks than bytes", F_NR_STACKS, 4, 1u << 30 },
	{ "one stack more", F_NR_STACKS, 4, 3 },
	{ "empty stack", F_STACK0_NR, 4, 0 },
	{ "stack deeper than the limit", F_STACK0_NR, 4, STACK_MAX_DEPTH + 1 },
	{ "frame index is no frame", F_STACK0_ID1, 4, 5 },
	{ "zero count", F_STACK0_COUNT, 8, 0 },
	{ "counts overflow", F_STACK0_COUNT, 8, UINT64_MAX },
};

static void corrupt(struct strbuf *raw, const struct corruption *c)
{
	if (c->width == 8)
		put64(raw, c->off, c->value);
	else if (c->width == 4)
		put32(raw, c->off, (__u32)c->value);
	else
		raw->buf[c->off] = (char)c->value;
}

/* A whole file (header + zlib) of raw bytes under magic, as a writer of that version made it. */
static __u8 *file_of(const char *magic, const struct strbuf *raw, size_t *ret_len)
{
	uLongf zlen = compressBound(raw->len);
	__u64 len64 = raw->len;
	__u8 *z = malloc(STATEFILE_HDR_LEN + zlen);

	ASSERT_TRUE(z != NULL);
	ASSERT_EQ(compress2(z + STATEFILE_HDR_LEN, &zlen, (const __u8 *)raw->buf, raw->len, 1),
		  Z_OK);
	memcpy(z, magic, 8);
	memcpy(z + 8, &len64, 8);
	*ret_len = STATEFILE_HDR_LEN + zlen;
	return z;
}

/* A W3 file loads: every stack on-CPU, no labels; written again, it is W6 of the same. */
TEST(version_3_files_still_load)
{
	struct statefile in = fixture(), out, out4;
	struct strbuf raw = w3_of(&in), again = { 0 };
	__u8 *file;
	size_t len;

	file = file_of(STATEFILE_MAGIC_W3, &raw, &len);
	ASSERT_OK(statefile__decode(file, len, &out));
	assert_same(&in, &out);
	for (__u32 i = 0; i < out.nr_procs; i++) {
		ASSERT_EQ(out.procs[i].nr_labels, 0);
		for (__u32 k = 0; k < out.procs[i].nr_stacks; k++)
			ASSERT_EQ(out.procs[i].stacks[k].tag, SAMPLE_ON_CPU);
	}
	ASSERT_EQ(out.bucket_ns, out.window_ns);
	ASSERT_OK(statefile__encode_raw(&out, &again));
	/* bucket_ns, and nr_labels, tags, buckets and empty command lines of 2 procs */
	ASSERT_EQ(again.len, raw.len + 8 + 4 * 2 + 2 * (2 + 1) + 4 * 2);
	ASSERT_OK(statefile__decode_raw((const __u8 *)again.buf, again.len, 6, &out4));
	assert_same(&in, &out4);
	statefile__fini(&out4);
	statefile__fini(&out);
	free(file);
	strbuf__done(&again);
	strbuf__done(&raw);
}

static void assert_corruptions_rejected(const struct strbuf *good, unsigned int version,
					const char *magic, const struct corruption *cs, size_t nr)
{
	struct statefile out;

	for (size_t i = 0; i < nr; i++) {
		struct strbuf raw = { 0 };
		__u8 *file;
		size_t len;

		ASSERT_OK(strbuf__append(&raw, good->buf, good->len));
		corrupt(&raw, &cs[i]);
		fprintf(stderr, "  W%u: %s\n", version, cs[i].what);
		assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, version,
						      &out), &out);
		/* The same through a well-formed compressed file. */
		file = file_of(magic, &raw, &len);
		assert_rejected(statefile__decode(file, len, &out), &out);
		free(file);
		strbuf__done(&raw);
	}
}

/* W4's own fields, in fixture4()'s bytes. */
static const struct corruption w4_corruptions[] = {
	{ "more labels than the limit", L_NR_LABELS, 4, PROCLABEL_MAX + 1 },
	{ "more labels than bytes", L_NR_LABELS, 4, 1u << 30 },
	{ "key longer than the limit", L_KEY0_LEN, 4, PROCLABEL_MAX_KEY + 1 },
	{ "key past the end", L_KEY0_LEN, 4, UINT32_MAX },
	{ "key with a capital", L_KEY0, 1, 'U' },
	{ "key with a dash", L_KEY0 + 4, 1, '-' },
	{ "key starting with a digit", L_KEY0, 1, '1' },
	{ "key with a NUL", L_KEY0 + 1, 1, 0 },
	{ "value longer than the limit", L_VALUE0_LEN, 4, PROCLABEL_MAX_VALUE + 1 },
	{ "value past the end", L_VALUE0_LEN, 4, UINT32_MAX },
	{ "value with a NUL", L_VALUE0 + 1, 1, 0 },
	{ "keys equal", L_KEY1 + 5, 1, 'a' },
	{ "keys out of order", L_KEY1 + 5, 1, '0' },
	{ "last value past the end", L_VALUE1_LEN, 4, 1000 },
	{ "tag with an unknown bit", L_TAG0, 1, 0x10 },
	{ "tag 0xff", L_TAG1, 1, 0xff },
	{ "tag with the top bit", L_TAG1, 1, 0x80 | SAMPLE_OFF_CPU },
};

/* W6's own fields, in fixture6()'s bytes. */
_Static_assert(PROFILE_MAX_BUCKETS < 20, "a window of 20 buckets is too many");
static const struct corruption w6_corruptions[] = {
	{ "zero buckets", B_BUCKET_NS, 8, 0 },
	{ "buckets that do not cut the window", B_BUCKET_NS, 8, 3 * SEC },
	{ "a bucket longer than the window", B_BUCKET_NS, 8, 20 * SEC },
	{ "a bucket of all time", B_BUCKET_NS, 8, UINT64_MAX },
	{ "more buckets than a profile keeps", B_BUCKET_NS, 8, SEC / 2 },	/* 20 > 16 */
	{ "window shorter than its buckets' indices", F_WINDOW, 8, 5 * SEC },
	{ "bucket index is the number of buckets", B_BUCKET0, 1, 10 },
	{ "bucket index past every bucket", B_BUCKET2, 1, 0xff },
	{ "bucket index at PROFILE_MAX_BUCKETS", B_BUCKET0 + 1, 1, PROFILE_MAX_BUCKETS },
	{ "one stack more (its bucket is missing)", F_NR_STACKS + L_SHIFT + B_SHIFT, 4, 4 },
	{ "cmdline too long", B_CMDLINE0_LEN, 4, STATEFILE_MAX_CMDLINE + 1 },
	{ "cmdline past the end", B_CMDLINE0_LEN, 4, UINT32_MAX },
	{ "NUL in cmdline", B_CMDLINE0 + 3, 1, 0 },
};

TEST(every_corrupt_field_rejects_the_file)
{
	struct statefile sf = fixture();
	struct strbuf raw = w3_of(&sf), plain = w5_of(&sf);
	struct corruption moved[sizeof(corruptions) / sizeof(corruptions[0])];

	assert_corruptions_rejected(&raw, 3, STATEFILE_MAGIC_W3, corruptions,
				    sizeof(corruptions) / sizeof(corruptions[0]));
	/* W4 without labels: W3's fields after why are 4 bytes (nr_labels) on. */
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		moved[i] = corruptions[i];
		if (moved[i].off >= L_NR_LABELS)
			moved[i].off += 4;
	}
	assert_corruptions_rejected(&plain, 4, STATEFILE_MAGIC_W4, moved,
				    sizeof(moved) / sizeof(moved[0]));
	strbuf__done(&raw);
	strbuf__done(&plain);
	sf = fixture4();
	raw = w5_of(&sf);
	assert_corruptions_rejected(&raw, 4, STATEFILE_MAGIC_W4, w4_corruptions,
				    sizeof(w4_corruptions) / sizeof(w4_corruptions[0]));
	/* with those fields moved by the labels, W3's corruptions too */
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		moved[i] = corruptions[i];
		if (moved[i].off >= L_NR_LABELS)
			moved[i].off += L_SHIFT;
	}
	assert_corruptions_rejected(&raw, 4, STATEFILE_MAGIC_W4, moved,
				    sizeof(moved) / sizeof(moved[0]));
	assert_corruptions_rejected(&raw, 5, STATEFILE_MAGIC_W5, moved,
				    sizeof(moved) / sizeof(moved[0]));
	strbuf__done(&raw);
	/* W6 of one bucket: every older corruption, 8 bytes (bucket_ns) further on. */
	raw = encode(&sf);
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++)
		if (moved[i].off >= F_NR_PROCS)
			moved[i].off += B_SHIFT;
	assert_corruptions_rejected(&raw, 6, STATEFILE_MAGIC, moved,
				    sizeof(moved) / sizeof(moved[0]));
	strbuf__done(&raw);
	sf = fixture6();
	raw = encode(&sf);
	assert_corruptions_rejected(&raw, 6, STATEFILE_MAGIC, w6_corruptions,
				    sizeof(w6_corruptions) / sizeof(w6_corruptions[0]));
	strbuf__done(&raw);
}

TEST(trailing_bytes_and_other_versions_reject_the_file)
{
	struct statefile sf = fixture(), sf4 = fixture4(), sf6 = fixture6(), out;
	struct strbuf raw = w3_of(&sf), raw4 = w5_of(&sf4), raw6 = encode(&sf6);
	__u8 *file;
	size_t len;

	ASSERT_OK(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 3, &out));
	statefile__fini(&out);
	ASSERT_OK(statefile__decode_raw((const __u8 *)raw4.buf, raw4.len, 4, &out));
	statefile__fini(&out);
	/* W3 bytes do not read as W4 (its strings are no labels), nor W4 as W3. */
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 4, &out), &out);
	assert_rejected(statefile__decode_raw((const __u8 *)raw4.buf, raw4.len, 3, &out), &out);
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 7, &out), &out);
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 1, &out), &out);
	/* W5 bytes are no W6 (no bucket_ns), nor W6 bytes W5 (bucket_ns is no nr_procs). */
	ASSERT_OK(statefile__decode_raw((const __u8 *)raw6.buf, raw6.len, 6, &out));
	statefile__fini(&out);
	assert_rejected(statefile__decode_raw((const __u8 *)raw4.buf, raw4.len, 6, &out), &out);
	assert_rejected(statefile__decode_raw((const __u8 *)raw6.buf, raw6.len, 5, &out), &out);
	/* W3 bytes do not read as W2: the frames are no names. */
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 2, &out), &out);
	file = file_of("PYPROFW7", &raw6, &len);
	assert_rejected(statefile__decode(file, len, &out), &out);
	free(file);
	file = file_of(STATEFILE_MAGIC, &raw4, &len);
	assert_rejected(statefile__decode(file, len, &out), &out);
	free(file);
	file = file_of(STATEFILE_MAGIC_W3, &raw4, &len);
	assert_rejected(statefile__decode(file, len, &out), &out);
	free(file);
	ASSERT_OK(strbuf__append(&raw, "", 1));
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, 3, &out), &out);
	ASSERT_OK(strbuf__append(&raw4, "", 1));
	assert_rejected(statefile__decode_raw((const __u8 *)raw4.buf, raw4.len, 4, &out), &out);
	ASSERT_OK(strbuf__append(&raw6, "", 1));
	assert_rejected(statefile__decode_raw((const __u8 *)raw6.buf, raw6.len, 6, &out), &out);
	strbuf__done(&raw);
	strbuf__done(&raw4);
	strbuf__done(&raw6);
}

static void assert_truncations_rejected(const struct strbuf *raw, unsigned int version,
					const char *magic)
{
	struct statefile out;
	__u8 *file;
	size_t len;

	for (size_t n = 0; n < raw->len; n++)
		assert_rejected(statefile__decode_raw((const __u8 *)raw->buf, n, version, &out),
				&out);
	file = file_of(magic, raw, &len);
	for (size_t n = 0; n < len; n++)
		assert_rejected(statefile__decode(file, n, &out), &out);
	ASSERT_OK(statefile__decode(file, len, &out));
	statefile__fini(&out);
	free(file);
}

TEST(every_truncation_rejects_the_file)
{
	struct statefile sf = fixture(), sf4 = fixture4(), sf6 = fixture6();
	struct strbuf raw = w3_of(&sf), raw4 = w5_of(&sf4), raw6 = encode(&sf6);

	assert_truncations_rejected(&raw, 3, STATEFILE_MAGIC_W3);
	assert_truncations_rejected(&raw4, 4, STATEFILE_MAGIC_W4);
	assert_truncations_rejected(&raw4, 5, STATEFILE_MAGIC_W5);
	assert_truncations_rejected(&raw6, 6, STATEFILE_MAGIC);
	strbuf__done(&raw);
	strbuf__done(&raw4);
	strbuf__done(&raw6);
}

/*
 * zlib's checksum covers the body: a damaged bit of a stored file rejects it,
 * unless it is one deflate ignores (padding after the last block), when the
 * file still decodes to exactly what was written.
 */
TEST(every_damaged_bit_of_a_file_rejects_it)
{
	struct statefile sf = fixture6(), out;
	struct strbuf raw = encode(&sf);
	size_t len, ignored = 0;
	__u8 *file;

	ASSERT_OK(statefile__compress((const __u8 *)raw.buf, raw.len, &file, &len));
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int err;

			file[i] ^= (__u8)(1u << bit);
			err = statefile__decode(file, len, &out);
			if (err == 0) {
				struct strbuf again = encode(&out);

				ASSERT_EQ(again.len, raw.len);
				ASSERT_TRUE(memcmp(again.buf, raw.buf, raw.len) == 0);
				strbuf__done(&again);
				statefile__fini(&out);
				ignored++;
			} else {
				assert_rejected(err, &out);
			}
			file[i] ^= (__u8)(1u << bit);
		}
	}
	ASSERT_TRUE(ignored < len);
	ASSERT_OK(statefile__decode(file, len, &out));
	statefile__fini(&out);
	free(file);
	strbuf__done(&raw);
}

TEST(encoder_refuses_what_the_decoder_would)
{
	struct statefile sf = fixture();
	struct statefile_stack deep = { .off = 0, .nr = STACK_MAX_DEPTH + 1, .count = 1 };
	struct statefile_stack two[] = { { .off = 0, .nr = 1, .count = UINT64_MAX },
					 { .off = 0, .nr = 1, .count = 1 } };
	struct frame bad = frames1[0];
	struct statefile_proc p = procs[1];
	struct strbuf raw = { 0 };

	sf.procs = &p;
	sf.nr_procs = 1;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	p.stacks = &deep;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p.stacks = two;
	p.nr_stacks = 2;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p = procs[1];
	p.pid = 0;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p = procs[1];
	p.frames = &bad;
	bad.kind = FRAME__MAX;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	bad = frames1[0];
	bad.line = -2;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	bad = frames1[0];
	bad.name = NULL;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p = procs[1];
	p.nr_frames = 0;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	/* tags and labels */
	p = procs[1];
	p.stacks = &deep;
	deep = stacks1[0];
	deep.tag = 0x10;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	deep.tag = SAMPLE_TAG_KNOWN;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	p = procs[1];
	p.nr_labels = 1;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);	/* labels NULL */
	p.labels = (struct proclabel[]){ { "Unit", "x" } };
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p.labels = (struct proclabel[]){ { "unit", NULL } };
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p.nr_labels = 2;
	p.labels = (struct proclabel[]){ { "b", "x" }, { "a", "y" } };
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p.nr_labels = PROCLABEL_MAX + 1;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	p.nr_labels = 2;
	p.labels = (struct proclabel[]){ { "a", "x" }, { "b", "" } };
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	/* buckets */
	p = procs[1];
	p.stacks = &deep;
	deep = stacks1[0];
	sf.bucket_ns = SEC;
	deep.bucket = 9;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	deep.bucket = 10;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	deep.bucket = 0;
	sf.bucket_ns = 0;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	sf.bucket_ns = 3 * SEC;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	sf.bucket_ns = 20 * SEC;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	sf.bucket_ns = SEC / 2;	/* 20 buckets: more than PROFILE_MAX_BUCKETS */
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	sf.window_ns = PROFILE_MAX_BUCKETS * SEC;
	sf.bucket_ns = SEC;
	deep.bucket = PROFILE_MAX_BUCKETS - 1;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	strbuf__done(&raw);
}

/* The most labels, the longest keys and values, round trip. */
TEST(largest_labels_round_trip)
{
	static char keys[PROCLABEL_MAX][PROCLABEL_MAX_KEY + 1], value[PROCLABEL_MAX_VALUE + 1];
	struct proclabel l[PROCLABEL_MAX];
	struct statefile sf = fixture(), out;
	struct statefile_proc p = procs[1];
	struct strbuf raw = { 0 };

	memset(value, 0xff, PROCLABEL_MAX_VALUE);	/* any byte but NUL */
	for (int i = 0; i < PROCLABEL_MAX; i++) {
		memset(keys[i], 'a' + i, PROCLABEL_MAX_KEY);
		l[i] = (struct proclabel){ keys[i], value };
	}
	p.nr_labels = PROCLABEL_MAX;
	p.labels = l;
	sf.procs = &p;
	sf.nr_procs = 1;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	ASSERT_OK(statefile__decode_raw((const __u8 *)raw.buf, raw.len, STATEFILE_VERSION, &out));
	assert_same(&sf, &out);
	statefile__fini(&out);
	strbuf__done(&raw);
}

TEST(deepest_stack_round_trips)
{
	static __u32 ids[STACK_MAX_DEPTH];
	struct statefile_stack deep = { .off = 0, .nr = STACK_MAX_DEPTH, .count = 3 };
	struct statefile sf = fixture(), out;
	struct statefile_proc p = procs[1];
	struct strbuf raw = { 0 };

	p.stacks = &deep;
	p.ids = ids;
	sf.procs = &p;
	sf.nr_procs = 1;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	ASSERT_OK(statefile__decode_raw((const __u8 *)raw.buf, raw.len, STATEFILE_VERSION, &out));
	ASSERT_EQ(out.procs[0].stacks[0].nr, STACK_MAX_DEPTH);
	statefile__fini(&out);
	strbuf__done(&raw);
}

/*
 * Version 2: names, stacks of name indices.  The writer is gone; this is its
 * layout, so that files of older daemons are what the tests read.
 */
static const char *w2_names[] = {
	"py", "main (/a.py:1)", "hot (/a.py:7)", "do_syscall_64_[k]", "[python: no Python frame]",
	"thread 5", "odd (name", "0x1f_[k]",
};
static __u32 w2_ids[] = { 0, 1, 2, 3, /**/ 0, 4, /**/ 0, 5, 1, 5, 0, 6, 7 };
static struct statefile_stack w2_stacks[] = { { .off = 0, .nr = 4, .count = 5 },
					       { .off = 4, .nr = 2, .count = 7 },
					       { .off = 6, .nr = 7, .count = 1 } };

static void put_str(struct strbuf *sb, const char *s)
{
	__u32 n = (__u32)strlen(s);

	ASSERT_OK(strbuf__append(sb, &n, 4));
	ASSERT_OK(strbuf__append(sb, s, n));
}

static void put_u(struct strbuf *sb, __u64 v, size_t width)
{
	ASSERT_OK(strbuf__append(sb, &v, width));
}

static struct strbuf w2_raw(void)
{
	struct strbuf sb = { 0 };

	put_u(&sb, 10 * SEC, 8);
	put_u(&sb, 100 * SEC, 8);
	put_u(&sb, 5 * SEC, 8);
	ASSERT_OK(strbuf__append(&sb, BOOT_A, STATEFILE_BOOT_ID));
	put_u(&sb, 1, 4);
	put_u(&sb, 4242, 4);
	put_u(&sb, 99, 8);
	put_u(&sb, 1000, 4);
	put_u(&sb, 1000, 4);
	put_u(&sb, 0x030b07f0, 4);
	put_u(&sb, 1, 4);
	put_str(&sb, "py");
	put_str(&sb, "/usr/bin/python3");
	put_str(&sb, "");
	put_u(&sb, sizeof(w2_names) / sizeof(w2_names[0]), 4);
	for (size_t i = 0; i < sizeof(w2_names) / sizeof(w2_names[0]); i++)
		put_str(&sb, w2_names[i]);
	put_u(&sb, sizeof(w2_stacks) / sizeof(w2_stacks[0]), 4);
	for (size_t i = 0; i < sizeof(w2_stacks) / sizeof(w2_stacks[0]); i++) {
		put_u(&sb, w2_stacks[i].nr, 4);
		for (__u32 k = 0; k < w2_stacks[i].nr; k++)
			put_u(&sb, w2_ids[w2_stacks[i].off + k], 4);
		put_u(&sb, w2_stacks[i].count, 8);
	}
	return sb;
}

/* What W2 name n at depth reads as. */
static void assert_w2_frame(const struct statefile_proc *p, __u32 stack, __u32 depth,
			    enum frame_kind kind, const char *name, const char *file, int line)
{
	const struct frame *f = &p->frames[p->ids[p->stacks[stack].off + depth]];
	struct frame want = { kind, name, file, line, NONE };
	struct strbuf label = { 0 };

	if (!frame_eq(f, &want))
		TEST_FAIL("stack %u depth %u: {%d, %s, %s, %d, %d}", stack, depth, f->kind, f->name,
			  f->file ? f->file : "NULL", f->line, f->func_line);
	/* Read back as the frame whose label the name was: the label is the name again. */
	ASSERT_OK(frame__label(f, &label));
	ASSERT_OK(strbuf__append(&label, "", 1));
	ASSERT_STREQ(label.buf, w2_names[w2_ids[p->stacks[stack].off + depth]]);
	strbuf__done(&label);
}

TEST(version_2_files_still_load)
{
	struct strbuf raw = w2_raw(), again = { 0 };
	struct statefile out, out3;
	const struct statefile_proc *p;
	__u8 *file;
	size_t len;

	file = file_of(STATEFILE_MAGIC_W2, &raw, &len);
	ASSERT_OK(statefile__decode(file, len, &out));
	ASSERT_EQ(out.nr_procs, 1);
	p = &out.procs[0];
	ASSERT_EQ(p->pid, 4242);
	ASSERT_STREQ(p->comm, "py");
	ASSERT_EQ(p->samples, 13);
	ASSERT_EQ(p->nr_stacks, 3);
	assert_w2_frame(p, 0, 0, FRAME_PROCESS, "py", NULL, NONE);
	assert_w2_frame(p, 0, 1, FRAME_PYTHON, "main", "/a.py", 1);
	assert_w2_frame(p, 0, 2, FRAME_PYTHON, "hot", "/a.py", 7);
	assert_w2_frame(p, 0, 3, FRAME_KERNEL, "do_syscall_64", NULL, NONE);
	assert_w2_frame(p, 1, 1, FRAME_MARKER, "[python: no Python frame]", NULL, NONE);
	/* One name, other frames by depth: the root, a thread's place, deeper. */
	assert_w2_frame(p, 2, 1, FRAME_THREAD, "", NULL, 5);
	assert_w2_frame(p, 2, 3, FRAME_OTHER, "thread 5", NULL, NONE);
	assert_w2_frame(p, 2, 4, FRAME_OTHER, "py", NULL, NONE);
	assert_w2_frame(p, 2, 5, FRAME_OTHER, "odd (name", NULL, NONE);
	assert_w2_frame(p, 2, 6, FRAME_KERNEL, "0x1f", NULL, NONE);
	ASSERT_EQ(p->ids[p->stacks[0].off], p->ids[p->stacks[2].off]);
	ASSERT_TRUE(p->ids[p->stacks[0].off] != p->ids[p->stacks[2].off + 4]);
	ASSERT_TRUE(p->ids[p->stacks[2].off + 1] != p->ids[p->stacks[2].off + 3]);
	ASSERT_EQ(p->nr_labels, 0);
	for (__u32 i = 0; i < p->nr_stacks; i++)
		ASSERT_EQ(p->stacks[i].tag, SAMPLE_ON_CPU);
	/* Written again, it is a W6 file of the same frames, one bucket. */
	ASSERT_EQ(out.bucket_ns, out.window_ns);
	ASSERT_OK(statefile__encode_raw(&out, &again));
	ASSERT_OK(statefile__decode_raw((const __u8 *)again.buf, again.len, 6, &out3));
	assert_same(&out, &out3);
	statefile__fini(&out3);
	statefile__fini(&out);
	free(file);
	strbuf__done(&again);
	strbuf__done(&raw);
}

/* Byte offsets in w2_raw(): its fields are checked as they always were. */
enum {
	W2_NR_NAMES = 122, W2_NAME0_LEN = 126, W2_NAME0 = 130, W2_NR_STACKS = 254,
	W2_STACK0_NR = 258, W2_STACK0_ID1 = 266, W2_STACK0_COUNT = 278,
};

static const struct corruption w2_corruptions[] = {
	{ "no process", F_NR_PROCS, 4, 0 },
	{ "pid 0", F_PID, 4, 0 },
	{ "supported not a bool", F_SUPPORTED, 4, 2 },
	{ "comm too long", F_COMM_LEN, 4, PYPROF_COMM_LEN + 1 },
	{ "more names than bytes", W2_NR_NAMES, 4, 1u << 30 },
	{ "name too long", W2_NAME0_LEN, 4, STATEFILE_MAX_STRING + 1 },
	{ "NUL in a name", W2_NAME0 + 1, 1, 0 },
	{ "more stacks than bytes", W2_NR_STACKS, 4, 1u << 30 },
	{ "one stack more", W2_NR_STACKS, 4, 4 },
	{ "empty stack", W2_STACK0_NR, 4, 0 },
	{ "stack deeper than W2's limit", W2_STACK0_NR, 4, PYPROF_MAX_STACK + 1 },
	{ "frame names no name", W2_STACK0_ID1, 4, 8 },
	{ "zero count", W2_STACK0_COUNT, 8, 0 },
	{ "counts overflow", W2_STACK0_COUNT, 8, UINT64_MAX },
};

TEST(version_2_files_are_checked_as_before)
{
	struct strbuf raw = w2_raw();

	ASSERT_EQ(at32(&raw, W2_NR_NAMES), 8);
	ASSERT_EQ(at32(&raw, W2_NAME0_LEN), 2);
	ASSERT_EQ(at32(&raw, W2_NR_STACKS), 3);
	ASSERT_EQ(at32(&raw, W2_STACK0_NR), 4);
	ASSERT_EQ(at32(&raw, W2_STACK0_ID1), 1);
	ASSERT_EQ(at32(&raw, W2_STACK0_COUNT), 5);
	assert_corruptions_rejected(&raw, 2, STATEFILE_MAGIC_W2, w2_corruptions,
				    sizeof(w2_corruptions) / sizeof(w2_corruptions[0]));
	assert_truncations_rejected(&raw, 2, STATEFILE_MAGIC_W2);
	strbuf__done(&raw);
}

/* An old clock's file (W4 and before): placed by its wall-clock start alone. */
static int place(const char *file_boot, __u64 start, __u64 start_wall, __u64 now, __u64 wall,
		 __u64 *ret)
{
	struct statefile sf = fixture();
	struct statefile_clock c = { .boot_id = BOOT_A, .now = now, .wall = wall,
				     .retention_ns = 3600 * SEC };

	memcpy(sf.boot_id, file_boot, STATEFILE_BOOT_ID);
	sf.start = start;
	sf.start_wall = start_wall;
	sf.old_clock = !(start_wall == 0 && memcmp(file_boot, BOOT_A, STATEFILE_BOOT_ID) == 0);
	return statefile__place(&sf, &c, ret);
}

/* A W5 file is on the reader's clock, whatever boot wrote it. */
TEST(wall_clock_files_keep_their_start_across_boots)
{
	__u64 now = 2000000 * SEC, start = 0;
	struct statefile sf = fixture();
	struct statefile_clock c = { .boot_id = BOOT_A, .now = now, .wall = now + 5,
				     .retention_ns = 3600 * SEC };

	memcpy(sf.boot_id, BOOT_B, STATEFILE_BOOT_ID);
	sf.start = now - 100 * SEC;
	sf.start_wall = 1;
	ASSERT_OK(statefile__place(&sf, &c, &start));
	ASSERT_EQ(start, now - 100 * SEC);
	sf.start = now + SEC;
	ASSERT_EQ(statefile__place(&sf, &c, &start), -ERANGE);
	sf.start = now - 3610 * SEC;
	ASSERT_EQ(statefile__place(&sf, &c, &start), -ESTALE);
}

/* A W4 file of this very boot is on the old clock all the same: placed by its wall time. */
TEST(old_clock_files_of_this_boot_are_placed_by_wall_time)
{
	__u64 now = 1800000000 * SEC, start = 0;
	struct statefile sf = fixture();
	struct statefile_clock c = { .boot_id = BOOT_A, .now = now, .wall = now,
				     .retention_ns = 3600 * SEC };

	memcpy(sf.boot_id, BOOT_A, STATEFILE_BOOT_ID);
	sf.start = (1ull << 56) + 50 * SEC;
	sf.start_wall = now - 200 * SEC;
	sf.old_clock = true;
	ASSERT_OK(statefile__place(&sf, &c, &start));
	ASSERT_EQ(start, now - 200 * SEC);
}

TEST(future_dated_files_are_rejected)
{
	__u64 now = 1000000 * SEC, wall = 2000000 * SEC, start = 0;

	/* Same boot: a window that starts after now was never written by this clock. */
	ASSERT_EQ(place(BOOT_A, now + 1, 0, now, wall, &start), -ERANGE);
	ASSERT_EQ(place(BOOT_A, now + 3600 * SEC, 0, now, wall, &start), -ERANGE);
	/* Another boot: dated after the wall clock. */
	ASSERT_EQ(place(BOOT_B, 5, wall + SEC, now, wall, &start), -ERANGE);
	/* The window open now is fine (written at the last stop). */
	ASSERT_OK(place(BOOT_A, now, 0, now, wall, &start));
	ASSERT_EQ(start, now);
}

TEST(placement_and_retention)
{
	__u64 now = 1000000 * SEC, wall = 2000000 * SEC, start = 0;

	ASSERT_OK(place(BOOT_A, now - 100 * SEC, 0, now, wall, &start));
	ASSERT_EQ(start, now - 100 * SEC);
	/* Another boot: as long ago on this clock as the wall clock says. */
	ASSERT_OK(place(BOOT_B, 7, wall - 100 * SEC, now, wall, &start));
	ASSERT_EQ(start, now - 100 * SEC);
	/* Past the retention (window end + retention <= now). */
	ASSERT_EQ(place(BOOT_A, now - 3610 * SEC, 0, now, wall, &start), -ESTALE);
	ASSERT_OK(place(BOOT_A, now - 3609 * SEC, 0, now, wall, &start));
	ASSERT_EQ(place(BOOT_B, 7, wall - 3610 * SEC, now, wall, &start), -ESTALE);
	/* Older than this clock reaches back. */
	ASSERT_EQ(place(BOOT_B, 7, 0, 10 * SEC, wall, &start), -ESTALE);
}
