/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * httpreq: the request heads pyprofd's HTTP listener accepts (RFC 9112,
 * the part a GET needs): a request line "METHOD SP /path[?query] SP
 * HTTP/1.x", header fields "name: value", an empty line; lines end in CRLF
 * (a bare LF is taken too).  No request body, no absolute-form or
 * asterisk-form targets, no obsolete line folding.  Input is untrusted:
 * every byte sequence gets a result, nothing is read past len.
 */
#ifndef PYPROF_HTTPREQ_H
#define PYPROF_HTTPREQ_H

#include <stddef.h>

struct proto_request;

#define HTTPREQ_MAX_HEAD   8192	/* bytes of a request head, the empty line included */
#define HTTPREQ_MAX_METHOD 16	/* bytes of a method, NUL included */
#define HTTPREQ_MAX_TARGET 4096	/* bytes of a request target, NUL included */

struct httpreq {
	char method[HTTPREQ_MAX_METHOD];
	char path[HTTPREQ_MAX_TARGET];	/* the target up to '?', percent-decoded */
	char query[HTTPREQ_MAX_TARGET];	/* after '?', as sent ("" if none) */
	unsigned int minor;		/* HTTP/1.<minor> */
	int has_body;			/* a Content-Length other than 0, or a Transfer-Encoding */
};

/*
 * The length of the head at the start of buf (through its empty line), or 0
 * when buf (len bytes) does not hold a whole one yet.
 */
size_t httpreq__head_len(const char *buf, size_t len);

/*
 * Parses a whole head (len bytes, as httpreq__head_len() found it).
 * Returns 0, -EINVAL (malformed: 400), -E2BIG (a method or target longer
 * than fits: 414 for the target) or -EPROTONOSUPPORT (not HTTP/1.x: 505).
 */
int httpreq__parse(const char *head, size_t len, struct httpreq *req);

/*
 * Adds the pairs of a query ("k=v&k2=v2", percent-decoded, '+' a space) to
 * req as its arguments; a key without '=' is "key=1".  Returns 0, -EINVAL
 * (bad escapes, characters or a repeated key) or -E2BIG (too many, too
 * long), with a message in err.
 */
int httpreq__query_args(const char *query, struct proto_request *req, char *err, size_t errsz);

#endif /* PYPROF_HTTPREQ_H */
