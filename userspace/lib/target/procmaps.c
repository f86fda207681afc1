// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procmaps: parse /proc/PID/maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/procmaps.h"
#include "base/util.h"

/* Parses at least one digit in base 16 or 10 from [*p, end); advances *p. */
static int parse_num(const char **p, const char *end, unsigned int base, __u64 max, __u64 *ret)
{
	const char *s = *p;
	__u64 v = 0;
	int d;

	while (s < end && (d = hex_digit(*s)) >= 0 && (unsigned int)d < base) {
		if (v > (max - (__u64)d) / base)
			return -EINVAL;
		v = v * base + (__u64)d;
		s++;
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_line(const char *s, const char *end, struct procmap *m)
{
	static const char perm_chars[4][2] = { { 'r', '-' }, { 'w', '-' }, { 'x', '-' },
					       { 'p', 's' } };
	__u64 major = 0, minor = 0;
	int err = 0;

	err |= parse_num(&s, end, 16, UINT64_MAX, &m->start);
	err |= expect(&s, end, '-');
	err |= parse_num(&s, end, 16, UINT64_MAX, &m->end);
	err |= expect(&s, end, ' ');
	if (err || end - s < 4 || m->end < m->start)
		return -EINVAL;
	for (int i = 0; i < 4; i++, s++) {
		if (*s != perm_chars[i][0] && *s != perm_chars[i][1])
			return -EINVAL;
		m->perms[i] = *s;
	}
	m->perms[4] = '\0';
	err |= expect(&s, end, ' ');
	err |= parse_num(&s, end, 16, UINT64_MAX, &m->offset);
	err |= expect(&s, end, ' ');
	err |= parse_num(&s, end, 16, UINT32_MAX, &major);
	err |= expect(&s, end, ':');
	err |= parse_num(&s, end, 16, UINT32_MAX, &minor);
	err |= expect(&s, end, ' ');
	err |= parse_num(&s, end, 10, UINT64_MAX, &m->inode);
	if (err || (s < end && !is_blank(*s)))
		return -EINVAL;
	m->dev_major = (__u32)major;
	m->dev_minor = (__u32)minor;

	/* The path is the rest of the line after the blanks, kept verbatim. */
	while (s < end && is_blank(*s))
		s++;
	m->path = strndup(s, (size_t)(end - s));
	return m->path ? 0 : -ENOMEM;
}

int procmaps__parse(const char *text, size_t len, struct procmaps *pm)
{
	const char *p = text, *end = text + len;
	int err;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct procmap m = { 0 };

		err = parse_line(p, eol, &m);
		if (err)
			return err;
		if (grow_array((void **)&pm->maps, &pm->cap, pm->nr + 1, sizeof(*pm->maps))) {
			free(m.path);
			return -ENOMEM;
		}
		pm->maps[pm->nr++] = m;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int procmaps__read(const char *proc_root, int pid, struct procmaps *pm)
{
	size_t len = 0, cap = 64 * 1024;
	char *path = NULL, *buf = NULL;
	int fd = -1, err;

	if (asprintf(&path, "%s/%d/maps", proc_root, pid) < 0) {
		path = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *tmp = realloc(buf, cap * 2);

			if (!tmp) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = tmp;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	err = procmaps__parse(buf, len, pm);

cleanup:
	if (err == -ENOENT)
		err = -ESRCH;
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return err;
}

void procmaps__done(struct procmaps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->nr; i++)
		free(pm->maps[i].path);
	free(pm->maps);
	pm->maps = NULL;
	pm->nr = 0;
	pm->cap = 0;
}
