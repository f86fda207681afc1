// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "base/strbuf.h"
#include "base/textenc.h"
#include "base/util.h"
#include "profile/proclabel.h"

bool proclabel__valid_key(const char *key, size_t len)
{
	if (len < 1 || len > PROCLABEL_MAX_KEY || (key[0] >= '0' && key[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool proclabel__valid_set(const struct proclabel *l, size_t nr)
{
	if (nr > PROCLABEL_MAX)
		return false;
	for (size_t i = 0; i < nr; i++) {
		if (!l[i].key || !l[i].value || !proclabel__valid_key(l[i].key, strlen(l[i].key)) ||
		    strlen(l[i].value) > PROCLABEL_MAX_VALUE)
			return false;
		if (i && strcmp(l[i - 1].key, l[i].key) >= 0)
			return false;
	}
	return true;
}

const char *proclabel__get(const struct proclabel *l, size_t nr, const char *key)
{
	for (size_t i = 0; i < nr; i++)
		if (strcmp(l[i].key, key) == 0)
			return l[i].value;
	return NULL;
}

void proclabel_builder__add(struct proclabel_builder *b, const char *key, const char *value,
			    size_t len)
{
	if (b->err)
		return;
	if (!key || !proclabel__valid_key(key, strlen(key)) || (len && !value) ||
	    (len && memchr(value, '\0', len)))
		b->err = -EINVAL;
	else if (b->nr >= PROCLABEL_MAX || len > PROCLABEL_MAX_VALUE)
		b->err = -E2BIG;
	else
		b->item[b->nr++] = (typeof(b->item[0])){ .key = key, .value = value, .len = len };
}

int proclabel_builder__pack(const struct proclabel_builder *b, struct proclabel **ret,
			    size_t *ret_nr)
{
	size_t order[PROCLABEL_MAX], size = b->nr * sizeof(struct proclabel);
	struct proclabel *l;
	char *at;

	*ret = NULL;
	*ret_nr = 0;
	if (b->err || b->nr > PROCLABEL_MAX)
		return b->err ?: -E2BIG;
	/* Insertion sort by key: at most PROCLABEL_MAX items. */
	for (size_t i = 0; i < b->nr; i++) {
		size_t j = i;

		for (; j && strcmp(b->item[order[j - 1]].key, b->item[i].key) > 0; j--)
			order[j] = order[j - 1];
		if (j && strcmp(b->item[order[j - 1]].key, b->item[i].key) == 0)
			return -EINVAL;
		order[j] = i;
		size += strlen(b->item[i].key) + 1 + b->item[i].len + 1;
	}
	if (!b->nr)
		return 0;
	l = malloc(size);
	if (!l)
		return -ENOMEM;
	at = (char *)(l + b->nr);
	for (size_t i = 0; i < b->nr; i++) {
		const typeof(b->item[0]) *it = &b->item[order[i]];
		size_t klen = strlen(it->key) + 1;

		l[i].key = memcpy(at, it->key, klen);
		at += klen;
		l[i].value = at;
		if (it->len)
			memcpy(at, it->value, it->len);
		at[it->len] = '\0';
		at += it->len + 1;
	}
	*ret = l;
	*ret_nr = b->nr;
	return 0;
}

int proclabel__dup_set(const struct proclabel *l, size_t nr, struct proclabel **ret,
		       size_t *ret_nr)
{
	struct proclabel_builder b = { 0 };

	for (size_t i = 0; i < nr; i++)
		proclabel_builder__add(&b, l[i].key, l[i].value, strlen(l[i].value));
	return proclabel_builder__pack(&b, ret, ret_nr);
}

/* Appends value s[0..len) escaped as proclabel__format() says. */
static int put_value(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int err = 0;

	for (size_t i = 0, n; i < len && !err; i += n) {
		bool valid;

		n = utf8__char(u + i, len - i, &valid);
		if (n == 1 && valid && (u[i] == '\t' || u[i] == '\n')) {
			err = strbuf__puts(out, u[i] == '\t' ? "\\t" : "\\n");
		} else if (n == 1 && valid && u[i] >= 0x20 && u[i] != 0x7f) {
			const char *esc = u[i] == '\\' ? "\\\\" : u[i] == ',' ? "\\," :
					  u[i] == '=' ? "\\=" : NULL;

			err = esc ? strbuf__puts(out, esc) : strbuf__append(out, s + i, 1);
		} else if (n > 1 && valid && !(n == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)) {
			err = strbuf__append(out, s + i, n);
		} else {
			/* C0, DEL, C1, or an ill-formed sequence: each byte as \xHH. */
			for (size_t k = 0; k < n && !err; k++)
				err = strbuf__printf(out, "\\x%02x", u[i + k]);
		}
	}
	return err;
}

int proclabel__format(struct strbuf *out, const struct proclabel *l, size_t nr)
{
	int err = 0;

	for (size_t i = 0; i < nr && !err; i++) {
		err = strbuf__printf(out, "%s%s=", i ? "," : "", l[i].key);
		err = err ?: put_value(out, l[i].value, strlen(l[i].value));
	}
	return err;
}

/*
 * Unescapes s[0..len) (one value) to dst, which has room for len bytes.
 * Returns the bytes written, or -EINVAL.
 */
static ssize_t unescape(const char *s, size_t len, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '\\') {
			if (s[i] == '=' || s[i] == ',')
				return -EINVAL;
			dst[o++] = s[i];
			continue;
		}
		if (++i >= len)
			return -EINVAL;
		switch (s[i]) {
		case '\\':
		case ',':
		case '=':
			dst[o++] = s[i];
			break;
		case 't':
			dst[o++] = '\t';
			break;
		case 'n':
			dst[o++] = '\n';
			break;
		case 'x':
			if (i + 2 >= len || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0)
				return -EINVAL;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
			break;
		default:
			return -EINVAL;
		}
	}
	return (ssize_t)o;
}

/* The end of the item that starts at s: the first ',' not escaped, or end. */
static const char *item_end(const char *s, const char *end)
{
	for (; s < end && *s != ','; s++)
		if (*s == '\\' && s + 1 < end)
			s++;
	return s;
}

int proclabel__parse_field(const char *s, size_t len, struct proclabel **ret, size_t *ret_nr)
{
	char keys[PROCLABEL_MAX][PROCLABEL_MAX_KEY + 1], *vals = malloc(len + 1), *v = vals;
	struct proclabel_builder b = { 0 };
	const char *end = s + len;
	int err = 0;

	*ret = NULL;
	*ret_nr = 0;
	if (!vals)
		return -ENOMEM;
	for (const char *p = s, *e; len && p <= end && !err; p = e + 1) {
		const char *eq;
		ssize_t n;

		e = item_end(p, end);
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq || eq - p > PROCLABEL_MAX_KEY || b.nr >= PROCLABEL_MAX) {
			err = -EINVAL;
			break;
		}
		n = unescape(eq + 1, (size_t)(e - eq - 1), v);
		if (n < 0) {
			err = (int)n;
			break;
		}
		memcpy(keys[b.nr], p, (size_t)(eq - p));
		keys[b.nr][eq - p] = '\0';
		/* As proclabel__format() writes it: sorted, so one set has one spelling. */
		if (b.nr && strcmp(keys[b.nr - 1], keys[b.nr]) >= 0) {
			err = -EINVAL;
			break;
		}
		proclabel_builder__add(&b, keys[b.nr], v, (size_t)n);
		v += n;
		err = b.err;
	}
	err = err ?: proclabel_builder__pack(&b, ret, ret_nr);
	free(vals);
	return err;
}
