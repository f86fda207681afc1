// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pystr: a PEP 393 str's header and its characters as UTF-8. */
#include <errno.h>
#include <string.h>
#include "target/pystr.h"

int pystr__head(const struct pystr_layout *l, const __u8 *hdr, size_t hlen,
		struct pystr_head *h)
{
	__u32 state;

	if (l->compact_size > hlen || l->state + 4 > l->compact_size ||
	    l->length + 8 > l->compact_size || l->kind_shift > 24 ||
	    l->ascii_size > l->compact_size)
		return -EBADMSG;
	memcpy(&h->length, hdr + l->length, sizeof(h->length));
	memcpy(&state, hdr + l->state, sizeof(state));
	/* state: interned (:2, or a char in free-threaded 3.14+), kind:3, compact:1, ascii:1 */
	state >>= l->kind_shift;
	h->kind = state & 7;
	h->compact = (state >> 3) & 1;
	h->ascii = (state >> 4) & 1;
	if (h->length < 0 || (h->kind != 1 && h->kind != 2 && h->kind != 4) ||
	    (h->ascii && h->kind != 1))
		return -EBADMSG;
	h->data_off = h->compact && h->ascii ? l->ascii_size : l->compact_size;
	return 0;
}

/* The UTF-8 of cp into b: its length. */
static size_t encode(__u32 cp, __u8 b[4])
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = '?';
	if (cp < 0x80) {
		b[0] = (__u8)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (__u8)(0xc0 | (cp >> 6));
		b[1] = (__u8)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (__u8)(0xe0 | (cp >> 12));
		b[1] = (__u8)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (__u8)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000) {
		b[0] = (__u8)(0xf0 | (cp >> 18));
		b[1] = (__u8)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (__u8)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (__u8)(0x80 | (cp & 0x3f));
		return 4;
	}
	/* Past Unicode: no str holds it, but a corrupt one may. */
	b[0] = '?';
	return 1;
}

size_t pystr__utf8(const __u8 *data, size_t chars, __u32 kind, char *buf, size_t sz)
{
	size_t n = 0;

	for (size_t i = 0; i < chars; i++) {
		__u32 cp;
		__u16 u;
		__u8 b[4];
		size_t len;

		if (kind == 1) {
			cp = data[i];
		} else if (kind == 2) {
			memcpy(&u, data + i * 2, 2);
			cp = u;
		} else {
			memcpy(&cp, data + i * 4, 4);
		}
		len = encode(cp, b);
		if (n + len >= sz)
			break;
		memcpy(buf + n, b, len);
		n += len;
	}
	buf[n] = '\0';
	return n;
}
