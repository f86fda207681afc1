// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for pystr: str headers of each kind, corrupt ones, and the UTF-8 of their characters. */
#include <errno.h>
#include "testhelp.h"
#include "target/pystr.h"

/* 3.12's non-free-threaded layout: ob_refcnt, ob_type, length, hash, state. */
static const struct pystr_layout L = {
	.ascii_size = 40, .compact_size = 56, .state = 32, .length = 16, .kind_shift = 2
};

static void header(__u8 *hdr, __s64 length, __u32 kind, bool compact, bool ascii)
{
	__u32 state = (kind | (compact ? 1u : 0u) << 3 | (ascii ? 1u : 0u) << 4) << L.kind_shift;

	memset(hdr, 0, L.compact_size);
	memcpy(hdr + L.length, &length, sizeof(length));
	memcpy(hdr + L.state, &state, sizeof(state));
}

TEST(kinds_and_where_the_characters_are)
{
	struct pystr_head h;
	__u8 hdr[64];

	header(hdr, 5, 1, true, true);
	ASSERT_OK(pystr__head(&L, hdr, sizeof(hdr), &h));
	ASSERT_EQ(h.length, 5);
	ASSERT_EQ(h.kind, 1);
	ASSERT_TRUE(h.compact && h.ascii);
	ASSERT_EQ(h.data_off, L.ascii_size);
	header(hdr, 3, 2, true, false);
	ASSERT_OK(pystr__head(&L, hdr, sizeof(hdr), &h));
	ASSERT_EQ(h.kind, 2);
	ASSERT_EQ(h.data_off, L.compact_size);
	header(hdr, 3, 4, false, false);
	ASSERT_OK(pystr__head(&L, hdr, sizeof(hdr), &h));
	ASSERT_TRUE(!h.compact);
}

TEST(corrupt_headers_and_layouts)
{
	struct pystr_layout bad = L;
	struct pystr_head h;
	__u8 hdr[64];

	header(hdr, -1, 1, true, true);
	ASSERT_EQ(pystr__head(&L, hdr, sizeof(hdr), &h), -EBADMSG);
	header(hdr, 1, 3, true, false);
	ASSERT_EQ(pystr__head(&L, hdr, sizeof(hdr), &h), -EBADMSG);
	header(hdr, 1, 2, true, true); /* ASCII is one byte a character */
	ASSERT_EQ(pystr__head(&L, hdr, sizeof(hdr), &h), -EBADMSG);
	header(hdr, 1, 1, true, true);
	ASSERT_EQ(pystr__head(&L, hdr, L.compact_size - 1, &h), -EBADMSG);
	bad.state = L.compact_size - 2;
	ASSERT_EQ(pystr__head(&bad, hdr, sizeof(hdr), &h), -EBADMSG);
	bad = L;
	bad.kind_shift = 30;
	ASSERT_EQ(pystr__head(&bad, hdr, sizeof(hdr), &h), -EBADMSG);
}

TEST(utf8)
{
	const __u8 latin1[] = { 'c', 0xe9 };
	const __u16 ucs2[] = { 0x4e2d, 0xd800, 'x' };
	const __u32 ucs4[] = { 0x1f600, 0x110000 };
	char buf[16];

	ASSERT_EQ(pystr__utf8(latin1, 2, 1, buf, sizeof(buf)), 3);
	ASSERT_STREQ(buf, "c\xc3\xa9");
	/* A lone surrogate cannot be encoded. */
	ASSERT_EQ(pystr__utf8((const __u8 *)ucs2, 3, 2, buf, sizeof(buf)), 5);
	ASSERT_STREQ(buf, "\xe4\xb8\xad?x");
	ASSERT_EQ(pystr__utf8((const __u8 *)ucs4, 2, 4, buf, sizeof(buf)), 5);
	ASSERT_STREQ(buf, "\xf0\x9f\x98\x80?");
	/* A character that does not fit whole is left out, with what follows. */
	ASSERT_EQ(pystr__utf8((const __u8 *)ucs2, 3, 2, buf, 3), 0);
	ASSERT_STREQ(buf, "");
	ASSERT_EQ(pystr__utf8(latin1, 2, 1, buf, 3), 1);
	ASSERT_STREQ(buf, "c");
}
