// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* linetable: decode CPython 3.8-3.14 line tables the way each version's PyCode_Addr2Line() does. */
#include <errno.h>
#include "target/linetable.h"

#define PY_MINOR(hex) (((hex) >> 16) & 0xff)
#define PY_MAJOR(hex) ((hex) >> 24)

/* Location table entry kinds, 3.11+ (Objects/locations.md). */
#define LOC_SHORT_MAX  9
#define LOC_ONE_LINE0  10
#define LOC_ONE_LINE2  12
#define LOC_NO_COLUMNS 13
#define LOC_LONG       14
#define LOC_NONE       15

/* 3.10: an ldelta of -128 marks a range without a line number. */
#define LT310_NO_LINE (-128)

/* CPython keeps the running line in a C int and lets it wrap; so do we, without UB. */
static int line_add(int line, int delta)
{
	return (int)((unsigned int)line + (unsigned int)delta);
}

/*
 * 3.8/3.9 co_lnotab.  The table does not record the code size: CPython gives
 * the last line to every offset past the last increment, so there is no
 * -ERANGE here.  CPython ignores an odd trailing byte; it never writes one,
 * so it means a truncated copy.
 */
static int lnotab_addr2line(int firstlineno, const __u8 *tab, size_t len, int addr, int *ret_line)
{
	long long pos = 0;
	int line = firstlineno;

	if (len & 1)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		pos += tab[i];
		if (pos > addr)
			break;
		line = line_add(line, (__s8)tab[i + 1]);
	}
	*ret_line = line;
	return 0;
}

/*
 * 3.10 co_linetable (PEP 626): (sdelta, ldelta) pairs, offsets in bytes.
 * Zero-width pairs (long line jumps) only move the running line; -128 does
 * not move it and makes the range report -1.
 */
static int linetable310_addr2line(int firstlineno, const __u8 *tab, size_t len, int addr,
				  int *ret_line)
{
	long long end = 0;
	int line = firstlineno;

	if (len & 1)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		int ldelta = (__s8)tab[i + 1];

		end += tab[i];
		if (ldelta != LT310_NO_LINE)
			line = line_add(line, ldelta);
		if (addr < end) {
			*ret_line = ldelta == LT310_NO_LINE ? -1 : line;
			return 0;
		}
	}
	return -ERANGE;
}

/*
 * An unsigned varint of the 3.11+ location table: 6-bit chunks, least
 * significant first, 0x40 = more follows.  CPython accumulates into an
 * unsigned int; more than six chunks cannot come from an int line delta.
 */
static int read_varint(const __u8 *tab, size_t len, size_t *pos, unsigned int *ret)
{
	unsigned int val = 0;
	unsigned int shift = 0;
	__u8 b;

	do {
		if (*pos >= len || shift > 30)
			return -EINVAL;
		b = tab[(*pos)++];
		/* a set top bit starts the next entry: this one is cut short */
		if (b & 0x80)
			return -EINVAL;
		val |= (unsigned int)(b & 0x3f) << shift;
		shift += 6;
	} while (b & 0x40);
	*ret = val;
	return 0;
}

static int read_svarint(const __u8 *tab, size_t len, size_t *pos, int *ret)
{
	unsigned int uval;
	int err;

	err = read_varint(tab, len, pos, &uval);
	if (err)
		return err;
	*ret = (uval & 1) ? -(int)(uval >> 1) : (int)(uval >> 1);
	return 0;
}

static int skip_bytes(const __u8 *tab, size_t len, size_t *pos, size_t n)
{
	for (; n; n--, (*pos)++) {
		if (*pos >= len || (tab[*pos] & 0x80))
			return -EINVAL;
	}
	return 0;
}

/*
 * One 3.11+ location entry at tab[*pos]: its length in code units, the line
 * delta it applies to the running line, and whether it has a line at all.
 * CPython itself only finds the next entry by the top bit; we also insist
 * that each entry has exactly the bytes its kind calls for, so a truncated
 * or garbled copy is reported instead of decoded into nonsense.
 */
static int loc_entry(const __u8 *tab, size_t len, size_t *pos, int *units, int *ldelta,
		     int *has_line)
{
	unsigned int dummy;
	__u8 first;
	int code, err = 0;

	first = tab[*pos];
	if (!(first & 0x80))
		return -EINVAL;
	(*pos)++;
	code = (first >> 3) & 15;
	*units = (first & 7) + 1;
	*ldelta = 0;
	*has_line = code != LOC_NONE;
	if (code <= LOC_SHORT_MAX) {
		err = skip_bytes(tab, len, pos, 1);
	} else if (code <= LOC_ONE_LINE2) {
		*ldelta = code - LOC_ONE_LINE0;
		err = skip_bytes(tab, len, pos, 2);
	} else if (code == LOC_NO_COLUMNS) {
		err = read_svarint(tab, len, pos, ldelta);
	} else if (code == LOC_LONG) {
		err = read_svarint(tab, len, pos, ldelta);
		for (int i = 0; !err && i < 3; i++)
			err = read_varint(tab, len, pos, &dummy);
	}
	return err;
}

/*
 * 3.11-3.14 location table.  Entry lengths are in code units of 2 bytes
 * while addr is a byte offset.  A NONE entry reports -1 but leaves the
 * running line alone: the next entry's delta is relative to the line before
 * the NONE entry.
 */
static int loctable_addr2line(int firstlineno, const __u8 *tab, size_t len, int addr, int *ret_line)
{
	long long end = 0;
	long long unit = addr / 2;
	int line = firstlineno;
	size_t pos = 0;

	while (pos < len) {
		int units, ldelta, has_line, err;

		err = loc_entry(tab, len, &pos, &units, &ldelta, &has_line);
		if (err)
			return err;
		line = line_add(line, ldelta);
		end += units;
		if (unit < end) {
			*ret_line = has_line ? line : -1;
			return 0;
		}
	}
	return -ERANGE;
}

int linetable__addr2line(__u32 version_hex, int firstlineno, const __u8 *tab, size_t len, int addr,
			 int *ret_line)
{
	unsigned int minor = PY_MINOR(version_hex);

	if (PY_MAJOR(version_hex) != 3 || minor < 8 || minor > 15)
		return -EPROTONOSUPPORT;
	if (!tab && len)
		return -EINVAL;
	if (addr < 0) {
		*ret_line = firstlineno;
		return 0;
	}
	if (minor <= 9)
		return lnotab_addr2line(firstlineno, tab, len, addr, ret_line);
	if (minor == 10)
		return linetable310_addr2line(firstlineno, tab, len, addr, ret_line);
	return loctable_addr2line(firstlineno, tab, len, addr, ret_line);
}
