// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: the HTTP listener's request heads (proto/httpreq.h), the
 * bytes a TCP client sends pyprofd.  The input is what arrives on the
 * connection.  Checks: the head found ends in a newline within the input;
 * a parsed head has a token method and a path from '/', both terminated;
 * a query that becomes arguments formats into a request line the socket
 * protocol parses back to the same arguments.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "proto/httpreq.h"
#include "proto/proto.h"

static void check_args(const char *query)
{
	struct proto_request *req = malloc(sizeof(*req)), *again = malloc(sizeof(*again));
	char *line = malloc(PROTO_MAX_REQUEST + 1), err[256] = "";
	int n;

	if (!req || !again || !line)
		abort();
	proto_request__init(req, "snapshot");
	if (httpreq__query_args(query, req, err, sizeof(err)) == 0) {
		n = proto__format_request(req, line, PROTO_MAX_REQUEST + 1);
		FUZZ_CHECK(n > 0 || n == -E2BIG);
		if (n > 0) {
			FUZZ_CHECK(proto__parse_request(line, (size_t)n, again, err,
							sizeof(err)) == 0);
			FUZZ_CHECK(again->nr_args == req->nr_args);
			for (unsigned int i = 0; i < req->nr_args; i++)
				FUZZ_CHECK(strcmp(again->args[i].value, req->args[i].value) == 0);
		}
	} else {
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	}
	free(line);
	free(again);
	free(req);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	char *buf = fuzz__dup(data, size);
	size_t len = httpreq__head_len(buf, size);
	struct httpreq *req = malloc(sizeof(*req));

	if (!req)
		abort();
	FUZZ_CHECK(len <= size && (!len || buf[len - 1] == '\n'));
	/* What the listener parses: a whole head, or (to reach the parser's ends) everything. */
	if (httpreq__parse(buf, len ? len : size, req) == 0) {
		FUZZ_CHECK(len != 0);
		FUZZ_CHECK(memchr(req->method, '\0', sizeof(req->method)) && req->method[0]);
		FUZZ_CHECK(req->path[0] == '/' && memchr(req->path, '\0', sizeof(req->path)));
		FUZZ_CHECK(memchr(req->query, '\0', sizeof(req->query)) != NULL);
		check_args(req->query);
	}
	free(req);
	free(buf);
	return 0;
}
