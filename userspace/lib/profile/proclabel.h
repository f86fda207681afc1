/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * proclabel: key=value labels a process carries (its cgroup, systemd unit,
 * container, ...), as Pyroscope and Prometheus name series.  The daemon
 * derives them when it finds a process, the state files keep them with its
 * history, and list shows them; selectors (by unit, container...) match on
 * them.
 *
 * Rules, enforced wherever labels are made or decoded:
 *   key:   1..PROCLABEL_MAX_KEY bytes of [a-z0-9_], not starting with a digit
 *   value: 0..PROCLABEL_MAX_VALUE bytes, no NUL (any other byte: values come
 *          from other users' cgroup names; renderers escape them)
 *   at most PROCLABEL_MAX labels per process, keys distinct, sorted by key.
 * A pure module: no I/O, no logging.
 */
#ifndef PYPROF_PROCLABEL_H
#define PYPROF_PROCLABEL_H

#include <stdbool.h>
#include <stddef.h>

#define PROCLABEL_MAX		16
#define PROCLABEL_MAX_KEY	63
#define PROCLABEL_MAX_VALUE	4095	/* a cgroup path fits (PATH_MAX) */

struct proclabel {
	const char *key;	/* NUL-terminated */
	const char *value;	/* NUL-terminated */
};

/* Whether key follows the key rule above. */
bool proclabel__valid_key(const char *key, size_t len);

/*
 * Whether l[0..nr) follows every rule above (valid keys and values, nr <=
 * PROCLABEL_MAX, keys strictly increasing).
 */
bool proclabel__valid_set(const struct proclabel *l, size_t nr);

/* The value of key in the valid set l[0..nr), or NULL. */
const char *proclabel__get(const struct proclabel *l, size_t nr, const char *key);

/*
 * A set being made from values that need not be NUL-terminated (pieces of a
 * /proc file, say): they stay the caller's until proclabel_builder__pack().
 * An add that breaks a rule is remembered and makes the pack fail, so a
 * caller adds without checking each one.  Zero it to start.
 */
struct proclabel_builder {
	size_t nr;
	int err;			/* the first add's error, or 0 */
	struct {
		const char *key;	/* NUL-terminated */
		const char *value;
		size_t len;		/* of value */
	} item[PROCLABEL_MAX];
};

/* Adds key=value[0..len): -EINVAL (bad key, NUL in value) or -E2BIG kept in b->err. */
void proclabel_builder__add(struct proclabel_builder *b, const char *key, const char *value,
			    size_t len);

/*
 * The set as one allocation (the array and its strings, freed with one
 * free()), sorted by key: 0 with *ret NULL and *ret_nr 0 for an empty set,
 * b->err, -EINVAL for a key added twice, or -ENOMEM.
 */
int proclabel_builder__pack(const struct proclabel_builder *b, struct proclabel **ret,
			    size_t *ret_nr);

/* A copy of the valid set l[0..nr) as proclabel_builder__pack() makes one. */
int proclabel__dup_set(const struct proclabel *l, size_t nr, struct proclabel **ret,
		       size_t *ret_nr);

struct strbuf;

/*
 * Appends the set as one text field "key=value,key=value" (empty for no
 * labels).  In values, '\\', ',' and '=' become "\\\\", "\\," and "\\=",
 * tab and newline "\\t" and "\\n", and every other control byte (C0, DEL,
 * C1 as UTF-8) and byte of ill-formed UTF-8 "\\xHH": the field has no tab,
 * newline or terminal sequence, and splits back unambiguously
 * (proclabel__parse_field()).  0 or -ENOMEM.
 */
int proclabel__format(struct strbuf *out, const struct proclabel *l, size_t nr);

/*
 * The set a proclabel__format() field holds, as proclabel_builder__pack()
 * returns it: -EINVAL for an unknown escape, an unescaped '=' in a value, an
 * item without '=', or a set that breaks the rules; or -ENOMEM.
 */
int proclabel__parse_field(const char *s, size_t len, struct proclabel **ret, size_t *ret_nr);

#endif /* PYPROF_PROCLABEL_H */
