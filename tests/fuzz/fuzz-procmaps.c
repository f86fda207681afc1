// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: procmaps__parse() over arbitrary maps text (not
 * NUL-terminated: the copy is exactly the input).  Checks: every entry it
 * returns has start <= end, NUL-terminated perms and a path.
 */
#include "fuzzhelp.h"
#include "target/procmaps.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct procmaps pm = { 0 };
	char *text = fuzz__dup(data, size);

	procmaps__parse(text, size, &pm);
	for (size_t i = 0; i < pm.nr; i++) {
		FUZZ_CHECK(pm.maps[i].start <= pm.maps[i].end);
		FUZZ_CHECK(pm.maps[i].perms[4] == '\0' && pm.maps[i].path);
	}
	procmaps__done(&pm);
	free(text);
	return 0;
}
