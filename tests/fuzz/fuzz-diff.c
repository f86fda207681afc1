// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: two folded texts (split at the first NUL byte) through
 * stackset__parse_folded(), then the differential renderers over them:
 * fmt_diff__render() with and without normalisation, fmt_svg__render_diff().
 * The first byte picks normalisation and the metadata.
 * Checks: a renderer that fails leaves the output as it was; the folded
 * diff has one line per stack of the union, each "stack countA countB",
 * sorted by stack, with each column adding up to that side's folded total
 * (unscaled), and B's column always to B's total.
 */
#include <errno.h>
#include "render/fmt_diff.h"
#include "render/fmt_folded.h"
#include "render/formats.h"
#include "fuzzhelp.h"
#include "profile/stacks.h"
#include "base/strbuf.h"

/* Reads line p (up to nl) as stack, countA, countB; the stack's length in *len. */
static void read_line(const char *p, const char *nl, size_t *len, __u64 *a, __u64 *b)
{
	const char *sb = nl, *sa;

	while (sb > p && sb[-1] != ' ')
		sb--;
	FUZZ_CHECK(sb > p);
	sa = sb - 1;
	while (sa > p && sa[-1] != ' ')
		sa--;
	FUZZ_CHECK(sa > p);
	*a = strtoull(sa, NULL, 10);
	*b = strtoull(sb, NULL, 10);
	*len = (size_t)(sa - 1 - p);
}

static void check_folded(const struct stackset *a, const struct stackset *b, bool normalize)
{
	struct strbuf out = { 0 };
	const char *p, *end, *prev = NULL;
	size_t prev_len = 0;
	__u64 ta = 0, tb = 0;

	FUZZ_CHECK(strbuf__puts(&out, "x") == 0);
	if (fmt_diff__render(a, b, normalize, &out) != 0) {
		FUZZ_CHECK(out.len == 1 && strcmp(out.buf, "x") == 0);
		strbuf__done(&out);
		return;
	}
	p = out.buf + 1;
	end = out.buf + out.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len, n;
		__u64 ca, cb;
		int c;

		FUZZ_CHECK(nl);
		read_line(p, nl, &len, &ca, &cb);
		if (prev) {
			/* sorted and distinct: each stack once */
			n = len < prev_len ? len : prev_len;
			c = memcmp(prev, p, n);
			FUZZ_CHECK(c < 0 || (c == 0 && prev_len < len));
		}
		ta += ca;
		tb += cb;
		prev = p;
		prev_len = len;
		p = nl + 1;
	}
	FUZZ_CHECK(tb == b->total);
	FUZZ_CHECK(normalize ? ta <= (a->total && b->total ? b->total : a->total) :
			       ta == a->total);
	strbuf__done(&out);
}

static void check_svg(const struct stackset *a, const struct stackset *b, __u8 opt)
{
	struct fmt_meta ma = { .pid = opt & 2 ? 42 : 0, .comm = opt & 4 ? "py\"<&>" : NULL,
			       .seconds = opt & 8 ? 60 : 0, .mode = (opt >> 4) % VIEW_MODE__MAX };
	struct fmt_meta mb = ma;
	struct strbuf out = { 0 };

	mb.pid = 43;
	FUZZ_CHECK(strbuf__puts(&out, "x") == 0);
	if (fmt_svg__render_diff(a, &ma, b, &mb, &out) != 0)
		FUZZ_CHECK(out.len == 1 && strcmp(out.buf, "x") == 0);
	else
		FUZZ_CHECK(out.len > 1 && strstr(out.buf, "</svg>\n"));
	strbuf__done(&out);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	__u8 opt = (__u8)fuzz__take(&in, 1);
	const __u8 *nul = memchr(in.p, '\0', in.len);
	size_t la = nul ? (size_t)(nul - in.p) : in.len;
	char *ta = fuzz__dup(in.p, la);
	char *tb = nul ? fuzz__dup(nul + 1, in.len - la - 1) : fuzz__dup("", 0);
	size_t lb = nul ? in.len - la - 1 : 0;
	struct stackset a = { 0 }, b = { 0 };

	if (stackset__parse_folded(&a, ta, la) == 0 && stackset__parse_folded(&b, tb, lb) == 0) {
		check_folded(&a, &b, false);
		check_folded(&a, &b, true);
		check_svg(&a, &b, opt);
	}
	stackset__done(&a);
	stackset__done(&b);
	free(ta);
	free(tb);
	return 0;
}
