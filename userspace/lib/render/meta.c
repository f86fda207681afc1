// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every format says of the range a profile covers (formats.h). */
#include <errno.h>
#include <time.h>
#include "render/formats.h"
#include "base/strbuf.h"
#include "base/util.h"

int fmt_meta__put_range(struct strbuf *out, const struct fmt_meta *m, const char *dash)
{
	__u64 d = m->duration_ns ?: m->seconds * NSEC_PER_SEC;
	time_t to = (time_t)(m->end_unix_ns / NSEC_PER_SEC),
	       from = (time_t)((m->end_unix_ns > d ? m->end_unix_ns - d : 0) / NSEC_PER_SEC);
	struct tm a, b;
	char sa[32], sb[32];

	if (!gmtime_r(&from, &a) || !gmtime_r(&to, &b))
		return -EINVAL;
	strftime(sa, sizeof(sa), "%Y-%m-%d %H:%M:%S", &a);
	strftime(sb, sizeof(sb), a.tm_yday == b.tm_yday && a.tm_year == b.tm_year ? "%H:%M:%S"
										  : "%Y-%m-%d %H:%M:%S", &b);
	return strbuf__printf(out, "%s%s%s UTC", sa, dash, sb);
}
