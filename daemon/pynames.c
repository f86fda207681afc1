// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pyprofd: thread names of a process, from threading._active (and the OS on 3.14+). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/procns.h"
#include "target/pyobjects.h"
#include "base/util.h"
#include "pynames.h"
#include "pyproc.h"
#include "target.h"

#define PYNAMES_REFRESH_NS NSEC_PER_SEC		/* names read again this often (renames) */
#define PYNAMES_MISS_NS	   (100 * NSEC_PER_MSEC)	/* at most this often for a new thread */
/*
 * ... when the last read took at most this many reads of the target (~250
 * threads): a bigger process's new threads wait for the next refresh, so
 * that thread starts cost at most 10 small reads a second.
 */
#define PYNAMES_MISS_READS 4096

struct pyname {
	__u32 tid;		/* on the host: what samples carry (sorted by it) */
	__u32 ns_tid;		/* in the process's pid namespace (Thread.native_id) */
	__u64 ident;		/* threading.get_ident() */
	__u8 source;		/* enum pynames_source */
	char name[PYNAMES_MAX_NAME];
};

/* A thread's tid in its pid namespace and on the host. */
struct tid_pair {
	__u32 ns_tid, host_tid;
};

struct pynames_proc {
	bool layout_tried, layout_ok;
	struct pyobj_layout layout;
	__u64 threading_dict;		/* pyobj__threads()'s cache */
	__u64 refreshed_ns;		/* 0: never */
	unsigned int last_reads;	/* reads of target memory the last refresh made */
	struct pyname *names;		/* sorted by tid */
	size_t nr, cap;
	struct pyname *next;		/* the names a refresh collects */
	size_t next_nr, next_cap;
	int same_ns;			/* -1 unknown, 0 no, 1 the tids need no mapping */
	struct tid_pair *pairs;		/* sorted by host tid */
	size_t nr_pairs, cap_pairs;
	struct pynames_stats stats;
};

/*
 * Reads of target memory one refresh may make: a thread costs ~15 once its
 * attribute names are known (PYNAMES_MAX_THREADS ~61000), and a hostile
 * process cannot make the daemon spend more than this.
 */
#define PYNAMES_MAX_READS 131072

struct read_ctx {
	int pid;
	unsigned int reads;
};

static int read_proc_ctx(void *ctx, __u64 addr, void *buf, size_t len)
{
	struct read_ctx *c = ctx;

	if (++c->reads > PYNAMES_MAX_READS)
		return -EFAULT;
	return target_read(c->pid, addr, buf, len);
}

static int cmp_name_tid(const void *a, const void *b)
{
	__u32 x = ((const struct pyname *)a)->tid, y = ((const struct pyname *)b)->tid;

	return x < y ? -1 : x > y;
}

static struct pyname *find_tid(struct pynames_proc *pn, __u32 tid)
{
	struct pyname key = { .tid = tid };

	return pn->nr ? bsearch(&key, pn->names, pn->nr, sizeof(key), cmp_name_tid) : NULL;
}

static int cmp_pair_host(const void *a, const void *b)
{
	__u32 x = ((const struct tid_pair *)a)->host_tid;
	__u32 y = ((const struct tid_pair *)b)->host_tid;

	return x < y ? -1 : x > y;
}

static const struct tid_pair *pair_of_host(const struct pynames_proc *pn, __u32 host)
{
	struct tid_pair key = { .host_tid = host };

	return pn->nr_pairs ? bsearch(&key, pn->pairs, pn->nr_pairs, sizeof(key), cmp_pair_host)
			    : NULL;
}

/*
 * The namespace tids of the process's tasks, read again: the status file of
 * a task already known is not reopened (a tid stays a thread's for its life).
 */
static int pairs_read(int pid, struct pynames_proc *pn)
{
	struct tid_pair *cur = NULL;
	size_t nr = 0, cap = 0;
	char path[64];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && nr < PYNAMES_MAX_THREADS * 2) {
		char *end;
		long tid = strtol(de->d_name, &end, 10), first, ns;
		const struct tid_pair *known;

		if (*end || tid <= 0 || tid > 0x7fffffff)
			continue;
		known = pair_of_host(pn, (__u32)tid);
		if (known) {
			ns = known->ns_tid;
		} else {
			if (procns__read(pid, tid, &first, &ns))
				continue; /* exited meanwhile */
		}
		if (grow_array((void **)&cur, &cap, nr + 1, sizeof(*cur))) {
			err = -ENOMEM;
			break;
		}
		cur[nr++] = (struct tid_pair){ .ns_tid = (__u32)ns, .host_tid = (__u32)tid };
	}
	closedir(dir);
	if (err) {
		free(cur);
		return err;
	}
	free(pn->pairs);
	pn->pairs = cur;
	pn->nr_pairs = nr;
	pn->cap_pairs = cap;
	if (nr)
		qsort(pn->pairs, nr, sizeof(*pn->pairs), cmp_pair_host);
	return 0;
}

/* The host tid of a namespace tid, 0 if none (linear: only containers need it). */
static __u32 host_of_ns(const struct pynames_proc *pn, __u32 ns_tid)
{
	for (size_t i = 0; i < pn->nr_pairs; i++)
		if (pn->pairs[i].ns_tid == ns_tid)
			return pn->pairs[i].host_tid;
	return 0;
}

struct collect_ctx {
	struct pynames_proc *pn;
	bool reread;	/* the task list was read again in this refresh */
	int pid;
};

static int collect_one(void *ctx, const struct pyobj_thread *t)
{
	struct collect_ctx *c = ctx;
	struct pynames_proc *pn = c->pn;
	__u32 host = (__u32)t->native_id;
	struct pyname *e;

	if (!pn->same_ns) {
		host = host_of_ns(pn, (__u32)t->native_id);
		if (!host && !c->reread) {
			c->reread = true;
			if (pairs_read(c->pid, pn) == 0)
				host = host_of_ns(pn, (__u32)t->native_id);
		}
		if (!host)
			return 0; /* exited, or not started yet */
	}
	if (grow_array((void **)&pn->next, &pn->next_cap, pn->next_nr + 1, sizeof(*pn->next)))
		return -ENOMEM;
	e = &pn->next[pn->next_nr++];
	*e = (struct pyname){ .tid = host, .ns_tid = (__u32)t->native_id, .ident = t->ident,
			      .source = PYNAMES_PYTHON };
	snprintf(e->name, sizeof(e->name), "%s", t->name);
	return 0;
}

/* The main interpreter of p: 0 or -EFAULT. */
static int main_interp(const struct pyproc *p, __u64 *interp)
{
	__s16 off = p->info.layout.runtime_interp_head;

	if (off < 0)
		return -EFAULT;
	return target_read(p->pid, p->runtime_addr + (__u64)off, interp, sizeof(*interp));
}

static bool os_name(const struct pyproc *p, __u32 tid, char *buf);

/*
 * Sorts the names a refresh collected and keeps the threads _active does
 * not name: their OS name read again (3.14+), or that they have none, for
 * as long as they live.  Otherwise each of them would cause a refresh
 * again after every one.
 */
static void carry_unnamed(const struct pyproc *p, struct pynames_proc *pn)
{
	size_t collected = pn->next_nr;
	char path[96];

	if (collected)
		qsort(pn->next, collected, sizeof(*pn->next), cmp_name_tid);
	for (size_t i = 0; i < pn->nr && pn->next_nr < PYNAMES_MAX_THREADS; i++) {
		struct pyname e = pn->names[i];

		if (e.source == PYNAMES_PYTHON ||
		    (collected && bsearch(&e, pn->next, collected, sizeof(e), cmp_name_tid)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%u", p->pid, e.tid);
		if (access(path, F_OK))
			continue; /* exited */
		e.source = os_name(p, e.tid, e.name) ? PYNAMES_OS : 0;
		if (grow_array((void **)&pn->next, &pn->next_cap, pn->next_nr + 1,
			       sizeof(*pn->next)))
			break;
		pn->next[pn->next_nr++] = e;
	}
	if (pn->next_nr > collected)
		qsort(pn->next, pn->next_nr, sizeof(*pn->next), cmp_name_tid);
}

static void refresh(struct pyproc *p, struct pynames_proc *pn, __u64 ts)
{
	struct read_ctx rc = { .pid = p->pid };
	struct pyobj_reader r = { .read = read_proc_ctx, .ctx = &rc };
	struct collect_ctx c = { .pn = pn, .pid = p->pid };
	struct pyobj_threads_stats st = { 0 };
	struct pyname *swap;
	size_t cap;
	__u64 interp;
	int err;

	pn->refreshed_ns = ts;
	if (!pn->layout_tried) {
		pn->layout_tried = true;
		pn->layout_ok = pyobj__layout(&p->info, &pn->layout) == 0;
	}
	if (!pn->layout_ok)
		return;
	if (pn->same_ns < 0) {
		long first, last;

		if (procns__read(p->pid, 0, &first, &last) == 0)
			pn->same_ns = first == last;
	}
	if (pn->same_ns < 0)
		return;
	pn->stats.refreshes++;
	pn->next_nr = 0;
	err = main_interp(p, &interp);
	err = err ?: pyobj__threads(&r, &pn->layout, interp, &pn->threading_dict,
				    PYNAMES_MAX_THREADS, collect_one, &c, &st);
	pn->last_reads = rc.reads;
	pn->stats.unreadable += st.unreadable;
	if (err == -EBADMSG)
		pn->stats.corrupt++;
	else if (err && err != -ENOENT && err != -E2BIG)
		pn->stats.failed++;
	if (err && err != -E2BIG && err != -ENOENT)
		return; /* keep the names of the last good read */
	carry_unnamed(p, pn);
	swap = pn->names;
	cap = pn->cap;
	pn->names = pn->next;
	pn->nr = pn->next_nr;
	pn->cap = pn->next_cap;
	pn->next = swap;
	pn->next_cap = cap;
	pn->next_nr = 0;
}

/*
 * 3.14+ names a thread started by threading after it (15 bytes): the OS
 * name, when it is not the process's own (which every other thread
 * inherits).  Into buf (PYNAMES_MAX_NAME); false when there is none.
 */
static bool os_name(const struct pyproc *p, __u32 tid, char *buf)
{
	char path[96];
	ssize_t n;
	int fd;

	if ((p->info.version_hex >> 16) < 0x030e)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", p->pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, PYNAMES_MAX_NAME - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] && strcmp(buf, p->comm) != 0;
}

/*
 * Adds what is known of a thread threading._active does not name: its OS
 * name, or that it has none (source 0), so that its next samples wait for
 * the next refresh instead of causing one.  NULL when full.
 */
static struct pyname *add_unnamed(const struct pyproc *p, struct pynames_proc *pn, __u32 tid)
{
	struct pyname e = { .tid = tid };
	size_t lo = 0, hi = pn->nr;

	if (pn->nr >= PYNAMES_MAX_THREADS)
		return NULL;
	if (os_name(p, tid, e.name))
		e.source = PYNAMES_OS;
	else
		e.name[0] = '\0';
	if (grow_array((void **)&pn->names, &pn->cap, pn->nr + 1, sizeof(*pn->names)))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pn->names[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&pn->names[lo + 1], &pn->names[lo], (pn->nr - lo) * sizeof(*pn->names));
	pn->names[lo] = e;
	pn->nr++;
	return &pn->names[lo];
}

static struct pynames_proc *state_of(struct pyproc *p)
{
	if (!p->names) {
		p->names = calloc(1, sizeof(*p->names));
		if (p->names)
			p->names->same_ns = -1;
	}
	return p->names;
}

/* Refreshes when due: every PYNAMES_REFRESH_NS, or PYNAMES_MISS_NS after a miss. */
static void maybe_refresh(struct pyproc *p, struct pynames_proc *pn, bool miss, __u64 ts)
{
	__u64 age = ts - pn->refreshed_ns;

	/* Samples of other CPUs arrive a little out of order: an older one is not due. */
	if (pn->refreshed_ns && ts < pn->refreshed_ns)
		return;
	/* Full: the threads past PYNAMES_MAX_THREADS miss every time, and must not refresh. */
	if (pn->nr >= PYNAMES_MAX_THREADS || pn->last_reads > PYNAMES_MISS_READS)
		miss = false;
	if (!pn->refreshed_ns || age >= PYNAMES_REFRESH_NS || (miss && age >= PYNAMES_MISS_NS))
		refresh(p, pn, ts);
}

const char *pynames__name(struct pyproc *p, __u32 tid, __u64 ts, enum pynames_source *source)
{
	struct pynames_proc *pn;
	struct pyname *e;

	if (!p->live || !p->info.supported)
		return NULL;
	pn = state_of(p);
	if (!pn)
		return NULL;
	e = find_tid(pn, tid);
	maybe_refresh(p, pn, !e, ts);
	e = find_tid(pn, tid) ?: add_unnamed(p, pn, tid);
	if (!e || !e->source)
		return NULL;
	if (source)
		*source = e->source;
	return e->name;
}

int pynames__by_ident(struct pyproc *p, __u64 ident, __u64 ts, long *ns_tid, long *host_tid)
{
	struct pynames_proc *pn;

	if (!p->live || !p->info.supported)
		return -ENOENT;
	pn = state_of(p);
	if (!pn)
		return -ENOMEM;
	maybe_refresh(p, pn, false, ts);
	for (size_t i = 0; i < pn->nr; i++) {
		if (pn->names[i].source != PYNAMES_PYTHON || pn->names[i].ident != ident)
			continue;
		*ns_tid = pn->names[i].ns_tid;
		*host_tid = pn->names[i].tid;
		return 0;
	}
	return -ENOENT;
}

void pynames__refresh(struct pyproc *p, __u64 ts)
{
	struct pynames_proc *pn;

	if (!p->live || !p->info.supported)
		return;
	pn = state_of(p);
	if (pn)
		refresh(p, pn, ts);
}

void pynames__stats(const struct pyproc *p, struct pynames_stats *st)
{
	const struct pynames_proc *pn = p->names;

	if (!pn)
		return;
	for (size_t i = 0; i < pn->nr; i++)
		st->known += pn->names[i].source != 0;
	st->refreshes += pn->stats.refreshes;
	st->unreadable += pn->stats.unreadable;
	st->failed += pn->stats.failed;
	st->corrupt += pn->stats.corrupt;
}

void pynames__forget(struct pyproc *p)
{
	struct pynames_proc *pn = p->names;

	if (!pn)
		return;
	free(pn->names);
	free(pn->next);
	free(pn->pairs);
	free(pn);
	p->names = NULL;
}
