// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* util: checked parsing of numbers and durations from the command line and the socket. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/util.h"

int parse_int_range(const char *s, long long min, long long max, long long *ret)
{
	const char *p = s;
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	if (*p == '-')
		p++;
	/* strtoll accepts leading blanks and '+': a number here is digits only. */
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

__u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) < 0)
		return 0;
	return timespec_to_ns(&ts);
}

int parse_duration_ns(const char *s, __u64 *ret_ns)
{
	static const struct {
		const char *suffix;
		__u64 ns;
	} units[] = {
		{ "us", NSEC_PER_USEC },	  { "ms", NSEC_PER_MSEC },	 { "s", NSEC_PER_SEC },	 { "m", 60 * NSEC_PER_SEC },
		{ "h", 3600 * NSEC_PER_SEC },	  { "d", 86400 * NSEC_PER_SEC }, { "", NSEC_PER_SEC },
	};
	const __u64 max_ns = 100ull * 365 * 86400 * NSEC_PER_SEC;
	const char *p = s;
	__u64 v = 0;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > max_ns)
			return -ERANGE;
		v = v * 10 + (__u64)(*p - '0');
	}
	if (v == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v > max_ns / units[i].ns)
			return -ERANGE;
		*ret_ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

__u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

int slots__reserve(size_t **slots, size_t *nr_slots, size_t nr,
		   __u64 (*hash)(const void *ctx, size_t i), const void *ctx)
{
	size_t n = *nr_slots ? *nr_slots * 2 : 256;
	size_t *v;

	if ((nr + 1) * 4 <= *nr_slots * 3)
		return 0;
	if (n > (size_t)-1 / sizeof(*v))
		return -ENOMEM;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		size_t s = hash(ctx, i) & (n - 1);

		while (v[s])
			s = (s + 1) & (n - 1);
		v[s] = i + 1;
	}
	free(*slots);
	*slots = v;
	*nr_slots = n;
	return 0;
}

int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > ((size_t)-1 / 2) / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

int fd__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}
