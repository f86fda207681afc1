// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Tests for proto and util: the socket protocol parser against malformed input, number parsing. */
#include <errno.h>
#include "testhelp.h"
#include "proto/proto.h"
#include "base/util.h"

static int parse(const char *s, struct proto_request *req)
{
	char err[256];

	return proto__parse_request(s, strlen(s), req, err, sizeof(err));
}

TEST(parse_good)
{
	struct proto_request req;
	__u64 v = 0;

	ASSERT_OK(parse("PYPROF/1 snapshot pid=42 seconds=30\n", &req));
	ASSERT_EQ(req.version, 1);
	ASSERT_STREQ(req.verb, "snapshot");
	ASSERT_EQ(req.nr_args, 2);
	ASSERT_STREQ(proto_request__get(&req, "pid"), "42");
	ASSERT_OK(proto_request__get_u64(&req, "seconds", 1, 100, &v));
	ASSERT_EQ(v, 30);
	ASSERT_EQ(proto_request__get_u64(&req, "nope", 1, 100, &v), -ENOENT);
	ASSERT_EQ(proto_request__get_u64(&req, "pid", 1, 10, &v), -EINVAL);
	ASSERT_OK(parse("PYPROF/1 list", &req));
	ASSERT_EQ(req.nr_args, 0);
	ASSERT_OK(parse("PYPROF/1 list all=1\r\n", &req));
	ASSERT_STREQ(proto_request__get(&req, "all"), "1");
	ASSERT_OK(parse("PYPROF/1 x a=", &req)); /* empty value is allowed */
	ASSERT_STREQ(proto_request__get(&req, "a"), "");
	ASSERT_EQ(req.version, 1);
	ASSERT_OK(parse("PYPROF/2 snapshot pid=42\n", &req));
	ASSERT_EQ(req.version, 2);
	ASSERT_STREQ(req.verb, "snapshot");
	ASSERT_STREQ(proto_request__get(&req, "pid"), "42");
	ASSERT_OK(parse("PYPROF/3 snapshot pid=43\n", &req));
	ASSERT_EQ(req.version, 3);
	ASSERT_STREQ(proto_request__get(&req, "pid"), "43");
}

TEST(parse_malformed)
{
	static const struct {
		const char *req;
		int err;
	} cases[] = {
		{ "", -EINVAL },
		{ "\n", -EINVAL },
		{ "hello\n", -EPROTO },
		{ "PYPROF", -EPROTO },
		{ "PYPROF/9 list", -EPROTO },
		{ "PYPROF/0 list", -EPROTO },
		{ "PYPROF/4 list", -EPROTO },
		{ "PYPROF/3list", -EPROTO },
		{ "PYPROF/ list", -EPROTO },
		{ "PYPROF/2list", -EPROTO },
		{ "PYPROF/", -EPROTO },
		{ "PYPROF/2", -EINVAL },
		{ "PYPROF/2 ", -EINVAL },
		{ "PYPROF/10 list", -EPROTO },
		{ "PYPROF/1", -EINVAL },
		{ "PYPROF/1 ", -EINVAL },
		{ "PYPROF/1  list", -EINVAL },
		{ "PYPROF/1 list ", -EINVAL },
		{ "PYPROF/1 LIST", -EINVAL },
		{ "PYPROF/1 list\t", -EINVAL },
		{ "PYPROF/1 snapshot pid", -EINVAL },
		{ "PYPROF/1 snapshot =3", -EINVAL },
		{ "PYPROF/1 snapshot pid=1 pid=2", -EINVAL },
		{ "PYPROF/1 snapshot Pid=1", -EINVAL },
		{ "PYPROF/1 snapshot pid=\x7f", -EINVAL },
		{ "PYPROF/1 snapshot pid=\xc3\xa9", -EINVAL },
		{ "PYPROF/1 averyveryveryveryveryverylongverbname", -EINVAL },
		{ "PYPROF/1 a b=1 c=1 d=1 e=1 f=1 g=1 h=1 i=1 j=1 k=1 l=1 m=1 n=1 o=1 p=1 q=1 r=1",
		  -E2BIG },
	};
	struct proto_request req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].req, &req);

		if (r != cases[i].err)
			TEST_FAIL("'%s': got %d, want %d", cases[i].req, r, cases[i].err);
	}
}

TEST(parse_binary_and_long)
{
	char buf[PROTO_MAX_REQUEST + 10], err[256];
	struct proto_request req;

	/* NUL inside: rejected, not cut at the NUL. */
	memcpy(buf, "PYPROF/1 list\0x\n", 16);
	ASSERT_EQ(proto__parse_request(buf, 16, &req, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "0x00") != NULL);
	for (int i = 0; i < 256; i++)
		buf[i] = (char)i;
	ASSERT_EQ(proto__parse_request(buf, 256, &req, err, sizeof(err)), -EINVAL);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "PYPROF/1 x v=", 13);
	ASSERT_EQ(proto__parse_request(buf, PROTO_MAX_REQUEST + 1, &req, err, sizeof(err)), -E2BIG);
	/* A value longer than PROTO_MAX_VALUE within a legal line. */
	ASSERT_EQ(proto__parse_request(buf, PROTO_MAX_REQUEST, &req, err, sizeof(err)), -EINVAL);
}

TEST(check_keys)
{
	static const char *const keys[] = { "pid", "seconds", NULL };
	struct proto_request req;
	char err[256];

	ASSERT_OK(parse("PYPROF/1 snapshot pid=1 seconds=2", &req));
	ASSERT_OK(proto_request__check_keys(&req, keys, err, sizeof(err)));
	ASSERT_OK(parse("PYPROF/1 snapshot pid=1 bogus=2", &req));
	ASSERT_EQ(proto_request__check_keys(&req, keys, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "'bogus'") != NULL);
}

TEST(request_roundtrip)
{
	struct proto_request req, back;
	char line[PROTO_MAX_REQUEST + 1];
	int n;

	proto_request__init(&req, "snapshot");
	ASSERT_OK(proto_request__add(&req, "pid", "7"));
	ASSERT_OK(proto_request__add(&req, "format", "folded"));
	ASSERT_EQ(proto_request__add(&req, "pid", "8"), -EINVAL);
	ASSERT_EQ(proto_request__add(&req, "bad key", "8"), -EINVAL);
	ASSERT_EQ(proto_request__add(&req, "k", "a b"), -EINVAL);
	n = proto__format_request(&req, line, sizeof(line));
	ASSERT_EQ(n, (int)strlen("PYPROF/1 snapshot pid=7 format=folded\n"));
	ASSERT_STREQ(line, "PYPROF/1 snapshot pid=7 format=folded\n");
	req.version = 2;
	ASSERT_EQ(proto__format_request(&req, line, sizeof(line)),
		  (int)strlen("PYPROF/2 snapshot pid=7 format=folded\n"));
	ASSERT_STREQ(line, "PYPROF/2 snapshot pid=7 format=folded\n");
	ASSERT_OK(proto__parse_request(line, strlen(line), &back, NULL, 0));
	ASSERT_EQ(back.version, 2);
	req.version = 3;
	ASSERT_EQ(proto__format_request(&req, line, sizeof(line)),
		  (int)strlen("PYPROF/3 snapshot pid=7 format=folded\n"));
	ASSERT_STREQ(line, "PYPROF/3 snapshot pid=7 format=folded\n");
	req.version = 4;
	ASSERT_EQ(proto__format_request(&req, line, sizeof(line)), -EINVAL);
	req.version = 1;
	ASSERT_OK(parse(line, &back));
	ASSERT_STREQ(back.verb, "snapshot");
	ASSERT_STREQ(proto_request__get(&back, "format"), "folded");
	ASSERT_EQ(proto__format_request(&req, line, 10), -E2BIG);
}

TEST(reply_range_fields)
{
	char line[128];
	long long v = 0;
	size_t len = 0;
	int n;

	n = proto__format_ok_range(77, -5000000000ll, 123456789012ll, line, sizeof(line));
	ASSERT_STREQ(line, "OK 77 from_ns=-5000000000 to_ns=123456789012\n");
	ASSERT_OK(proto__parse_reply_header(line, (size_t)n, &len, NULL, 0));
	ASSERT_EQ(len, 77);
	ASSERT_OK(proto__reply_field(line, (size_t)n, "from_ns", &v));
	ASSERT_EQ(v, -5000000000ll);
	ASSERT_OK(proto__reply_field(line, (size_t)n, "to_ns", &v));
	ASSERT_EQ(v, 123456789012ll);
	ASSERT_EQ(proto__reply_field(line, (size_t)n, "to", &v), -ENOENT);
	ASSERT_EQ(proto__reply_field("OK 5\n", 5, "from_ns", &v), -ENOENT);
	ASSERT_EQ(proto__reply_field("OK 5 from_ns=x\n", 15, "from_ns", &v), -EPROTO);
	ASSERT_EQ(proto__reply_field("ERR EBUSY x\n", 12, "from_ns", &v), -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("OK 5x from_ns=1\n", 16, &len, NULL, 0), -EPROTO);
}

TEST(reply_fields)
{
	const struct proto_field f[] = { { "from_ns", -1 }, { "to_ns", 2 }, { "period_ns", 10101010 } };
	const struct proto_field bad[] = { { "Period ns", 1 } };
	char line[96], tiny[24];
	long long v = 0;
	size_t len = 0;
	int n;

	n = proto__format_ok_fields(9, f, 3, line, sizeof(line));
	ASSERT_STREQ(line, "OK 9 from_ns=-1 to_ns=2 period_ns=10101010\n");
	ASSERT_OK(proto__parse_reply_header(line, (size_t)n, &len, NULL, 0));
	ASSERT_EQ(len, 9);
	ASSERT_OK(proto__reply_field(line, (size_t)n, "period_ns", &v));
	ASSERT_EQ(v, 10101010);
	ASSERT_OK(proto__reply_field(line, (size_t)n, "to_ns", &v));
	ASSERT_EQ(v, 2);
	/* No fields: the plain OK line; a key the protocol could not parse back is refused. */
	n = proto__format_ok_fields(9, NULL, 0, line, sizeof(line));
	ASSERT_STREQ(line, "OK 9\n");
	ASSERT_EQ(n, 5);
	ASSERT_EQ(proto__format_ok_fields(9, bad, 1, line, sizeof(line)), -EINVAL);
	ASSERT_EQ(proto__format_ok_fields(9, f, 3, tiny, sizeof(tiny)), -E2BIG);
	ASSERT_EQ(proto__format_ok_fields(9, NULL, 0, tiny, 5), -E2BIG);
}

TEST(replies)
{
	char line[PROTO_MAX_MESSAGE + 64], msg[PROTO_MAX_MESSAGE];
	size_t len = 0;
	int n;

	n = proto__format_ok(1234, line, sizeof(line));
	ASSERT_STREQ(line, "OK 1234\n");
	ASSERT_OK(proto__parse_reply_header(line, (size_t)n, &len, msg, sizeof(msg)));
	ASSERT_EQ(len, 1234);
	n = proto__format_err(ESRCH, "no process 42\nsecond line", line, sizeof(line));
	ASSERT_STREQ(line, "ERR ESRCH no process 42 second line\n");
	ASSERT_EQ(proto__parse_reply_header(line, (size_t)n, &len, msg, sizeof(msg)), -ESRCH);
	ASSERT_STREQ(msg, "no process 42 second line");
	ASSERT_EQ(proto__parse_reply_header("OK\n", 3, &len, msg, sizeof(msg)), -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("OK 12x\n", 7, &len, msg, sizeof(msg)), -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("OK 99999999999999999999\n", 24, &len, msg, sizeof(msg)),
		  -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("OK 5", 4, &len, msg, sizeof(msg)), -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("garbage\n", 8, &len, msg, sizeof(msg)), -EPROTO);
	ASSERT_EQ(proto__parse_reply_header("ERR EWHAT x\n", 12, &len, msg, sizeof(msg)), -EIO);
	ASSERT_EQ(proto__parse_reply_header("ERR EBUSY\n", 10, &len, msg, sizeof(msg)), -EBUSY);
	ASSERT_STREQ(proto__errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	ASSERT_EQ(proto__errno_value("E2BIG"), E2BIG);
}

/* Found by fuzz-proto: an errno name that exactly fills buf left no room for "\n" and NUL. */
TEST(format_err_exact_fit)
{
	char buf[32];
	size_t head = strlen("ERR EINVAL ");

	for (size_t sz = 1; sz <= head + 1; sz++) {
		memset(buf, 'X', sizeof(buf));
		ASSERT_EQ(proto__format_err(EINVAL, "x", buf, sz), -E2BIG);
		ASSERT_EQ(buf[sz], 'X');
	}
	memset(buf, 'X', sizeof(buf));
	ASSERT_EQ(proto__format_err(EINVAL, "x", buf, head + 2), (int)head + 1);
	ASSERT_STREQ(buf, "ERR EINVAL \n");
	ASSERT_EQ(buf[head + 2], 'X');
	ASSERT_EQ(proto__format_err(EINVAL, "x", buf, head + 3), (int)head + 2);
	ASSERT_STREQ(buf, "ERR EINVAL x\n");
}

TEST(parse_int)
{
	long long v = 0;

	ASSERT_OK(parse_int_range("42", 1, 100, &v));
	ASSERT_EQ(v, 42);
	ASSERT_OK(parse_int_range("-5", -10, 0, &v));
	ASSERT_EQ(v, -5);
	ASSERT_EQ(parse_int_range("", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_int_range(" 4", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_int_range("+4", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_int_range("4x", 0, 10, &v), -EINVAL);
	ASSERT_EQ(parse_int_range("0x10", 0, 100, &v), -EINVAL);
	ASSERT_EQ(parse_int_range("11", 0, 10, &v), -ERANGE);
	ASSERT_EQ(parse_int_range("99999999999999999999999", 0, 10, &v), -ERANGE);
}

TEST(parse_duration)
{
	__u64 ns = 0;

	ASSERT_OK(parse_duration_ns("3600", &ns));
	ASSERT_EQ(ns, 3600ull * 1000000000ull);
	ASSERT_OK(parse_duration_ns("90m", &ns));
	ASSERT_EQ(ns, 5400ull * 1000000000ull);
	ASSERT_OK(parse_duration_ns("1h", &ns));
	ASSERT_EQ(ns, 3600ull * 1000000000ull);
	ASSERT_OK(parse_duration_ns("2d", &ns));
	ASSERT_EQ(ns, 2ull * 86400 * 1000000000ull);
	ASSERT_OK(parse_duration_ns("250ms", &ns));
	ASSERT_EQ(ns, 250000000ull);
	ASSERT_OK(parse_duration_ns("50us", &ns));
	ASSERT_EQ(ns, 50 * NSEC_PER_USEC);
	ASSERT_EQ(parse_duration_ns("0", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("h", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("1y", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("-1", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("1 h", &ns), -EINVAL);
	ASSERT_EQ(parse_duration_ns("99999999999999999999d", &ns), -ERANGE);
	ASSERT_EQ(parse_duration_ns("40000d", &ns), -ERANGE);
}
