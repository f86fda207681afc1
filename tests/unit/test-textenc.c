// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for textenc's terminal escaping: nothing a terminal acts on gets through. */
#include "testhelp.h"
#include "base/strbuf.h"
#include "base/textenc.h"

#define TERM(lit, keep) term(lit, sizeof(lit) - 1, keep)

static char *term(const char *s, size_t len, const char *keep)
{
	struct strbuf out = { 0 };

	ASSERT_OK(term__put_text(&out, s, len, keep));
	ASSERT_OK(strbuf__append(&out, "", 0));
	return strbuf__detach(&out, NULL) ?: strdup("");
}

TEST(term_plain_text_unchanged)
{
	char *s = TERM("python3.11 /usr/bin/caf\xc3\xa9 \xe2\x82\xac", NULL);

	ASSERT_STREQ(s, "python3.11 /usr/bin/caf\xc3\xa9 \xe2\x82\xac");
	free(s);
}

TEST(term_c0_del_escaped)
{
	char *s = TERM("a\033[2J\nb\tc\x7f\x01", NULL);

	ASSERT_STREQ(s, "a\\x1b[2J\\x0ab\\x09c\\x7f\\x01");
	free(s);
}

TEST(term_keep_newline_only)
{
	char *s = TERM("x\ny\tz\r", "\n");

	ASSERT_STREQ(s, "x\ny\\x09z\\x0d");
	free(s);
}

TEST(term_c1_and_bad_utf8_escaped)
{
	/* U+009B (CSI) and U+0085 (NEL) as UTF-8, a raw 0x9b, a cut sequence, an overlong. */
	char *s = TERM("a\xc2\x9b" "b\xc2\x85" "c\x9b" "d\xe2\x82" "e\xc0\xaf" "f\xc2\xa0", "\n");

	ASSERT_STREQ(s, "a\\xc2\\x9bb\\xc2\\x85c\\x9bd\\xe2\\x82e\\xc0\\xaff\xc2\xa0");
	free(s);
}

TEST(term_nul_escaped_even_if_kept)
{
	char *s = TERM("a\0b", "\n");

	ASSERT_STREQ(s, "a\\x00b");
	free(s);
}

TEST(json_c1_escaped)
{
	struct strbuf out = { 0 };

	ASSERT_OK(json__put_string(&out, "a\xc2\x9b" "b\xc2\xa0\x1b", 7));
	ASSERT_OK(strbuf__append(&out, "", 0));
	ASSERT_STREQ(out.buf, "\"a\\u009bb\xc2\xa0\\u001b\"");
	strbuf__done(&out);
}
