/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* util: checked parsing of numbers and durations from the command line and the socket. */
#ifndef PYPROF_UTIL_H
#define PYPROF_UTIL_H

#include <linux/types.h>

/*
 * Parses a whole decimal integer (optional leading '-', no spaces, no
 * junk) within [min, max].  Returns 0, -EINVAL for junk or an empty string,
 * -ERANGE when out of range.  *ret is only written on success.
 */
int parse_int_range(const char *s, long long min, long long max, long long *ret);

/*
 * Parses a duration: a positive whole number with an optional unit, "ms",
 * "s" (the default), "m", "h" or "d": "3600", "90m", "1h", "2d", "500ms".
 * Returns 0 with nanoseconds in *ret_ns, -EINVAL, or -ERANGE (above 100 years).
 */
int parse_duration_ns(const char *s, __u64 *ret_ns);

/* Value of a hexadecimal digit, or -1. */
int hex_digit(char c);

#endif /* PYPROF_UTIL_H */
