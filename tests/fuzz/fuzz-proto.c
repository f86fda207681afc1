// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fuzz target: the socket protocol.  The input is a request line, then a
 * reply header line; two bytes in front pick the buffer sizes and errno for
 * the formatters, which get buffers of exactly that size.
 *   [errno:1][bufsz:1][request ...]["\0"][reply header ...]
 * Checks: a parsed request formats back to a line that parses to the same
 * request; formatters never write past sz and return what they wrote.
 */
#include <errno.h>
#include "fuzzhelp.h"
#include "proto/proto.h"

static void check_roundtrip(const struct proto_request *req)
{
	char *line = malloc(PROTO_MAX_REQUEST + 1), err[128];
	struct proto_request *again = malloc(sizeof(*again));
	int n;

	if (!line || !again)
		abort();
	n = proto__format_request(req, line, PROTO_MAX_REQUEST + 1);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n == strlen(line));
		FUZZ_CHECK(proto__parse_request(line, (size_t)n, again, err, sizeof(err)) == 0);
		FUZZ_CHECK(strcmp(again->verb, req->verb) == 0 && again->nr_args == req->nr_args);
		for (unsigned int i = 0; i < req->nr_args; i++)
			FUZZ_CHECK(strcmp(proto_request__get(again, req->args[i].key),
					  req->args[i].value) == 0);
	}
	free(again);
	free(line);
}

static void fuzz_request(const char *line, size_t len, size_t errsz)
{
	static const char *const allowed[] = { "pid", "seconds", "format", NULL };
	struct proto_request *req = malloc(sizeof(*req));
	char *err = malloc(errsz ? errsz : 1);
	__u64 v;

	if (!req || !err)
		abort();
	if (proto__parse_request(line, len, req, err, errsz) == 0) {
		FUZZ_CHECK(req->nr_args <= PROTO_MAX_ARGS);
		proto_request__get_u64(req, "pid", 1, 1u << 22, &v);
		proto_request__get_u64(req, "seconds", 0, ~0ull, &v);
		proto_request__check_keys(req, allowed, err, errsz);
		check_roundtrip(req);
	} else if (errsz) {
		FUZZ_CHECK(memchr(err, '\0', errsz) != NULL);
	}
	free(err);
	free(req);
}

static void fuzz_format(int e, const char *msg, size_t sz, size_t ok_len)
{
	char *buf = malloc(sz ? sz : 1);
	int n;

	if (!buf)
		abort();
	n = proto__format_err(e, msg, buf, sz);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n < sz && strlen(buf) == (size_t)n && buf[n - 1] == '\n');
		FUZZ_CHECK(memchr(buf, '\n', (size_t)n) == buf + n - 1);
	}
	n = proto__format_ok(ok_len, buf, sz);
	if (n >= 0)
		FUZZ_CHECK((size_t)n < sz && strlen(buf) == (size_t)n);
	free(buf);
}

static void fuzz_reply(const char *line, size_t len, size_t msgsz)
{
	char *msg = malloc(msgsz ? msgsz : 1);
	size_t plen = 0;
	int r;

	if (!msg)
		abort();
	r = proto__parse_reply_header(line, len, &plen, msg, msgsz);
	if (r == 0)
		FUZZ_CHECK(plen <= PROTO_MAX_REPLY);
	if (r < 0 && msgsz)
		FUZZ_CHECK(memchr(msg, '\0', msgsz) != NULL);
	free(msg);
}

int LLVMFuzzerTestOneInput(const __u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int e = (int)fuzz__take(&in, 1);
	size_t sz = (size_t)fuzz__take(&in, 1);
	const __u8 *nul = memchr(in.p, '\0', in.len);
	size_t req_len = nul ? (size_t)(nul - in.p) : in.len;
	char *req = fuzz__dup(in.p, req_len), *msg = fuzz__strndup(in.p, req_len);
	char *reply = nul ? fuzz__dup(nul + 1, in.len - req_len - 1) : NULL;

	fuzz_request(req, req_len, sz);
	/* the errno name (up to 15 bytes) alone can fill small buffers exactly */
	fuzz_format(e, msg, sz, req_len * 1000003u);
	if (reply)
		fuzz_reply(reply, in.len - req_len - 1, sz);
	free(reply);
	free(msg);
	free(req);
	return 0;
}
