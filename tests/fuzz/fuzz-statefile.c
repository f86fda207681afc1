// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the state file decoder: the input as a whole stored
 * file and as raw (decompressed) bytes.  What decodes must encode to the
 * same bytes and decode again; nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "statefile.h"
#include "strbuf.h"

static void check_round_trip(const struct statefile *sf)
{
	struct statefile_clock c = { .boot_id = sf->boot_id, .now = UINT64_MAX / 2,
				     .wall = UINT64_MAX / 2, .retention_ns = 3600000000000ull };
	struct strbuf raw = { 0 };
	struct statefile again;
	__u64 start;

	(void)statefile__place(sf, &c, &start);
	if (statefile__encode_raw(sf, &raw))
		abort();
	if (statefile__decode_raw((const __u8 *)raw.buf, raw.len, &again))
		abort();
	statefile__fini(&again);
	strbuf__done(&raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statefile sf;

	if (statefile__decode(data, size, &sf) == 0) {
		check_round_trip(&sf);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();	/* a rejected file must leave nothing to apply */
	}
	if (statefile__decode_raw(data, size, &sf) == 0) {
		check_round_trip(&sf);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();
	}
	return 0;
}
