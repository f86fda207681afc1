// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for selectors (daemon/select.c): requests parsed as the server
 * parses them, matched against process records made here (the fields
 * procs.c fills: pid, comm, command line, euid, labels).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "testhelp.h"
#include "base/strbuf.h"
#include "profile/proclabel.h"
#include "proto/proto.h"
#include "pyproc.h"
#include "select.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A record as discovery makes it, with these labels (NULL-terminated key, value pairs). */
struct rec {
	struct pyproc p;
	struct proclabel *labels;
};

static void rec_init(struct rec *r, int pid, const char *comm, const char *cmdline, __u32 user,
		     const char *const *kv)
{
	struct proclabel_builder b = { 0 };

	memset(r, 0, sizeof(*r));
	r->p.pid = pid;
	snprintf(r->p.comm, sizeof(r->p.comm), "%s", comm);
	r->p.cmdline = (char *)cmdline;
	r->p.user = user;
	for (; kv && kv[0]; kv += 2)
		proclabel_builder__add(&b, kv[0], kv[1], strlen(kv[1]));
	ASSERT_OK(proclabel_builder__pack(&b, &r->p.labels, &r->p.nr_labels));
}

static void rec_done(struct rec *r)
{
	free(r->p.labels);
}

/* Parses "PYPROF/3 snapshot KEYS": 0 or the error, with its message in err. */
static int parse(struct selector *s, const char *keys, char *err, size_t errsz)
{
	struct proto_request req;
	char line[PROTO_MAX_REQUEST + 64], perr[256];

	snprintf(line, sizeof(line), "PYPROF/3 snapshot %s\n", keys);
	ASSERT_OK(proto__parse_request(line, strlen(line), &req, perr, sizeof(perr)));
	err[0] = '\0';
	return selector__parse(s, &req, err, errsz);
}

static void expect_err(const char *keys, int want, const char *msg)
{
	struct selector s;
	char err[256];
	int r = parse(&s, keys, err, sizeof(err));

	if (r != want)
		TEST_FAIL("%s: %d instead of %d (%s)", keys, r, want, err);
	if (!strstr(err, msg))
		TEST_FAIL("%s: message '%s' does not say '%s'", keys, err, msg);
}

/* Whether keys select each record of recs (a string of '1' and '0'). */
static void expect_match(const char *keys, struct rec *recs, size_t nr, const char *want)
{
	struct selector s;
	char err[256];

	if (parse(&s, keys, err, sizeof(err)))
		TEST_FAIL("%s: %s", keys, err);
	for (size_t i = 0; i < nr; i++)
		if (selector__match(&s, &recs[i].p) != (want[i] == '1'))
			TEST_FAIL("%s: record %zu (pid %d) %s", keys, i, recs[i].p.pid,
				  want[i] == '1' ? "not selected" : "selected");
	selector__done(&s);
}

/* The service of the integration test, a user's process, one in a container, one unknown. */
#define NR_RECS 5
static void make_recs(struct rec *r)
{
	static const char *const billing[] = {
		"cgroup", "/system.slice/billing.service", "unit", "billing.service", NULL,
	};
	static const char *const user[] = {
		"cgroup", "/user.slice/user-1000.slice/user@1000.service/app.slice/x.service",
		"unit", "user@1000.service", "user_unit", "x.service", NULL,
	};
	static const char *const boxed[] = {
		"cgroup", "/system.slice/docker-" CID ".scope", "container", CID,
		"unit", "docker-" CID ".scope", NULL,
	};

	rec_init(&r[0], 100, "python3", "python3 worker.py --queue a", 0, billing);
	rec_init(&r[1], 101, "python3", "python3 worker.py --queue b", 0, billing);
	rec_init(&r[2], 200, "gunicorn", "/usr/bin/python3 /usr/bin/gunicorn app:app", 1000, user);
	rec_init(&r[3], 300, "python3", "python3 -m http.server", 0, boxed);
	/* History from before the daemon: nothing known but pid and comm. */
	rec_init(&r[4], 400, "python3", NULL, PYPROFD_UID_NONE, NULL);
}

static void free_recs(struct rec *r)
{
	for (size_t i = 0; i < NR_RECS; i++)
		rec_done(&r[i]);
}

TEST(match_each_key)
{
	struct rec r[NR_RECS];

	make_recs(r);
	expect_match("pid=101", r, NR_RECS, "01000");
	expect_match("pid=100,300,999", r, NR_RECS, "10010");
	expect_match("comm=python3", r, NR_RECS, "11011");
	expect_match("comm=gunicorn", r, NR_RECS, "00100");
	expect_match("comm=python", r, NR_RECS, "00000");
	expect_match("cmdline=worker\\.py", r, NR_RECS, "11000");
	expect_match("cmdline=^python3.*queue.(a|c)$", r, NR_RECS, "10000");
	/* An unknown command line matches no pattern, not even the empty one. */
	expect_match("cmdline=.*", r, NR_RECS, "11110");
	expect_match("uid=1000", r, NR_RECS, "00100");
	expect_match("uid=0", r, NR_RECS, "11010");
	expect_match("unit=billing.service", r, NR_RECS, "11000");
	expect_match("unit=billing", r, NR_RECS, "00000");
	expect_match("unit=user@1000.service", r, NR_RECS, "00100");
	/* A cgroup and those below it; a name that merely starts the same is another. */
	expect_match("cgroup=/system.slice", r, NR_RECS, "11010");
	expect_match("cgroup=/system.slice/", r, NR_RECS, "11010");
	expect_match("cgroup=/system.slice/billing.service", r, NR_RECS, "11000");
	expect_match("cgroup=/system.slice/billing.serv", r, NR_RECS, "00000");
	expect_match("cgroup=/", r, NR_RECS, "11110");
	expect_match("container=0123", r, NR_RECS, "00010");
	expect_match("container=" CID, r, NR_RECS, "00010");
	expect_match("container=1234", r, NR_RECS, "00000");
	expect_match("all=1", r, NR_RECS, "11111");
	/* Text values carry a space, '%' or any byte as %XX. */
	expect_match("cmdline=worker\\.py%20--queue%20[ab]", r, NR_RECS, "11000");
	expect_match("cmdline=app%3aapp$", r, NR_RECS, "00100");
	expect_match("cgroup=%2fsystem.slice%2Fbilling.service", r, NR_RECS, "11000");
	expect_match("comm=gunicorn%25", r, NR_RECS, "00000");
	expect_match("comm=%67unicorn", r, NR_RECS, "00100");
	free_recs(r);
}

TEST(keys_combine_with_and)
{
	struct rec r[NR_RECS];

	make_recs(r);
	expect_match("unit=billing.service cmdline=queue.b", r, NR_RECS, "01000");
	expect_match("comm=python3 uid=0", r, NR_RECS, "11010");
	expect_match("pid=100,200 comm=python3", r, NR_RECS, "10000");
	expect_match("all=1 uid=1000", r, NR_RECS, "00100");
	expect_match("unit=billing.service container=0123", r, NR_RECS, "00000");
	free_recs(r);
}

TEST(single_pid_and_flags)
{
	struct selector s;
	char err[256];

	ASSERT_OK(parse(&s, "pid=42", err, sizeof(err)));
	ASSERT_TRUE(selector__single_pid(&s));
	ASSERT_TRUE(!s.per_process);
	selector__done(&s);
	ASSERT_OK(parse(&s, "pid=42 per_process=1", err, sizeof(err)));
	ASSERT_TRUE(selector__single_pid(&s));
	ASSERT_TRUE(s.per_process);
	selector__done(&s);
	ASSERT_OK(parse(&s, "pid=42,43", err, sizeof(err)));
	ASSERT_TRUE(!selector__single_pid(&s));
	selector__done(&s);
	ASSERT_OK(parse(&s, "pid=42 comm=x", err, sizeof(err)));
	ASSERT_TRUE(!selector__single_pid(&s));
	selector__done(&s);
	ASSERT_OK(parse(&s, "all=0 uid=5", err, sizeof(err)));
	ASSERT_TRUE(!s.all && s.has_uid && s.uid == 5);
	selector__done(&s);
	ASSERT_TRUE(selector__is_key("cmdline") && selector__is_key("per_process"));
	ASSERT_TRUE(!selector__is_key("seconds") && !selector__is_key("range"));
}

TEST(bad_values)
{
	char many[SELECT_MAX_PIDS * 8 + 16] = "pid=1";
	char longre[SELECT_MAX_REGEX + 32] = "cmdline=";

	/* A bare request, and one pid, keep the errors they always had. */
	expect_err("seconds=5", -ENOENT, "pid is required");
	expect_err("per_process=1", -ENOENT, "pid is required");
	expect_err("all=0", -ENOENT, "pid is required");
	expect_err("pid=0", -EINVAL, "invalid pid");
	expect_err("pid=x1", -EINVAL, "invalid pid");
	expect_err("pid=1,,2", -EINVAL, "invalid pid");
	expect_err("pid=1,", -EINVAL, "invalid pid");
	expect_err("pid=2147483648", -EINVAL, "invalid pid");
	for (int i = 2; i <= SELECT_MAX_PIDS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d", i);
	expect_err(many, -EINVAL, "at most 64 pids");
	expect_err("comm=0123456789abcdef", -EINVAL, "comm must be 1 to 15 bytes");
	expect_err("uid=-1", -EINVAL, "invalid uid");
	expect_err("uid=4294967295", -EINVAL, "invalid uid");
	expect_err("unit=..", -EINVAL, "invalid unit name");
	expect_err("unit=a/b.service", -EINVAL, "invalid unit name");
	expect_err("cgroup=system.slice", -EINVAL, "absolute cgroup path");
	expect_err("container=012", -EINVAL, "4 to 64 lowercase hex");
	expect_err("container=0123ABCD", -EINVAL, "4 to 64 lowercase hex");
	expect_err("container=" CID "0", -EINVAL, "4 to 64 lowercase hex");
	expect_err("all=2", -EINVAL, "all must be 0 or 1");
	expect_err("comm=a%2", -EINVAL, "invalid %-escape in comm");
	expect_err("cmdline=a%zz", -EINVAL, "invalid %-escape in cmdline");
	expect_err("unit=a%00.service", -EINVAL, "invalid %-escape in unit");
	expect_err("cgroup=/a%2", -EINVAL, "invalid %-escape in cgroup");
	expect_err("pid=1 per_process=yes", -EINVAL, "per_process must be 0 or 1");
	/* regerror()'s words for what regcomp() refuses. */
	expect_err("cmdline=(worker", -EINVAL, "invalid cmdline pattern: Unmatched ( or \\(");
	expect_err("cmdline=[a-", -EINVAL, "invalid cmdline pattern: Unmatched [");
	expect_err("cmdline=*x", -EINVAL, "invalid cmdline pattern");
	/* What could cost the daemon unbounded time or memory is refused before regcomp(). */
	expect_err("cmdline=(a)\\1", -EINVAL, "back-references are not supported");
	expect_err("cmdline=((a{32}){32})", -EINVAL, "multiply past 1024");
	expect_err("cmdline=a{99999}", -EINVAL, "multiply past 1024");
	memset(longre + 8, 'a', SELECT_MAX_REGEX + 1);
	expect_err(longre, -EINVAL, "longer than 256 bytes");
}

TEST(regex_edge_cases)
{
	struct rec r[NR_RECS];

	make_recs(r);
	/* '{' and '\\1' inside a bracket expression are literal: not counted, not refused. */
	expect_match("cmdline=[{}]", r, NR_RECS, "00000");
	expect_match("cmdline=[\\1]", r, NR_RECS, "00000");
	expect_match("cmdline=^[[:alpha:]/]{6}[[:digit:]]", r, NR_RECS, "11010");
	expect_match("cmdline=n[[:digit:]]{1}[[:space:]]/", r, NR_RECS, "00100");
	expect_match("cmdline=a{1,31}", r, NR_RECS, "10100");
	free_recs(r);
}

TEST(root_name)
{
	struct strbuf sb = { 0 };
	char line[SELECT_ROOT_CMDLINE_MAX + 40];
	struct rec r;

	rec_init(&r, 4242, "python3", "python3 worker.py --queue a", 0, NULL);
	ASSERT_OK(selector__root_name(&r.p, &sb));
	ASSERT_STREQ(sb.buf, "4242 python3 worker.py --queue a");
	/* Another user's argv: no control byte reaches a terminal or a folded line. */
	strbuf__reset(&sb);
	r.p.cmdline = "evil\033]0;title\007\nx";
	ASSERT_OK(selector__root_name(&r.p, &sb));
	ASSERT_STREQ(sb.buf, "4242 evil\\x1b]0;title\\x07\\x0ax");
	/* No command line known: the comm. */
	strbuf__reset(&sb);
	r.p.cmdline = NULL;
	ASSERT_OK(selector__root_name(&r.p, &sb));
	ASSERT_STREQ(sb.buf, "4242 python3");
	/* A long one is cut, never inside a character. */
	strbuf__reset(&sb);
	memset(line, 'a', SELECT_ROOT_CMDLINE_MAX - 1);
	strcpy(line + SELECT_ROOT_CMDLINE_MAX - 1, "\xc3\xa9tail");
	r.p.cmdline = line;
	ASSERT_OK(selector__root_name(&r.p, &sb));
	ASSERT_EQ(sb.len, 5 + SELECT_ROOT_CMDLINE_MAX - 1 + 3);
	ASSERT_STREQ(sb.buf + sb.len - 4, "a...");
	strbuf__done(&sb);
	rec_done(&r);
}

/*
 * A pattern glibc matches in quadratic time, against long command lines: the
 * request's matching stops at the budget and nothing matches; a plain pattern
 * over the same lines stays far within it.
 */
TEST(slow_patterns_stop_at_the_budget)
{
	static char line[4097];
	struct rec r[16];
	struct selector s;
	char err[256];
	size_t tried = 0;

	memset(line, 'a', sizeof(line) - 1);
	for (size_t i = 0; i < 16; i++)
		rec_init(&r[i], 100 + (int)i, "python3", line, 0, NULL);
	ASSERT_OK(parse(&s, "cmdline=a$", err, sizeof(err)));
	for (size_t i = 0; i < 16; i++)
		ASSERT_TRUE(selector__match(&s, &r[i].p));
	ASSERT_TRUE(!s.too_slow && s.regex_ns < SELECT_REGEX_BUDGET_NS / 10);
	selector__done(&s);
	ASSERT_OK(parse(&s, "cmdline=(a|aa)*b", err, sizeof(err)));
	for (size_t i = 0; i < 16 && !s.too_slow; i++, tried++)
		ASSERT_TRUE(!selector__match(&s, &r[i].p));
	printf("  %zu matches took %llu ms\n", tried, (unsigned long long)(s.regex_ns / 1000000));
	ASSERT_TRUE(s.too_slow);
	/* Over the budget nothing matches, not even what would. */
	r[15].p.cmdline = "b";
	ASSERT_TRUE(!selector__match(&s, &r[15].p));
	selector__done(&s);
	for (size_t i = 0; i < 16; i++)
		rec_done(&r[i]);
}
