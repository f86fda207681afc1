// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: the times --since and --until take (base/timeparse.h), typed
 * by a user.  The input: 8 bytes of "now", then the string.  Checks: 0,
 * -EINVAL or -ERANGE, the result written only on success; a relative time is
 * never after now; a zoned ISO time reads the same in any time zone.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "base/timeparse.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	__u64 now = fuzz__take(&in, 8), t = 7, again = 7;
	char *s = fuzz__strndup(in.p, in.len);
	int r;

	setenv("TZ", "UTC", 1);
	r = timeparse__instant(s, now, &t);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	FUZZ_CHECK(r == 0 || t == 7);
	if (r == 0 && (s[0] == '-' || strstr(s, " ago")))
		FUZZ_CHECK(t <= now);
	if (r == 0 && strlen(s) > 10 && s[4] == '-' && (strchr(s + 10, 'Z') || strchr(s + 10, '+'))) {
		setenv("TZ", "Asia/Kolkata", 1);
		FUZZ_CHECK(timeparse__instant(s, now, &again) == 0 && again == t);
	}
	free(s);
	return 0;
}
