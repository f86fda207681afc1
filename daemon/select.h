/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pyprofd: selectors, the set of process records a request is about
 * (snapshot's keys in proto/proto.h; the HTTP endpoint sends the same).
 * Keys combine with AND.  A selector only says which records match: who
 * may see them is the server's (can_see()), decided per record after.
 * Every value comes from a client and every field matched from another
 * user's process: parsing is bounded, matching never allocates.
 */
#ifndef PYPROFD_SELECT_H
#define PYPROFD_SELECT_H

#include <linux/types.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include "pyprof_abi.h"
#include "base/util.h"

#define SELECT_MAX_PIDS		64	/* pids one pid= lists */
#define SELECT_MAX_REGEX	256	/* bytes of a cmdline= pattern */
/* Repeat counts {n,m} of a pattern, multiplied: what regcomp() expands them to stays small. */
#define SELECT_MAX_REPEAT	1024
#define SELECT_CONTAINER_MIN	4	/* hex digits of a container= prefix, at least */
#define SELECT_CONTAINER_MAX	64	/* a whole id (target/cgroup.c's CONTAINER_ID_LEN) */
/*
 * Time one request may spend in regexec(): glibc's matcher is quadratic in
 * the command line for some patterns ("(a|aa)*b" takes ~250 ms on 4096
 * bytes), and the daemon answers one request at a time.
 */
#define SELECT_REGEX_BUDGET_NS	(100 * NSEC_PER_MSEC)
/* Bytes of the command line in a per-process root frame; a longer one is cut, "...". */
#define SELECT_ROOT_CMDLINE_MAX	160

struct proto_request;
struct pyproc;
struct strbuf;

struct selector {
	int pids[SELECT_MAX_PIDS];
	size_t nr_pids;
	char comm[PYPROF_COMM_LEN + 1];
	regex_t cmdline;
	__u32 uid;
	char *unit, *cgroup, *container;	/* copies; cgroup without its trailing '/' */
	bool has_comm, has_cmdline, has_uid, all;
	bool per_process;			/* a root frame per process */
	bool any;				/* some selecting key was given */
	__u64 regex_ns;				/* spent in regexec() so far */
	bool too_slow;				/* over SELECT_REGEX_BUDGET_NS: nothing matches */
};

/* Whether key is one selector__parse() reads (the rest of a request is the verb's). */
bool selector__is_key(const char *key);

/*
 * Reads the selector keys of req into *s (zeroed here), the text values
 * with their %XX escapes decoded (proto.h).  Returns 0, -ENOENT
 * when req has no selecting key (per_process alone selects nothing), or
 * -EINVAL / -E2BIG / -ENOMEM with a message in err.  selector__done() after
 * 0 only.
 */
int selector__parse(struct selector *s, const struct proto_request *req, char *err,
		    size_t errsz);

/* Whether s is pid= of one pid and nothing else that selects. */
bool selector__single_pid(const struct selector *s);

/*
 * Whether record p matches every key of s.  Once the command-line pattern
 * has taken SELECT_REGEX_BUDGET_NS, s->too_slow is set and no record
 * matches: the request is to be refused, not answered in part.
 */
bool selector__match(struct selector *s, const struct pyproc *p);

/*
 * The name of p's root frame in a per-process profile: "PID COMMAND-LINE"
 * (the comm when the command line is not known or empty), the command
 * line cut at SELECT_ROOT_CMDLINE_MAX bytes and escaped as a terminal
 * needs (base/textenc.h).  0 or -ENOMEM.
 */
int selector__root_name(const struct pyproc *p, struct strbuf *out);

void selector__done(struct selector *s);

#endif /* PYPROFD_SELECT_H */
