// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: ksyms__load() over a kallsyms file holding the input (a
 * memfd), then lookups around the addresses the input names.  Checks: a
 * lookup's offset is never more than the distance to the address asked.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "target/ksyms.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	static const __u64 probes[] = { 0, 1, 0xffffffff81000000ull, 0xffffffffc0000000ull,
					~0ull };
	struct ksyms *ks;
	char path[64];
	int fd = fuzz__memfd(data, size, path, sizeof(path));

	ks = ksyms__load(path);
	close(fd);
	if (!ks) {
		FUZZ_CHECK(errno == EPERM || errno == ENOMEM || errno == EIO);
		return 0;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		__u64 off = 0;
		const char *name = ksyms__lookup(ks, probes[i], &off);

		if (name)
			FUZZ_CHECK(off <= probes[i] && strlen(name) > 0);
	}
	/* every address in the text: the 16 hex digits at the start of a line */
	for (size_t i = 0; i + 16 <= size; i++) {
		char hex[17];
		__u64 off;

		if (i && data[i - 1] != '\n')
			continue;
		memcpy(hex, data + i, 16);
		hex[16] = '\0';
		ksyms__lookup(ks, strtoull(hex, NULL, 16), &off);
	}
	ksyms__free(ks);
	return 0;
}
