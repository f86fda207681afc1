// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* httpreq: parsing the heads of HTTP GET requests (see httpreq.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "base/util.h"
#include "proto/httpreq.h"
#include "proto/proto.h"

size_t httpreq__head_len(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* RFC 9110's tchar: what methods and field names are made of. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The line at *pos (its end without CR LF in *ret_len), *pos moved past it; false at the end. */
static bool next_line(const char *head, size_t len, size_t *pos, const char **ret,
		      size_t *ret_len)
{
	const char *start = head + *pos, *nl;

	if (*pos >= len)
		return false;
	nl = memchr(start, '\n', len - *pos);
	if (!nl)
		return false;
	*ret = start;
	*ret_len = (size_t)(nl - start);
	if (*ret_len && start[*ret_len - 1] == '\r')
		(*ret_len)--;
	*pos = (size_t)(nl - head) + 1;
	return true;
}

/*
 * Percent-decodes s (n bytes) into out (sz bytes, NUL-terminated); '+' is a
 * space when plus.  -EINVAL for a bad escape or a NUL, -E2BIG when it does not fit.
 */
static int pct_decode(const char *s, size_t n, bool plus, char *out, size_t sz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = n - i >= 3 ? hex_digit(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;

			if (lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0)
			return -EINVAL;
		if (o + 1 >= sz)
			return -E2BIG;
		out[o++] = (char)c;
	}
	if (!sz)
		return -E2BIG;
	out[o] = '\0';
	return 0;
}

/* "METHOD SP origin-form SP HTTP/1.x" */
static int parse_request_line(const char *l, size_t n, struct httpreq *req)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *target, *q;
	size_t mlen, tlen;

	if (!sp1)
		return -EINVAL;
	mlen = (size_t)(sp1 - l);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!mlen || !sp2)
		return -EINVAL;
	for (size_t i = 0; i < mlen; i++)
		if (!tchar((unsigned char)l[i]))
			return -EINVAL;
	if (mlen >= sizeof(req->method))
		return -E2BIG;
	memcpy(req->method, l, mlen);
	req->method[mlen] = '\0';
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	if (!tlen || target[0] != '/')
		return -EINVAL;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return -EINVAL;
	if (tlen >= HTTPREQ_MAX_TARGET)
		return -E2BIG;
	/* The version: exactly "HTTP/1.D" to the end of the line. */
	if ((size_t)(l + n - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    sp2[7] != '.' || sp2[6] < '0' || sp2[6] > '9' || sp2[8] < '0' || sp2[8] > '9')
		return -EINVAL;
	if (sp2[6] != '1')
		return -EPROTONOSUPPORT;
	req->minor = (unsigned int)(sp2[8] - '0');
	q = memchr(target, '?', tlen);
	if (q) {
		memcpy(req->query, q + 1, tlen - (size_t)(q - target) - 1);
		req->query[tlen - (size_t)(q - target) - 1] = '\0';
	}
	return pct_decode(target, q ? (size_t)(q - target) : tlen, false, req->path,
			  sizeof(req->path));
}

/* "name: value" with a token name; what it says of a body. */
static int parse_field(const char *l, size_t n, struct httpreq *req)
{
	const char *colon = memchr(l, ':', n);
	size_t nlen, vstart, vend;

	if (!colon || colon == l)
		return -EINVAL;
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!tchar((unsigned char)l[i]))
			return -EINVAL;
	/* Field values: visible bytes, spaces and tabs, obs-text; no CR or other control. */
	for (size_t i = nlen + 1; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
	}
	vstart = nlen + 1;
	while (vstart < n && (l[vstart] == ' ' || l[vstart] == '\t'))
		vstart++;
	vend = n;
	while (vend > vstart && (l[vend - 1] == ' ' || l[vend - 1] == '\t'))
		vend--;
	if (nlen == 17 && strncasecmp(l, "transfer-encoding", 17) == 0)
		req->has_body = 1;
	else if (nlen == 14 && strncasecmp(l, "content-length", 14) == 0)
		req->has_body |= !(vend - vstart == 1 && l[vstart] == '0');
	return 0;
}

int httpreq__parse(const char *head, size_t len, struct httpreq *req)
{
	size_t pos = 0, n;
	const char *l;
	int err;

	memset(req, 0, sizeof(*req));
	if (!next_line(head, len, &pos, &l, &n))
		return -EINVAL;
	err = parse_request_line(l, n, req);
	if (err)
		return err;
	for (;;) {
		if (!next_line(head, len, &pos, &l, &n))
			return -EINVAL;	/* no empty line: not a whole head */
		if (n == 0)
			return 0;
		/* Obsolete line folding (RFC 9112 5.2): refused, not guessed at. */
		if (l[0] == ' ' || l[0] == '\t')
			return -EINVAL;
		err = parse_field(l, n, req);
		if (err)
			return err;
	}
}

/* One "k=v" (or "k") of n bytes into req. */
static int query_pair(const char *s, size_t n, struct proto_request *req, char *err,
		      size_t errsz)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	char key[PROTO_MAX_TOKEN], value[PROTO_MAX_VALUE];
	int r;

	r = pct_decode(s, klen, true, key, sizeof(key));
	if (r) {
		snprintf(err, errsz, "invalid query key '%.*s'", (int)(klen < 64 ? klen : 64), s);
		return r;
	}
	if (eq)
		r = pct_decode(eq + 1, n - klen - 1, true, value, sizeof(value));
	else
		snprintf(value, sizeof(value), "1");
	if (r) {
		snprintf(err, errsz, "invalid value of '%s'", key);
		return r;
	}
	r = proto_request__add(req, key, value);
	if (r == -E2BIG)
		snprintf(err, errsz, "more than %d query arguments", PROTO_MAX_ARGS);
	else if (r)
		snprintf(err, errsz,
			 "invalid or repeated query argument '%s' (keys are [a-z0-9_-], "
			 "values printable ASCII without spaces)", key);
	return r;
}

int httpreq__query_args(const char *query, struct proto_request *req, char *err, size_t errsz)
{
	const char *s = query;

	while (*s) {
		const char *amp = strchr(s, '&');
		size_t n = amp ? (size_t)(amp - s) : strlen(s);
		int r = n ? query_pair(s, n, req, err, errsz) : 0;

		if (r)
			return r;
		s += n + (amp != NULL);
	}
	return 0;
}
