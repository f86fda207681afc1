/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup: what /proc/PID/cgroup says of a process, as labels: its cgroup
 * path, its systemd unit and its container.  A pure parser: no I/O, no
 * logging.
 *
 * The file has one line per hierarchy, "ID:CONTROLLERS:PATH": cgroup v2's
 * "0::/path", v1's "4:cpu,cpuacct:/path" and "1:name=systemd:/path"; a
 * hybrid system has both kinds.  Names in the paths are chosen by whoever
 * may make cgroups (users with a delegated subtree too) and the kernel
 * prints them unescaped: any byte but '/' and NUL (and on older kernels a
 * newline, which could forge a line).  Hence: every line must parse, no
 * hierarchy may appear twice, and a process's labels are what its cgroup
 * names claim, never a basis for access control.
 */
#ifndef PYPROF_CGROUP_H
#define PYPROF_CGROUP_H

#include <stddef.h>

/* Bytes of /proc/PID/cgroup parsed: 13 v1 hierarchies and v2, a path of PATH_MAX each. */
#define CGROUP_TEXT_MAX		65536
#define CGROUP_LINES_MAX	64	/* hierarchies; the kernel has at most 16 */

/* A piece of the parsed text (not NUL-terminated); len 0: none. */
struct cgroup_span {
	const char *s;
	size_t len;
};

struct cgroup_info {
	/* The unified (v2) path, else the name=systemd one. */
	struct cgroup_span path;
	/*
	 * The systemd unit, as `systemctl status PID` names it: the first
	 * component of path below the slices ("sshd.service", "user@1000.service",
	 * "docker-ID.scope").  A user cannot make a cgroup above the unit
	 * delegated to them, so this one is not theirs to choose.
	 */
	struct cgroup_span unit;
	/* Below a "user@UID.service" unit, the user manager's unit (`systemctl --user`). */
	struct cgroup_span user_unit;
	/*
	 * The id of the deepest component that has a container runtime's form
	 * (docker, podman, containerd, CRI-O; systemd or cgroupfs drivers), in
	 * path, else in the first v1 hierarchy that has one.
	 */
	struct cgroup_span container;
};

/*
 * Parses text[0..len), the whole file (it ends with a newline).  Returns 0
 * (fields not found have len 0; an empty file has none), -E2BIG when len >
 * CGROUP_TEXT_MAX, -EINVAL when a line is malformed or a hierarchy repeats.
 */
int cgroup__parse(const char *text, size_t len, struct cgroup_info *ret);

struct proclabel_builder;

/*
 * Adds what was found as labels "cgroup", "unit", "user_unit" and
 * "container".  A path longer than PROCLABEL_MAX_VALUE (possible: the
 * kernel allows PATH_MAX) gives no "cgroup" label rather than a cut one,
 * which could name another cgroup; its unit and container still count.
 */
void cgroup__add_labels(const struct cgroup_info *ci, struct proclabel_builder *b);

#endif /* PYPROF_CGROUP_H */
