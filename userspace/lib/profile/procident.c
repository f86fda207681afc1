// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procident: a process's command line, start time and CPU share for `list` (procident.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/textenc.h"
#include "base/util.h"
#include "profile/procident.h"

/* Bytes of s[0..len) before a last character that was cut short (a lead byte and too few). */
static size_t whole_chars(const unsigned char *s, size_t len)
{
	size_t i = 0, last = 0;

	while (i < len) {
		bool valid;
		size_t n = utf8__char(s + i, len - i, &valid);

		last = i;
		i += n;
	}
	if (len && s[last] >= 0xc2 && s[last] <= 0xf4) {
		bool valid;

		/* Ill-formed only because it ends early: a prefix of a well-formed character. */
		if (utf8__char(s + last, len - last, &valid) == len - last && !valid)
			return last;
	}
	return len;
}

int procident__cmdline(const char *raw, size_t len, bool cut, char **ret)
{
	const size_t mark = strlen(PROCIDENT_CUT_MARK);
	char *out;

	if (len > PROCIDENT_CMDLINE_MAX) {
		len = PROCIDENT_CMDLINE_MAX;
		cut = true;
	}
	if (cut)
		len = whole_chars((const unsigned char *)raw, len);
	else
		while (len && raw[len - 1] == '\0')
			len--;
	out = malloc(len + mark + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		out[i] = raw[i] ? raw[i] : ' ';
	if (cut)
		memcpy(out + len, PROCIDENT_CUT_MARK, mark);
	out[len + (cut ? mark : 0)] = '\0';
	*ret = out;
	return 0;
}

__u64 procident__start_wall_ns(__u64 start_ticks, long hz, __u64 realtime_ns, __u64 boottime_ns)
{
	__u64 tick, after_boot;

	if (hz <= 0 || (__u64)hz > NSEC_PER_SEC || boottime_ns > realtime_ns)
		return 0;
	tick = NSEC_PER_SEC / (__u64)hz;
	if (start_ticks > boottime_ns / tick)
		return 0;
	after_boot = start_ticks * tick;
	return realtime_ns - boottime_ns + after_boot;
}

void procident__cpu_range(__u64 end, __u64 first, __u64 window_ns, __u64 span_ns,
			  __u64 *ret_from, __u64 *ret_to)
{
	__u64 from = end > span_ns ? end - span_ns : 0;

	if (window_ns)
		from = from / window_ns * window_ns;
	*ret_from = from > first ? from : first;
	*ret_to = end;
}

__u64 procident__cpu_permille(__u64 samples, __u64 period_ns, __u64 span_ns)
{
	unsigned __int128 v;

	if (!span_ns)
		return 0;
	v = ((unsigned __int128)samples * period_ns * 1000 + span_ns / 2) / span_ns;
	return v > (__u64)-1 ? (__u64)-1 : (__u64)v;
}
