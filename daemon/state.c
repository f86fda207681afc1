// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: history kept on disk (--state-dir), one zlib-compressed file per time window. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "profile/proclabel.h"
#include "profile/profile.h"
#include "base/safedir.h"
#include "profile/stacks.h"
#include "profile/statefile.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "procs.h"
#include "state.h"
#include "symbolize.h"

/*
 * One file per window (format in statefile.h), written to a temporary name
 * and renamed, so a crash leaves the old file or the new one.  Every file
 * operation is relative to the directory opened once at start (state->dirfd),
 * which must be the daemon's own and writable by nobody else: a path
 * component swapped for a symlink later cannot redirect a write.  A file is
 * decoded and checked whole before any of it reaches a process; anything
 * that does not check out is reported and skipped.
 */
#define STATE_GRACE_NS	 (2 * NSEC_PER_SEC)	/* late samples a window still takes */

struct state {
	const struct config *cfg;
	struct procs *procs;		/* whose records the history goes to and comes from */
	int dirfd;			/* --state-dir, opened and checked once; -1 = none */
	__u64 written;			/* next window index to save */
	struct state_stats stats;
};

struct state *state__new(const struct config *cfg, struct procs *procs)
{
	struct state *state = calloc(1, sizeof(*state));

	if (!state)
		return NULL;
	state->cfg = cfg;
	state->procs = procs;
	state->dirfd = -1;
	return state;
}

void state__free(struct state *state)
{
	if (!state)
		return;
	if (state->dirfd >= 0)
		close(state->dirfd);
	free(state);
}

void state__stats(const struct state *state, struct state_stats *ret)
{
	*ret = state->stats;
}

static void boot_id(char id[STATEFILE_BOOT_ID])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char buf[64] = "";

	memset(id, '0', STATEFILE_BOOT_ID);
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && strlen(buf) >= STATEFILE_BOOT_ID)
		memcpy(id, buf, STATEFILE_BOOT_ID);
	fclose(f);
}

static __u64 wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* One process's part of a window, built from its profile. */
struct encode_ctx {
	const struct profile *prof;
	struct statefile_proc *out;
	__u32 *local;			/* profile id -> local frame index + 1 */
	size_t nr_local_max;
	size_t cap_frames, cap_stacks, cap_ids, nr_ids;
	__u8 bucket;			/* the bucket being collected */
};

static int encode_stack(const __u32 *ids, size_t nr, sample_tag_t tag, __u64 count, void *arg)
{
	struct encode_ctx *e = arg;
	struct statefile_proc *o = e->out;
	struct statefile_stack *st;

	if (grow_array((void **)&o->stacks, &e->cap_stacks, o->nr_stacks + 1, sizeof(*o->stacks)) ||
	    grow_array((void **)&o->ids, &e->cap_ids, e->nr_ids + nr, sizeof(*o->ids)) ||
	    grow_array((void **)&o->frames, &e->cap_frames, o->nr_frames + nr, sizeof(*o->frames)))
		return -ENOMEM;
	st = &o->stacks[o->nr_stacks++];
	*st = (struct statefile_stack){ .off = (__u32)e->nr_ids, .nr = (__u32)nr, .count = count,
					.tag = tag, .bucket = e->bucket };
	for (size_t i = 0; i < nr; i++) {
		__u32 id = ids[i];

		if (id >= e->nr_local_max)
			return -EINVAL;
		/* A copy: its strings stay the profile's, unchanged while the window is written. */
		if (!e->local[id]) {
			o->frames[o->nr_frames] = *profile__frame(e->prof, id);
			e->local[id] = ++o->nr_frames;
		}
		o->ids[e->nr_ids++] = e->local[id] - 1;
	}
	return 0;
}

/*
 * The labels process o is saved with: labels[0..nr), by reference (they
 * must stay as they are until the window is written; the codec only reads
 * them).  A set that breaks proclabel.h's rules, which the codec would
 * refuse with the whole window, is left out and said so: the samples matter
 * more than the labels.
 */
static void state__proc_labels(struct statefile_proc *o, const struct proclabel *labels,
			       size_t nr)
{
	o->nr_labels = 0;
	o->labels = NULL;
	if (!nr)
		return;
	if (!labels || !proclabel__valid_set(labels, nr)) {
		log_msg(LOG_WARN, "pid %d: %zu labels break the label rules, saved without them",
			o->pid, nr);
		return;
	}
	o->nr_labels = (__u32)nr;
	o->labels = (struct proclabel *)labels;
}

/*
 * Fills o with p's part of the window at from, bucket by bucket (a
 * collection of one whole bucket is exactly its counts); its arrays are the
 * caller's to free.
 */
static int encode_proc(struct statefile_proc *o, const struct pyproc *p, __u64 from,
		       __u64 window_ns, __u64 bucket_ns)
{
	struct profile_stats ps;
	struct encode_ctx e = { .prof = p->profile, .out = o };
	int err = 0;

	*o = (struct statefile_proc){
		.pid = p->pid, .start_time = p->start_time, .ruid = p->uid, .euid = p->uid,
		.version_hex = p->info.version_hex, .supported = p->info.supported,
		.comm = p->comm, .exe = p->exe ? p->exe : "", .why = p->info.why,
		.cmdline = p->cmdline,
	};
	state__proc_labels(o, p->labels, p->nr_labels);
	profile__stats(p->profile, &ps);
	e.nr_local_max = ps.frames;
	e.local = calloc(ps.frames + 1, sizeof(*e.local));
	if (!e.local)
		return -ENOMEM;
	for (__u64 b = 0; b < window_ns / bucket_ns && !err; b++) {
		__u64 start = from + b * bucket_ns;

		if (!profile__samples(p->profile, start, start + bucket_ns))
			continue;
		e.bucket = (__u8)b;
		err = profile__collect(p->profile, start, start + bucket_ns, encode_stack, &e);
	}
	free(e.local);
	return err;
}

/*
 * A new file, never an existing one: O_EXCL|O_NOFOLLOW, so nothing planted
 * at the name (a symlink above all) is opened.  A leftover of a crash is
 * removed (unlinkat removes a symlink itself, not its target) and the
 * creation tried once more.
 */
static int create_tmp(int dirfd, const char *name)
{
	for (int tries = 0;; tries++) {
		int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);

		if (fd >= 0)
			return fd;
		if (errno != EEXIST || tries)
			return -errno;
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return -errno;
	}
}

static int write_file(int dirfd, __u64 index, const struct strbuf *raw)
{
	char path[64], tmp[64];
	__u8 *z = NULL;
	size_t zlen;
	int fd = -1, err;

	err = statefile__compress((const __u8 *)raw->buf, raw->len, &z, &zlen);
	if (err)
		return err;
	snprintf(path, sizeof(path), "w%llu.pyprof", (unsigned long long)index);
	snprintf(tmp, sizeof(tmp), ".w%llu.pyprof.tmp", (unsigned long long)index);
	fd = create_tmp(dirfd, tmp);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	err = fd__write_all(fd, z, zlen);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	/* rename() replaces whatever is at the final name, a symlink included, never its target. */
	if (!err && renameat(dirfd, tmp, dirfd, path) < 0)
		err = -errno;
	if (err)
		(void)unlinkat(dirfd, tmp, 0);
cleanup:
	free(z);
	return err;
}

/* Writes window index (every process with samples in it). */
static int write_window(struct state *state, __u64 index)
{
	__u64 w = state->cfg->window_ns, from = index * w, to = from + w;
	__u64 now = prof_time(now_ns()), wall = wall_ns();
	struct statefile sf = { .window_ns = w, .bucket_ns = config__bucket_ns(state->cfg),
				.start = from, .start_wall = wall - (now - from) };
	struct strbuf raw = { 0 };
	size_t cap = 0;
	int err = 0;

	boot_id(sf.boot_id);
	procs__for_each(state->procs, p)
	{
		if (err || !profile__samples(p->profile, from, to))
			continue;
		err = grow_array((void **)&sf.procs, &cap, sf.nr_procs + 1, sizeof(*sf.procs));
		if (!err)
			err = encode_proc(&sf.procs[sf.nr_procs++], p, from, w, sf.bucket_ns);
	}
	if (!err && sf.nr_procs)
		err = statefile__encode_raw(&sf, &raw) ?: write_file(state->dirfd, index, &raw);
	for (__u32 i = 0; i < sf.nr_procs; i++) {
		free(sf.procs[i].frames);
		free(sf.procs[i].stacks);
		free(sf.procs[i].ids);
	}
	free(sf.procs);
	strbuf__done(&raw);
	return err;
}

/* The whole regular file name in the state dir (a FIFO or symlink there is not opened). */
static int read_whole(int dirfd, const char *name, __u8 **ret, size_t *ret_len)
{
	struct stat st;
	__u8 *buf = NULL;
	size_t off = 0;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STATEFILE_MAX_FILE ||
	    st.st_size < STATEFILE_HDR_LEN) {
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
 * Where the samples of bucket b of a window placed at start go: the middle of
 * the bucket, so that they land in the bucket holding that instant.  Never
 * after now: the current window's file would otherwise put its samples in a
 * bucket no range ending now holds.
 */
static __u64 bucket_ts(const struct statefile *sf, __u64 start, __u8 b, __u64 now)
{
	__u64 at = start + b * sf->bucket_ns + sf->bucket_ns / 2;

	return at < now ? at : now;
}

/*
 * Gives one decoded process's history to its record, each stack at its
 * bucket's time.  The file was checked whole already; what can still fail
 * here is memory.
 */
static int apply_proc(struct state *state, const struct statefile *sf,
		      const struct statefile_proc *sp, __u64 start, __u64 now)
{
	const struct procs_history h = {
		.pid = sp->pid, .start_time = sp->start_time,
		/* Files of older versions kept real and effective uids: equal, or nobody's. */
		.uid = sp->ruid == sp->euid ? sp->ruid : PYPROFD_UID_NONE,
		.version_hex = sp->version_hex, .supported = sp->supported,
		.comm = sp->comm, .exe = sp->exe, .why = sp->why, .cmdline = sp->cmdline,
		.labels = sp->labels, .nr_labels = sp->nr_labels,
	};
	__u32 *ids;
	struct pyproc *p;
	int err = 0;

	p = procs__restore(state->procs, &h);
	if (!p)
		return -ENOMEM;
	ids = calloc(sp->nr_frames ? sp->nr_frames : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (__u32 i = 0; i < sp->nr_frames && !err; i++)
		err = profile__intern(p->profile, &sp->frames[i], &ids[i]);
	for (__u32 i = 0; i < sp->nr_stacks && !err; i++) {
		const struct statefile_stack *st = &sp->stacks[i];
		__u32 stack[STACK_MAX_DEPTH];

		for (__u32 k = 0; k < st->nr; k++)
			stack[k] = ids[sp->ids[st->off + k]];
		err = profile__add(p->profile, bucket_ts(sf, start, st->bucket, now), st->tag, stack,
				   st->nr, st->count);
	}
	/* The samples the record holds: what `list` shows for a process not seen since. */
	if (!err)
		err = symbolize__add_samples(p, sp->samples);
	free(ids);
	return err;
}

static void remove_expired(struct state *state);

/* The span of windows that files of an older clock (statefile.h, W4 and before) moved into. */
struct converted {
	__u64 first, last;	/* window indices on this clock; first > last: none */
};

/*
 * Loads one window file.  Returns 0, -ESTALE (older than the retention),
 * -ERANGE (dated in the future), or an error that makes the file corrupt.
 */
static int load_file(struct state *state, const char *name, const char *my_boot,
		     struct converted *conv)
{
	struct statefile_clock clk = { .boot_id = my_boot, .now = prof_time(now_ns()),
				       .wall = wall_ns(),
				       .retention_ns = state->cfg->retention_ns };
	struct statefile sf = { 0 };
	__u8 *file = NULL;
	size_t len = 0;
	__u64 start = 0;
	int err;

	err = read_whole(state->dirfd, name, &file, &len);
	err = err ?: statefile__decode(file, len, &sf);
	err = err ?: statefile__place(&sf, &clk, &start);
	for (__u32 i = 0; i < sf.nr_procs && !err; i++)
		err = apply_proc(state, &sf, &sf.procs[i], start, clk.now);
	if (!err && sf.old_clock) {
		/* One bucket, the whole window (statefile.h): where all of it went. */
		__u64 index = bucket_ts(&sf, start, 0, clk.now) / state->cfg->window_ns;

		conv->first = index < conv->first ? index : conv->first;
		conv->last = index > conv->last ? index : conv->last;
	}
	statefile__fini(&sf);
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

/*
 * The state directory (0700 if made here), held open: whoever else could write
 * there could plant names that redirect or forge the daemon's files.
 */
static int open_state_dir(struct state *state)
{
	char why[256];
	int fd = safedir__open(state->cfg->state_dir, 0700, why, sizeof(why));

	if (fd < 0) {
		log_msg(LOG_ERR, "Refusing state directory '%s': %s", state->cfg->state_dir, why);
		return fd;
	}
	state->dirfd = fd;
	return 0;
}

/* A fresh stream over the state dir (its own offset, so each walk starts at the top). */
static DIR *state_dir_walk(struct state *state)
{
	int fd = openat(state->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;

	if (fd < 0)
		return NULL;
	dir = fdopendir(fd);
	if (!dir)
		close(fd);
	return dir;
}

int state__load(struct state *state)
{
	char my_boot[STATEFILE_BOOT_ID];
	struct dirent *de;
	unsigned int loaded = 0, bad = 0;
	struct converted conv = { UINT64_MAX, 0 };
	__u64 t0 = now_ns();
	DIR *dir;
	int err;

	if (!state->cfg->state_dir)
		return 0;
	err = open_state_dir(state);
	if (err)
		return err;
	dir = state_dir_walk(state);
	if (!dir)
		return -errno;
	boot_id(my_boot);
	while ((de = readdir(dir))) {
		__u64 index;

		if (!state_file_name(de->d_name, &index))
			continue;
		err = load_file(state, de->d_name, my_boot, &conv);
		if (err == -ESTALE) {
			(void)unlinkat(state->dirfd, de->d_name, 0);
		} else if (err) {
			bad++;
			log_msg(LOG_WARN, "Ignoring state file '%s/%s': %s", state->cfg->state_dir,
				de->d_name,
				err == -EBADMSG  ? "corrupt or truncated"
				: err == -ERANGE ? "dated in the future"
						 : strerror(-err));
		} else {
			loaded++;
		}
	}
	closedir(dir);
	state->stats.files_bad += bad;
	/* Windows finished before this start are on disk already. */
	state->written = (prof_time(now_ns()) - STATE_GRACE_NS) / state->cfg->window_ns;
	/*
	 * Files of the old clock are named on it: their history, now in memory on
	 * this clock, is written again under this clock's names (all files are
	 * loaded, so a window shared with a new file is written whole), and the
	 * old names expire.
	 */
	for (__u64 i = conv.first; i <= conv.last; i++)
		if (write_window(state, i))
			state->stats.write_errors++;
	if (conv.first <= conv.last)
		remove_expired(state);
	/* The daemon serves nothing while it loads: how long that was is worth saying. */
	if (loaded || bad)
		log_msg(LOG_INFO, "state: %u windows loaded from '%s' in %.2f s, %u skipped",
			loaded, state->cfg->state_dir, (double)(now_ns() - t0) / NSEC_PER_SEC, bad);
	return 0;
}

/* Removes files of windows past the retention. */
static void remove_expired(struct state *state)
{
	__u64 now = prof_time(now_ns()), index;
	struct dirent *de;
	DIR *dir = state_dir_walk(state);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!state_file_name(de->d_name, &index))
			continue;
		/* (index + 1) * w + retention > now, without the product: names are anyone's. */
		if (now <= state->cfg->retention_ns ||
		    index >= (now - state->cfg->retention_ns) / state->cfg->window_ns)
			continue;
		(void)unlinkat(state->dirfd, de->d_name, 0);
	}
	closedir(dir);
}

void state__tick(struct state *state)
{
	__u64 now = prof_time(now_ns());
	bool wrote = false;

	if (state->dirfd < 0)
		return;
	/* Every window that can no longer get samples, once. */
	while ((state->written + 1) * state->cfg->window_ns + STATE_GRACE_NS <= now) {
		int err = write_window(state, state->written);

		if (err) {
			state->stats.write_errors++;
			log_msg(LOG_WARN, "Failed to save window to '%s': %s", state->cfg->state_dir,
				strerror(-err));
		}
		state->written++;
		wrote = true;
	}
	if (wrote)
		remove_expired(state);
}

void state__flush(struct state *state)
{
	__u64 last;

	if (state->dirfd < 0)
		return;
	state__tick(state);
	/* The windows still open: written as they are, merged again after a restart. */
	last = prof_time(now_ns()) / state->cfg->window_ns;
	for (__u64 i = state->written; i <= last; i++)
		if (write_window(state, i))
			state->stats.write_errors++;
}
