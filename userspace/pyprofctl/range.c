// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofctl's range options, one code path for snapshot and diff's sides. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "base/timeparse.h"
#include "base/util.h"
#include "render/formats.h"
#include "ctl.h"

/* What --seconds means when nothing else bounds the range (the daemon's default too). */
#define RANGE_DEFAULT_NS (60 * NSEC_PER_SEC)
#define RANGE_MAX_NS (100ull * 365 * 86400 * NSEC_PER_SEC)

static const char *const time_forms =
	"ISO 8601 like 2026-12-02T10:02:00Z or 2026-12-02 10:02 (local), HH:MM[:SS] today, "
	"-15m, '2h ago' or now";

static int range_time(const char *opt, const char *arg, __u64 *ret)
{
	int r = timeparse__instant(arg, wall_now_ns(), ret);

	if (r == 0 && *ret > wall_now_ns()) {
		fprintf(stderr, "pyprofctl: --%s '%s' is in the future\n", opt, arg);
		return -1;
	}
	if (r == -ERANGE)
		fprintf(stderr, "pyprofctl: --%s '%s' is out of the clock's range\n", opt, arg);
	else if (r)
		fprintf(stderr, "pyprofctl: invalid --%s '%s' (%s)\n", opt, arg, time_forms);
	return r ? -1 : 0;
}

int range_option(int c, const char *arg, struct ctl_range *r)
{
	switch (c) {
	case 'S':
		if (parse_duration_ns(arg, &r->seconds_ns) || r->seconds_ns > RANGE_MAX_NS ||
		    r->seconds_ns < NSEC_PER_SEC) {
			fprintf(stderr, "pyprofctl: invalid --seconds '%s' (a duration of 1 s at "
					"least: 30, 30s, 5m, 1h, 2d)\n", arg);
			return -1;
		}
		return 1;
	case OPT_RANGE_SINCE:
		return range_time("since", arg, &r->since_ns) ? -1 : 1;
	case OPT_RANGE_UNTIL:
		return range_time("until", arg, &r->until_ns) ? -1 : 1;
	default:
		return 0;
	}
}

static int add_u64(struct proto_request *req, const char *key, __u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return proto_request__add(req, key, buf) ? EXIT_USAGE : 0;
}

int range__request(const struct ctl_range *r, struct proto_request *req)
{
	__u64 from, to;

	if (!r->since_ns && !r->until_ns)
		/* Whole seconds back from now, the partial current one included. */
		return r->seconds_ns ? add_u64(req, "seconds", (r->seconds_ns + NSEC_PER_SEC - 1) /
							       NSEC_PER_SEC) : 0;
	if (r->since_ns && r->until_ns && r->seconds_ns) {
		fprintf(stderr, "pyprofctl: --since, --until and --seconds: two of them at most\n");
		return EXIT_USAGE;
	}
	from = r->since_ns;
	to = r->until_ns;
	if (!from)
		from = to > (r->seconds_ns ?: RANGE_DEFAULT_NS) ? to - (r->seconds_ns ?: RANGE_DEFAULT_NS)
								 : 0;
	if (!to && r->seconds_ns)
		to = from + r->seconds_ns;
	if (to && to <= from) {
		fprintf(stderr, "pyprofctl: the range is empty: --since must be before --until\n");
		return EXIT_USAGE;
	}
	return add_u64(req, "from_wall_ns", from) ?: (to ? add_u64(req, "to_wall_ns", to) : 0);
}

void range__meta(const struct ctl_range *r, const struct reply *rep, struct fmt_meta *m)
{
	__u64 mono = mono_now_ns(), wall = wall_now_ns();

	m->duration_ns = r->seconds_ns ?: RANGE_DEFAULT_NS;
	m->end_unix_ns = r->until_ns ?: wall;
	if (r->since_ns)
		m->duration_ns = m->end_unix_ns > r->since_ns ? m->end_unix_ns - r->since_ns : 0;
	if (rep->has_wall && rep->to_wall_ns > rep->from_wall_ns) {
		m->duration_ns = (__u64)(rep->to_wall_ns - rep->from_wall_ns);
		m->end_unix_ns = (__u64)rep->to_wall_ns;
	} else if (rep->has_range && rep->to_ns > rep->from_ns) {
		/* An older daemon: its range on CLOCK_MONOTONIC only. */
		m->duration_ns = (__u64)(rep->to_ns - rep->from_ns);
		if (mono > (__u64)rep->to_ns && wall > mono - (__u64)rep->to_ns)
			m->end_unix_ns = wall - (mono - (__u64)rep->to_ns);
	}
	m->seconds = (m->duration_ns + NSEC_PER_SEC / 2) / NSEC_PER_SEC;
}

void range__describe(const struct fmt_meta *m, char *buf, size_t sz)
{
	__u64 d = m->duration_ns ?: m->seconds * NSEC_PER_SEC,
	      t[2] = { m->end_unix_ns > d ? m->end_unix_ns - d : 0, m->end_unix_ns };
	char s[2][32];

	for (int i = 0; i < 2; i++) {
		time_t secs = (time_t)(t[i] / NSEC_PER_SEC);
		struct tm tm;

		if (!gmtime_r(&secs, &tm) || !strftime(s[i], sizeof(s[i]), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(s[i], sizeof(s[i]), "?");
	}
	snprintf(buf, sz, "%s to %s, %.1f s", s[0], s[1], d / 1e9);
}
