// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include "nativemerge.h"

struct out {
	__u32 *ids;
	size_t n, max;
};

static int put(struct out *o, __u32 id)
{
	if (o->n >= o->max)
		return -E2BIG;
	o->ids[o->n++] = id;
	return 0;
}

/* Python frames [from, to) (leaf-first indexes), root first. */
static int put_py(struct out *o, const struct merge_py *py, size_t from, size_t to)
{
	int err = 0;

	for (size_t i = to; i-- > from && !err;)
		err = put(o, py[i].id);
	return err;
}

/* Where run r (0: leaf-most) of py starts, leaf side; the runs end at entry frames. */
static size_t run_start(const struct merge_py *py, size_t nr_py, size_t r)
{
	size_t i = 0;

	for (; i < nr_py && r; i++)
		if (py[i].entry)
			r--;
	return i;
}

static size_t nr_runs(const struct merge_py *py, size_t nr_py)
{
	size_t k = 0;

	for (size_t i = 0; i < nr_py; i++)
		k += py[i].entry || i == nr_py - 1;
	return k;
}

int nativemerge(const struct merge_py *py, size_t nr_py, const struct merge_native *nat,
		size_t nr_nat, bool truncated, __u32 marker, __u32 *out, size_t max)
{
	struct out o = { .ids = out, .max = max };
	size_t k = nr_runs(py, nr_py), e = 0, j;
	int err = 0;

	for (size_t i = 0; i < nr_nat; i++)
		e += nat[i].eval;
	/* No eval frame at all: which Python frame called the C ones is not known. */
	if (e > k || (!truncated && e < k) || (!e && nr_py))
		return put_py(&o, py, 0, nr_py) ?: put(&o, marker) ?: (int)o.n;
	/* The runs with no eval frame in the copy: below its root. */
	err = put_py(&o, py, run_start(py, nr_py, e), nr_py);
	if (!err && truncated)
		err = put(&o, marker);
	j = e;
	for (size_t i = nr_nat; i-- > 0 && !err;) {
		if (!nat[i].eval) {
			err = put(&o, nat[i].id);
			continue;
		}
		j--;
		err = put_py(&o, py, run_start(py, nr_py, j), run_start(py, nr_py, j + 1));
	}
	return err ?: (int)o.n;
}
