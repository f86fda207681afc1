// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofctl's profiles: a snapshot asked in PYPROF/3 (stacks of frames as
 * data, with their tags), seen through the view options, the one structure
 * every format and top render from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "proto/wire.h"
#include "ctl.h"

bool view_option(int c, struct stackset_view *v)
{
	switch (c) {
	case OPT_VIEW_FUNCTION:
		v->function = true;
		return true;
	case OPT_VIEW_NO_LINES:
		v->no_lines = true;
		return true;
	case OPT_VIEW_FULL_FILENAMES:
		v->full_filenames = true;
		return true;
	case OPT_VIEW_THREADS:
		v->threads = true;
		return true;
	default:
		return false;
	}
}

/* call() in protocol version; returns 0 or an exit status with msg set. */
static int call_version(struct proto_request *req, unsigned int version, struct reply *rep,
			char *msg, size_t msgsz)
{
	req->version = version;
	strbuf__reset(&rep->payload);
	rep->has_range = false;
	rep->err = 0;
	msg[0] = '\0';
	return call(req, rep, msg, msgsz);
}

/* The reply's payload as a stackset: PYPROF/3's or /2's encoding, or PYPROF/1's folded text. */
static int decode(const struct reply *rep, unsigned int version, struct stackset *ss)
{
	const char *buf = rep->payload.buf ? rep->payload.buf : "";

	if (version == 1)
		return stackset__parse_folded(ss, buf, rep->payload.len);
	return wire__decode((const __u8 *)buf, rep->payload.len, ss);
}

int fetch_stacks(struct proto_request *req, const struct stackset_view *v, struct reply *rep,
		 struct stackset *out)
{
	/* Once a daemon said it speaks only an older version, top asks it in that at once. */
	static unsigned int version = PROTO_VERSION_MAX;
	char msg[PROTO_MAX_MESSAGE + 64];
	struct stackset raw = { 0 };
	int status, err;

	status = call_version(req, version, rep, msg, sizeof(msg));
	/*
	 * A daemon older than a version answers ERR EPROTO: ask it in the one
	 * below (PYPROF/2's profile without tags, then PYPROF/1's folded text).
	 */
	while (status && rep->err == -EPROTO && version > PROTO_VERSION_MIN)
		status = call_version(req, --version, rep, msg, sizeof(msg));
	if (status) {
		print_error(*msg ? msg : "request failed");
		return status;
	}
	err = decode(rep, version, &raw);
	/* The stacks hold copies: the encoded reply need not stay beside them. */
	strbuf__done(&rep->payload);
	if (err) {
		fprintf(stderr, "pyprofctl: malformed profile from pyprofd: %s\n", strerror(-err));
		return EXIT_ERROR;
	}
	err = stackset__view(&raw, v, out);
	stackset__done(&raw);
	if (err) {
		fprintf(stderr, "pyprofctl: cannot render the profile: %s\n", strerror(-err));
		return EXIT_ERROR;
	}
	return 0;
}
