// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ingest: Pyroscope /ingest URLs, names, back-off and reply status lines (see ingest.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "base/strbuf.h"
#include "proto/ingest.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The host: a name or IPv4 address of [A-Za-z0-9.-], or [IPv6] of hex digits, ':' and '.'. */
static int parse_host(const char *s, size_t len, struct ingest_url *u)
{
	const char *ok = "abcdefABCDEF0123456789:.";

	if (len && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']')
			return -EINVAL;
		s++;
		len -= 2;
		for (size_t i = 0; i < len; i++)
			if (!strchr(ok, s[i]))
				return -EINVAL;
	} else {
		for (size_t i = 0; i < len; i++)
			if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-')
				return -EINVAL;
	}
	if (!len || len > INGEST_MAX_HOST)
		return -EINVAL;
	memcpy(u->host, s, len);
	u->host[len] = '\0';
	return 0;
}

static int parse_port(const char *s, size_t len, __u16 *ret)
{
	unsigned long v = 0;

	if (!len || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*ret = (__u16)v;
	return 0;
}

int ingest__parse_url(const char *url, struct ingest_url *u)
{
	const char *auth, *path, *colon;
	size_t hlen, plen;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) != 0)
		return strstr(url, "://") ? -EPROTONOSUPPORT : -EINVAL;
	auth = url + 7;
	for (const char *p = auth; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#' || *p == '@' || *p == '\\')
			return -EINVAL;
	path = strchr(auth, '/');
	if (!path)
		path = auth + strlen(auth);
	/* The port's colon: after an IPv6 literal's ']', if there is one. */
	colon = memchr(auth, ']', (size_t)(path - auth));
	colon = memchr(colon ? colon : auth, ':', (size_t)(path - (colon ? colon : auth)));
	hlen = (size_t)((colon ? colon : path) - auth);
	u->port = 80;
	if (parse_host(auth, hlen, u) ||
	    (colon && parse_port(colon + 1, (size_t)(path - colon - 1), &u->port)))
		return -EINVAL;
	plen = strlen(path);
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen > INGEST_MAX_PATH)
		return -EINVAL;
	memcpy(u->path, path, plen);
	u->path[plen] = '\0';
	return 0;
}

int ingest__label_value(struct strbuf *sb, const char *v)
{
	int r = 0;

	if (!*v)
		return strbuf__puts(sb, "_");
	for (; *v && !r; v++) {
		char c = *v;

		if (!is_alnum(c) && !strchr("._-/:@+~", c))
			c = '_';
		r = strbuf__append(sb, &c, 1);
	}
	return r;
}

int ingest__query_escape(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	for (size_t i = 0; i < len && !r; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (is_alnum((char)c) || strchr("-._~", c))
			r = strbuf__append(sb, (const char *)&c, 1);
		else
			r = strbuf__append(sb, esc, 3);
	}
	return r;
}

__u64 ingest__backoff_ns(unsigned int attempt)
{
	__u64 d = INGEST_BACKOFF_MIN_NS;

	for (unsigned int i = 1; i < attempt && d < INGEST_BACKOFF_MAX_NS; i++)
		d *= 2;
	return d < INGEST_BACKOFF_MAX_NS ? d : INGEST_BACKOFF_MAX_NS;
}

int ingest__parse_status(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len < INGEST_MAX_STATUS_LINE ? len : INGEST_MAX_STATUS_LINE);
	size_t n = nl ? (size_t)(nl - buf) : len;
	int code;

	if (!nl && len >= INGEST_MAX_STATUS_LINE)
		return -EPROTO;
	/* What has come so far must be a prefix of "HTTP/1.x NNN". */
	if (memcmp(buf, "HTTP/1.", n < 7 ? n : 7) != 0)
		return -EPROTO;
	if (n < 12)
		return nl ? -EPROTO : -EAGAIN;
	if (!is_digit(buf[7]) || buf[8] != ' ' || !is_digit(buf[9]) || !is_digit(buf[10]) ||
	    !is_digit(buf[11]) || (n > 12 && buf[12] != ' ' && buf[12] != '\r'))
		return -EPROTO;
	code = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (code < 100 || code > 599)
		return -EPROTO;
	return nl ? code : -EAGAIN;
}
