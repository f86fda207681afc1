// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: history kept on disk (--state-dir), one zlib-compressed file per time window. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "profile.h"
#include "strbuf.h"
#include "pyprofd.h"

/*
 * File "w<index>.pyprof", index = window start / window length on the
 * profiles' clock (prof_time()):
 *   "PYPROFW2" | u64 raw size | zlib(raw)
 * raw, little-endian:
 *   u64 window_ns, u64 start (profiles' clock), u64 start_wall, char boot_id[36],
 *   u32 nr_procs
 *   per process: i32 pid, u64 start_time, u32 uid, u32 uid (the uid that may see
 *     it, twice; 0xffffffff for none), u32 version_hex,
 *     u32 supported, str comm, str exe, str why, u32 nr_names, str name...,
 *     u32 nr_stacks, { u32 nr, u32 id[nr], u64 count }...
 *   str = u32 length + bytes.
 * Written to a temporary name and renamed, so a crash leaves the old file or
 * the new one.  Anything that does not parse is reported and skipped.
 */
#define STATE_MAGIC	 "PYPROFW2"
#define STATE_GRACE_NS	 2000000000ull		/* late samples a window still takes */
#define STATE_MAX_FILE	 (256u << 20)		/* bigger files are not read */
#define STATE_MAX_RAW	 (1024u << 20)
#define BOOT_ID_LEN	 36

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
	size_t n = s ? strlen(s) : 0;

	return put_u32(sb, (__u32)n) ?: put(sb, s ? s : "", n);
}

static void boot_id(char id[BOOT_ID_LEN])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char buf[64] = "";

	memset(id, '0', BOOT_ID_LEN);
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && strlen(buf) >= BOOT_ID_LEN)
		memcpy(id, buf, BOOT_ID_LEN);
	fclose(f);
}

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

struct encode_ctx {
	const struct profile *prof;
	struct strbuf *stacks;		/* the stacks, ids already local */
	__u32 *local;			/* profile id -> local id + 1 */
	size_t nr_local_max;
	const char **names;		/* local id -> name */
	__u32 nr_names, nr_stacks;
	int err;
};

static int encode_stack(const __u32 *ids, size_t nr, __u64 count, void *arg)
{
	struct encode_ctx *e = arg;

	e->err = put_u32(e->stacks, (__u32)nr);
	for (size_t i = 0; i < nr && !e->err; i++) {
		__u32 id = ids[i];

		if (id >= e->nr_local_max)
			return e->err = -EINVAL;
		if (!e->local[id]) {
			e->names[e->nr_names] = profile__name(e->prof, id);
			e->local[id] = ++e->nr_names;
		}
		e->err = put_u32(e->stacks, e->local[id] - 1);
	}
	e->err = e->err ?: put_u64(e->stacks, count);
	e->nr_stacks++;
	return e->err;
}

/* Appends one process's part of window [from, to) to raw. */
static int encode_proc(struct strbuf *raw, const struct pyproc *p, __u64 from, __u64 to)
{
	struct profile_stats ps;
	struct strbuf stacks = { 0 };
	struct encode_ctx e = { .prof = p->profile, .stacks = &stacks };
	int err;

	profile__stats(p->profile, &ps);
	e.nr_local_max = ps.names;
	e.local = calloc(ps.names + 1, sizeof(*e.local));
	e.names = calloc(ps.names + 1, sizeof(*e.names));
	if (!e.local || !e.names) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = profile__collect(p->profile, from, to, encode_stack, &e);
	if (err)
		goto cleanup;
	err = put_u32(raw, (__u32)p->pid) ?: put_u64(raw, p->start_time) ?:
	      put_u32(raw, p->uid) ?: put_u32(raw, p->uid) ?:
	      put_u32(raw, p->info.version_hex) ?: put_u32(raw, p->info.supported) ?:
	      put_str(raw, p->comm) ?: put_str(raw, p->exe) ?: put_str(raw, p->info.why) ?:
	      put_u32(raw, e.nr_names);
	for (__u32 i = 0; i < e.nr_names && !err; i++)
		err = put_str(raw, e.names[i]);
	err = err ?: put_u32(raw, e.nr_stacks) ?: put(raw, stacks.buf, stacks.len);
cleanup:
	strbuf__done(&stacks);
	free(e.local);
	free(e.names);
	return err;
}

static int write_file(const char *dir, __u64 index, const struct strbuf *raw)
{
	char path[4096], tmp[4096];
	uLongf zlen = compressBound(raw->len);
	__u8 *z = malloc(zlen + 16);
	__u64 rawlen = raw->len;
	int fd = -1, err = 0;

	if (!z)
		return -ENOMEM;
	if (compress2(z + 16, &zlen, (const Bytef *)raw->buf, raw->len, Z_BEST_SPEED) != Z_OK) {
		err = -EIO;
		goto cleanup;
	}
	memcpy(z, STATE_MAGIC, 8);
	memcpy(z + 8, &rawlen, 8);
	snprintf(path, sizeof(path), "%s/w%llu.pyprof", dir, (unsigned long long)index);
	snprintf(tmp, sizeof(tmp), "%s/.w%llu.pyprof.tmp", dir, (unsigned long long)index);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	for (size_t off = 0, n = zlen + 16; off < n;) {
		ssize_t w = write(fd, z + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		err = -errno;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		err = -errno;
cleanup:
	if (fd >= 0)
		close(fd);
	if (err)
		(void)unlink(tmp);
	free(z);
	return err;
}

/* Writes window index (every process with samples in it). */
static int write_window(struct daemon *d, __u64 index)
{
	__u64 w = d->cfg.window_ns, from = index * w, to = from + w;
	__u64 now = prof_time(now_ns()), wall = wall_ns();
	struct strbuf raw = { 0 };
	char id[BOOT_ID_LEN];
	__u32 nr = 0;
	size_t nr_off;
	int err;

	boot_id(id);
	err = put_u64(&raw, w) ?: put_u64(&raw, from) ?: put_u64(&raw, wall - (now - from)) ?:
	      put(&raw, id, BOOT_ID_LEN);
	nr_off = raw.len;
	err = err ?: put_u32(&raw, 0);
	procs__for_each(d, p)
	{
		if (err || !profile__samples(p->profile, from, to))
			continue;
		err = encode_proc(&raw, p, from, to);
		nr++;
	}
	if (!err && nr) {
		memcpy(raw.buf + nr_off, &nr, sizeof(nr));
		err = write_file(d->cfg.state_dir, index, &raw);
	}
	strbuf__done(&raw);
	return err;
}

/* Bounds-checked reader over the decompressed bytes. */
struct reader {
	const __u8 *p, *end;
	bool bad;
};

static void get(struct reader *r, void *v, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
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

/* A string of the file, NUL-terminated copy in buf (cut to sz - 1). */
static const char *get_str(struct reader *r, char *buf, size_t sz)
{
	__u32 n = get_u32(r);
	size_t keep;

	if (r->bad || (size_t)(r->end - r->p) < n || memchr(r->p, '\0', n)) {
		r->bad = true;
		buf[0] = '\0';
		return buf;
	}
	keep = n < sz - 1 ? n : sz - 1;
	memcpy(buf, r->p, keep);
	buf[keep] = '\0';
	r->p += n;
	return buf;
}

/* Adds one process's part of a window; on a parse error returns -EBADMSG. */
static int load_proc(struct daemon *d, struct reader *r, __u64 ts)
{
	static char name[1 << 16];
	char comm[PYPROF_COMM_LEN + 1], exe[4096], why[sizeof(((struct pyinterp_info *)0)->why)];
	__u32 nr_names, nr_stacks, *ids = NULL, *stack = NULL;
	__u32 pid, ruid, euid, version, supported;
	struct pyproc *p;
	__u64 start;
	int err = 0;

	pid = get_u32(r);
	start = get_u64(r);
	ruid = get_u32(r);
	euid = get_u32(r);
	version = get_u32(r);
	supported = get_u32(r);
	get_str(r, comm, sizeof(comm));
	get_str(r, exe, sizeof(exe));
	get_str(r, why, sizeof(why));
	nr_names = get_u32(r);
	if (r->bad || !pid || pid > 0x7fffffff || nr_names > (size_t)(r->end - r->p) / 4)
		return -EBADMSG;
	p = procs__restore(d, (int)pid, start);
	if (!p)
		return -ENOMEM;
	if (p->restored) {
		/* Files of older versions kept real and effective uids: equal or nobody's. */
		p->uid = ruid == euid ? ruid : PYPROFD_UID_NONE;
		p->info.version_hex = version;
		p->info.supported = supported != 0;
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
		snprintf(p->info.why, sizeof(p->info.why), "%s", why);
		if (!p->exe)
			p->exe = strdup(exe);
	}
	ids = calloc(nr_names ? nr_names : 1, sizeof(*ids));
	stack = calloc(PROFILE_MAX_DEPTH, sizeof(*stack));
	if (!ids || !stack) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (__u32 i = 0; i < nr_names && !err; i++) {
		get_str(r, name, sizeof(name));
		err = r->bad ? -EBADMSG : profile__intern(p->profile, name, strlen(name), &ids[i]);
	}
	nr_stacks = err ? 0 : get_u32(r);
	for (__u32 i = 0; i < nr_stacks && !err && !r->bad; i++) {
		__u32 nr = get_u32(r);
		__u64 count;

		if (!nr || nr > PROFILE_MAX_DEPTH) {
			err = -EBADMSG;
			break;
		}
		for (__u32 k = 0; k < nr; k++) {
			__u32 local = get_u32(r);

			if (local >= nr_names) {
				r->bad = true;
				break;
			}
			stack[k] = ids[local];
		}
		count = get_u64(r);
		if (!r->bad && count)
			err = profile__add(p->profile, ts, stack, nr, count);
	}
	if (r->bad)
		err = -EBADMSG;
cleanup:
	free(ids);
	free(stack);
	return err;
}

static int read_whole(const char *path, __u8 **ret, size_t *ret_len)
{
	struct stat st;
	__u8 *buf = NULL;
	size_t off = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_MAX_FILE || st.st_size < 16) {
		err = -EBADMSG;
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EBADMSG;
			goto cleanup;
		}
		off += (size_t)n;
	}
	*ret = buf;
	*ret_len = off;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

/*
 * Loads one window file.  Where it lands on the profiles' clock: the same
 * boot keeps its own numbers; after a reboot the wall clock says how long
 * ago it was.  Returns 0, -ESTALE (older than the retention, or from the
 * future), or an error that makes the file corrupt.
 */
static int load_file(struct daemon *d, const char *path, const char *my_boot, __u64 *ret_start)
{
	__u8 *file = NULL, *raw = NULL;
	size_t len = 0;
	__u64 rawlen, window_ns, start, start_wall, now = prof_time(now_ns()), ts;
	char id[BOOT_ID_LEN];
	struct reader r;
	uLongf dlen;
	__u32 nr;
	int err;

	err = read_whole(path, &file, &len);
	if (err)
		goto cleanup;
	memcpy(&rawlen, file + 8, 8);
	if (memcmp(file, STATE_MAGIC, 8) != 0 || rawlen < 8 * 3 + BOOT_ID_LEN + 4 ||
	    rawlen > STATE_MAX_RAW) {
		err = -EBADMSG;
		goto cleanup;
	}
	raw = malloc(rawlen);
	if (!raw) {
		err = -ENOMEM;
		goto cleanup;
	}
	dlen = rawlen;
	if (uncompress(raw, &dlen, file + 16, len - 16) != Z_OK || dlen != rawlen) {
		err = -EBADMSG;
		goto cleanup;
	}
	r = (struct reader){ .p = raw, .end = raw + rawlen };
	window_ns = get_u64(&r);
	start = get_u64(&r);
	start_wall = get_u64(&r);
	get(&r, id, BOOT_ID_LEN);
	nr = get_u32(&r);
	if (r.bad || !window_ns) {
		err = -EBADMSG;
		goto cleanup;
	}
	/* Another boot's clock started elsewhere: the wall clock says how long ago. */
	if (memcmp(id, my_boot, BOOT_ID_LEN) != 0) {
		__u64 age = wall_ns() - start_wall;

		if (start_wall > wall_ns() || age >= now) {
			err = -ESTALE;
			goto cleanup;
		}
		start = now - age;
	}
	if (start + window_ns + d->cfg.retention_ns <= now) {
		err = -ESTALE;
		goto cleanup;
	}
	/* The middle of the old window: it lands in the window holding that instant. */
	ts = start + window_ns / 2;
	for (__u32 i = 0; i < nr && !err; i++)
		err = load_proc(d, &r, ts);
	*ret_start = start;
cleanup:
	free(raw);
	free(file);
	return err;
}

static bool state_file_name(const char *name, __u64 *ret_index)
{
	unsigned long long idx;
	int n = 0;

	if (sscanf(name, "w%llu.pyprof%n", &idx, &n) != 1 || name[n] != '\0')
		return false;
	*ret_index = idx;
	return true;
}

int state__load(struct daemon *d)
{
	char my_boot[BOOT_ID_LEN], path[4096];
	struct dirent *de;
	unsigned int loaded = 0, bad = 0;
	DIR *dir;

	if (!d->cfg.state_dir)
		return 0;
	if (mkdir(d->cfg.state_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	dir = opendir(d->cfg.state_dir);
	if (!dir)
		return -errno;
	boot_id(my_boot);
	while ((de = readdir(dir))) {
		__u64 index, mono = 0;
		int err;

		if (!state_file_name(de->d_name, &index))
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->cfg.state_dir, de->d_name);
		err = load_file(d, path, my_boot, &mono);
		if (err == -ESTALE) {
			(void)unlink(path);
		} else if (err) {
			bad++;
			log_msg(d, LOG_WARN, "Ignoring state file '%s': %s", path,
				err == -EBADMSG ? "corrupt or truncated" : strerror(-err));
		} else {
			loaded++;
		}
	}
	closedir(dir);
	d->state_files_bad += bad;
	/* Windows finished before this start are on disk already. */
	d->state_written = (prof_time(now_ns()) - STATE_GRACE_NS) / d->cfg.window_ns;
	if (loaded || bad)
		log_msg(d, LOG_INFO, "state: %u windows loaded from '%s', %u skipped", loaded,
			d->cfg.state_dir, bad);
	return 0;
}

/* Removes files of windows past the retention. */
static void remove_expired(struct daemon *d)
{
	__u64 now = prof_time(now_ns()), index;
	char path[4096];
	struct dirent *de;
	DIR *dir = opendir(d->cfg.state_dir);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!state_file_name(de->d_name, &index))
			continue;
		if ((index + 1) * d->cfg.window_ns + d->cfg.retention_ns > now)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->cfg.state_dir, de->d_name);
		(void)unlink(path);
	}
	closedir(dir);
}

void state__tick(struct daemon *d)
{
	__u64 now = prof_time(now_ns());
	bool wrote = false;

	if (!d->cfg.state_dir)
		return;
	/* Every window that can no longer get samples, once. */
	while ((d->state_written + 1) * d->cfg.window_ns + STATE_GRACE_NS <= now) {
		int err = write_window(d, d->state_written);

		if (err) {
			d->state_write_errors++;
			log_msg(d, LOG_WARN, "Failed to save window to '%s': %s", d->cfg.state_dir,
				strerror(-err));
		}
		d->state_written++;
		wrote = true;
	}
	if (wrote)
		remove_expired(d);
}

void state__flush(struct daemon *d)
{
	__u64 last;

	if (!d->cfg.state_dir)
		return;
	state__tick(d);
	/* The windows still open: written as they are, merged again after a restart. */
	last = prof_time(now_ns()) / d->cfg.window_ns;
	for (__u64 i = d->state_written; i <= last; i++)
		if (write_window(d, i))
			d->state_write_errors++;
}
