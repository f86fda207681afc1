/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * units: what a profile's counts are, said the same way in every format.  A
 * view's mode (profile/view.h) decides: samples for cpu and gil, nanoseconds
 * for wall and offcpu.
 */
#ifndef PYPROF_UNITS_H
#define PYPROF_UNITS_H

#include <linux/types.h>
#include "profile/view.h"

struct strbuf;

/*
 * What the counts of mode measure, for titles: "CPU samples", "wall-clock
 * time", "off-CPU time", "samples holding the GIL"; NULL for an unknown mode.
 */
const char *units__what(enum view_mode mode);

/*
 * Appends count in unit: "1 sample", "12 samples"; time as "850 ns",
 * "12.3 us", "4.56 ms", "7.89 s" (three significant digits; whole seconds
 * from 1000 s).  0 or -ENOMEM.
 */
int units__put(struct strbuf *out, enum view_unit unit, __u64 count);

#endif /* PYPROF_UNITS_H */
