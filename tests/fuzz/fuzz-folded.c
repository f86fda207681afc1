// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: folded text through stackset__parse_folded(), then every
 * renderer over what it parsed (folded, svg, speedscope, pprof, json, top
 * and lines tables).  The first byte picks the rate, the table options and
 * the metadata; the rest is the folded text.
 * Checks: a parsed set's total is the sum of its counts; a renderer that
 * fails leaves the output as it was; folded output parses back to the same
 * text and total, also through PYPROF/2's encoding; every frame's label
 * splits back to the same label.
 */
#include <errno.h>
#include "render/fmt_folded.h"
#include "render/formats.h"
#include "fuzzhelp.h"
#include "profile/stacks.h"
#include "base/strbuf.h"
#include "render/tables.h"
#include "proto/wire.h"

typedef int (*render_fn)(const struct stackset *ss, const struct fmt_meta *m, struct strbuf *out);

static const render_fn renderers[] = {
	fmt_svg__render,
	fmt_speedscope__render,
	fmt_pprof__render,
	fmt_json__render,
};

/* Folded output is a fixed point: parsed and rendered again, the same text and total. */
static void render_folded(const struct stackset *ss)
{
	struct strbuf out = { 0 }, again = { 0 }, enc = { 0 };
	struct stackset back = { 0 }, wire = { 0 };

	FUZZ_CHECK(fmt_folded__render(ss, &out) == 0);
	FUZZ_CHECK(stackset__parse_folded(&back, out.buf, out.len) == 0);
	FUZZ_CHECK(back.total == ss->total);
	FUZZ_CHECK(fmt_folded__render(&back, &again) == 0);
	FUZZ_CHECK(again.len == out.len && (!out.len || !memcmp(again.buf, out.buf, out.len)));
	/* and through PYPROF/3's encoding (counts of 0 are left out: no line then) */
	if (wire__encode(ss, WIRE_VERSION, &enc) == 0) {
		FUZZ_CHECK(wire__decode((const __u8 *)enc.buf, enc.len, &wire) == 0);
		FUZZ_CHECK(wire.total == ss->total);
	}
	stackset__done(&back);
	stackset__done(&wire);
	strbuf__done(&out);
	strbuf__done(&again);
	strbuf__done(&enc);
}

/* frame__label(frame__split(t)) == t for the label of every frame at its depth. */
static void check_labels(const struct stackset *ss)
{
	struct strbuf a = { 0 }, b = { 0 }, text = { 0 };

	for (size_t i = 0; i < ss->nr; i++) {
		const __u32 *ids = stack__ids(ss, &ss->stacks[i]);

		for (size_t d = 0; d < ss->stacks[i].nr; d++) {
			struct frame f;

			strbuf__reset(&a);
			strbuf__reset(&b);
			strbuf__reset(&text);
			FUZZ_CHECK(frame__label(&ss->frames[ids[d]], &a) == 0);
			/* split works in place: on a copy, f's strings point into it */
			FUZZ_CHECK(strbuf__append(&text, a.buf, a.len) == 0);
			frame__split(text.buf, d, &f);
			FUZZ_CHECK(frame__label(&f, &b) == 0);
			FUZZ_CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
		}
	}
	strbuf__done(&a);
	strbuf__done(&b);
	strbuf__done(&text);
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
	check_labels(ss);
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
		FUZZ_CHECK(ss.nr == 0 && ss.stacks == NULL && ss.nr_frames == 0);
	}
	stackset__done(&ss);
	free(text);
	return 0;
}
