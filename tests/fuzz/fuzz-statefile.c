// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the state file decoder: the input as a whole stored
 * file (W6 to W2), and after its first byte as raw (decompressed) bytes of
 * the version that byte names (2 to 5, else 6).  What decodes must hold only
 * labels proclabel.h allows, tags sample.h knows and buckets that cut the
 * window, and encode again (always as W6) to bytes that decode to the same
 * labels, command lines, frames, stacks, tags and buckets and encode to those very bytes;
 * a rejected input leaves nothing
 * decoded; nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "profile/statefile.h"
#include "base/strbuf.h"
#include "fuzzhelp.h"

static bool frame_eq(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 && !a->file == !b->file &&
	       (!a->file || strcmp(a->file, b->file) == 0) && a->line == b->line &&
	       a->func_line == b->func_line;
}

/* b's processes hold a's stacks, frame for frame. */
static void check_same(const struct statefile *a, const struct statefile *b)
{
	if (a->nr_procs != b->nr_procs || a->window_ns != b->window_ns || a->start != b->start ||
	    a->bucket_ns != b->bucket_ns || !a->bucket_ns || a->window_ns % a->bucket_ns ||
	    a->window_ns / a->bucket_ns > PROFILE_MAX_BUCKETS)
		abort();
	for (__u32 i = 0; i < a->nr_procs; i++) {
		const struct statefile_proc *x = &a->procs[i], *y = &b->procs[i];

		if (x->pid != y->pid || x->nr_stacks != y->nr_stacks || x->samples != y->samples ||
		    strcmp(x->comm, y->comm) != 0 || x->nr_labels != y->nr_labels ||
		    strcmp(x->cmdline ? x->cmdline : "", y->cmdline ? y->cmdline : "") != 0 ||
		    !proclabel__valid_set(x->labels, x->nr_labels))
			abort();
		for (__u32 k = 0; k < x->nr_labels; k++)
			if (strcmp(x->labels[k].key, y->labels[k].key) != 0 ||
			    strcmp(x->labels[k].value, y->labels[k].value) != 0)
				abort();
		for (__u32 k = 0; k < x->nr_stacks; k++) {
			const struct statefile_stack *s = &x->stacks[k], *t = &y->stacks[k];

			if (s->nr != t->nr || s->count != t->count || s->tag != t->tag ||
			    !sample_tag__valid(s->tag) || s->bucket != t->bucket ||
			    s->bucket >= a->window_ns / a->bucket_ns)
				abort();
			for (__u32 f = 0; f < s->nr; f++)
				if (!frame_eq(&x->frames[x->ids[s->off + f]],
					      &y->frames[y->ids[t->off + f]]))
					abort();
		}
	}
}

static void check_round_trip(const struct statefile *sf)
{
	struct statefile_clock c = { .boot_id = sf->boot_id, .now = UINT64_MAX / 2,
				     .wall = UINT64_MAX / 2, .retention_ns = 3600000000000ull };
	struct strbuf enc = { 0 }, enc2 = { 0 };
	struct statefile again;
	__u64 start;

	(void)statefile__place(sf, &c, &start);
	if (statefile__encode_raw(sf, &enc))
		abort();
	if (statefile__decode_raw((const __u8 *)enc.buf, enc.len, STATEFILE_VERSION, &again))
		abort();
	check_same(sf, &again);
	/* Written once, the encoding is settled: strings stored once, in first-use order. */
	if (statefile__encode_raw(&again, &enc2) || enc2.len != enc.len ||
	    memcmp(enc.buf, enc2.buf, enc.len) != 0)
		abort();
	statefile__fini(&again);
	strbuf__done(&enc);
	strbuf__done(&enc2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statefile sf;
	__u8 *raw;

	if (statefile__decode(data, size, &sf) == 0) {
		check_round_trip(&sf);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();	/* a rejected file must leave nothing to apply */
	}
	if (!size)
		return 0;
	/* An exact-size copy: a read past the raw bytes is caught. */
	raw = fuzz__dup(data + 1, size - 1);
	if (statefile__decode_raw(raw, size - 1, data[0] >= 2 && data[0] < STATEFILE_VERSION
							 ? data[0] : STATEFILE_VERSION, &sf) == 0) {
		check_round_trip(&sf);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();
	}
	free(raw);
	return 0;
}
