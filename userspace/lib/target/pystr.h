/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pystr: CPython's str objects (PEP 393) as read out of another process:
 * the header that says how the characters are stored and where, and their
 * UTF-8.  The reading itself is the caller's (symbolize.c reads from the
 * target or from what BPF copied at sample time; pyobjects.c from the
 * target), so this is pure and bounded by what it is handed.
 */
#ifndef PYPROF_PYSTR_H
#define PYPROF_PYSTR_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "target/pyinterp.h"

/* Where a str's fields are, as pycode_layout (pyinterp.h) has them. */
struct pystr_layout {
	__u16 ascii_size;	/* sizeof(PyASCIIObject): an ASCII compact str's characters */
	__u16 compact_size;	/* sizeof(PyCompactUnicodeObject): the others' */
	__u16 state, length;	/* offsetof(PyASCIIObject, state / length) */
	__u16 kind_shift;	/* lowest bit of state's kind:3 */
};

static inline struct pystr_layout pystr_layout__of(const struct pycode_layout *c)
{
	return (struct pystr_layout){ .ascii_size = c->ascii_size,
				      .compact_size = c->compact_size,
				      .state = c->unicode_state,
				      .length = c->unicode_length,
				      .kind_shift = c->unicode_kind_shift };
}

struct pystr_head {
	__s64 length;		/* characters */
	__u32 kind;		/* bytes per character: 1, 2 or 4 */
	bool ascii;
	bool compact;		/* characters at data_off from the str; else at the pointer there */
	__u16 data_off;
};

/*
 * Parses a str's first hlen bytes, which must cover l->compact_size.
 * Returns 0, or -EBADMSG for a layout that cannot be a str's or a header
 * that is not one (negative length, unknown kind, ASCII of wide kind).
 */
int pystr__head(const struct pystr_layout *l, const __u8 *hdr, size_t hlen,
		struct pystr_head *h);

/*
 * Writes chars characters of kind bytes each from data as UTF-8 to buf (sz
 * > 0), NUL-terminated, stopping before the first that does not fit; a
 * lone surrogate (not encodable) is '?'.  Returns the bytes written.
 */
size_t pystr__utf8(const __u8 *data, size_t chars, __u32 kind, char *buf, size_t sz);

#endif /* PYPROF_PYSTR_H */
