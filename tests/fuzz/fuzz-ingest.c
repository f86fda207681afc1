// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: the status line of a push receiver's reply (proto/ingest.h),
 * bytes from whatever answers at the --push address, and the --push URL.
 * Checks: a status is 100..599 and only from a complete line starting
 * "HTTP/1."; "not complete yet" only under the line limit and with no
 * newline; every prefix of a line that parses is "not complete yet".  A URL
 * that parses has a terminated host and a path of "" or from '/'.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "proto/ingest.h"

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	char *buf = fuzz__dup(data, size), *url = malloc(size + 1);
	int code = ingest__parse_status(buf, size);
	struct ingest_url u;

	FUZZ_CHECK(code == -EAGAIN || code == -EPROTO || (code >= 100 && code <= 599));
	if (code > 0) {
		const char *nl = memchr(buf, '\n', size);

		FUZZ_CHECK(nl && size >= 12 && memcmp(buf, "HTTP/1.", 7) == 0);
		for (size_t n = 0; n < (size_t)(nl - buf); n++)
			FUZZ_CHECK(ingest__parse_status(buf, n) == -EAGAIN);
	}
	if (code == -EAGAIN)
		FUZZ_CHECK(size < INGEST_MAX_STATUS_LINE && !memchr(buf, '\n', size));
	if (!url)
		abort();
	memcpy(url, data, size);
	url[size] = '\0';
	if (ingest__parse_url(url, &u) == 0) {
		FUZZ_CHECK(memchr(u.host, '\0', sizeof(u.host)) && u.host[0]);
		FUZZ_CHECK(u.path[0] == '\0' || u.path[0] == '/');
		FUZZ_CHECK(u.port != 0);
	}
	free(url);
	free(buf);
	return 0;
}
