/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * proto: the pyprofd socket protocol, versions 1 to 3.
 *
 * Request: one line of at most PROTO_MAX_REQUEST bytes, newline included:
 *     PYPROF/1 <verb> [<key>=<value> ...]\n
 * or the same starting "PYPROF/2" or "PYPROF/3": the same verbs, arguments
 * and reply lines; only snapshot's payload differs:
 *   PYPROF/3  the binary profile encoding of proto/wire.h, version 3: every
 *             frame as recorded (the client drops, merges and shortens),
 *             every stack with its tag (profile/sample.h);
 *   PYPROF/2  wire.h's version 2 of the stacks without SAMPLE_OFF_CPU, tags
 *             dropped and stacks then equal merged (their counts are
 *             samples): what a client of version 2 always got;
 *   PYPROF/1  folded text of that same set, thread frames dropped, file
 *             names as recorded: byte for byte what it always was.
 * A daemon older than a version answers ERR EPROTO: a client asks again in
 * the version below.
 * Tokens are separated by single spaces; verbs and keys are [a-z0-9_-],
 * values are printable ASCII without spaces (at most PROTO_MAX_VALUE bytes);
 * a key appears at most once.
 * Reply: "OK <n>\n" followed by exactly n payload bytes, or
 *        "ERR <ERRNONAME> <message>\n" (e.g. "ERR ESRCH no process 42").
 * A request may ask for more in the OK line: then it reads
 * "OK <n> <key>=<integer> ...\n"; clients that do not ask never get fields.
 * snapshot's range=1 asks for from_ns= and to_ns= (the range the windows
 * cover), period=1 for period_ns= (the sampling period: the CPU time one
 * on-CPU sample stands for, which a wall-clock view needs).
 * snapshot's selector (daemon/select.h; pyprofctl's --pid, --unit...) says
 * which processes: every record of a matching process, live or exited with
 * its history still retained (a service restarted in the range: its old
 * and new processes), merged into one profile.  Keys combine with AND; at
 * least one is required ("pid is required").  The text values (comm,
 * cmdline, unit, cgroup) write a space, '%' and every byte outside printable
 * ASCII as %XX (hex, either case; no %00), the only way a pattern or a name
 * with a space fits a value:
 *   pid=N[,M...]   these pids (at most 64)
 *   comm=NAME      the process name, exactly (1 to 15 bytes)
 *   cmdline=RE     a POSIX extended regular expression found in the command
 *                  line (list's CMDLINE; unknown: no match); at most 256
 *                  bytes, no back-references, repeat counts {n,m} whose
 *                  (m+1)s multiply to at most 1024; refused ones: EINVAL
 *                  "invalid cmdline pattern: <regerror's words>"; one whose
 *                  matching takes over 100 ms in a request: E2BIG
 *   uid=N          the effective uid, as found (list's UID)
 *   unit=NAME      the systemd unit, as list's UNIT shows it: the whole name
 *                  ("billing.service"; a user's session units are under
 *                  "user@UID.service")
 *   cgroup=PATH    the process's cgroup (list's CGROUP: unified, else
 *                  name=systemd) is PATH or below it ("/" every one)
 *   container=HEX  the container id starts with HEX, 4 to 64 lowercase hex
 *                  digits (every container sharing a short prefix matches)
 *   all=1          every process
 * A client sees of a selection what it may see of each process; a
 * selection with no record it may see is "ERR ESRCH no process matches the
 * selection" ("... no process of yours matches ..." for an unprivileged
 * client) whether or not others' processes match.  pid= of one pid alone
 * keeps the errors of a single process: ENOENT (not Python),
 * EPROTONOSUPPORT (a Python pyprofd cannot profile), ESRCH "no process N
 * [of yours] and no history for it"; in a selection a live process
 * pyprofd cannot profile adds nothing.  per_process=1 roots each
 * process's stacks at a FRAME_PROCESS frame "PID COMMAND-LINE" (the comm
 * when the command line is not known; cut at 160 bytes, "...", escaped as
 * COMM) instead of its comm; processes=1 asks for processes=<n> in the OK
 * line: the records that added samples.
 * list's payload is a tab-separated table, one row per process; its last
 * column, LABELS, is "key=value,key=value" (profile/proclabel.h: keys
 * [a-z0-9_], values with '\\' ',' '=' as "\\\\" "\\," "\\=", tab and newline as
 * "\\t" "\\n", other control bytes and ill-formed UTF-8 as "\\xHH").
 * list's identity=1 asks for four more columns after LABELS (clients that do
 * not ask never get them; a daemon older than them answers EINVAL):
 *   UID           the effective uid, as found
 *   START_NS      when it started, CLOCK_REALTIME ns
 *   CPU_PERMILLE  thousandths of one CPU its on-CPU samples stand for over
 *                 the last minute it ran (profile/procident.h)
 *   CMDLINE       its command line (procident.h), escaped as COMM and EXE
 * each empty when not known (history from before this daemon).
 */
#ifndef PYPROF_PROTO_H
#define PYPROF_PROTO_H

#include <linux/types.h>
#include <stddef.h>

#define PROTO_MAGIC	  "PYPROF/"	/* then the version digit */
#define PROTO_VERSION_MIN 1
#define PROTO_VERSION_MAX 3
#define PROTO_MAX_REQUEST 4096		/* bytes per request line, newline included */
#define PROTO_MAX_ARGS	  16		/* key=value pairs per request */
#define PROTO_MAX_TOKEN	  32		/* bytes of a verb or key, NUL included */
#define PROTO_MAX_VALUE	  1024		/* bytes of a value, NUL included */
#define PROTO_MAX_MESSAGE 512		/* bytes of an error message */
#define PROTO_MAX_REPLY	  (1ull << 30)	/* payload bytes a client accepts */

struct proto_request {
	unsigned int version;		/* PROTO_VERSION_MIN..PROTO_VERSION_MAX */
	char verb[PROTO_MAX_TOKEN];
	unsigned int nr_args;
	struct {
		char key[PROTO_MAX_TOKEN];
		char value[PROTO_MAX_VALUE];
	} args[PROTO_MAX_ARGS];
};

/*
 * Parses one request line (len bytes, with or without its trailing "\n").
 * Returns 0 with the version in req->version, or -EINVAL (malformed),
 * -EPROTO (not PYPROF/1 to PYPROF/PROTO_VERSION_MAX), -E2BIG (too long, too many
 * arguments) with a message in err.
 */
int proto__parse_request(const char *line, size_t len, struct proto_request *req, char *err,
			 size_t errsz);

/* Starts a request for a client, version 1 (set req->version for PYPROF/2 or /3). */
void proto_request__init(struct proto_request *req, const char *verb);

/* Adds key=value.  Returns 0, -EINVAL (bad characters, duplicate key), -E2BIG. */
int proto_request__add(struct proto_request *req, const char *key, const char *value);

/*
 * Writes the request line (with "\n", NUL-terminated) of req->version.  Returns its length,
 * -E2BIG, or -EINVAL for a version this library does not speak.
 */
int proto__format_request(const struct proto_request *req, char *buf, size_t sz);

/* Value of key, or NULL. */
const char *proto_request__get(const struct proto_request *req, const char *key);

/*
 * Value of key as an integer in [min, max].  Returns 0, -ENOENT when the
 * key is absent (*ret untouched), -EINVAL when it is not such a number.
 */
int proto_request__get_u64(const struct proto_request *req, const char *key, __u64 min, __u64 max,
			   __u64 *ret);

/* -EINVAL with a message naming the first key not in the NULL-terminated list allowed. */
int proto_request__check_keys(const struct proto_request *req, const char *const *allowed,
			      char *err, size_t errsz);

/* "OK <len>\n" into buf.  Returns its length or -E2BIG. */
int proto__format_ok(size_t len, char *buf, size_t sz);

/*
 * "OK <len> from_ns=<from> to_ns=<to>\n" into buf: a snapshot's payload with
 * the time range it covers (CLOCK_MONOTONIC, from < 0 for history from
 * before this boot).  Returns its length or -E2BIG.
 */
int proto__format_ok_range(size_t len, long long from_ns, long long to_ns, char *buf, size_t sz);

/* A field of an OK line: key=<value>, key as a request key ([a-z0-9_-]). */
struct proto_field {
	const char *key;
	long long value;
};

/*
 * "OK <len> <key>=<value> ...\n" into buf, the nr fields in their order (none:
 * proto__format_ok()'s line).  Returns its length, -EINVAL (a key not of
 * request-key characters) or -E2BIG.
 */
int proto__format_ok_fields(size_t len, const struct proto_field *fields, size_t nr, char *buf,
			    size_t sz);

/*
 * "ERR <NAME> <message>\n" into buf for a positive errno value; the message
 * is made single-line.  Returns its length or -E2BIG.
 */
int proto__format_err(int err, const char *msg, char *buf, size_t sz);

/*
 * Parses a reply header line (len bytes, with its "\n").  Returns 0 with the
 * payload length in *ret_len, the negative errno of an ERR reply with its
 * message in msg, or -EPROTO for anything else.
 */
int proto__parse_reply_header(const char *line, size_t len, size_t *ret_len, char *msg,
			      size_t msgsz);

/*
 * The integer field key=<value> of an OK header line (len bytes, with its
 * "\n").  Returns 0, -ENOENT when the line has no such field, -EPROTO when
 * it is not a well-formed OK line or the value is not an integer.
 */
int proto__reply_field(const char *line, size_t len, const char *key, long long *ret);

/* "EINVAL" for EINVAL; "EUNKNOWN" for errno values the protocol does not name. */
const char *proto__errno_name(int err);

/* Inverse of proto__errno_name(); 0 for an unknown name. */
int proto__errno_value(const char *name);

#endif /* PYPROF_PROTO_H */
