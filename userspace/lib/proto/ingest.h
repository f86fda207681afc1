/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ingest: the pure pieces of pushing profiles to Grafana Pyroscope's HTTP
 * ingest API (POST /ingest?name=APP{k=v,...}&from=S&until=S&format=folded
 * &sampleRate=HZ&spyName=...&units=samples&aggregationType=sum): the --push
 * URL, the series name with its labels, the request head, the retry
 * back-off, and the status line of the receiver's reply (untrusted).
 * No I/O, no logging.
 */
#ifndef PYPROF_INGEST_H
#define PYPROF_INGEST_H

#include <linux/types.h>
#include <stddef.h>

#define INGEST_MAX_HOST		255	/* a DNS name's length */
#define INGEST_MAX_PATH		1024	/* the URL's path prefix, before /ingest */
#define INGEST_MAX_STATUS_LINE	512	/* a longer first line of a reply is malformed */
#define INGEST_BACKOFF_MIN_NS	1000000000ull	/* first retry after 1 s ... */
#define INGEST_BACKOFF_MAX_NS	60000000000ull	/* ... doubling up to 60 s */

struct strbuf;

/* A parsed --push URL: http://HOST[:PORT][/PATH]. */
struct ingest_url {
	char host[INGEST_MAX_HOST + 1];	/* as written, IPv6 without its brackets */
	__u16 port;			/* 80 if not given */
	char path[INGEST_MAX_PATH + 1];	/* "" or "/prefix" without a trailing '/' */
};

/*
 * Parses url into *u.  0; -EPROTONOSUPPORT for another scheme than http://
 * (https:// included: TLS is not spoken); -EINVAL for anything malformed
 * (no host, bad port, userinfo, a query or fragment, a byte outside
 * printable ASCII).
 */
int ingest__parse_url(const char *url, struct ingest_url *u);

/*
 * Appends a label value as the name parameter may carry it: Pyroscope's
 * series key has no escapes, so a byte that would end or split it (',',
 * '=', '{', '}'), or any other outside [A-Za-z0-9._-/:@+~], becomes '_';
 * an empty value becomes "_".  0 or -ENOMEM.
 */
int ingest__label_value(struct strbuf *sb, const char *v);

/*
 * Appends s percent-encoded for a query string (every byte outside RFC
 * 3986's unreserved set).  0 or -ENOMEM.
 */
int ingest__query_escape(struct strbuf *sb, const char *s, size_t len);

/* The delay before retry number attempt (1, 2, ...): doubling from the minimum, capped. */
__u64 ingest__backoff_ns(unsigned int attempt);

/*
 * The status code of a reply's first bytes buf[0..len): "HTTP/1.x NNN ...".
 * The code (100..599); -EAGAIN when the line is not complete yet (and len
 * is under INGEST_MAX_STATUS_LINE); -EPROTO for anything else.
 */
int ingest__parse_status(const char *buf, size_t len);

#endif /* PYPROF_INGEST_H */
