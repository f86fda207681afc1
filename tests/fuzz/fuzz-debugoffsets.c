// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: pyinterp__parse_debug_offsets() over a _Py_DebugOffsets blob,
 * at the alignment libFuzzer gives and one byte off it (pyinterp__analyze()
 * passes a byte array off the stack, which promises no alignment).  Checks:
 * an accepted layout keeps every field the BPF side reads inside the blocks
 * it reads, and both alignments agree.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "target/pyinterp.h"

static int parse(const void *buf, size_t len, struct pyinterp_info *info)
{
	int r;

	memset(info, 0, sizeof(*info));
	r = pyinterp__parse_debug_offsets(buf, len, info);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EPROTONOSUPPORT);
	FUZZ_CHECK(memchr(info->why, '\0', sizeof(info->why)) != NULL);
	if (r)
		return r;
	FUZZ_CHECK(info->supported && info->layout.frame_read <= PYPROF_FRAME_READ);
	FUZZ_CHECK(info->layout.frame_code >= 0 && info->layout.frame_back >= 0);
	/* Thread-local bytecode: tlbc_index inside the frame read, or none at all. */
	if (info->layout.frame_tlbc_index >= 0)
		FUZZ_CHECK(info->layout.frame_tlbc_index + 4 <= info->layout.frame_read &&
			   info->layout.code_tlbc > 0 && info->layout.tlbc_entries > 0);
	else
		FUZZ_CHECK(info->layout.code_tlbc == -1);
	FUZZ_CHECK(info->code.unicode_kind_shift == 2 || info->code.unicode_kind_shift == 8);
	if (info->layout.code_fp_off >= 0)
		FUZZ_CHECK(info->layout.fp_name + 8 <= PYPROF_CODE_READ &&
			   info->layout.fp_filename + 8 <= PYPROF_CODE_READ &&
			   info->layout.fp_linetable + 8 <= PYPROF_CODE_READ &&
			   info->layout.fp_firstlineno + 4 <= PYPROF_CODE_READ);
	return 0;
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct pyinterp_info a, b;
	__u8 *odd = malloc(size + 1);
	int ra, rb;

	if (!odd)
		abort();
	memcpy(odd + 1, data, size);
	ra = parse(data, size, &a);
	rb = parse(odd + 1, size, &b);
	FUZZ_CHECK(ra == rb);
	if (ra == 0)
		FUZZ_CHECK(memcmp(&a.layout, &b.layout, sizeof(a.layout)) == 0 &&
			   memcmp(&a.code, &b.code, sizeof(a.code)) == 0);
	free(odd);
	return 0;
}
