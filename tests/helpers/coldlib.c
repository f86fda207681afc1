// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For test-coldparts: cold_parent's error paths lead to a cold function, so
 * GCC (-O2 -freorder-blocks-and-partition) moves them into cold_parent.cold,
 * a range with an FDE of its own that only .symtab names.  Built stripped
 * too, where .dynsym names cold_parent alone.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((cold, noinline)) static void cold_fail(const char *what, long v)
{
	fprintf(stderr, "cold_parent: %s %ld\n", what, v);
	abort();
}

/* Sums v through step(), checking each value and each partial sum. */
long cold_parent(const long *v, int n, long (*step)(long, long))
{
	long s = 0;

	for (int i = 0; i < n; i++) {
		if (v[i] < 0)
			cold_fail("negative", v[i]);
		if (v[i] > 1000000)
			cold_fail("too big", v[i]);
		s = step(s, v[i]);
		if (s > 1000000000)
			cold_fail("sum too big", s);
		if (s == 42)
			cold_fail("unlucky", i);
	}
	return s;
}
