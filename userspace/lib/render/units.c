// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* units: what a profile's counts are, in words. */
#include "base/strbuf.h"
#include "base/util.h"
#include "render/units.h"

static const char *const whats[VIEW_MODE__MAX] = {
	[VIEW_MODE_CPU] = "CPU samples",
	[VIEW_MODE_WALL] = "wall-clock time",
	[VIEW_MODE_OFFCPU] = "off-CPU time",
	[VIEW_MODE_GIL] = "samples holding the GIL",
};

const char *units__what(enum view_mode mode)
{
	return (unsigned int)mode < VIEW_MODE__MAX ? whats[mode] : NULL;
}

/* v with unit, three significant digits below 1000, whole above. */
static int put_scaled(struct strbuf *out, double v, const char *unit)
{
	return strbuf__printf(out, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v,
			      unit);
}

int units__put(struct strbuf *out, enum view_unit unit, __u64 count)
{
	double v = (double)count;

	if (unit != VIEW_UNIT_NS)
		return strbuf__printf(out, "%llu sample%s", (unsigned long long)count,
				      count == 1 ? "" : "s");
	if (count < NSEC_PER_USEC)
		return strbuf__printf(out, "%llu ns", (unsigned long long)count);
	if (v < 999.5 * NSEC_PER_USEC)
		return put_scaled(out, v / NSEC_PER_USEC, "us");
	if (v < 999.5 * NSEC_PER_MSEC)
		return put_scaled(out, v / NSEC_PER_MSEC, "ms");
	return put_scaled(out, v / NSEC_PER_SEC, "s");
}
