// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "profile/proclabel.h"
#include "target/cgroup.h"

#define CGROUP_ID_DIGITS	10	/* a hierarchy id is an int */
#define UNIT_NAME_MAX		255	/* systemd's limit, without the NUL */
#define CONTAINER_ID_LEN	64	/* docker, podman, containerd, CRI-O: 32 bytes in hex */

static bool span_ends(const struct cgroup_span *c, const char *sfx)
{
	size_t n = strlen(sfx);

	return c->len >= n && memcmp(c->s + c->len - n, sfx, n) == 0;
}

static bool span_starts(const struct cgroup_span *c, const char *pfx)
{
	size_t n = strlen(pfx);

	return c->len >= n && memcmp(c->s, pfx, n) == 0;
}

/* The component of path after offset *at (skipping '/'), or false at the end. */
static bool next_component(const struct cgroup_span *path, size_t *at, struct cgroup_span *ret)
{
	const char *p, *end, *e;

	if (!path->len)
		return false;
	p = path->s + *at;
	end = path->s + path->len;
	while (p < end && *p == '/')
		p++;
	if (p >= end)
		return false;
	e = memchr(p, '/', (size_t)(end - p)) ?: end;
	*ret = (struct cgroup_span){ .s = p, .len = (size_t)(e - p) };
	*at = (size_t)(e - path->s);
	return true;
}

static bool unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

/*
 * Whether component c is a unit name as systemd writes one into a cgroup
 * path, "PREFIX[@INSTANCE].TYPE" with a TYPE of types, into *ret without
 * the '_' systemd puts before names that could clash with the kernel's
 * files (cg_escape()).
 */
static bool unit_name(const struct cgroup_span *c, const char *const *types,
		      struct cgroup_span *ret)
{
	struct cgroup_span u = *c;
	const char *dot, *at;
	bool typed = false;

	if (u.len && u.s[0] == '_') {
		u.s++;
		u.len--;
	}
	if (!u.len || u.len > UNIT_NAME_MAX)
		return false;
	for (size_t i = 0; i < u.len; i++)
		if (!unit_char(u.s[i]))
			return false;
	dot = memrchr(u.s, '.', u.len);
	if (!dot || dot == u.s)
		return false;
	for (; *types && !typed; types++)
		typed = strlen(*types) == (size_t)(u.s + u.len - dot - 1) &&
			memcmp(dot + 1, *types, strlen(*types)) == 0;
	at = memchr(u.s, '@', u.len);
	/* An instance needs a prefix and a name; a template (none) has no cgroup. */
	if (!typed)
		return false;
	if (at && (at == u.s || at + 1 >= dot || memchr(at + 1, '@', (size_t)(dot - at - 1))))
		return false;
	*ret = u;
	return true;
}

static const char *const slice_type[] = { "slice", NULL };
/* The unit types that hold processes. */
static const char *const process_types[] = { "service", "scope", "socket", "mount", "swap", NULL };

/* The first unit below the slices from offset *at, as cg_path_get_unit() takes it. */
static bool unit_below_slices(const struct cgroup_span *path, size_t *at, struct cgroup_span *ret)
{
	struct cgroup_span c, u;

	while (next_component(path, at, &c))
		if (!unit_name(&c, slice_type, &u))
			return unit_name(&c, process_types, ret);
	return false;
}

static void find_units(const struct cgroup_span *path, struct cgroup_info *ci)
{
	size_t at = 0;

	if (unit_below_slices(path, &at, &ci->unit) && span_starts(&ci->unit, "user@") &&
	    span_ends(&ci->unit, ".service"))
		(void)unit_below_slices(path, &at, &ci->user_unit);
}

static bool is_container_id(const char *s, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * The container id in component c: "RUNTIME-ID.scope" (systemd cgroup
 * driver: docker-, libpod-, cri-containerd-, crio-), "libpod-ID" and
 * "crio-ID" (podman's and CRI-O's cgroupfs driver), "...:cri-containerd:ID"
 * (containerd's systemd-style name under cgroupfs), or a bare ID (docker's
 * cgroupfs driver /docker/ID, kubepods/.../podUID/ID).  Not the conmon
 * monitors' "libpod-conmon-ID.scope" / "crio-conmon-ID.scope".
 */
static bool container_id(const struct cgroup_span *c, struct cgroup_span *ret)
{
	static const char *const runtimes[] = { "docker-", "libpod-", "cri-containerd-", "crio-" };
	static const char cri[] = ":cri-containerd:";
	const size_t idl = CONTAINER_ID_LEN, cril = sizeof(cri) - 1;
	bool scope = span_ends(c, ".scope");
	size_t len = scope ? c->len - 6 : c->len;

	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		size_t pl = strlen(runtimes[i]);

		/* docker's cgroupfs driver has no "docker-ID" (that is /docker/ID). */
		if (!scope && i == 0)
			continue;
		if (len == pl + idl && span_starts(c, runtimes[i]) &&
		    is_container_id(c->s + pl, idl)) {
			*ret = (struct cgroup_span){ .s = c->s + pl, .len = idl };
			return true;
		}
	}
	if (!scope && len > cril + idl && memcmp(c->s + len - idl - cril, cri, cril) == 0 &&
	    is_container_id(c->s + len - idl, idl)) {
		*ret = (struct cgroup_span){ .s = c->s + len - idl, .len = idl };
		return true;
	}
	if (!scope && is_container_id(c->s, len)) {
		*ret = *c;
		return true;
	}
	return false;
}

/* The deepest container id in path (docker in docker: the inner one). */
static bool find_container(const struct cgroup_span *path, struct cgroup_span *ret)
{
	struct cgroup_span c;
	size_t at = 0;
	bool found = false;

	while (next_component(path, &at, &c))
		found = container_id(&c, ret) || found;
	return found;
}

struct cgroup_line {
	unsigned long id;
	struct cgroup_span ctrl, path;
};

/* Parses the line p[0..nl) as "ID:CONTROLLERS:/PATH": 0 or -EINVAL. */
static int parse_line(const char *p, const char *nl, struct cgroup_line *l)
{
	const char *c1, *c2;
	size_t digits;

	l->id = 0;
	for (digits = 0; p + digits < nl && p[digits] >= '0' && p[digits] <= '9'; digits++) {
		if (digits >= CGROUP_ID_DIGITS || (digits && !l->id))
			return -EINVAL; /* too long, or a leading zero: no two spellings of an id */
		l->id = l->id * 10 + (unsigned long)(p[digits] - '0');
	}
	c1 = p + digits;
	if (!digits || c1 >= nl || *c1 != ':')
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1));
	if (!c2 || c2 + 1 >= nl || c2[1] != '/')
		return -EINVAL;
	l->ctrl = (struct cgroup_span){ .s = c1 + 1, .len = (size_t)(c2 - c1 - 1) };
	l->path = (struct cgroup_span){ .s = c2 + 1, .len = (size_t)(nl - c2 - 1) };
	/* v2's line has no controllers; a v1 hierarchy has some, or a name. */
	return (l->id == 0) == (l->ctrl.len == 0) ? 0 : -EINVAL;
}

static bool has_name_systemd(const struct cgroup_span *ctrl)
{
	static const char want[] = "name=systemd";
	const char *p = ctrl->s, *end = p + ctrl->len;

	while (p < end) {
		const char *e = memchr(p, ',', (size_t)(end - p)) ?: end;

		if ((size_t)(e - p) == sizeof(want) - 1 && memcmp(p, want, sizeof(want) - 1) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

int cgroup__parse(const char *text, size_t len, struct cgroup_info *ret)
{
	struct cgroup_span v1[CGROUP_LINES_MAX], unified = { 0 }, systemd = { 0 };
	unsigned long ids[CGROUP_LINES_MAX];
	size_t nr = 0, nr_v1 = 0;

	memset(ret, 0, sizeof(*ret));
	if (len > CGROUP_TEXT_MAX)
		return -E2BIG;
	if (!len)
		return 0;
	/* The kernel ends every line with a newline and prints no NUL. */
	if (text[len - 1] != '\n' || memchr(text, '\0', len))
		return -EINVAL;
	for (const char *p = text, *end = text + len, *nl; p < end; p = nl + 1) {
		struct cgroup_line l;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nr >= CGROUP_LINES_MAX || parse_line(p, nl, &l))
			return -EINVAL;
		for (size_t i = 0; i < nr; i++)
			if (ids[i] == l.id)
				return -EINVAL;
		ids[nr++] = l.id;
		if (l.id == 0) {
			unified = l.path;
			continue;
		}
		v1[nr_v1++] = l.path;
		if (has_name_systemd(&l.ctrl))
			systemd = l.path;
	}
	ret->path = unified.len ? unified : systemd;
	find_units(&ret->path, ret);
	if (!find_container(&ret->path, &ret->container))
		for (size_t i = 0; i < nr_v1 && !find_container(&v1[i], &ret->container); i++)
			;
	return 0;
}

void cgroup__add_labels(const struct cgroup_info *ci, struct proclabel_builder *b)
{
	if (ci->path.len && ci->path.len <= PROCLABEL_MAX_VALUE)
		proclabel_builder__add(b, "cgroup", ci->path.s, ci->path.len);
	if (ci->unit.len)
		proclabel_builder__add(b, "unit", ci->unit.s, ci->unit.len);
	if (ci->user_unit.len)
		proclabel_builder__add(b, "user_unit", ci->user_unit.s, ci->user_unit.len);
	if (ci->container.len)
		proclabel_builder__add(b, "container", ci->container.s, ci->container.len);
}
