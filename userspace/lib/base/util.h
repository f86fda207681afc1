/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* util: time units and clocks, checked parsing of numbers and durations, hashing, arrays. */
#ifndef PYPROF_UTIL_H
#define PYPROF_UTIL_H

#include <linux/types.h>
#include <time.h>

/* Time units: nanoseconds are the one unit inside the daemon. */
#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_USEC 1000ull

/* A timespec (non-negative) in nanoseconds. */
static inline __u64 timespec_to_ns(const struct timespec *ts)
{
	return (__u64)ts->tv_sec * NSEC_PER_SEC + (__u64)ts->tv_nsec;
}

/* The time of clock clk in nanoseconds (0 if the clock is not there). */
__u64 clock_ns(clockid_t clk);

/*
 * Parses a whole decimal integer (optional leading '-', no spaces, no
 * junk) within [min, max].  Returns 0, -EINVAL for junk or an empty string,
 * -ERANGE when out of range.  *ret is only written on success.
 */
int parse_int_range(const char *s, long long min, long long max, long long *ret);

/*
 * Parses a duration: a positive whole number with an optional unit, "us", "ms",
 * "s" (the default), "m", "h" or "d": "3600", "90m", "1h", "2d", "500ms".
 * Returns 0 with nanoseconds in *ret_ns, -EINVAL, or -ERANGE (above 100 years).
 */
int parse_duration_ns(const char *s, __u64 *ret_ns);

#include <stddef.h>

/* FNV-1a over len bytes, continuing from h (start with FNV1A_OFFSET). */
#define FNV1A_OFFSET 0xcbf29ce484222325ull
#define FNV1A_PRIME  0x100000001b3ull
__u64 fnv1a(__u64 h, const void *data, size_t len);

/*
 * Makes *arr (of *cap elements of elem bytes) hold at least need elements,
 * doubling from 16.  Returns 0 or -ENOMEM (*arr and *cap unchanged).
 */
int grow_array(void **arr, size_t *cap, size_t need, size_t elem);

/*
 * An open-addressing index over an array its caller keeps: *slots holds
 * 1-based item numbers (0 = empty) in a power-of-two table probed linearly.
 * Makes room for item nr + 1: past 3/4 full, rebuilds the table twice as
 * large (256 at first) from hash(ctx, i) of items 0 .. nr - 1.
 * Returns 0 or -ENOMEM (the table unchanged).
 */
int slots__reserve(size_t **slots, size_t *nr_slots, size_t nr,
		   __u64 (*hash)(const void *ctx, size_t i), const void *ctx);

/* Writes all len bytes to fd, again after EINTR or a short write.  0 or -errno. */
int fd__write_all(int fd, const void *buf, size_t len);

/* Value of a hexadecimal digit, or -1. */
int hex_digit(char c);

#endif /* PYPROF_UTIL_H */
