// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: coldparts__fde() over an .eh_frame_hdr and an .eh_frame
 * taken from the input (a 2-byte length, then the header, the rest the
 * frames), at addresses and a pc the input gives.  Checks: a range found
 * holds the pc asked.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "target/coldparts.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	__u64 hdr_addr = fuzz__take(&in, 8), eh_addr = fuzz__take(&in, 8), pc = fuzz__take(&in, 8);
	size_t hdr_len = (size_t)fuzz__take(&in, 2);
	__u64 lo = 0, hi = 0;
	int err;

	if (hdr_len > in.len)
		hdr_len = in.len;
	err = coldparts__fde(in.p, hdr_len, hdr_addr, in.p + hdr_len, in.len - hdr_len, eh_addr,
			     pc, &lo, &hi);
	FUZZ_CHECK(err == 0 || err == -ENOENT);
	if (!err)
		FUZZ_CHECK(lo <= pc && pc < hi);
	return 0;
}
