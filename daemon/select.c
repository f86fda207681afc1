// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: selectors, which process records a request is about (select.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "proto/proto.h"
#include "clock.h"
#include "pyproc.h"
#include "select.h"

static const char *const select_keys[] = {
	"pid", "comm", "cmdline", "uid", "unit", "cgroup", "container", "all", "per_process", NULL,
};

bool selector__is_key(const char *key)
{
	for (const char *const *k = select_keys; *k; k++)
		if (strcmp(key, *k) == 0)
			return true;
	return false;
}

/*
 * The value of key, its %XX escapes decoded into buf (a value has no space
 * nor byte outside printable ASCII: those, and '%', come as %XX).  NULL when
 * key is absent; -EINVAL in *ret_err for a malformed escape or a NUL.
 */
static const char *get_text(const struct proto_request *req, const char *key, char *buf,
			    size_t sz, int *ret_err, char *err, size_t errsz)
{
	const char *v = proto_request__get(req, key);
	size_t n = 0;

	if (!v || *ret_err)
		return NULL;
	for (; *v && n + 1 < sz; v++) {
		int hi, lo;

		if (*v != '%') {
			buf[n++] = *v;
			continue;
		}
		hi = hex_digit(v[1]);
		lo = hi < 0 ? -1 : hex_digit(v[2]);
		if (lo < 0 || (hi | lo) == 0) {
			snprintf(err, errsz, "invalid %%-escape in %s", key);
			*ret_err = -EINVAL;
			return NULL;
		}
		buf[n++] = (char)(hi << 4 | lo);
		v += 2;
	}
	buf[n] = '\0';
	return buf;
}

/* pid=N[,M...] into s->pids.  0 or -EINVAL. */
static int parse_pids(struct selector *s, const char *v, char *err, size_t errsz)
{
	char num[16];
	long long pid;

	for (;;) {
		size_t len = strcspn(v, ",");

		if (!len || len >= sizeof(num))
			break;
		memcpy(num, v, len);
		num[len] = '\0';
		if (parse_int_range(num, 1, 0x7fffffff, &pid) < 0)
			break;
		if (s->nr_pids >= SELECT_MAX_PIDS) {
			snprintf(err, errsz, "pid lists at most %d pids", SELECT_MAX_PIDS);
			return -EINVAL;
		}
		s->pids[s->nr_pids++] = (int)pid;
		if (!v[len])
			return 0;
		v += len + 1;
	}
	/* One pid keeps the error it always had. */
	snprintf(err, errsz, "invalid pid");
	return -EINVAL;
}

/*
 * The bracket expression starting at p[0] == '[' (POSIX: a ']' first is
 * literal, as are characters in [:class:], [=e=], [.c.]): where it ends, or
 * NULL when it does not (regcomp() names that error).
 */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char close = p[1];

			for (p += 2; *p && !(*p == close && p[1] == ']'); p++)
				;
			if (!*p)
				return NULL;
			p++;
		}
	}
	return *p ? p : NULL;
}

/*
 * What regcomp() would be asked that costs more than the pattern's length
 * suggests: a back-reference (glibc's ERE has them; matching with them can
 * take exponential time) or repeat counts that multiply past
 * SELECT_MAX_REPEAT (each interval copies its atom, nested ones multiply).
 * NULL when there is none.
 */
static const char *costly_regex(const char *re)
{
	unsigned long long product = 1;

	for (const char *p = re; *p; p++) {
		unsigned long long n = 0, m;
		const char *q;

		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return "back-references are not supported";
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			q = bracket_end(p);
			if (!q)
				return NULL;
			p = q;
		} else if (*p == '{') {
			for (q = p + 1; *q >= '0' && *q <= '9' && n <= SELECT_MAX_REPEAT; q++)
				n = n * 10 + (unsigned long long)(*q - '0');
			m = n;
			if (*q == ',') {
				m = 0;
				for (q++; *q >= '0' && *q <= '9' && m <= SELECT_MAX_REPEAT; q++)
					m = m * 10 + (unsigned long long)(*q - '0');
				m = m > n ? m : n;
			}
			product *= m + 1;
			if (product > SELECT_MAX_REPEAT)
				return "repeat counts {n,m} multiply past 1024";
		}
	}
	return NULL;
}

static int parse_cmdline(struct selector *s, const char *v, char *err, size_t errsz)
{
	const char *why;
	char msg[256];
	int r;

	if (strlen(v) > SELECT_MAX_REGEX) {
		snprintf(err, errsz, "cmdline pattern longer than %d bytes", SELECT_MAX_REGEX);
		return -EINVAL;
	}
	why = costly_regex(v);
	if (why) {
		snprintf(err, errsz, "invalid cmdline pattern: %s", why);
		return -EINVAL;
	}
	r = regcomp(&s->cmdline, v, REG_EXTENDED | REG_NOSUB);
	if (r == REG_ESPACE)
		return -ENOMEM;
	if (r) {
		regerror(r, &s->cmdline, msg, sizeof(msg));
		snprintf(err, errsz, "invalid cmdline pattern: %s", msg);
		return -EINVAL;
	}
	s->has_cmdline = true;
	return 0;
}

/* A unit name as cgroup paths have it: no '/', printable, not empty. */
static bool valid_unit(const char *v)
{
	if (!*v || strlen(v) > 255 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return false;
	for (; *v; v++)
		if (*v == '/' || *v <= ' ' || *v == 0x7f)
			return false;
	return true;
}

/* cgroup=PATH: absolute, kept without trailing '/' ("/" itself stays: every cgroup). */
static int parse_cgroup(struct selector *s, const char *v, char *err, size_t errsz)
{
	size_t len = strlen(v);

	if (v[0] != '/' || len > PROCLABEL_MAX_VALUE) {
		snprintf(err, errsz, "cgroup must be an absolute cgroup path (list --wide's)");
		return -EINVAL;
	}
	while (len > 1 && v[len - 1] == '/')
		len--;
	s->cgroup = strndup(v, len);
	return s->cgroup ? 0 : -ENOMEM;
}

static int parse_container(struct selector *s, const char *v, char *err, size_t errsz)
{
	size_t len = strlen(v);
	bool hex = true;

	for (size_t i = 0; i < len; i++)
		hex = hex && ((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f'));
	if (!hex || len < SELECT_CONTAINER_MIN || len > SELECT_CONTAINER_MAX) {
		snprintf(err, errsz, "container must be %d to %d lowercase hex digits of an id",
			 SELECT_CONTAINER_MIN, SELECT_CONTAINER_MAX);
		return -EINVAL;
	}
	s->container = strdup(v);
	return s->container ? 0 : -ENOMEM;
}

/* A 0-or-1 key into *ret; absent: false.  0 or -EINVAL. */
static int parse_flag(const struct proto_request *req, const char *key, bool *ret, char *err,
		      size_t errsz)
{
	__u64 v = 0;

	if (proto_request__get_u64(req, key, 0, 1, &v) == -EINVAL) {
		snprintf(err, errsz, "%s must be 0 or 1", key);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* The keys whose values are names: comm, uid, unit. */
static int parse_names(struct selector *s, const struct proto_request *req, char *err,
		       size_t errsz)
{
	char buf[PROTO_MAX_VALUE];
	const char *v;
	__u64 uid;
	int r = 0, has;

	v = get_text(req, "comm", buf, sizeof(buf), &r, err, errsz);
	if (r)
		return r;
	if (v) {
		/* TASK_COMM_LEN with its NUL: a longer name would never match. */
		if (!*v || strlen(v) > PYPROF_COMM_LEN - 1) {
			snprintf(err, errsz, "comm must be 1 to %d bytes (the kernel cuts "
					     "process names there)", PYPROF_COMM_LEN - 1);
			return -EINVAL;
		}
		snprintf(s->comm, sizeof(s->comm), "%s", v);
		s->has_comm = true;
	}
	has = proto_request__get_u64(req, "uid", 0, PYPROFD_UID_NONE - 1, &uid);
	if (has == -EINVAL) {
		snprintf(err, errsz, "invalid uid");
		return has;
	}
	s->has_uid = has == 0;
	s->uid = (__u32)uid;
	v = get_text(req, "unit", buf, sizeof(buf), &r, err, errsz);
	if (r)
		return r;
	if (v && !valid_unit(v)) {
		snprintf(err, errsz, "invalid unit name");
		return -EINVAL;
	}
	if (v) {
		s->unit = strdup(v);
		if (!s->unit)
			return -ENOMEM;
	}
	return 0;
}

int selector__parse(struct selector *s, const struct proto_request *req, char *err,
		    size_t errsz)
{
	char buf[PROTO_MAX_VALUE];
	const char *v;
	int r;

	memset(s, 0, sizeof(*s));
	v = proto_request__get(req, "pid");
	r = v ? parse_pids(s, v, err, errsz) : 0;
	r = r ?: parse_names(s, req, err, errsz);
	v = get_text(req, "cgroup", buf, sizeof(buf), &r, err, errsz);
	r = r ?: (v ? parse_cgroup(s, v, err, errsz) : 0);
	v = proto_request__get(req, "container");
	r = r ?: (v ? parse_container(s, v, err, errsz) : 0);
	r = r ?: parse_flag(req, "all", &s->all, err, errsz) ?:
	    parse_flag(req, "per_process", &s->per_process, err, errsz);
	/* Last: compiling is the costly step, worth doing once every other key is valid. */
	v = get_text(req, "cmdline", buf, sizeof(buf), &r, err, errsz);
	r = r ?: (v ? parse_cmdline(s, v, err, errsz) : 0);
	s->any = s->nr_pids || s->has_comm || s->has_cmdline || s->has_uid || s->unit ||
		 s->cgroup || s->container || s->all;
	if (!r && !s->any) {
		snprintf(err, errsz, "pid is required");
		r = -ENOENT;
	}
	if (r)
		selector__done(s);
	return r;
}

bool selector__single_pid(const struct selector *s)
{
	return s->nr_pids == 1 && !s->has_comm && !s->has_cmdline && !s->has_uid && !s->unit &&
	       !s->cgroup && !s->container && !s->all;
}

static bool match_pid(const struct selector *s, int pid)
{
	for (size_t i = 0; i < s->nr_pids; i++)
		if (s->pids[i] == pid)
			return true;
	return !s->nr_pids;
}

/* The process's cgroup is s's or below it. */
static bool match_cgroup(const char *want, const char *have)
{
	size_t n = strlen(want);

	if (!have)
		return false;
	if (strcmp(want, "/") == 0)
		return have[0] == '/';
	return strncmp(have, want, n) == 0 && (have[n] == '\0' || have[n] == '/');
}

/* regexec() on the command line, within the request's budget. */
static bool match_cmdline(struct selector *s, const char *cmdline)
{
	__u64 t0;
	bool hit;

	if (s->too_slow || !cmdline)
		return false;
	t0 = now_ns();
	hit = regexec(&s->cmdline, cmdline, 0, NULL, 0) == 0;
	s->regex_ns += now_ns() - t0;
	s->too_slow = s->regex_ns > SELECT_REGEX_BUDGET_NS;
	return hit && !s->too_slow;
}

bool selector__match(struct selector *s, const struct pyproc *p)
{
	const char *container = proclabel__get(p->labels, p->nr_labels, "container"),
		   *unit = proclabel__get(p->labels, p->nr_labels, "unit");

	if (!match_pid(s, p->pid) || (s->has_comm && strcmp(s->comm, p->comm)) ||
	    (s->has_uid && p->user != s->uid))
		return false;
	if ((s->unit && (!unit || strcmp(unit, s->unit))) ||
	    (s->container && (!container || strncmp(container, s->container,
						    strlen(s->container)))))
		return false;
	if (s->cgroup && !match_cgroup(s->cgroup,
				       proclabel__get(p->labels, p->nr_labels, "cgroup")))
		return false;
	/* Last, the costly one.  An unknown command line matches no pattern, not even "". */
	return !s->has_cmdline || match_cmdline(s, p->cmdline);
}

/* Bytes of s that fit max, not splitting a character. */
static size_t fit_chars(const char *s, size_t max)
{
	size_t i = 0, len = strlen(s);

	while (i < len) {
		bool valid;
		size_t n = utf8__char((const unsigned char *)s + i, len - i, &valid);

		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

int selector__root_name(const struct pyproc *p, struct strbuf *out)
{
	const char *what = p->cmdline && *p->cmdline ? p->cmdline : p->comm;
	size_t len = fit_chars(what, SELECT_ROOT_CMDLINE_MAX);

	return strbuf__printf(out, "%d ", p->pid) ?: term__put_text(out, what, len, NULL) ?:
	       strbuf__puts(out, len < strlen(what) ? "..." : "");
}

void selector__done(struct selector *s)
{
	if (s->has_cmdline)
		regfree(&s->cmdline);
	free(s->unit);
	free(s->cgroup);
	free(s->container);
	memset(s, 0, sizeof(*s));
}
