// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "base/timeparse.h"
#include "base/util.h"

/* Seconds a 64-bit ns count since the epoch holds (up to 2554). */
#define MAX_SECONDS ((long long)(UINT64_MAX / NSEC_PER_SEC) - 1)

/* A wall-clock time as written; offset_s valid when zoned. */
struct civil {
	int year, mon, day, hour, min, sec;
	__u64 frac_ns;
	bool zoned;
	long offset_s;
};

/* Exactly n decimal digits at *p into *ret, moving *p past them. */
static bool digits(const char **p, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long long days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* HH:MM[:SS[.fraction]] at *p. */
static bool clock_part(const char **p, struct civil *c)
{
	if (!digits(p, 2, &c->hour) || **p != ':')
		return false;
	(*p)++;
	if (!digits(p, 2, &c->min))
		return false;
	if (**p == ':') {
		(*p)++;
		if (!digits(p, 2, &c->sec))
			return false;
		if (**p == '.' || **p == ',') {
			__u64 scale = NSEC_PER_SEC / 10;

			(*p)++;
			if (**p < '0' || **p > '9')
				return false;
			for (; **p >= '0' && **p <= '9'; (*p)++, scale /= 10)
				c->frac_ns += (__u64)(**p - '0') * scale;
		}
	}
	return c->hour <= 23 && c->min <= 59 && c->sec <= 59;
}

/* Z, ±HH, ±HHMM or ±HH:MM at p, and nothing after. */
static bool zone_part(const char *p, struct civil *c)
{
	int h, m = 0, sign;

	if (!*p)
		return true;
	c->zoned = true;
	if (p[0] == 'Z' || p[0] == 'z')
		return !p[1];
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h))
		return false;
	if (*p == ':')
		p++;
	if (*p && !digits(&p, 2, &m))
		return false;
	c->offset_s = sign * (h * 3600L + m * 60L);
	return !*p && h <= 23 && m <= 59;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][zone] */
static bool iso_civil(const char *p, struct civil *c)
{
	if (!digits(&p, 4, &c->year) || *p++ != '-' || !digits(&p, 2, &c->mon) || *p++ != '-' ||
	    !digits(&p, 2, &c->day))
		return false;
	if (c->mon < 1 || c->mon > 12 || c->day < 1 || c->day > days_in_month(c->year, c->mon))
		return false;
	if (!*p)
		return true;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	return clock_part(&p, c) && zone_part(p, c);
}

/* Seconds since the epoch of c, its zone's or local time's.  -EINVAL, -ERANGE. */
static int civil_seconds(const struct civil *c, long long *ret)
{
	struct tm tm = { .tm_year = c->year - 1900, .tm_mon = c->mon - 1, .tm_mday = c->day,
			 .tm_hour = c->hour, .tm_min = c->min, .tm_sec = c->sec, .tm_isdst = -1 };
	time_t t;

	if (c->zoned) {
		*ret = days_from_civil(c->year, c->mon, c->day) * 86400 + c->hour * 3600LL +
		       c->min * 60LL + c->sec - c->offset_s;
		return 0;
	}
	t = mktime(&tm);
	/* -1 is also 1969-12-31 23:59:59 UTC: before the epoch either way. */
	if (t == (time_t)-1)
		return -ERANGE;
	*ret = (long long)t;
	return 0;
}

/* "-DUR" or "DUR ago": now minus a duration. */
static int relative(const char *s, __u64 now_ns, __u64 *ret_ns)
{
	char buf[TIMEPARSE_MAX_LEN + 1];
	size_t n = strlen(s);
	__u64 d;
	int r;

	if (s[0] == '-') {
		r = parse_duration_ns(s + 1, &d);
	} else if (n > 4 && strcmp(s + n - 4, " ago") == 0) {
		memcpy(buf, s, n - 4);
		buf[n - 4] = '\0';
		r = parse_duration_ns(buf, &d);
	} else {
		return -EINVAL;
	}
	if (r)
		return r;
	if (d > now_ns)
		return -ERANGE;
	*ret_ns = now_ns - d;
	return 0;
}

int timeparse__instant(const char *s, __u64 now_ns, __u64 *ret_ns)
{
	struct civil c = { 0 };
	long long secs;
	const char *p = s;
	int r;

	if (!s || !*s || strlen(s) > TIMEPARSE_MAX_LEN)
		return -EINVAL;
	if (strcmp(s, "now") == 0) {
		*ret_ns = now_ns;
		return 0;
	}
	if (s[0] == '-' || (strchr(s, ' ') && !strchr(s, ':')))
		return relative(s, now_ns, ret_ns);
	if (strlen(s) >= 10 && s[4] == '-') {
		if (!iso_civil(s, &c))
			return -EINVAL;
	} else {
		/* A time of day: today's date where the time zone says it is now. */
		time_t now_s = (time_t)(now_ns / NSEC_PER_SEC);
		struct tm today;

		if (!clock_part(&p, &c) || *p || !localtime_r(&now_s, &today))
			return -EINVAL;
		c.year = today.tm_year + 1900;
		c.mon = today.tm_mon + 1;
		c.day = today.tm_mday;
	}
	r = civil_seconds(&c, &secs);
	if (r)
		return r;
	if (secs < 0 || secs > MAX_SECONDS)
		return -ERANGE;
	*ret_ns = (__u64)secs * NSEC_PER_SEC + c.frac_ns;
	return 0;
}
