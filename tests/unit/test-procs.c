// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for discovery (daemon/procs.c) against a /proc tree made here: each
 * fake process is a directory with stat, status, maps, an exe symlink and a
 * root symlink to "/", so the ELF files it maps are the host's own.  The
 * BPF side is a fake sampler that records what discovery asks of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "testhelp.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "config.h"
#include "procs.h"
#include "pyproc.h"
#include "sampler.h"

#define PYTHON	  "/usr/bin/python3.11"
#define NOT_PY	  "/usr/bin/true"
#define FAKE_MAX  16

/* The fake sampler: the BPF configuration it was asked to set and clear, in order. */
static struct {
	int set[FAKE_MAX], cleared[FAKE_MAX];
	__u64 runtime_addr[FAKE_MAX];
	int nr_set, nr_cleared;
} bpf;

int sampler__set_proc(struct sampler *s, int pid, const struct pyprof_proc *cfg)
{
	if (bpf.nr_set < FAKE_MAX) {
		bpf.runtime_addr[bpf.nr_set] = cfg->runtime_addr;
		bpf.set[bpf.nr_set++] = pid;
	}
	return 0;
}

void sampler__clear_proc(struct sampler *s, int pid)
{
	if (bpf.nr_cleared < FAKE_MAX)
		bpf.cleared[bpf.nr_cleared++] = pid;
}

int sampler__get_proc(struct sampler *s, int pid, struct pyprof_proc *ret)
{
	return -ENOENT;
}

void sampler__unknown_pid(struct sampler *s, int pid)
{
	sampler__clear_proc(s, pid);
}

int sampler__seed_tstates(struct sampler *s, const struct pyprof_thread_key *keys,
			  const __u64 *tstates, size_t nr)
{
	return -EOPNOTSUPP;
}

void sampler__drop_tstate(struct sampler *s, const struct pyprof_thread_key *key)
{
}

/* No probes: discovery goes on without them, as it does when attaching fails. */
struct bpf_link *sampler__attach_init(struct sampler *s, const char *path, __u64 off)
{
	errno = EOPNOTSUPP;
	return NULL;
}

struct bpf_link *sampler__attach_dlopen(struct sampler *s, const char *path, __u64 off)
{
	errno = EOPNOTSUPP;
	return NULL;
}

/* One test's world: a /proc tree and a process table over it. */
struct world {
	char root[64];
	struct config cfg;
	struct procs *ps;
};

static void world_init(struct world *w)
{
	if (access(PYTHON, R_OK) || access(NOT_PY, R_OK))
		TEST_SKIP("%s or %s not installed", PYTHON, NOT_PY);
	memset(&bpf, 0, sizeof(bpf));
	snprintf(w->root, sizeof(w->root), "/tmp/pyprof-procs-XXXXXX");
	ASSERT_TRUE(mkdtemp(w->root) != NULL);
	w->cfg = (struct config){ .window_ns = 10 * NSEC_PER_SEC, .retention_ns = 60 * NSEC_PER_SEC };
	w->ps = procs__new(w->root, &w->cfg, NULL);
	ASSERT_TRUE(w->ps != NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void world_done(struct world *w)
{
	procs__free(w->ps);
	(void)nftw(w->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void put_file(const struct world *w, int pid, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put_file(const struct world *w, int pid, const char *name, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/%s", w->root, pid, name);
	f = fopen(path, "we");
	ASSERT_TRUE(f != NULL);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ASSERT_EQ(fclose(f), 0);
}

/* /proc/PID/stat with this comm and starttime (field 22). */
static void put_stat(const struct world *w, int pid, const char *comm, __u64 start)
{
	put_file(w, pid, "stat",
		 "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 %llu 1000000 100 "
		 "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 pid, comm, pid, pid, (unsigned long long)start);
}

/* Makes the process run exe: the exe link, and a mapping of it at its first page. */
static void put_exe(const struct world *w, int pid, const char *exe)
{
	char path[128];
	struct stat st;

	ASSERT_EQ(stat(exe, &st), 0);
	snprintf(path, sizeof(path), "%s/%d/exe", w->root, pid);
	(void)unlink(path);
	ASSERT_EQ(symlink(exe, path), 0);
	put_file(w, pid, "maps", "555555554000-555555556000 r--p 00000000 %02x:%02x %llu %s\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, exe);
}

static void fake_proc(const struct world *w, int pid, const char *comm, __u64 start,
		      const char *exe)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%d", w->root, pid);
	ASSERT_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/root", w->root, pid);
	ASSERT_EQ(symlink("/", path), 0);
	put_stat(w, pid, comm, start);
	put_file(w, pid, "status", "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", comm,
		 getuid(), getuid(), getuid(), getuid(), getgid(), getgid(), getgid(), getgid());
	put_exe(w, pid, exe);
}

static void gone_proc(const struct world *w, int pid)
{
	static const char *const names[] = { "stat", "status", "maps", "exe", "root" };
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%d/%s", w->root, pid, names[i]);
		ASSERT_EQ(unlink(path), 0);
	}
	snprintf(path, sizeof(path), "%s/%d", w->root, pid);
	ASSERT_EQ(rmdir(path), 0);
}

/* Waits for the analysis worker, then lets discovery take its results. */
static void analysed(const struct world *w)
{
	struct pollfd pfd = { .fd = procs__analysis_fd(w->ps), .events = POLLIN };

	ASSERT_EQ(poll(&pfd, 1, 30000), 1);
	procs__analysis_done(w->ps);
}

/* Discovery of pid as the rescan would, with the worker's verdict waited for. */
static int discover(const struct world *w, int pid)
{
	int err = procs__discover(w->ps, pid, DISCOVER_SCAN);

	if (err != -EINPROGRESS)
		return err;
	analysed(w);
	/* The worker's result made discovery look at pid again, as a waiter. */
	return procs__find_live(w->ps, pid) ? 0 : procs__discover(w->ps, pid, DISCOVER_SCAN);
}

static size_t nr_records(const struct world *w, int pid)
{
	size_t n = 0;

	procs__for_each(w->ps, p)
		n += p->pid == pid;
	return n;
}

TEST(not_python_is_not_listed)
{
	struct world w;

	world_init(&w);
	fake_proc(&w, 4001, "true", 100, NOT_PY);
	/* The first look sends the file to the worker: no verdict yet. */
	ASSERT_EQ(procs__discover(w.ps, 4001, DISCOVER_SCAN), -EINPROGRESS);
	analysed(&w);
	ASSERT_TRUE(procs__find_live(w.ps, 4001) == NULL);
	/* The verdict is kept: the next look needs no worker. */
	ASSERT_EQ(procs__discover(w.ps, 4001, DISCOVER_SCAN), -ENOENT);
	ASSERT_EQ(nr_records(&w, 4001), 0);
	ASSERT_EQ(bpf.nr_set, 0);
	world_done(&w);
}

TEST(python_is_found_and_configured)
{
	struct procs_stats st;
	struct pyproc *p;
	struct world w;

	world_init(&w);
	fake_proc(&w, 4002, "python3", 100, PYTHON);
	ASSERT_EQ(discover(&w, 4002), 0);
	p = procs__find_live(w.ps, 4002);
	ASSERT_TRUE(p != NULL);
	ASSERT_STREQ(p->comm, "python3");
	ASSERT_STREQ(p->exe, PYTHON);
	ASSERT_EQ(p->start_time, 100);
	ASSERT_EQ(p->uid, getuid());
	ASSERT_TRUE(p->info.supported);
	ASSERT_TRUE(p->in_bpf);
	/* Its layout went to the BPF side once, with _PyRuntime where the mapping puts it. */
	ASSERT_EQ(bpf.nr_set, 1);
	ASSERT_EQ(bpf.set[0], 4002);
	ASSERT_TRUE(p->runtime_addr > 0x555555554000ull);
	ASSERT_EQ(bpf.runtime_addr[0], p->runtime_addr);
	procs__stats(w.ps, &st);
	ASSERT_EQ(st.discovered[DISCOVER_SCAN], 1);
	ASSERT_EQ(st.elf_analysed, 1);
	/* Looking again at the same process changes nothing. */
	ASSERT_EQ(procs__discover(w.ps, 4002, DISCOVER_SCAN), 0);
	ASSERT_EQ(nr_records(&w, 4002), 1);
	ASSERT_EQ(bpf.nr_set, 1);
	world_done(&w);
}

TEST(gone_process_is_exited_by_the_rescan)
{
	struct pyproc *p;
	struct world w;

	world_init(&w);
	fake_proc(&w, 4003, "python3", 100, PYTHON);
	ASSERT_EQ(discover(&w, 4003), 0);
	/* Its exit event was lost: the rescan sees it is gone. */
	gone_proc(&w, 4003);
	ASSERT_EQ(procs__discover(w.ps, 4003, DISCOVER_SCAN), -ESRCH);
	procs__rescan(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4003) == NULL);
	/* The record stays, exited, for its history. */
	ASSERT_EQ(nr_records(&w, 4003), 1);
	p = procs__first(w.ps);
	ASSERT_TRUE(p && !p->live && p->exit_ts && !p->in_bpf);
	ASSERT_EQ(bpf.nr_cleared, 1);
	ASSERT_EQ(bpf.cleared[0], 4003);
	world_done(&w);
}

TEST(pid_reuse_is_told_by_starttime)
{
	struct world w;
	int live = 0, exited = 0;

	world_init(&w);
	fake_proc(&w, 4004, "python3", 100, PYTHON);
	ASSERT_EQ(discover(&w, 4004), 0);
	/* Another process with the same pid: its starttime differs. */
	put_stat(&w, 4004, "python3", 200);
	ASSERT_EQ(procs__discover(w.ps, 4004, DISCOVER_SCAN), 0);
	procs__for_each(w.ps, p)
	{
		if (p->pid != 4004)
			continue;
		live += p->live && p->start_time == 200;
		exited += !p->live && p->start_time == 100;
	}
	ASSERT_EQ(live, 1);
	ASSERT_EQ(exited, 1);
	/* The old one's BPF configuration cleared, the new one's set. */
	ASSERT_EQ(bpf.nr_cleared, 1);
	ASSERT_EQ(bpf.nr_set, 2);
	world_done(&w);
}

TEST(rescan_skips_known_not_python_until_pid_reuse)
{
	struct world w;

	world_init(&w);
	/* A Python process first: its interpreter's verdict is known from then on. */
	fake_proc(&w, 4006, "python3", 100, PYTHON);
	ASSERT_EQ(discover(&w, 4006), 0);
	fake_proc(&w, 4005, "true", 100, NOT_PY);
	procs__rescan(w.ps);
	analysed(&w);
	procs__rescan(w.ps); /* the verdict is known now: (4005, 100) is remembered */
	/* The same (pid, starttime) is not looked at again, whatever it maps now... */
	put_exe(&w, 4005, PYTHON);
	procs__rescan(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4005) == NULL);
	/* ...but a new process under that pid is, at once. */
	put_stat(&w, 4005, "python3", 300);
	procs__rescan(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4005) != NULL);
	ASSERT_EQ(procs__find_live(w.ps, 4005)->start_time, 300);
	world_done(&w);
}

#define CONTAINER_ID "4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"

/* The labels /proc/PID/cgroup gives a process, taken when it is found and again after exec. */
TEST(discovery_fills_labels_from_cgroup)
{
	struct pyproc *p, *old;
	struct world w;

	world_init(&w);
	fake_proc(&w, 4010, "python3", 100, PYTHON);
	put_file(&w, 4010, "cgroup",
		 "1:name=systemd:/system.slice/docker-" CONTAINER_ID ".scope\n"
		 "0::/system.slice/docker-" CONTAINER_ID ".scope\n");
	ASSERT_EQ(discover(&w, 4010), 0);
	p = procs__find_live(w.ps, 4010);
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(p->nr_labels, 3);
	ASSERT_TRUE(proclabel__valid_set(p->labels, p->nr_labels));
	ASSERT_STREQ(proclabel__get(p->labels, p->nr_labels, "cgroup"),
		     "/system.slice/docker-" CONTAINER_ID ".scope");
	ASSERT_STREQ(proclabel__get(p->labels, p->nr_labels, "unit"),
		     "docker-" CONTAINER_ID ".scope");
	ASSERT_STREQ(proclabel__get(p->labels, p->nr_labels, "container"), CONTAINER_ID);
	/* After exec the new image's record reads them again; the old one keeps its own. */
	put_file(&w, 4010, "cgroup", "0::/system.slice/app.service\n");
	ASSERT_EQ(procs__discover(w.ps, 4010, DISCOVER_EXEC), 0);
	p = procs__find_live(w.ps, 4010);
	ASSERT_EQ(p->nr_labels, 2);
	ASSERT_STREQ(proclabel__get(p->labels, p->nr_labels, "unit"), "app.service");
	ASSERT_EQ(nr_records(&w, 4010), 2);
	old = NULL;
	procs__for_each(w.ps, q)
		if (q->pid == 4010 && !q->live)
			old = q;
	ASSERT_TRUE(old != NULL);
	ASSERT_STREQ(proclabel__get(old->labels, old->nr_labels, "container"), CONTAINER_ID);
	world_done(&w);
}

TEST(discovery_without_labels)
{
	struct pyproc *p;
	struct world w;

	world_init(&w);
	/* No cgroup file, and one cgroup__parse() refuses (a forged line): found, no labels. */
	fake_proc(&w, 4011, "python3", 100, PYTHON);
	fake_proc(&w, 4012, "python3", 100, PYTHON);
	put_file(&w, 4012, "cgroup", "0::/user.slice/x\n0::/system.slice/sshd.service\n");
	ASSERT_EQ(discover(&w, 4011), 0);
	ASSERT_EQ(discover(&w, 4012), 0);
	p = procs__find_live(w.ps, 4011);
	ASSERT_TRUE(p != NULL && p->in_bpf);
	ASSERT_EQ(p->nr_labels, 0);
	ASSERT_TRUE(p->labels == NULL);
	p = procs__find_live(w.ps, 4012);
	ASSERT_TRUE(p != NULL && p->in_bpf);
	ASSERT_EQ(p->nr_labels, 0);
	world_done(&w);
}
