// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: folded text through stackset__parse_folded(), then every
 * renderer over what it parsed (folded, svg, speedscope, pprof, json, top
 * and lines tables).  The first byte picks the rate, the table options and
 * the metadata; the rest is the folded text.
 * Checks: a parsed set's total is the sum of its counts; a renderer that
 * fails leaves the output as it was; re-folding keeps the total.
 */
#include <errno.h>
#include "render/fmt_folded.h"
#include "render/formats.h"
#include "fuzzhelp.h"
#include "profile/stacks.h"
#include "base/strbuf.h"
#include "render/tables.h"

typedef int (*render_fn)(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

static const render_fn renderers[] = {
	fmt_svg__render,
	fmt_speedscope__render,
	fmt_pprof__render,
	fmt_json__render,
};

static void render_folded(const struct stackset *ss)
{
	struct folded *f = folded__new();
	struct strbuf out = { 0 };

	if (!f)
		abort();
	for (size_t i = 0; i < ss->nr; i++)
		if (ss->stacks[i].nr)
			FUZZ_CHECK(folded__add(f, ss->stacks[i].frames, ss->stacks[i].nr,
					       ss->stacks[i].count) == 0);
	FUZZ_CHECK(folded__total(f) == ss->total);
	FUZZ_CHECK(folded__render(f, &out) == 0);
	strbuf__done(&out);
	folded__free(f);
}

static void render_all(const struct stackset *ss, __u8 opt)
{
	static const __u32 rates[] = { 0, 1, 99, 1000000 };
	struct fmt_meta m = { .pid = opt & 8 ? 4242 : 0, .comm = opt & 16 ? "py\"<&>" : NULL,
			      .seconds = opt & 32 ? 60 : 0, .rate_hz = rates[opt & 3] };
	struct table_opts to = { .max_rows = opt & 4 ? 3 : 0, .rate_hz = m.rate_hz,
				 .sort = opt & 64 ? TABLE_SORT_TOTAL : TABLE_SORT_OWN };
	struct strbuf out = { 0 };

	render_folded(ss);
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++) {
		strbuf__reset(&out);
		FUZZ_CHECK(strbuf__puts(&out, "x") == 0);
		if (renderers[i](ss, &m, &out) != 0)
			FUZZ_CHECK(out.len == 1 && strcmp(out.buf, "x") == 0);
	}
	strbuf__reset(&out);
	table_top__render(ss, &to, &out);
	strbuf__reset(&out);
	table_lines__render(ss, &to, &out);
	strbuf__done(&out);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	__u8 opt = (__u8)fuzz__take(&in, 1);
	char *text = fuzz__dup(in.p, in.len);
	struct stackset ss = { 0 };
	__u64 sum = 0;

	if (stackset__parse_folded(&ss, text, in.len) == 0) {
		for (size_t i = 0; i < ss.nr; i++) {
			FUZZ_CHECK(ss.stacks[i].nr > 0);
			sum += ss.stacks[i].count;
		}
		FUZZ_CHECK(sum == ss.total);
		render_all(&ss, opt);
	} else {
		FUZZ_CHECK(ss.nr == 0 && ss.stacks == NULL);
	}
	stackset__done(&ss);
	free(text);
	return 0;
}
