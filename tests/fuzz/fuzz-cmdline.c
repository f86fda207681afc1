// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: procident__cmdline() over arbitrary /proc/PID/cmdline bytes
 * (the first byte says whether the reader cut it), then the line as list
 * shows it (term__put_text()) and as list --json does (json__put_string()),
 * and the input as status text through infojson__status().  Checks: the line
 * is the input with NULs as spaces, at most PROCIDENT_CMDLINE_MAX bytes of it,
 * marked when cut; no control byte survives either escaping.
 */
#include "fuzzhelp.h"
#include "base/strbuf.h"
#include "base/textenc.h"
#include "profile/procident.h"
#include "render/infojson.h"

static void no_controls(const struct strbuf *sb, char allowed)
{
	for (size_t i = 0; i < sb->len; i++) {
		unsigned char c = (unsigned char)sb->buf[i];

		FUZZ_CHECK((c >= 0x20 && c != 0x7f) || c == (unsigned char)allowed);
		FUZZ_CHECK(!(c == 0xc2 && i + 1 < sb->len &&
			     (unsigned char)sb->buf[i + 1] <= 0x9f));
	}
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	bool cut = fuzz__take(&in, 1) & 1;
	char *raw = fuzz__dup(in.p, in.len), *line = NULL;
	const size_t mark = strlen(PROCIDENT_CUT_MARK);
	struct strbuf t = { 0 }, j = { 0 }, st = { 0 };
	size_t len, body;

	FUZZ_CHECK(procident__cmdline(raw, in.len, cut, &line) == 0);
	len = strlen(line);
	cut = cut || in.len > PROCIDENT_CMDLINE_MAX;
	FUZZ_CHECK(!cut || (len >= mark && !strcmp(line + len - mark, PROCIDENT_CUT_MARK)));
	body = cut ? len - mark : len;
	FUZZ_CHECK(body <= PROCIDENT_CMDLINE_MAX && body <= in.len);
	/* A cut drops at most the three bytes of a character it would split. */
	FUZZ_CHECK(!cut || body + 3 >= (in.len < PROCIDENT_CMDLINE_MAX ? in.len
									  : PROCIDENT_CMDLINE_MAX));
	for (size_t i = 0; i < body; i++)
		FUZZ_CHECK(line[i] == (raw[i] ? raw[i] : ' '));
	FUZZ_CHECK(term__put_text(&t, line, len, NULL) == 0);
	no_controls(&t, 0);
	FUZZ_CHECK(json__put_string(&j, line, len) == 0);
	no_controls(&j, 0);
	FUZZ_CHECK(infojson__status(raw, in.len, &st) == 0);
	no_controls(&st, '\n');
	free(line);
	free(raw);
	strbuf__done(&t);
	strbuf__done(&j);
	strbuf__done(&st);
	return 0;
}
