// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pyprofctl's selector options, shared by the verbs that take a profile
 * (snapshot, --lines, top, diff): which processes, as request keys
 * (proto.h), and what to call the selection in titles and notes.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "ctl.h"

/* --user NAME or UID: resolved here, the daemon matches uids.  0 or -1. */
static int user_option(const char *arg, struct ctl_select *cs)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	long long uid;

	if (parse_int_range(arg, 0, 0xfffffffe, &uid) == 0) {
		cs->uid = uid;
	} else if (getpwnam_r(arg, &pw, buf, sizeof(buf), &res) == 0 && res) {
		cs->uid = res->pw_uid;
	} else {
		fprintf(stderr, "pyprofctl: unknown --user '%s' (a user name or a uid)\n", arg);
		return -1;
	}
	cs->user = arg;
	cs->has_user = true;
	return 0;
}

/* --unit NAME: without a unit type, a service, as systemctl takes it ("billing"). */
static int unit_option(const char *arg, struct ctl_select *cs)
{
	static const char *const types[] = { "service", "socket", "target",  "device", "mount",
					     "automount", "swap", "timer", "path", "slice",
					     "scope" };
	const char *dot = strrchr(arg, '.');
	bool typed = false;

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		typed = typed || strcmp(dot + 1, types[i]) == 0;
	if (!*arg || (size_t)snprintf(cs->unit, sizeof(cs->unit), "%s%s", arg,
				      typed ? "" : ".service") >= sizeof(cs->unit)) {
		fprintf(stderr, "pyprofctl: invalid --unit '%s'\n", arg);
		cs->unit[0] = '\0';
		return -1;
	}
	return 0;
}

/* An option's argument: not empty. */
static int text_option(const char *opt, const char *arg, const char **ret)
{
	if (!*arg) {
		fprintf(stderr, "pyprofctl: empty --%s\n", opt);
		return -1;
	}
	*ret = arg;
	return 0;
}

int select_option(int c, const char *arg, struct ctl_select *cs)
{
	switch (c) {
	case 'p':
		return opt_id_list("pid", arg, cs->pids, &cs->nr_pids, CTL_MAX_PIDS, "process",
				   "processes") ? -1 : 1;
	case OPT_SEL_COMM:
		return text_option("comm", arg, &cs->comm) ? -1 : 1;
	case OPT_SEL_CMDLINE:
		return text_option("cmdline", arg, &cs->cmdline) ? -1 : 1;
	case OPT_SEL_USER:
		return user_option(arg, cs) ? -1 : 1;
	case OPT_SEL_UNIT:
		return unit_option(arg, cs) ? -1 : 1;
	case OPT_SEL_CGROUP:
		return text_option("cgroup", arg, &cs->cgroup) ? -1 : 1;
	case OPT_SEL_CONTAINER:
		return text_option("container", arg, &cs->container) ? -1 : 1;
	case OPT_SEL_ALL:
		cs->all = true;
		return 1;
	case OPT_SEL_PER_PROCESS:
		cs->per_process = true;
		return 1;
	default:
		return 0;
	}
}

bool ctl_select__any(const struct ctl_select *cs)
{
	return cs->nr_pids || cs->comm || cs->cmdline || cs->has_user || cs->unit[0] ||
	       cs->cgroup || cs->container || cs->all;
}

bool ctl_select__single_pid(const struct ctl_select *cs)
{
	return cs->nr_pids == 1 && !cs->comm && !cs->cmdline && !cs->has_user && !cs->unit[0] &&
	       !cs->cgroup && !cs->container && !cs->all;
}

/* key=s with a space, '%' and bytes outside printable ASCII as %XX (proto.h).  0 or -1. */
static int add_text(struct proto_request *req, const char *key, const char *opt, const char *s)
{
	char v[PROTO_MAX_VALUE];
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 4 > sizeof(v)) {
			fprintf(stderr, "pyprofctl: --%s is too long\n", opt);
			return -1;
		}
		if (c <= ' ' || c >= 0x7f || c == '%')
			n += (size_t)snprintf(v + n, sizeof(v) - n, "%%%02X", c);
		else
			v[n++] = (char)c;
	}
	v[n] = '\0';
	if (proto_request__add(req, key, v)) {
		fprintf(stderr, "pyprofctl: invalid --%s\n", opt);
		return -1;
	}
	return 0;
}

/* pid=N[,M...] */
static int add_pids(const struct ctl_select *cs, struct proto_request *req)
{
	char v[CTL_MAX_PIDS * 12];
	size_t n = 0;

	for (size_t i = 0; i < cs->nr_pids; i++)
		n += (size_t)snprintf(v + n, sizeof(v) - n, "%s%d", i ? "," : "", cs->pids[i]);
	return proto_request__add(req, "pid", v) ? -1 : 0;
}

int ctl_select__add_keys(const struct ctl_select *cs, struct proto_request *req)
{
	char uid[16];
	int r = 0;

	if (cs->nr_pids)
		r = add_pids(cs, req);
	if (!r && cs->comm)
		r = add_text(req, "comm", "comm", cs->comm);
	if (!r && cs->cmdline)
		r = add_text(req, "cmdline", "cmdline", cs->cmdline);
	if (!r && cs->has_user) {
		snprintf(uid, sizeof(uid), "%lld", cs->uid);
		r = proto_request__add(req, "uid", uid) ? -1 : 0;
	}
	if (!r && cs->unit[0])
		r = add_text(req, "unit", "unit", cs->unit);
	if (!r && cs->cgroup)
		r = add_text(req, "cgroup", "cgroup", cs->cgroup);
	if (!r && cs->container)
		r = add_text(req, "container", "container", cs->container);
	if (!r && cs->all)
		r = proto_request__add(req, "all", "1") ? -1 : 0;
	if (!r && cs->per_process)
		r = proto_request__add(req, "per_process", "1") ? -1 : 0;
	/* How many processes a set is; a single --pid asks what every pyprofd knows. */
	if (!r && !ctl_select__single_pid(cs))
		r = proto_request__add(req, "processes", "1") ? -1 : 0;
	return r ? -EINVAL : 0;
}

/* ", what 'value'" pieces of the description. */
static int describe_item(struct strbuf *sb, const char *what, const char *value)
{
	return strbuf__printf(sb, "%s%s ", sb->len ? ", " : "", what) ?:
	       term__put_text(sb, value, strlen(value), NULL);
}

void ctl_select__describe(const struct ctl_select *cs, const struct reply *rep, char *buf,
			  size_t sz)
{
	struct strbuf sb = { 0 };
	int r = 0;

	for (size_t i = 0; i < cs->nr_pids && !r; i++)
		r = strbuf__printf(&sb, "%s%d", i ? "," : cs->nr_pids > 1 ? "pids " : "pid ",
				   cs->pids[i]);
	r = r ?: cs->comm ? describe_item(&sb, "comm", cs->comm) : 0;
	r = r ?: cs->cmdline ? describe_item(&sb, "command lines matching", cs->cmdline) : 0;
	r = r ?: cs->has_user ? describe_item(&sb, "user", cs->user) : 0;
	r = r ?: cs->unit[0] ? describe_item(&sb, "unit", cs->unit) : 0;
	r = r ?: cs->cgroup ? describe_item(&sb, "cgroup", cs->cgroup) : 0;
	r = r ?: cs->container ? describe_item(&sb, "container", cs->container) : 0;
	if (!r && cs->all)
		r = strbuf__printf(&sb, "%sall processes", sb.len ? ", " : "");
	if (!r && rep && rep->has_processes)
		r = strbuf__printf(&sb, ", %lld process%s", rep->processes,
				   rep->processes == 1 ? "" : "es");
	snprintf(buf, sz, "%s", !r && sb.buf ? sb.buf : "the selection");
	strbuf__done(&sb);
}
