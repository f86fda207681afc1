// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for wire: PYPROF/3's and /2's binary profile encoding, round trips
 * and every field corrupted.
 */
#include <errno.h>
#include "testhelp.h"
#include "proto/wire.h"
#include "proto/proto.h"
#include "render/fmt_folded.h"
#include "base/strbuf.h"

/*
 * Every frame kind, a frame without a file, shared strings, a merged stack;
 * with tags, the same stacks again under other tags (version 3 only).
 */
static void make_set(struct stackset *ss, bool tags)
{
	const struct frame frames[] = {
		{ FRAME_PROCESS, "python3", NULL, -1, -1 },
		{ FRAME_THREAD, "", NULL, 4321, -1 },
		{ FRAME_PYTHON, "<module>", "/srv/app.py", 1, 1 },
		{ FRAME_PYTHON, "main", "/srv/app.py", 12, 10 },
		{ FRAME_PYTHON, "f (x)", "/a b (c).py", -1, -1 },
		{ FRAME_KERNEL, "do_syscall_64", NULL, -1, -1 },
		{ FRAME_MARKER, "[python: truncated stack]", NULL, -1, -1 },
		{ FRAME_OTHER, "", NULL, -1, -1 },
		{ FRAME_NATIVE, "malloc", "/lib/libc.so.6", -1, -1 },
		{ FRAME_PYTHON, "caf\xc3\xa9", "", 0, 0 },
	};
	__u32 id[10];

	for (size_t i = 0; i < 10; i++)
		ASSERT_OK(stackset__frame(ss, &frames[i], &id[i]));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[1], id[2], id[3] }, 4, SAMPLE_ON_CPU, 5));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[2], id[4], id[5] }, 4, SAMPLE_ON_CPU, 2));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[6], id[7], id[8], id[9] }, 5,
				SAMPLE_ON_CPU, 1));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[1], id[2], id[3] }, 4, SAMPLE_ON_CPU, 3));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0] }, 1, SAMPLE_ON_CPU, 1ull << 40));
	if (!tags)
		return;
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[1], id[2], id[3] }, 4, SAMPLE_OFF_CPU,
				1000000));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0], id[1], id[2], id[3] }, 4,
				SAMPLE_GIL | SAMPLE_GC, 2));
	ASSERT_OK(stackset__add(ss, (__u32[]){ id[0] }, 1, SAMPLE_TAG_KNOWN, 9));
}

static bool same_frame(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) && !a->file == !b->file &&
	       (!a->file || !strcmp(a->file, b->file)) && a->line == b->line &&
	       a->func_line == b->func_line;
}

/* Equal as profiles: the same stacks of the same frames with the same counts, in order. */
static void assert_same(const struct stackset *a, const struct stackset *b)
{
	ASSERT_EQ(a->nr, b->nr);
	ASSERT_EQ(a->total, b->total);
	for (size_t i = 0; i < a->nr; i++) {
		const struct stack *x = &a->stacks[i], *y = &b->stacks[i];

		ASSERT_EQ(x->nr, y->nr);
		ASSERT_EQ(x->count, y->count);
		ASSERT_EQ(x->tag, y->tag);
		for (size_t k = 0; k < x->nr; k++) {
			const struct frame *fa = &a->frames[stack__ids(a, x)[k]];

			if (!same_frame(fa, &b->frames[stack__ids(b, y)[k]]))
				TEST_FAIL("stack %zu frame %zu differs", i, k);
		}
	}
}

static void round_trip(unsigned int version)
{
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf enc = { 0 }, again = { 0 };

	make_set(&a, version == 3);
	ASSERT_OK(strbuf__puts(&enc, "x"));
	ASSERT_OK(wire__encode(&a, version, &enc));
	ASSERT_TRUE(!memcmp(enc.buf, version == 3 ? "x" WIRE_MAGIC : "x" WIRE_MAGIC_V2, 9));
	ASSERT_OK(wire__decode((const __u8 *)enc.buf + 1, enc.len - 1, &b));
	ASSERT_EQ(b.nr_frames, a.nr_frames);
	ASSERT_EQ(b.nr, version == 3 ? 7 : 4);
	assert_same(&a, &b);
	/* the same set encodes to the same bytes */
	ASSERT_OK(wire__encode(&b, version, &again));
	ASSERT_EQ(again.len, enc.len - 1);
	ASSERT_TRUE(!memcmp(again.buf, enc.buf + 1, again.len));
	stackset__done(&a);
	stackset__done(&b);
	strbuf__done(&enc);
	strbuf__done(&again);
}

TEST(round_trip)
{
	round_trip(2);
	round_trip(3);
}

/* Version 2 cannot say a tag: the caller selects the on-CPU stacks first. */
TEST(version_2_holds_no_tags)
{
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf out = { 0 };

	make_set(&a, true);
	ASSERT_OK(strbuf__puts(&out, "keep"));
	ASSERT_EQ(wire__encode(&a, 2, &out), -EINVAL);
	ASSERT_EQ(wire__encode(&a, 1, &out), -EINVAL);
	ASSERT_EQ(wire__encode(&a, 4, &out), -EINVAL);
	ASSERT_STREQ(out.buf, "keep");
	/* an invalid tag is no version's (a set only gets one by a bug) */
	make_set(&b, false);
	b.stacks[0].tag = 0x10;
	ASSERT_EQ(wire__encode(&b, 3, &out), -EINVAL);
	ASSERT_STREQ(out.buf, "keep");
	stackset__done(&a);
	stackset__done(&b);
	strbuf__done(&out);
}

TEST(empty)
{
	static const __u8 want[] = "PYPROFS\x02" "\0\0\0\0" "\0\0\0\0" "\0\0\0\0";
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf enc = { 0 };

	ASSERT_OK(wire__encode(&a, 2, &enc));
	ASSERT_EQ(enc.len, sizeof(want) - 1);
	ASSERT_TRUE(!memcmp(enc.buf, want, enc.len));
	ASSERT_OK(wire__decode((const __u8 *)enc.buf, enc.len, &b));
	ASSERT_EQ(b.nr, 0);
	ASSERT_EQ(b.nr_frames, 0);
	strbuf__reset(&enc);
	ASSERT_OK(wire__encode(&a, 3, &enc));
	ASSERT_EQ(enc.len, sizeof(want) - 1);
	ASSERT_TRUE(!memcmp(enc.buf, "PYPROFS\x03", 8) && !memcmp(enc.buf + 8, want + 8, 12));
	ASSERT_OK(wire__decode((const __u8 *)enc.buf, enc.len, &b));
	ASSERT_EQ(b.nr, 0);
	strbuf__done(&enc);
}

static int decode(const struct strbuf *sb)
{
	struct stackset ss = { 0 };
	int err = wire__decode((const __u8 *)sb->buf, sb->len, &ss);

	if (err && (ss.nr || ss.nr_frames || ss.frames || ss.stacks))
		TEST_FAIL("set not empty after error %d", err);
	stackset__done(&ss);
	return err;
}

static void put32(struct strbuf *sb, __u32 u)
{
	__u8 b[4] = { (__u8)u, (__u8)(u >> 8), (__u8)(u >> 16), (__u8)(u >> 24) };

	ASSERT_OK(strbuf__append(sb, b, 4));
}

/* The layout test's encoding, and where each of its fields is. */
static const __u8 small[] = "PYPROFS\x02"
			    "\x02\0\0\0" "\x01\0\0\0p" "\x03\0\0\0a.b"
			    "\x02\0\0\0"
			    "\x00" "\0\0\0\0" "\xff\xff\xff\xff"
			    "\xff\xff\xff\xff" "\xff\xff\xff\xff"
			    "\x01" "\0\0\0\0" "\x01\0\0\0" "\x02\x01\0\0" "\x01\0\0\0"
			    "\x01\0\0\0"
			    "\x02\0\0\0" "\0\0\0\0" "\x01\0\0\0" "\x07\0\0\0\0\0\0\x01";
enum {
	AT_MAGIC = 0, AT_NR_STRINGS = 8, AT_LEN0 = 12, AT_STR0 = 16, AT_NR_FRAMES = 24,
	AT_KIND = 45, AT_NAME = 46, AT_FILE = 50, AT_LINE = 54, AT_FUNC_LINE = 58,
	AT_NR_STACKS = 62, AT_NR = 66, AT_FRAME0 = 70, AT_FRAME1 = 74, AT_COUNT = 78,
};

/* Exact bytes of a small set: the layout of wire.h, little-endian. */
TEST(layout)
{
	const __u8 *want = small;
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf enc = { 0 }, folded = { 0 };
	__u32 id[2];

	ASSERT_OK(stackset__frame(&a, &(struct frame){ FRAME_PROCESS, "p", NULL, -1, -1 }, &id[0]));
	ASSERT_OK(stackset__frame(&a, &(struct frame){ FRAME_PYTHON, "p", "a.b", 258, 1 }, &id[1]));
	ASSERT_OK(stackset__add(&a, id, 2, SAMPLE_ON_CPU, (1ull << 56) + 7));
	ASSERT_OK(wire__encode(&a, 2, &enc));
	ASSERT_EQ(enc.len, sizeof(small) - 1);
	ASSERT_TRUE(!memcmp(enc.buf, want, enc.len));
	ASSERT_OK(wire__decode(want, sizeof(small) - 1, &b));
	ASSERT_OK(fmt_folded__render(&b, &folded));
	ASSERT_STREQ(folded.buf, "p;p (a.b:258) 72057594037927943\n");
	stackset__done(&a);
	stackset__done(&b);
	strbuf__done(&enc);
	strbuf__done(&folded);
}

/* small[] as version 3: magic "PYPROFS\x03", a tag byte after the count. */
static const __u8 small3[] = "PYPROFS\x03"
			     "\x02\0\0\0" "\x01\0\0\0p" "\x03\0\0\0a.b"
			     "\x02\0\0\0"
			     "\x00" "\0\0\0\0" "\xff\xff\xff\xff"
			     "\xff\xff\xff\xff" "\xff\xff\xff\xff"
			     "\x01" "\0\0\0\0" "\x01\0\0\0" "\x02\x01\0\0" "\x01\0\0\0"
			     "\x01\0\0\0"
			     "\x02\0\0\0" "\0\0\0\0" "\x01\0\0\0" "\x07\0\0\0\0\0\0\x01" "\x03";
enum { AT_TAG = 86 };

/* Exact bytes of the small set in version 3, its tag SAMPLE_OFF_CPU | SAMPLE_GIL. */
TEST(layout_v3)
{
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf enc = { 0 };
	__u32 id[2];

	ASSERT_OK(stackset__frame(&a, &(struct frame){ FRAME_PROCESS, "p", NULL, -1, -1 }, &id[0]));
	ASSERT_OK(stackset__frame(&a, &(struct frame){ FRAME_PYTHON, "p", "a.b", 258, 1 }, &id[1]));
	ASSERT_OK(stackset__add(&a, id, 2, SAMPLE_OFF_CPU | SAMPLE_GIL, (1ull << 56) + 7));
	ASSERT_OK(wire__encode(&a, 3, &enc));
	ASSERT_EQ(enc.len, sizeof(small3) - 1);
	ASSERT_TRUE(!memcmp(enc.buf, small3, enc.len));
	ASSERT_OK(wire__decode(small3, sizeof(small3) - 1, &b));
	ASSERT_EQ(b.nr, 1);
	ASSERT_EQ(b.stacks[0].tag, SAMPLE_OFF_CPU | SAMPLE_GIL);
	ASSERT_EQ(b.stacks[0].count, (1ull << 56) + 7);
	stackset__done(&b);
	/* version 2's bytes are the same set with every tag on-CPU */
	ASSERT_OK(wire__decode(small, sizeof(small) - 1, &b));
	ASSERT_EQ(b.nr, 1);
	ASSERT_EQ(b.stacks[0].tag, SAMPLE_ON_CPU);
	stackset__done(&a);
	stackset__done(&b);
	strbuf__done(&enc);
}

/* The same frames under two tags stay two stacks; the same tag twice merges. */
TEST(tags_kept_apart)
{
	struct strbuf sb = { 0 };
	struct stackset ss = { 0 };

	ASSERT_OK(strbuf__append(&sb, small3, sizeof(small3) - 1));
	sb.buf[AT_NR_STACKS] = 3;
	ASSERT_OK(strbuf__append(&sb, small3 + AT_NR, AT_TAG - AT_NR));
	ASSERT_OK(strbuf__append(&sb, "\x00", 1));
	ASSERT_OK(strbuf__append(&sb, small3 + AT_NR, AT_TAG + 1 - AT_NR));
	ASSERT_OK(wire__decode((const __u8 *)sb.buf, sb.len, &ss));
	ASSERT_EQ(ss.nr, 2);
	ASSERT_EQ(ss.stacks[0].tag, SAMPLE_OFF_CPU | SAMPLE_GIL);
	ASSERT_EQ(ss.stacks[0].count, 2 * ((1ull << 56) + 7));
	ASSERT_EQ(ss.stacks[1].tag, SAMPLE_ON_CPU);
	ASSERT_EQ(ss.stacks[1].count, (1ull << 56) + 7);
	stackset__done(&ss);
	strbuf__done(&sb);
}

static void patch_of(struct strbuf *sb, const __u8 *base, size_t len, size_t at, size_t size,
		     __u64 v)
{
	strbuf__reset(sb);
	ASSERT_OK(strbuf__append(sb, base, len));
	ASSERT_TRUE(at + size <= sb->len);
	for (size_t i = 0; i < size; i++)
		sb->buf[at + i] = (char)(v >> (8 * i));
}

TEST(every_field_corrupted_v3)
{
	static const struct {
		const char *what;
		size_t at, size;
		__u64 v;
	} bad[] = {
		{ "magic version 4", AT_MAGIC + 7, 1, 4 },
		{ "magic version 0", AT_MAGIC + 7, 1, 0 },
		{ "nr_stacks one more", AT_NR_STACKS, 4, 2 },
		{ "count 0", AT_COUNT, 8, 0 },
		{ "tag: an unknown bit", AT_TAG, 1, 0x10 },
		{ "tag: the top bit", AT_TAG, 1, 0x80 | SAMPLE_OFF_CPU },
		{ "tag 0xff", AT_TAG, 1, 0xff },
	};
	struct strbuf sb = { 0 };

	patch_of(&sb, small3, sizeof(small3) - 1, AT_MAGIC, 0, 0);
	ASSERT_OK(decode(&sb));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch_of(&sb, small3, sizeof(small3) - 1, bad[i].at, bad[i].size, bad[i].v);
		if (decode(&sb) != -EBADMSG)
			TEST_FAIL("%s: accepted", bad[i].what);
	}
	/* every known tag is accepted */
	for (unsigned int t = 0; t <= SAMPLE_TAG_KNOWN; t++) {
		patch_of(&sb, small3, sizeof(small3) - 1, AT_TAG, 1, t);
		ASSERT_OK(decode(&sb));
	}
	/* the tag byte is required, and nothing may follow it */
	patch_of(&sb, small3, sizeof(small3) - 2, AT_MAGIC, 0, 0);
	ASSERT_EQ(decode(&sb), -EBADMSG);
	patch_of(&sb, small3, sizeof(small3) - 1, AT_MAGIC, 0, 0);
	ASSERT_OK(strbuf__append(&sb, "\0", 1));
	ASSERT_EQ(decode(&sb), -EBADMSG);
	/* version 2 bytes under version 3's magic lack the tag: rejected */
	patch_of(&sb, small, sizeof(small) - 1, AT_MAGIC + 7, 1, 3);
	ASSERT_EQ(decode(&sb), -EBADMSG);
	strbuf__done(&sb);
}

static void patch(struct strbuf *sb, size_t at, size_t size, __u64 v)
{
	strbuf__reset(sb);
	ASSERT_OK(strbuf__append(sb, small, sizeof(small) - 1));
	ASSERT_TRUE(at + size <= sb->len);
	for (size_t i = 0; i < size; i++)
		sb->buf[at + i] = (char)(v >> (8 * i));
}

TEST(every_field_corrupted)
{
	static const struct {
		const char *what;
		size_t at, size;
		__u64 v;
	} bad[] = {
		{ "magic version", AT_MAGIC + 7, 1, 1 },
		{ "magic text", AT_MAGIC, 1, 'X' },
		{ "nr_strings past the end", AT_NR_STRINGS, 4, 0x7fffffff },
		{ "nr_strings one more", AT_NR_STRINGS, 4, 3 },
		{ "nr_strings one less", AT_NR_STRINGS, 4, 1 },
		{ "string past the end", AT_LEN0, 4, 1000 },
		{ "string longer than the limit", AT_LEN0, 4, WIRE_MAX_STRING + 1 },
		{ "string holding a NUL", AT_STR0, 1, 0 },
		{ "nr_frames past the end", AT_NR_FRAMES, 4, 0x10000000 },
		{ "nr_frames one more", AT_NR_FRAMES, 4, 3 },
		{ "nr_frames one less", AT_NR_FRAMES, 4, 1 },
		{ "kind FRAME__MAX", AT_KIND, 1, FRAME__MAX },
		{ "kind 255", AT_KIND, 1, 255 },
		{ "name past the strings", AT_NAME, 4, 2 },
		{ "name none", AT_NAME, 4, WIRE_NO_STRING },
		{ "file past the strings", AT_FILE, 4, 2 },
		{ "file 0xfffffffe", AT_FILE, 4, 0xfffffffe },
		{ "line -2", AT_LINE, 4, 0xfffffffe },
		{ "line INT_MIN", AT_LINE, 4, 0x80000000 },
		{ "func_line -2", AT_FUNC_LINE, 4, 0xfffffffe },
		{ "nr_stacks past the end", AT_NR_STACKS, 4, 0x10000000 },
		{ "nr_stacks one more", AT_NR_STACKS, 4, 2 },
		{ "nr_stacks zero: bytes left", AT_NR_STACKS, 4, 0 },
		{ "stack nr 0", AT_NR, 4, 0 },
		{ "stack nr past the limit", AT_NR, 4, STACK_MAX_DEPTH + 1 },
		{ "stack nr past the end", AT_NR, 4, 3 },
		{ "stack nr one less", AT_NR, 4, 1 },
		{ "frame past the frames", AT_FRAME1, 4, 2 },
		{ "frame 0xffffffff", AT_FRAME0, 4, 0xffffffff },
		{ "count 0", AT_COUNT, 8, 0 },
	};
	struct strbuf sb = { 0 };

	patch(&sb, AT_MAGIC, 0, 0);
	ASSERT_OK(decode(&sb));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch(&sb, bad[i].at, bad[i].size, bad[i].v);
		if (decode(&sb) != -EBADMSG)
			TEST_FAIL("%s: accepted", bad[i].what);
	}
	/* good values in the same fields are accepted */
	patch(&sb, AT_LINE, 4, 0xffffffff);
	ASSERT_OK(decode(&sb));
	patch(&sb, AT_FILE, 4, WIRE_NO_STRING);
	ASSERT_OK(decode(&sb));
	patch(&sb, AT_KIND, 1, FRAME__MAX - 1);
	ASSERT_OK(decode(&sb));
	patch(&sb, AT_COUNT, 8, ~0ull);
	ASSERT_OK(decode(&sb));
	patch(&sb, AT_MAGIC, 0, 0);
	ASSERT_OK(strbuf__append(&sb, "x", 1));
	ASSERT_EQ(decode(&sb), -EBADMSG);
	strbuf__done(&sb);
}

static void every_truncation_and_byte(unsigned int version)
{
	struct stackset a = { 0 };
	struct strbuf enc = { 0 }, cut = { 0 };

	make_set(&a, version == 3);
	ASSERT_OK(wire__encode(&a, version, &enc));
	for (size_t n = 0; n < enc.len; n++) {
		strbuf__reset(&cut);
		ASSERT_OK(strbuf__append(&cut, enc.buf, n));
		if (decode(&cut) != -EBADMSG)
			TEST_FAIL("cut to %zu of %zu bytes: accepted", n, enc.len);
	}
	/* any one byte changed: rejected, or a valid profile (a line, a count...), never a crash */
	for (size_t n = 0; n < enc.len; n++) {
		for (int x = 1; x < 256; x <<= 1) {
			int err;

			strbuf__reset(&cut);
			ASSERT_OK(strbuf__append(&cut, enc.buf, enc.len));
			cut.buf[n] = (char)(cut.buf[n] ^ x);
			err = decode(&cut);
			if (err && err != -EBADMSG)
				TEST_FAIL("byte %zu ^ %d: %d", n, x, err);
		}
	}
	stackset__done(&a);
	strbuf__done(&enc);
	strbuf__done(&cut);
}

TEST(every_truncation_and_byte)
{
	every_truncation_and_byte(2);
	every_truncation_and_byte(3);
}

/* small[] with a second stack appended: nr, frames, count. */
static void two_stacks(struct strbuf *sb, __u32 nr, const __u32 *frames, __u64 count0, __u64 count1)
{
	patch(sb, AT_COUNT, 8, count0);
	sb->buf[AT_NR_STACKS] = 2;
	put32(sb, nr);
	for (__u32 i = 0; i < nr; i++)
		put32(sb, frames[i]);
	put32(sb, (__u32)count1);
	put32(sb, (__u32)(count1 >> 32));
}

TEST(counts_overflow)
{
	struct strbuf sb = { 0 };
	struct stackset ss = { 0 };

	two_stacks(&sb, 1, (__u32[]){ 0 }, 1ull << 63, 1ull << 63);
	ASSERT_EQ(decode(&sb), -EBADMSG);
	two_stacks(&sb, 1, (__u32[]){ 0 }, 1ull << 63, (1ull << 63) - 1);
	ASSERT_OK(wire__decode((const __u8 *)sb.buf, sb.len, &ss));
	ASSERT_EQ(ss.total, ~0ull);
	stackset__done(&ss);
	strbuf__done(&sb);
}

TEST(duplicates_merge)
{
	struct strbuf sb = { 0 };
	struct stackset ss = { 0 };

	two_stacks(&sb, 2, (__u32[]){ 0, 1 }, 7, 5);
	ASSERT_OK(wire__decode((const __u8 *)sb.buf, sb.len, &ss));
	ASSERT_EQ(ss.nr, 1);
	ASSERT_EQ(ss.stacks[0].count, 12);
	stackset__done(&ss);
	strbuf__done(&sb);
}

TEST(encode_limits)
{
	struct stackset ss = { 0 };
	struct strbuf enc = { 0 }, out = { 0 };
	char *big = malloc(WIRE_MAX_STRING + 2);
	__u32 id[2];

	ASSERT_TRUE(big != NULL);
	memset(big, 'x', WIRE_MAX_STRING);
	big[WIRE_MAX_STRING] = '\0';
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_PROCESS, "p", NULL, -1, -1 },
				  &id[0]));
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, big, NULL, -1, -1 }, &id[1]));
	ASSERT_OK(stackset__add(&ss, id, 2, SAMPLE_ON_CPU, 1));
	/* a stack of count 0 holds no samples: left out */
	ASSERT_OK(stackset__add(&ss, id, 1, SAMPLE_ON_CPU, 0));
	ASSERT_OK(wire__encode(&ss, 2, &enc));
	{
		struct stackset back = { 0 };

		ASSERT_OK(wire__decode((const __u8 *)enc.buf, enc.len, &back));
		ASSERT_EQ(back.nr, 1);
		ASSERT_EQ(strlen(back.frames[1].name), WIRE_MAX_STRING);
		stackset__done(&back);
	}
	stackset__done(&ss);
	big[WIRE_MAX_STRING] = 'x';
	big[WIRE_MAX_STRING + 1] = '\0';
	ASSERT_OK(stackset__frame(&ss, &(struct frame){ FRAME_OTHER, big, NULL, -1, -1 }, &id[0]));
	ASSERT_OK(strbuf__puts(&out, "keep"));
	ASSERT_EQ(wire__encode(&ss, 2, &out), -EINVAL);
	ASSERT_STREQ(out.buf, "keep");
	free(big);
	stackset__done(&ss);
	strbuf__done(&enc);
	strbuf__done(&out);
}

/* A profile through folded text, PYPROF/2 and back renders the same folded text. */
TEST(folded_through_wire)
{
	const char *text = "app;<module> (/a.py:1);f (x) (/b (c).py:2);g (C:/d.py) 4\n"
			   "app;[python: truncated stack];h_[k];0x1f_[k] 1\n"
			   "app;x_1;y (a.py:007);z (:5);[] 3\n";
	struct stackset a = { 0 }, b = { 0 };
	struct strbuf enc = { 0 }, out = { 0 };

	ASSERT_OK(stackset__parse_folded(&a, text, strlen(text)));
	ASSERT_OK(wire__encode(&a, 2, &enc));
	ASSERT_OK(wire__decode((const __u8 *)enc.buf, enc.len, &b));
	ASSERT_OK(fmt_folded__render(&b, &out));
	ASSERT_STREQ(out.buf, text);
	stackset__done(&a);
	stackset__done(&b);
	strbuf__done(&enc);
	strbuf__done(&out);
}
