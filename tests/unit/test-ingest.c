// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pushing to Pyroscope's /ingest: URLs, label values, back-off, status lines (proto/ingest.h). */
#include <errno.h>
#include <string.h>
#include "base/strbuf.h"
#include "proto/ingest.h"
#include "testhelp.h"

static struct ingest_url u;

TEST(url)
{
	ASSERT_OK(ingest__parse_url("http://127.0.0.1:4040", &u));
	ASSERT_STREQ(u.host, "127.0.0.1");
	ASSERT_EQ(u.port, 4040);
	ASSERT_STREQ(u.path, "");
	ASSERT_OK(ingest__parse_url("http://pyroscope.example/a/b//", &u));
	ASSERT_STREQ(u.host, "pyroscope.example");
	ASSERT_EQ(u.port, 80);
	ASSERT_STREQ(u.path, "/a/b");
	ASSERT_OK(ingest__parse_url("http://[::1]:9/", &u));
	ASSERT_STREQ(u.host, "::1");
	ASSERT_EQ(u.port, 9);
	ASSERT_STREQ(u.path, "");
	ASSERT_EQ(ingest__parse_url("https://127.0.0.1:4040", &u), -EPROTONOSUPPORT);
	ASSERT_EQ(ingest__parse_url("ftp://h/", &u), -EPROTONOSUPPORT);
	ASSERT_EQ(ingest__parse_url("127.0.0.1:4040", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://:80", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h:0", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h:65536", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h:8x", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h:", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://user@h/", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h/?a=1", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h/#x", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h /", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h/\r\nX: y", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://h_x/", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://[::1/", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://[zz]/", &u), -EINVAL);
	ASSERT_EQ(ingest__parse_url("http://[]/", &u), -EINVAL);
}

static const char *value(const char *v)
{
	static struct strbuf sb;

	strbuf__reset(&sb);
	ASSERT_OK(ingest__label_value(&sb, v));
	ASSERT_OK(strbuf__append(&sb, "", 1));
	return sb.buf;
}

TEST(label_value)
{
	ASSERT_STREQ(value("billing.service"), "billing.service");
	ASSERT_STREQ(value("3.11.2"), "3.11.2");
	/* What would end or split Pyroscope's key, and everything else, becomes '_'. */
	ASSERT_STREQ(value("a,b=c{d}e"), "a_b_c_d_e");
	ASSERT_STREQ(value("x y\t\n\"\\"), "x_y____");
	ASSERT_STREQ(value("caf\xc3\xa9"), "caf__");
	ASSERT_STREQ(value(""), "_");
	ASSERT_STREQ(value("/system.slice/a-b@1:x+y~"), "/system.slice/a-b@1:x+y~");
}

TEST(query_escape)
{
	struct strbuf sb = { 0 };
	const char *s = "app{pid=1,unit=a b}~-._/";

	ASSERT_OK(ingest__query_escape(&sb, s, strlen(s)));
	ASSERT_OK(strbuf__append(&sb, "", 1));
	ASSERT_STREQ(sb.buf, "app%7Bpid%3D1%2Cunit%3Da%20b%7D~-._%2F");
	strbuf__done(&sb);
}

TEST(backoff)
{
	ASSERT_EQ(ingest__backoff_ns(0), INGEST_BACKOFF_MIN_NS);
	ASSERT_EQ(ingest__backoff_ns(1), INGEST_BACKOFF_MIN_NS);
	ASSERT_EQ(ingest__backoff_ns(2), 2 * INGEST_BACKOFF_MIN_NS);
	ASSERT_EQ(ingest__backoff_ns(3), 4 * INGEST_BACKOFF_MIN_NS);
	ASSERT_EQ(ingest__backoff_ns(7), INGEST_BACKOFF_MAX_NS);
	ASSERT_EQ(ingest__backoff_ns(1000000), INGEST_BACKOFF_MAX_NS);
}

static int status(const char *s)
{
	return ingest__parse_status(s, strlen(s));
}

TEST(status_line)
{
	ASSERT_EQ(status("HTTP/1.1 200 OK\r\n"), 200);
	ASSERT_EQ(status("HTTP/1.0 503 Service Unavailable\r\nX: y\r\n"), 503);
	ASSERT_EQ(status("HTTP/1.1 204\r\n"), 204);
	ASSERT_EQ(status("HTTP/1.1 400\n"), 400);
	ASSERT_EQ(status(""), -EAGAIN);
	ASSERT_EQ(status("HTT"), -EAGAIN);
	ASSERT_EQ(status("HTTP/1.1 20"), -EAGAIN);
	ASSERT_EQ(status("HTTP/1.1 200 O"), -EAGAIN);
	ASSERT_EQ(status("HTTX"), -EPROTO);
	ASSERT_EQ(status("HTTP/2 200 OK\r\n"), -EPROTO);
	ASSERT_EQ(status("HTTP/1.1 20\r\n"), -EPROTO);
	ASSERT_EQ(status("HTTP/1.1 2000 OK\r\n"), -EPROTO);
	ASSERT_EQ(status("HTTP/1.1 099 OK\r\n"), -EPROTO);
	ASSERT_EQ(status("HTTP/1.1 600 OK\r\n"), -EPROTO);
	ASSERT_EQ(status("HTTP/1.1  200 OK\r\n"), -EPROTO);
	ASSERT_EQ(status("\nHTTP/1.1 200 OK\r\n"), -EPROTO);
	{
		char big[INGEST_MAX_STATUS_LINE + 10];

		memset(big, 'x', sizeof(big));
		memcpy(big, "HTTP/1.1 200 ", 13);
		ASSERT_EQ(ingest__parse_status(big, sizeof(big)), -EPROTO);
		ASSERT_EQ(ingest__parse_status(big, 100), -EAGAIN);
	}
}
