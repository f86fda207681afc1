// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTTP listener's request heads and queries (proto/httpreq.h). */
#include <errno.h>
#include <string.h>
#include "proto/httpreq.h"
#include "proto/proto.h"
#include "testhelp.h"

static struct httpreq req;

static int parse(const char *head)
{
	size_t len = httpreq__head_len(head, strlen(head));

	return len ? httpreq__parse(head, len, &req) : -ENODATA;
}

TEST(head_len)
{
	ASSERT_EQ(httpreq__head_len("GET / HTTP/1.1\r\n", 16), 0);
	ASSERT_EQ(httpreq__head_len("GET / HTTP/1.1\r\n\r\nbody", 22), 18);
	ASSERT_EQ(httpreq__head_len("GET / HTTP/1.0\n\n", 16), 16);
	ASSERT_EQ(httpreq__head_len("", 0), 0);
	ASSERT_EQ(httpreq__head_len("\n", 1), 0);
}

TEST(request_line)
{
	ASSERT_OK(parse("GET /debug/pprof/profile?pid=42&seconds=30 HTTP/1.1\r\nHost: x\r\n\r\n"));
	ASSERT_STREQ(req.method, "GET");
	ASSERT_STREQ(req.path, "/debug/pprof/profile");
	ASSERT_STREQ(req.query, "pid=42&seconds=30");
	ASSERT_EQ(req.minor, 1);
	ASSERT_EQ(req.has_body, 0);
	ASSERT_OK(parse("GET /m%65trics HTTP/1.0\n\n"));
	ASSERT_STREQ(req.path, "/metrics");
	ASSERT_STREQ(req.query, "");
	ASSERT_EQ(parse("GET /metrics HTTP/2.0\r\n\r\n"), -EPROTONOSUPPORT);
	ASSERT_EQ(parse("GET /metrics HTTP/1.1 \r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET  /metrics HTTP/1.1\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET http://x/metrics HTTP/1.1\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET /%00 HTTP/1.1\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET /%4 HTTP/1.1\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("G(T / HTTP/1.1\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GETTINGVERYLONGMETHOD / HTTP/1.1\r\n\r\n"), -E2BIG);
	ASSERT_EQ(parse("\r\n\r\n"), -EINVAL);
}

TEST(fields)
{
	ASSERT_OK(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\nX-A:\r\n\r\n"));
	ASSERT_EQ(req.has_body, 0);
	ASSERT_OK(parse("GET / HTTP/1.1\r\ncontent-length:  12 \r\n\r\n"));
	ASSERT_EQ(req.has_body, 1);
	ASSERT_OK(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
	ASSERT_EQ(req.has_body, 1);
	ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost x\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET / HTTP/1.1\r\n: x\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), -EINVAL);
	ASSERT_EQ(parse("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), -EINVAL);
}

TEST(query_args)
{
	struct proto_request pr;
	char err[256];

	proto_request__init(&pr, "snapshot");
	ASSERT_OK(httpreq__query_args("pid=%34%32&&all&cmdline=a.b%2Fc", &pr, err, sizeof(err)));
	ASSERT_EQ(pr.nr_args, 3);
	ASSERT_STREQ(proto_request__get(&pr, "pid"), "42");
	ASSERT_STREQ(proto_request__get(&pr, "all"), "1");
	ASSERT_STREQ(proto_request__get(&pr, "cmdline"), "a.b/c");
	proto_request__init(&pr, "snapshot");
	ASSERT_EQ(httpreq__query_args("pid=1&pid=2", &pr, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "'pid'") != NULL);
	proto_request__init(&pr, "snapshot");
	/* '+' is a space, which the socket protocol's values never hold. */
	ASSERT_EQ(httpreq__query_args("comm=a+b", &pr, err, sizeof(err)), -EINVAL);
	proto_request__init(&pr, "snapshot");
	ASSERT_EQ(httpreq__query_args("pid=%zz", &pr, err, sizeof(err)), -EINVAL);
	proto_request__init(&pr, "snapshot");
	ASSERT_EQ(httpreq__query_args("PID=1", &pr, err, sizeof(err)), -EINVAL);
	proto_request__init(&pr, "snapshot");
	ASSERT_EQ(httpreq__query_args("a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1"
				      "&p=1&q=1",
				      &pr, err, sizeof(err)),
		  -E2BIG);
}
