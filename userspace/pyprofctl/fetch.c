// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofctl's profiles: a snapshot asked in PYPROF/3 (stacks of frames as
 * data, with their tags), seen through the view options, the one structure
 * every format and top render from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/util.h"
#include "proto/wire.h"
#include "ctl.h"

int view_option(int c, const char *arg, struct ctl_view *cv)
{
	switch (c) {
	case OPT_VIEW_FUNCTION:
		cv->v.function = true;
		return 1;
	case OPT_VIEW_NO_LINES:
		cv->v.no_lines = true;
		return 1;
	case OPT_VIEW_FULL_FILENAMES:
		cv->v.full_filenames = true;
		return 1;
	case OPT_VIEW_THREADS:
		cv->v.threads = true;
		return 1;
	case OPT_VIEW_NATIVE_ALL:
		cv->v.native_all = true;
		/* fall through */
	case OPT_VIEW_NATIVE:
		cv->v.native = true;
		return 1;
	case OPT_VIEW_NO_GC:
		cv->no_gc = true;
		return 1;
	case OPT_VIEW_MODE:
		if (view_mode__parse(arg, &cv->mode) == 0)
			return 1;
		fprintf(stderr, "pyprofctl: invalid --mode '%s' (cpu, wall, offcpu, gil)\n", arg);
		return -1;
	case OPT_VIEW_TID:
		return opt_id_list("tid", arg, cv->tids, &cv->nr_tids, CTL_MAX_TIDS, "thread",
				   "threads") ? -1 : 1;
	case OPT_VIEW_THREAD_NAME:
		if (cv->nr_thread_names >= CTL_MAX_THREAD_NAMES) {
			fprintf(stderr, "pyprofctl: --thread-name may come at most %d times\n",
				CTL_MAX_THREAD_NAMES);
			return -1;
		}
		cv->thread_names[cv->nr_thread_names++] = arg;
		return 1;
	default:
		return 0;
	}
}

/* call() in protocol version; returns 0 or an exit status with msg set. */
static int call_version(struct proto_request *req, unsigned int version, struct reply *rep,
			char *msg, size_t msgsz)
{
	req->version = version;
	strbuf__reset(&rep->payload);
	rep->has_range = false;
	rep->has_period = false;
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

/* What to say of a daemon that does not state its sampling period (wall mode). */
static void no_period_error(void)
{
	fprintf(stderr, "pyprofctl: this pyprofd does not state its sampling period, so its "
			"on-CPU samples cannot be counted as time: --mode wall needs a newer "
			"pyprofd (--mode cpu, offcpu and gil work with this one)\n");
}

/*
 * Whether a daemon's refusal says it cannot serve cv's mode (reported):
 * one older than PYPROF/3 has no tags (cpu alone needs none), one from
 * before period=1 refuses it as an unknown argument.
 */
static bool refused_mode(const struct ctl_view *cv, const struct reply *rep, const char *msg)
{
	if (cv->mode != VIEW_MODE_CPU && rep->err == -EPROTO) {
		fprintf(stderr, "pyprofctl: this pyprofd is older than PYPROF/3, whose profiles "
				"say what a thread was doing: --mode %s needs a newer pyprofd "
				"(--mode cpu works with this one)\n", view_mode__name(cv->mode));
		return true;
	}
	if (cv->mode == VIEW_MODE_WALL && rep->err == -EINVAL && strstr(msg, "'period'")) {
		no_period_error();
		return true;
	}
	return false;
}

/* Whether the reply of version can be seen through cv (else reported). */
static bool reply_fits_view(const struct ctl_view *cv, unsigned int version,
			    const struct reply *rep)
{
	if (cv->mode == VIEW_MODE_WALL && !rep->has_period) {
		no_period_error();
		return false;
	}
	if ((cv->nr_tids || cv->nr_thread_names) && version < 2) {
		fprintf(stderr, "pyprofctl: this pyprofd speaks only PYPROF/1, whose profiles do "
				"not say which thread a stack is of: --%s needs a newer pyprofd\n",
			cv->nr_tids ? "tid" : "thread-name");
		return false;
	}
	return true;
}

/* out = raw seen through cv, its selection from the mode.  0 or -errno. */
static int apply_view(const struct stackset *raw, const struct ctl_view *cv,
		      const struct reply *rep, struct stackset *out)
{
	struct stackset_view v = cv->v;
	int err;

	err = stackset_view__set_mode(&v, cv->mode, rep->has_period ? (__u64)rep->period_ns : 0);
	if (err)
		return err;
	v.gc_marker = !cv->no_gc;
	v.gil_wait_marker = true;
	v.tids = cv->tids;
	v.nr_tids = cv->nr_tids;
	v.thread_names = cv->thread_names;
	v.nr_thread_names = cv->nr_thread_names;
	return stackset__view(raw, &v, out);
}

int fetch_stacks(struct proto_request *req, const struct ctl_view *cv, struct reply *rep,
		 struct stackset *out)
{
	/* Once a daemon said it speaks only an older version, top asks it in that at once. */
	static unsigned int version = PROTO_VERSION_MAX;
	char msg[PROTO_MAX_MESSAGE + 64];
	struct stackset raw = { 0 };
	int status, err;

	if (cv->mode == VIEW_MODE_WALL && !proto_request__get(req, "period") &&
	    proto_request__add(req, "period", "1"))
		return EXIT_USAGE;
	status = call_version(req, version, rep, msg, sizeof(msg));
	/*
	 * A daemon older than a version answers ERR EPROTO: ask it in the one
	 * below (PYPROF/2's profile without tags, then PYPROF/1's folded text),
	 * for a mode that can do without tags.
	 */
	while (status && rep->err == -EPROTO && version > PROTO_VERSION_MIN &&
	       cv->mode == VIEW_MODE_CPU)
		status = call_version(req, --version, rep, msg, sizeof(msg));
	if (status && refused_mode(cv, rep, msg))
		return EXIT_ERROR;
	if (status) {
		print_error(*msg ? msg : "request failed");
		return status;
	}
	if (!reply_fits_view(cv, version, rep))
		return EXIT_ERROR;
	err = decode(rep, version, &raw);
	/* The stacks hold copies: the encoded reply need not stay beside them. */
	strbuf__done(&rep->payload);
	if (err) {
		fprintf(stderr, "pyprofctl: malformed profile from pyprofd: %s\n", strerror(-err));
		return EXIT_ERROR;
	}
	err = apply_view(&raw, cv, rep, out);
	stackset__done(&raw);
	if (err) {
		fprintf(stderr, "pyprofctl: cannot render the profile: %s\n", strerror(-err));
		return EXIT_ERROR;
	}
	return 0;
}
