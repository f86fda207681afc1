// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for PYPROF/3's and /2's profile decoder (proto/wire.h):
 * the input as an encoded profile.  What decodes must encode again, in the
 * version it came in, to bytes that decode to an equal set, and encoding
 * that set gives the very same bytes; a version 2 profile goes through
 * version 3 unchanged; a rejected input leaves the set empty; nothing may
 * crash, leak or read out of bounds.  What decodes renders as folded text
 * too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzhelp.h"
#include "proto/wire.h"
#include "render/fmt_folded.h"
#include "base/strbuf.h"

static bool same_frame(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) && !a->file == !b->file &&
	       (!a->file || !strcmp(a->file, b->file)) && a->line == b->line &&
	       a->func_line == b->func_line;
}

static void check_equal(const struct stackset *a, const struct stackset *b)
{
	FUZZ_CHECK(a->nr == b->nr && a->total == b->total && a->nr_frames == b->nr_frames);
	for (size_t i = 0; i < a->nr_frames; i++)
		FUZZ_CHECK(same_frame(&a->frames[i], &b->frames[i]));
	for (size_t i = 0; i < a->nr; i++) {
		const struct stack *x = &a->stacks[i], *y = &b->stacks[i];

		FUZZ_CHECK(x->nr == y->nr && x->count == y->count && x->tag == y->tag);
		FUZZ_CHECK(!memcmp(stack__ids(a, x), stack__ids(b, y), x->nr * sizeof(__u32)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stackset ss = { 0 }, again = { 0 }, v3 = { 0 };
	struct strbuf enc = { 0 }, enc2 = { 0 }, enc3 = { 0 }, folded = { 0 };
	unsigned int version;

	if (wire__decode(data, size, &ss) != 0) {
		FUZZ_CHECK(!ss.nr && !ss.nr_frames && !ss.frames && !ss.stacks && !ss.total);
		return 0;
	}
	/* It decoded: its magic is one of the two. */
	version = data[WIRE_MAGIC_LEN - 1] == 2 ? 2 : WIRE_VERSION;
	FUZZ_CHECK(wire__encode(&ss, version, &enc) == 0);
	FUZZ_CHECK(enc.len <= size);
	FUZZ_CHECK(wire__decode((const __u8 *)enc.buf, enc.len, &again) == 0);
	check_equal(&ss, &again);
	FUZZ_CHECK(wire__encode(&again, version, &enc2) == 0);
	FUZZ_CHECK(enc2.len == enc.len && !memcmp(enc.buf, enc2.buf, enc.len));
	if (version == 2) {
		FUZZ_CHECK(wire__encode(&ss, WIRE_VERSION, &enc3) == 0);
		FUZZ_CHECK(wire__decode((const __u8 *)enc3.buf, enc3.len, &v3) == 0);
		check_equal(&ss, &v3);
	}
	FUZZ_CHECK(fmt_folded__render(&ss, &folded) == 0);
	stackset__done(&ss);
	stackset__done(&again);
	stackset__done(&v3);
	strbuf__done(&enc);
	strbuf__done(&enc2);
	strbuf__done(&enc3);
	strbuf__done(&folded);
	return 0;
}
