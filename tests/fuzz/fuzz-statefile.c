// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the state file decoder: the input as a whole stored
 * file and as raw (decompressed) bytes.  What decodes must encode again (raw
 * bytes to the very same bytes); a rejected input leaves nothing decoded;
 * nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "profile/statefile.h"
#include "base/strbuf.h"

/* What decodes encodes again to a file that decodes; from raw bytes, to those very bytes. */
static void check_round_trip(const struct statefile *sf, const uint8_t *raw, size_t raw_len)
{
	struct statefile_clock c = { .boot_id = sf->boot_id, .now = UINT64_MAX / 2,
				     .wall = UINT64_MAX / 2, .retention_ns = 3600000000000ull };
	struct strbuf enc = { 0 };
	struct statefile again;
	__u64 start;

	(void)statefile__place(sf, &c, &start);
	if (statefile__encode_raw(sf, &enc))
		abort();
	if (raw && (raw_len != enc.len || memcmp(raw, enc.buf, raw_len) != 0))
		abort();
	if (statefile__decode_raw((const __u8 *)enc.buf, enc.len, &again))
		abort();
	statefile__fini(&again);
	strbuf__done(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statefile sf;

	if (statefile__decode(data, size, &sf) == 0) {
		check_round_trip(&sf, NULL, 0);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();	/* a rejected file must leave nothing to apply */
	}
	if (statefile__decode_raw(data, size, &sf) == 0) {
		check_round_trip(&sf, data, size);
		statefile__fini(&sf);
	} else if (sf.procs || sf.nr_procs) {
		abort();
	}
	return 0;
}
