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

#endif /* PYPROF_PROCLABEL_H */
