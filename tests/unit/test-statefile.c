// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for statefile: round trip, the byte layout, and that every corrupt or
 * truncated field (and every damaged byte of a stored file) rejects the file
 * whole, leaving nothing decoded; where a window lands on the reader's clock.
 */
#include <errno.h>
#include <stdint.h>
#include "testhelp.h"
#include "profile/statefile.h"
#include "base/strbuf.h"

#define BOOT_A "0123abcd-0000-4000-8000-00000000000a"
#define BOOT_B "0123abcd-0000-4000-8000-00000000000b"
#define SEC    1000000000ull

static const char *names0[] = { "py", "main (/a.py:1)", "hot (/a.py:7)" };
static __u32 frames0[] = { 0, 1, 0, 1, 2 };
static struct statefile_stack stacks0[] = { { .off = 0, .nr = 2, .count = 5 },
					     { .off = 2, .nr = 3, .count = 7 } };
static const char *names1[] = { "other" };
static __u32 frames1[] = { 0 };
static struct statefile_stack stacks1[] = { { .off = 0, .nr = 1, .count = 1 } };

static struct statefile_proc procs[] = {
	{ .pid = 4242, .start_time = 99, .ruid = 1000, .euid = 1001, .version_hex = 0x030b07f0,
	  .supported = true, .comm = "py", .exe = "/usr/bin/python3", .why = "",
	  .nr_names = 3, .names = names0, .nr_stacks = 2, .stacks = stacks0, .frames = frames0 },
	{ .pid = 7, .start_time = 1, .comm = "x", .exe = "", .why = "no libpython",
	  .nr_names = 1, .names = names1, .nr_stacks = 1, .stacks = stacks1, .frames = frames1 },
};

static struct statefile fixture(void)
{
	struct statefile sf = { .window_ns = 10 * SEC, .start = 100 * SEC, .start_wall = 5 * SEC,
				.nr_procs = 2, .procs = procs };

	memcpy(sf.boot_id, BOOT_A, STATEFILE_BOOT_ID);
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

TEST(round_trip)
{
	struct statefile in = fixture(), out;
	struct strbuf raw = encode(&in);
	__u8 *file;
	size_t len;

	ASSERT_OK(statefile__compress((const __u8 *)raw.buf, raw.len, &file, &len));
	ASSERT_OK(statefile__decode(file, len, &out));
	ASSERT_EQ(out.window_ns, in.window_ns);
	ASSERT_EQ(out.start, in.start);
	ASSERT_EQ(out.start_wall, in.start_wall);
	ASSERT_TRUE(memcmp(out.boot_id, BOOT_A, STATEFILE_BOOT_ID) == 0);
	ASSERT_EQ(out.nr_procs, 2);
	for (__u32 i = 0; i < 2; i++) {
		const struct statefile_proc *a = &in.procs[i], *b = &out.procs[i];
		__u64 samples = 0;

		ASSERT_EQ(b->pid, a->pid);
		ASSERT_EQ(b->start_time, a->start_time);
		ASSERT_EQ(b->ruid, a->ruid);
		ASSERT_EQ(b->euid, a->euid);
		ASSERT_EQ(b->version_hex, a->version_hex);
		ASSERT_EQ(b->supported, a->supported);
		ASSERT_STREQ(b->comm, a->comm);
		ASSERT_STREQ(b->exe, a->exe);
		ASSERT_STREQ(b->why, a->why);
		ASSERT_EQ(b->nr_names, a->nr_names);
		for (__u32 k = 0; k < a->nr_names; k++)
			ASSERT_STREQ(b->names[k], a->names[k]);
		ASSERT_EQ(b->nr_stacks, a->nr_stacks);
		for (__u32 k = 0; k < a->nr_stacks; k++) {
			const struct statefile_stack *x = &a->stacks[k], *y = &b->stacks[k];

			ASSERT_EQ(y->nr, x->nr);
			ASSERT_EQ(y->count, x->count);
			samples += x->count;
			for (__u32 f = 0; f < x->nr; f++)
				ASSERT_STREQ(b->names[b->frames[y->off + f]],
					     a->names[a->frames[x->off + f]]);
		}
		ASSERT_EQ(b->samples, samples);
	}
	statefile__fini(&out);
	statefile__fini(&out);
	free(file);
	strbuf__done(&raw);
}

/* Byte offsets of the fixture's fields, from the layout in statefile.h. */
enum {
	F_WINDOW = 0, F_START = 8, F_BOOT = 24, F_NR_PROCS = 60,
	F_PID = 64, F_SUPPORTED = 88, F_COMM_LEN = 92,
	F_EXE_LEN = 98, F_WHY_LEN = 118, F_NR_NAMES = 122, F_NAME0_LEN = 126, F_NAME0 = 130,
	F_NR_STACKS = 167, F_STACK0_NR = 171, F_STACK0_ID1 = 179, F_STACK0_COUNT = 183,
	F_STACK1_NR = 191,
};

static void put32(struct strbuf *raw, size_t off, __u32 v)
{
	memcpy(raw->buf + off, &v, sizeof(v));
}

static void put64(struct strbuf *raw, size_t off, __u64 v)
{
	memcpy(raw->buf + off, &v, sizeof(v));
}

TEST(layout_matches_the_format)
{
	struct statefile sf = fixture();
	struct strbuf raw = encode(&sf);
	__u32 v32;
	__u64 v64;

	memcpy(&v64, raw.buf + F_WINDOW, 8);
	ASSERT_EQ(v64, 10 * SEC);
	ASSERT_TRUE(memcmp(raw.buf + F_BOOT, BOOT_A, STATEFILE_BOOT_ID) == 0);
	memcpy(&v32, raw.buf + F_PID, 4);
	ASSERT_EQ(v32, 4242);
	memcpy(&v32, raw.buf + F_EXE_LEN, 4);
	ASSERT_EQ(v32, 16);
	memcpy(&v32, raw.buf + F_NR_NAMES, 4);
	ASSERT_EQ(v32, 3);
	ASSERT_TRUE(memcmp(raw.buf + F_NAME0, "py", 2) == 0);
	memcpy(&v32, raw.buf + F_NR_STACKS, 4);
	ASSERT_EQ(v32, 2);
	memcpy(&v64, raw.buf + F_STACK0_COUNT, 8);
	ASSERT_EQ(v64, 5);
	memcpy(&v32, raw.buf + F_STACK1_NR, 4);
	ASSERT_EQ(v32, 3);
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
	{ "more names than bytes", F_NR_NAMES, 4, 1u << 30 },
	{ "name too long", F_NAME0_LEN, 4, STATEFILE_MAX_NAME + 1 },
	{ "NUL in a name", F_NAME0 + 1, 1, 0 },
	{ "more stacks than bytes", F_NR_STACKS, 4, 1u << 30 },
	{ "one stack more", F_NR_STACKS, 4, 3 },
	{ "empty stack", F_STACK0_NR, 4, 0 },
	{ "stack deeper than the limit", F_STACK0_NR, 4, PYPROF_MAX_STACK + 1 },
	{ "frame names no name", F_STACK0_ID1, 4, 3 },
	{ "zero count", F_STACK0_COUNT, 8, 0 },
	{ "counts overflow", F_STACK0_COUNT, 8, UINT64_MAX },
};

TEST(every_corrupt_field_rejects_the_file)
{
	struct statefile sf = fixture(), out;

	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		const struct corruption *c = &corruptions[i];
		struct strbuf raw = encode(&sf);
		__u8 *file;
		size_t len;

		if (c->width == 8)
			put64(&raw, c->off, c->value);
		else if (c->width == 4)
			put32(&raw, c->off, (__u32)c->value);
		else
			raw.buf[c->off] = (char)c->value;
		fprintf(stderr, "  %s\n", c->what);
		assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, &out), &out);
		/* The same through a well-formed compressed file. */
		ASSERT_OK(statefile__compress((const __u8 *)raw.buf, raw.len, &file, &len));
		assert_rejected(statefile__decode(file, len, &out), &out);
		free(file);
		strbuf__done(&raw);
	}
}

TEST(trailing_bytes_reject_the_file)
{
	struct statefile sf = fixture(), out;
	struct strbuf raw = encode(&sf);

	ASSERT_OK(strbuf__append(&raw, "", 1));
	assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, raw.len, &out), &out);
	strbuf__done(&raw);
}

TEST(every_truncation_rejects_the_file)
{
	struct statefile sf = fixture(), out;
	struct strbuf raw = encode(&sf);
	__u8 *file;
	size_t len;

	for (size_t n = 0; n < raw.len; n++)
		assert_rejected(statefile__decode_raw((const __u8 *)raw.buf, n, &out), &out);
	ASSERT_OK(statefile__compress((const __u8 *)raw.buf, raw.len, &file, &len));
	for (size_t n = 0; n < len; n++)
		assert_rejected(statefile__decode(file, n, &out), &out);
	free(file);
	strbuf__done(&raw);
}

/*
 * zlib's checksum covers the body: a damaged bit of a stored file rejects it,
 * unless it is one deflate ignores (padding after the last block), when the
 * file still decodes to exactly what was written.
 */
TEST(every_damaged_bit_of_a_file_rejects_it)
{
	struct statefile sf = fixture(), out;
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
	struct statefile_stack deep = { .off = 0, .nr = PYPROF_MAX_STACK + 1, .count = 1 };
	struct statefile_proc p = procs[1];
	struct strbuf raw = { 0 };

	p.stacks = &deep;
	sf.procs = &p;
	sf.nr_procs = 1;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	deep.nr = 1;
	p.pid = 0;
	ASSERT_EQ(statefile__encode_raw(&sf, &raw), -EINVAL);
	strbuf__done(&raw);
}

TEST(deepest_stack_round_trips)
{
	static __u32 frames[PYPROF_MAX_STACK];
	struct statefile_stack deep = { .off = 0, .nr = PYPROF_MAX_STACK, .count = 3 };
	struct statefile sf = fixture(), out;
	struct statefile_proc p = procs[1];
	struct strbuf raw = { 0 };

	p.stacks = &deep;
	p.frames = frames;
	sf.procs = &p;
	sf.nr_procs = 1;
	ASSERT_OK(statefile__encode_raw(&sf, &raw));
	ASSERT_OK(statefile__decode_raw((const __u8 *)raw.buf, raw.len, &out));
	ASSERT_EQ(out.procs[0].stacks[0].nr, PYPROF_MAX_STACK);
	statefile__fini(&out);
	strbuf__done(&raw);
}

static int place(const char *file_boot, __u64 start, __u64 start_wall, __u64 now, __u64 wall,
		 __u64 *ret)
{
	struct statefile sf = fixture();
	struct statefile_clock c = { .boot_id = BOOT_A, .now = now, .wall = wall,
				     .retention_ns = 3600 * SEC };

	memcpy(sf.boot_id, file_boot, STATEFILE_BOOT_ID);
	sf.start = start;
	sf.start_wall = start_wall;
	return statefile__place(&sf, &c, ret);
}

TEST(future_dated_files_are_rejected)
{
	__u64 now = 1000000 * SEC, wall = 2000000 * SEC, start = 0;

	/* Same boot: a window that starts after now was never written by this clock. */
	ASSERT_EQ(place(BOOT_A, now + 1, 0, now, wall, &start), -ERANGE);
	ASSERT_EQ(place(BOOT_A, now + 3600 * SEC, wall, now, wall, &start), -ERANGE);
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
