// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test helper: what pyinterp makes of an interpreter file, as "name value"
 * lines, for tests/integration/test_gil.py to hold against what
 * tests/integration/workloads/gil_oracle.py measures in a live interpreter.
 *   pyinterp_dump FILE
 * Exits 1 when FILE is no CPython pyprof can profile (the reason on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "target/elffile.h"
#include "target/pyinterp.h"

int main(int argc, char **argv)
{
	struct pyinterp_info info;
	const struct pyprof_layout *l = &info.layout;
	struct elf_file *ef;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: pyinterp_dump FILE\n");
		return 2;
	}
	ef = elf_file__open(argv[1]);
	if (!ef) {
		fprintf(stderr, "pyinterp_dump: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = pyinterp__analyze(ef, &info);
	elf_file__free(ef);
	if (err || !info.supported) {
		fprintf(stderr, "pyinterp_dump: %s: %s\n", argv[1],
			err ? strerror(-err) : info.why);
		return 1;
	}
	printf("version_hex %u\nfree_threaded %d\nsource %d\n", info.version_hex,
	       info.free_threaded, info.source);
	printf("runtime_interp_head %d\ntstate_interp %d\nruntime_gil %d\ninterp_gil %d\n",
	       l->runtime_interp_head, l->tstate_interp, l->runtime_gil, l->interp_gil);
	printf("gil_locked %d\ngil_holder %d\ngc_collecting %d\n", l->gil_locked, l->gil_holder,
	       l->gc_collecting);
	printf("gil_state_off %u\ngil_state_size %u\n", info.gil_state_off, info.gil_state_size);
	return 0;
}
