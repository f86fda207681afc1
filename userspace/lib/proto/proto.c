// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* proto: the pyprofd socket protocol, versions 1 to 3 (grammar in proto.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"
#include "base/util.h"

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EINVAL, "EINVAL" },	    { EPROTO, "EPROTO" },	{ E2BIG, "E2BIG" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENOENT, "ENOENT" },	{ ESRCH, "ESRCH" },
	{ EPERM, "EPERM" },	    { EACCES, "EACCES" },	{ EBUSY, "EBUSY" },
	{ ENOMEM, "ENOMEM" },	    { EIO, "EIO" },		{ ETIMEDOUT, "ETIMEDOUT" },
	{ EAGAIN, "EAGAIN" },	    { ENOSPC, "ENOSPC" },	{ EEXIST, "EEXIST" },
	{ ERANGE, "ERANGE" },	    { EFAULT, "EFAULT" },	{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
};

const char *proto__errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return "EUNKNOWN";
}

int proto__errno_value(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(errnames[i].name, name) == 0)
			return errnames[i].err;
	return 0;
}

static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n >= PROTO_MAX_TOKEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return 0;
	return 1;
}

static int valid_value(const char *s, size_t n)
{
	if (n >= PROTO_MAX_VALUE)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

int proto__parse_request(const char *line, size_t len, struct proto_request *req, char *err,
			 size_t errsz)
{
	const char *p, *end, *tok, *eq;
	size_t magic_len = strlen(PROTO_MAGIC);

	memset(req, 0, sizeof(*req));
	if (len > PROTO_MAX_REQUEST)
		return fail(err, errsz, -E2BIG, "request longer than %d bytes", PROTO_MAX_REQUEST);
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return fail(err, errsz, -EINVAL, "empty request");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < ' ' || c > '~')
			return fail(err, errsz, -EINVAL, "byte 0x%02x at offset %zu is not printable ASCII",
				    c, i);
	}
	if (len <= magic_len || memcmp(line, PROTO_MAGIC, magic_len) != 0)
		return fail(err, errsz, -EPROTO,
			    "not a pyprof request (expected '%s%d <verb> ...')", PROTO_MAGIC,
			    PROTO_VERSION_MIN);
	if (line[magic_len] < '0' + PROTO_VERSION_MIN ||
	    line[magic_len] > '0' + PROTO_VERSION_MAX ||
	    (len > magic_len + 1 && line[magic_len + 1] != ' '))
		return fail(err, errsz, -EPROTO,
			    "unsupported protocol version (this is %s%d to %s%d)", PROTO_MAGIC,
			    PROTO_VERSION_MIN, PROTO_MAGIC, PROTO_VERSION_MAX);
	req->version = (unsigned int)(line[magic_len] - '0');
	p = line + magic_len + 1;
	end = line + len;
	if (p == end || p + 1 == end)
		return fail(err, errsz, -EINVAL, "missing verb");
	p++;
	for (unsigned int ntok = 0; p <= end; ntok++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t n;

		tok = p;
		n = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (n == 0)
			return fail(err, errsz, -EINVAL, "empty token (one space between tokens)");
		if (ntok == 0) {
			if (!valid_name(tok, n))
				return fail(err, errsz, -EINVAL, "invalid verb");
			memcpy(req->verb, tok, n);
		} else {
			size_t klen;

			if (req->nr_args >= PROTO_MAX_ARGS)
				return fail(err, errsz, -E2BIG, "more than %d arguments", PROTO_MAX_ARGS);
			eq = memchr(tok, '=', n);
			if (!eq)
				return fail(err, errsz, -EINVAL, "argument %u is not key=value", ntok);
			klen = (size_t)(eq - tok);
			if (!valid_name(tok, klen))
				return fail(err, errsz, -EINVAL, "invalid key in argument %u", ntok);
			if (!valid_value(eq + 1, n - klen - 1))
				return fail(err, errsz, -EINVAL, "invalid value in argument %u", ntok);
			memcpy(req->args[req->nr_args].key, tok, klen);
			if (proto_request__get(req, req->args[req->nr_args].key))
				return fail(err, errsz, -EINVAL, "argument '%s' given twice",
					    req->args[req->nr_args].key);
			memcpy(req->args[req->nr_args].value, eq + 1, n - klen - 1);
			req->nr_args++;
		}
		if (!sp)
			break;
		p = sp + 1;
		if (p == end)
			return fail(err, errsz, -EINVAL, "trailing space");
	}
	return 0;
}

void proto_request__init(struct proto_request *req, const char *verb)
{
	memset(req, 0, sizeof(*req));
	req->version = PROTO_VERSION_MIN;
	snprintf(req->verb, sizeof(req->verb), "%s", verb);
}

int proto_request__add(struct proto_request *req, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	if (!valid_name(key, klen) || !valid_value(value, vlen) || proto_request__get(req, key))
		return -EINVAL;
	if (req->nr_args >= PROTO_MAX_ARGS)
		return -E2BIG;
	memcpy(req->args[req->nr_args].key, key, klen + 1);
	memcpy(req->args[req->nr_args].value, value, vlen + 1);
	req->nr_args++;
	return 0;
}

int proto__format_request(const struct proto_request *req, char *buf, size_t sz)
{
	size_t off;
	int n;

	if (req->version < PROTO_VERSION_MIN || req->version > PROTO_VERSION_MAX)
		return -EINVAL;
	n = snprintf(buf, sz, "%s%u %s", PROTO_MAGIC, req->version, req->verb);
	if (n < 0 || (size_t)n >= sz)
		return -E2BIG;
	off = (size_t)n;
	for (unsigned int i = 0; i < req->nr_args; i++) {
		n = snprintf(buf + off, sz - off, " %s=%s", req->args[i].key, req->args[i].value);
		if (n < 0 || (size_t)n >= sz - off)
			return -E2BIG;
		off += (size_t)n;
	}
	if (off + 2 > sz || off + 1 > PROTO_MAX_REQUEST)
		return -E2BIG;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}

const char *proto_request__get(const struct proto_request *req, const char *key)
{
	for (unsigned int i = 0; i < req->nr_args; i++)
		if (strcmp(req->args[i].key, key) == 0)
			return req->args[i].value;
	return NULL;
}

int proto_request__get_u64(const struct proto_request *req, const char *key, __u64 min, __u64 max,
			   __u64 *ret)
{
	const char *v = proto_request__get(req, key);
	long long n;

	if (!v)
		return -ENOENT;
	if (max > (__u64)__LONG_LONG_MAX__)
		max = (__u64)__LONG_LONG_MAX__;
	if (parse_int_range(v, (long long)min, (long long)max, &n) < 0)
		return -EINVAL;
	*ret = (__u64)n;
	return 0;
}

int proto_request__check_keys(const struct proto_request *req, const char *const *allowed,
			      char *err, size_t errsz)
{
	for (unsigned int i = 0; i < req->nr_args; i++) {
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strcmp(*a, req->args[i].key) == 0)
				break;
		if (!*a)
			return fail(err, errsz, -EINVAL, "unknown argument '%s' for '%s'",
				    req->args[i].key, req->verb);
	}
	return 0;
}

int proto__format_ok(size_t len, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "OK %zu\n", len);

	return n < 0 || (size_t)n >= sz ? -E2BIG : n;
}

int proto__format_ok_range(size_t len, long long from_ns, long long to_ns, char *buf, size_t sz)
{
	const struct proto_field f[] = { { "from_ns", from_ns }, { "to_ns", to_ns } };

	return proto__format_ok_fields(len, f, 2, buf, sz);
}

int proto__format_ok_fields(size_t len, const struct proto_field *fields, size_t nr, char *buf,
			    size_t sz)
{
	size_t off;
	int n = snprintf(buf, sz, "OK %zu", len);

	if (n < 0 || (size_t)n >= sz)
		return -E2BIG;
	off = (size_t)n;
	for (size_t i = 0; i < nr; i++) {
		if (!fields[i].key || !valid_name(fields[i].key, strlen(fields[i].key)))
			return -EINVAL;
		n = snprintf(buf + off, sz - off, " %s=%lld", fields[i].key, fields[i].value);
		if (n < 0 || (size_t)n >= sz - off)
			return -E2BIG;
		off += (size_t)n;
	}
	if (off + 2 > sz)
		return -E2BIG;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}

int proto__format_err(int err, const char *msg, char *buf, size_t sz)
{
	size_t off;
	int n;

	n = snprintf(buf, sz, "ERR %s ", proto__errno_name(err));
	/* room for the "\n" and NUL after the name, even with an empty message */
	if (n < 0 || (size_t)n + 2 > sz)
		return -E2BIG;
	off = (size_t)n;
	/* One line whatever the message holds; long messages are cut. */
	for (const char *p = msg; *p && off + 2 < sz && off < PROTO_MAX_MESSAGE; p++)
		buf[off++] = (*p == '\n' || *p == '\r' || (unsigned char)*p < ' ') ? ' ' : *p;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}

int proto__parse_reply_header(const char *line, size_t len, size_t *ret_len, char *msg,
			      size_t msgsz)
{
	char name[32];
	const char *p, *sp;
	size_t v = 0;

	if (msg && msgsz)
		msg[0] = '\0';
	if (len == 0 || line[len - 1] != '\n')
		return -EPROTO;
	len--;
	if (len > 3 && memcmp(line, "OK ", 3) == 0) {
		const char *fields = memchr(line + 3, ' ', len - 3);

		/* Fields after the length are checked by proto__reply_field(). */
		if (fields)
			len = (size_t)(fields - line);
		for (p = line + 3; p < line + len; p++) {
			if (*p < '0' || *p > '9' || v > PROTO_MAX_REPLY)
				return -EPROTO;
			v = v * 10 + (size_t)(*p - '0');
		}
		if (p == line + 3 || v > PROTO_MAX_REPLY)
			return -EPROTO;
		*ret_len = v;
		return 0;
	}
	if (len > 4 && memcmp(line, "ERR ", 4) == 0) {
		int e;

		p = line + 4;
		sp = memchr(p, ' ', len - 4);
		if (!sp)
			sp = line + len;
		if ((size_t)(sp - p) >= sizeof(name))
			return -EPROTO;
		memcpy(name, p, (size_t)(sp - p));
		name[sp - p] = '\0';
		e = proto__errno_value(name);
		if (msg && msgsz) {
			size_t mlen = sp < line + len ? (size_t)(line + len - sp - 1) : 0;

			if (mlen >= msgsz)
				mlen = msgsz - 1;
			memcpy(msg, sp + (sp < line + len), mlen);
			msg[mlen] = '\0';
		}
		return e ? -e : -EIO;
	}
	return -EPROTO;
}

int proto__reply_field(const char *line, size_t len, const char *key, long long *ret)
{
	size_t klen = strlen(key), n;
	const char *p, *end, *sp;
	char num[24];

	if (proto__parse_reply_header(line, len, &n, NULL, 0) < 0)
		return -EPROTO;
	end = line + len - 1;
	p = memchr(line + 3, ' ', (size_t)(end - line - 3));
	for (; p && p < end; p = sp) {
		p++;
		sp = memchr(p, ' ', (size_t)(end - p));
		if (!sp)
			sp = end;
		if ((size_t)(sp - p) <= klen || memcmp(p, key, klen) != 0 || p[klen] != '=')
			continue;
		n = (size_t)(sp - p) - klen - 1;
		if (n == 0 || n >= sizeof(num))
			return -EPROTO;
		memcpy(num, p + klen + 1, n);
		num[n] = '\0';
		return parse_int_range(num, -__LONG_LONG_MAX__ - 1, __LONG_LONG_MAX__, ret) < 0
			       ? -EPROTO : 0;
	}
	return -ENOENT;
}
