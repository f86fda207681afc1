// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* statefile: encoder and checking decoder of pyprofd's window files (format in statefile.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "profile/statefile.h"
#include "base/strbuf.h"
#include "base/util.h"

#define RAW_HDR_LEN	(8 * 3 + STATEFILE_BOOT_ID + 4)
#define PROC_MIN_LEN	(4 + 8 + 4 * 4 + 3 * 4 + 4 + 4)	/* empty strings, no names, no stacks */
#define STACK_MIN_LEN	(4 + 4 + 8)			/* one frame */
#define ZLIB_MAX_RATIO	1032u	/* deflate expands at most this much: a larger size is a lie */

/* A boot id as the kernel prints it (hex and dashes), or the writer's all-'0' fallback. */
static bool boot_id_ok(const char *id)
{
	for (size_t i = 0; i < STATEFILE_BOOT_ID; i++)
		if (id[i] != '-' && hex_digit(id[i]) < 0)
			return false;
	return true;
}

static bool str_ok(const char *s, size_t max)
{
	return s && strlen(s) <= max;
}

static int put(struct strbuf *sb, const void *v, size_t n)
{
	return strbuf__append(sb, v, n);
}

static int put_u32(struct strbuf *sb, __u32 v)
{
	return put(sb, &v, sizeof(v));
}

static int put_u64(struct strbuf *sb, __u64 v)
{
	return put(sb, &v, sizeof(v));
}

static int put_str(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	return put_u32(sb, (__u32)n) ?: put(sb, s, n);
}

/* The rules decode_proc() enforces, for what the encoder is given. */
static bool proc_ok(const struct statefile_proc *p)
{
	if (p->pid < 1 || !str_ok(p->comm, PYPROF_COMM_LEN) || !str_ok(p->exe, STATEFILE_MAX_EXE) ||
	    !str_ok(p->why, STATEFILE_MAX_WHY))
		return false;
	for (__u32 i = 0; i < p->nr_names; i++)
		if (!str_ok(p->names[i], STATEFILE_MAX_NAME))
			return false;
	for (__u32 i = 0; i < p->nr_stacks; i++) {
		const struct statefile_stack *s = &p->stacks[i];

		if (!s->nr || s->nr > PYPROF_MAX_STACK || !s->count)
			return false;
		for (__u32 k = 0; k < s->nr; k++)
			if (p->frames[s->off + k] >= p->nr_names)
				return false;
	}
	return true;
}

static int encode_proc(struct strbuf *out, const struct statefile_proc *p)
{
	int err;

	if (!proc_ok(p))
		return -EINVAL;
	err = put_u32(out, (__u32)p->pid) ?: put_u64(out, p->start_time) ?: put_u32(out, p->ruid) ?:
	      put_u32(out, p->euid) ?: put_u32(out, p->version_hex) ?: put_u32(out, p->supported) ?:
	      put_str(out, p->comm) ?: put_str(out, p->exe) ?: put_str(out, p->why) ?:
	      put_u32(out, p->nr_names);
	for (__u32 i = 0; i < p->nr_names && !err; i++)
		err = put_str(out, p->names[i]);
	err = err ?: put_u32(out, p->nr_stacks);
	for (__u32 i = 0; i < p->nr_stacks && !err; i++) {
		const struct statefile_stack *s = &p->stacks[i];

		err = put_u32(out, s->nr) ?: put(out, p->frames + s->off, s->nr * sizeof(__u32)) ?:
		      put_u64(out, s->count);
	}
	return err;
}

int statefile__encode_raw(const struct statefile *sf, struct strbuf *out)
{
	int err;

	if (!sf->window_ns || sf->start > UINT64_MAX - sf->window_ns || !boot_id_ok(sf->boot_id) ||
	    !sf->nr_procs)
		return -EINVAL;
	err = put_u64(out, sf->window_ns) ?: put_u64(out, sf->start) ?:
	      put_u64(out, sf->start_wall) ?: put(out, sf->boot_id, STATEFILE_BOOT_ID) ?:
	      put_u32(out, sf->nr_procs);
	for (__u32 i = 0; i < sf->nr_procs && !err; i++)
		err = encode_proc(out, &sf->procs[i]);
	if (!err && out->len > STATEFILE_MAX_RAW)
		err = -EINVAL;
	return err;
}

int statefile__compress(const __u8 *raw, size_t raw_len, __u8 **ret, size_t *ret_len)
{
	uLongf zlen = compressBound(raw_len);
	__u64 len64 = raw_len;
	__u8 *z;

	z = malloc(STATEFILE_HDR_LEN + zlen);
	if (!z)
		return -ENOMEM;
	if (compress2(z + STATEFILE_HDR_LEN, &zlen, raw, raw_len, Z_BEST_SPEED) != Z_OK) {
		free(z);
		return -EIO;
	}
	memcpy(z, STATEFILE_MAGIC, 8);
	memcpy(z + 8, &len64, 8);
	*ret = z;
	*ret_len = STATEFILE_HDR_LEN + zlen;
	return 0;
}

/* Bounds-checked reader: past the end, every read yields zeros and sets bad. */
struct reader {
	const __u8 *p, *end;
	bool bad;
};

static size_t left(const struct reader *r)
{
	return (size_t)(r->end - r->p);
}

static void get(struct reader *r, void *v, size_t n)
{
	if (r->bad || left(r) < n) {
		r->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p, n);
	r->p += n;
}

static __u32 get_u32(struct reader *r)
{
	__u32 v;

	get(r, &v, sizeof(v));
	return v;
}

static __u64 get_u64(struct reader *r)
{
	__u64 v;

	get(r, &v, sizeof(v));
	return v;
}

/* A malloc'd NUL-terminated copy of the next string, or NULL (r->bad: corrupt). */
static char *get_str(struct reader *r, size_t max, int *err)
{
	__u32 n = get_u32(r);
	char *s;

	if (r->bad || n > max || left(r) < n || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	return s;
}

/* The stacks of one process; every frame must name one of its nr_names names. */
static int decode_stacks(struct reader *r, struct statefile_proc *p)
{
	size_t cap = 0, nr_frames = 0;
	__u32 nr_stacks = get_u32(r);

	if (r->bad || nr_stacks > left(r) / STACK_MIN_LEN)
		return -EBADMSG;
	p->stacks = calloc(nr_stacks ? nr_stacks : 1, sizeof(*p->stacks));
	if (!p->stacks)
		return -ENOMEM;
	for (__u32 i = 0; i < nr_stacks; i++) {
		struct statefile_stack *s = &p->stacks[i];

		s->nr = get_u32(r);
		if (r->bad || !s->nr || s->nr > PYPROF_MAX_STACK || s->nr > left(r) / 4)
			return -EBADMSG;
		if (grow_array((void **)&p->frames, &cap, nr_frames + s->nr, sizeof(*p->frames)))
			return -ENOMEM;
		s->off = (__u32)nr_frames;
		for (__u32 k = 0; k < s->nr; k++) {
			__u32 id = get_u32(r);

			if (id >= p->nr_names)
				return -EBADMSG;
			p->frames[nr_frames++] = id;
		}
		s->count = get_u64(r);
		if (r->bad || !s->count || s->count > UINT64_MAX - p->samples)
			return -EBADMSG;
		p->samples += s->count;
		p->nr_stacks = i + 1;
	}
	return 0;
}

static int decode_proc(struct reader *r, struct statefile_proc *p)
{
	__u32 pid, supported, nr_names;
	int err = 0;

	pid = get_u32(r);
	p->start_time = get_u64(r);
	p->ruid = get_u32(r);
	p->euid = get_u32(r);
	p->version_hex = get_u32(r);
	supported = get_u32(r);
	if (r->bad || !pid || pid > INT32_MAX || supported > 1)
		return -EBADMSG;
	p->pid = (__s32)pid;
	p->supported = supported;
	p->comm = get_str(r, PYPROF_COMM_LEN, &err);
	p->exe = err ? NULL : get_str(r, STATEFILE_MAX_EXE, &err);
	p->why = err ? NULL : get_str(r, STATEFILE_MAX_WHY, &err);
	if (err || r->bad)
		return err ?: -EBADMSG;
	nr_names = get_u32(r);
	if (r->bad || nr_names > left(r) / 4)
		return -EBADMSG;
	p->names = calloc(nr_names ? nr_names : 1, sizeof(*p->names));
	if (!p->names)
		return -ENOMEM;
	for (__u32 i = 0; i < nr_names; i++) {
		p->names[i] = get_str(r, STATEFILE_MAX_NAME, &err);
		if (!p->names[i])
			return err ?: -EBADMSG;
		p->nr_names = i + 1;
	}
	return decode_stacks(r, p);
}

int statefile__decode_raw(const __u8 *raw, size_t len, struct statefile *sf)
{
	struct reader r = { .p = raw, .end = raw + len };
	__u32 nr;
	int err = 0;

	memset(sf, 0, sizeof(*sf));
	sf->owned = true;
	sf->window_ns = get_u64(&r);
	sf->start = get_u64(&r);
	sf->start_wall = get_u64(&r);
	get(&r, sf->boot_id, STATEFILE_BOOT_ID);
	nr = get_u32(&r);
	if (r.bad || !sf->window_ns || sf->start > UINT64_MAX - sf->window_ns ||
	    !boot_id_ok(sf->boot_id) || !nr || nr > left(&r) / PROC_MIN_LEN) {
		err = -EBADMSG;
		goto cleanup;
	}
	sf->procs = calloc(nr, sizeof(*sf->procs));
	if (!sf->procs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (__u32 i = 0; i < nr && !err; i++) {
		sf->nr_procs = i + 1;
		err = decode_proc(&r, &sf->procs[i]);
	}
	/* A file is exactly what its writer wrote: bytes past the last process are damage. */
	if (!err && left(&r))
		err = -EBADMSG;
cleanup:
	if (err)
		statefile__fini(sf);
	return err;
}

int statefile__decode(const __u8 *file, size_t len, struct statefile *sf)
{
	uLong src_len, raw_len;
	__u64 len64;
	__u8 *raw;
	int err = 0;

	memset(sf, 0, sizeof(*sf));
	if (len < STATEFILE_HDR_LEN || len > STATEFILE_MAX_FILE ||
	    memcmp(file, STATEFILE_MAGIC, 8) != 0)
		return -EBADMSG;
	memcpy(&len64, file + 8, 8);
	src_len = len - STATEFILE_HDR_LEN;
	if (len64 < RAW_HDR_LEN || len64 > STATEFILE_MAX_RAW || len64 / ZLIB_MAX_RATIO > src_len)
		return -EBADMSG;
	raw = malloc(len64);
	if (!raw)
		return -ENOMEM;
	raw_len = len64;
	/* The stream must fill the size it claims and end where the file does. */
	if (uncompress2(raw, &raw_len, file + STATEFILE_HDR_LEN, &src_len) != Z_OK ||
	    raw_len != len64 || src_len != len - STATEFILE_HDR_LEN)
		err = -EBADMSG;
	err = err ?: statefile__decode_raw(raw, raw_len, sf);
	free(raw);
	return err;
}

void statefile__fini(struct statefile *sf)
{
	if (!sf)
		return;
	for (__u32 i = 0; sf->owned && i < sf->nr_procs; i++) {
		struct statefile_proc *p = &sf->procs[i];

		free((char *)p->comm);
		free((char *)p->exe);
		free((char *)p->why);
		for (__u32 k = 0; k < p->nr_names; k++)
			free((char *)p->names[k]);
		free(p->names);
		free(p->stacks);
		free(p->frames);
	}
	if (sf->owned)
		free(sf->procs);
	memset(sf, 0, sizeof(*sf));
}

int statefile__place(const struct statefile *sf, const struct statefile_clock *c,
		     __u64 *ret_start)
{
	__u64 start = sf->start, age;

	if (memcmp(sf->boot_id, c->boot_id, STATEFILE_BOOT_ID) == 0) {
		/* This boot's clock: a window that has not begun yet was never written by it. */
		if (start > c->now)
			return -ERANGE;
	} else {
		/* Another boot's clock started elsewhere: the wall clock says how long ago. */
		if (sf->start_wall > c->wall)
			return -ERANGE;
		age = c->wall - sf->start_wall;
		if (age >= c->now)
			return -ESTALE;
		start = c->now - age;
	}
	/* start <= now here, so the differences cannot wrap. */
	if (c->now - start >= sf->window_ns && c->now - start - sf->window_ns >= c->retention_ns)
		return -ESTALE;
	*ret_start = start;
	return 0;
}
