// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: linetable__addr2line() for every version's table format.
 *   [minor:1][firstlineno:4][addr:4][line table ...]
 * minor 8-15 (15 is unsupported), little-endian numbers.  Besides the given
 * addr, every even offset up to twice the table length is asked.  Checks:
 * documented return values only; once a table is malformed at one offset no
 * larger offset decodes (the decoder reads the table front to back).
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "target/linetable.h"

#define MAX_SWEEP 4096

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int minor = 8 + (unsigned int)fuzz__take(&in, 1) % 8;
	int first = (int)(__u32)fuzz__take(&in, 4), addr = (int)(__u32)fuzz__take(&in, 4);
	__u32 hex = 3u << 24 | minor << 16 | 0xf0;
	__u8 *tab = fuzz__dup(in.p, in.len);
	int line, r, einval_at = -1;
	size_t sweep = 2 * in.len + 4;

	r = linetable__addr2line(hex, first, in.len ? tab : NULL, in.len, addr, &line);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -EPROTONOSUPPORT);
	if (r == -EPROTONOSUPPORT)
		FUZZ_CHECK(minor > 14);
	if (sweep > MAX_SWEEP)
		sweep = MAX_SWEEP;
	for (int a = 0; r != -EPROTONOSUPPORT && (size_t)a < sweep; a += 2) {
		r = linetable__addr2line(hex, first, in.len ? tab : NULL, in.len, a, &line);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
		if (r == -EINVAL && einval_at < 0)
			einval_at = a;
		else if (r == 0)
			FUZZ_CHECK(einval_at < 0);
	}
	free(tab);
	return 0;
}
