// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests for discovery (daemon/procs.c) against a /proc tree made here
 * (fakeproc.h), whose ELF files are the host's own.  The BPF side is a
 * fake sampler that records what discovery asks of it (fakesampler.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testhelp.h"
#include "fakeproc.h"
#include "fakesampler.h"
#include "base/util.h"
#include "profile/proclabel.h"
#include "config.h"
#include "procs.h"
#include "pyproc.h"

#define PYTHON	  "/usr/bin/python3.11"
#define NOT_PY	  "/usr/bin/true"

/* One test's world: a /proc tree and a process table over it. */
struct world {
	struct fakeproc fp;
	struct config cfg;
	struct procs *ps;
};

static void world_init(struct world *w)
{
	if (access(PYTHON, R_OK) || access(NOT_PY, R_OK))
		TEST_SKIP("%s or %s not installed", PYTHON, NOT_PY);
	fakesampler__reset();
	fakeproc__init(&w->fp);
	w->cfg = (struct config){ .window_ns = 10 * NSEC_PER_SEC,
				  .retention_ns = 60 * NSEC_PER_SEC };
	w->ps = procs__new(w->fp.root, &w->cfg, NULL);
	ASSERT_TRUE(w->ps != NULL);
}

static void world_done(struct world *w)
{
	procs__free(w->ps);
	fakeproc__done(&w->fp);
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
	fakeproc__add(&w.fp, 4001, "true", 100, NOT_PY);
	/* The first look sends the file to the worker: no verdict yet. */
	ASSERT_EQ(procs__discover(w.ps, 4001, DISCOVER_SCAN), -EINPROGRESS);
	fakeproc__analysed(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4001) == NULL);
	/* The verdict is kept: the next look needs no worker. */
	ASSERT_EQ(procs__discover(w.ps, 4001, DISCOVER_SCAN), -ENOENT);
	ASSERT_EQ(nr_records(&w, 4001), 0);
	ASSERT_EQ(fake_sampler.nr_set, 0);
	world_done(&w);
}

TEST(python_is_found_and_configured)
{
	struct procs_stats st;
	struct pyproc *p;
	struct world w;

	world_init(&w);
	fakeproc__add(&w.fp, 4002, "python3", 100, PYTHON);
	ASSERT_EQ(fakeproc__discover(w.ps, 4002), 0);
	p = procs__find_live(w.ps, 4002);
	ASSERT_TRUE(p != NULL);
	ASSERT_STREQ(p->comm, "python3");
	ASSERT_STREQ(p->exe, PYTHON);
	ASSERT_EQ(p->start_time, 100);
	ASSERT_EQ(p->uid, getuid());
	ASSERT_TRUE(p->info.supported);
	ASSERT_TRUE(p->in_bpf);
	/* Its layout went to the BPF side once, with _PyRuntime where the mapping puts it. */
	ASSERT_EQ(fake_sampler.nr_set, 1);
	ASSERT_EQ(fake_sampler.set[0], 4002);
	ASSERT_TRUE(p->runtime_addr > 0x555555554000ull);
	ASSERT_EQ(fake_sampler.runtime_addr[0], p->runtime_addr);
	procs__stats(w.ps, &st);
	ASSERT_EQ(st.discovered[DISCOVER_SCAN], 1);
	ASSERT_EQ(st.elf_analysed, 1);
	/* Looking again at the same process changes nothing. */
	ASSERT_EQ(procs__discover(w.ps, 4002, DISCOVER_SCAN), 0);
	ASSERT_EQ(nr_records(&w, 4002), 1);
	ASSERT_EQ(fake_sampler.nr_set, 1);
	world_done(&w);
}

TEST(gone_process_is_exited_by_the_rescan)
{
	struct pyproc *p;
	struct world w;

	world_init(&w);
	fakeproc__add(&w.fp, 4003, "python3", 100, PYTHON);
	ASSERT_EQ(fakeproc__discover(w.ps, 4003), 0);
	/* Its exit event was lost: the rescan sees it is gone. */
	fakeproc__remove(&w.fp, 4003);
	ASSERT_EQ(procs__discover(w.ps, 4003, DISCOVER_SCAN), -ESRCH);
	procs__rescan(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4003) == NULL);
	/* The record stays, exited, for its history. */
	ASSERT_EQ(nr_records(&w, 4003), 1);
	p = procs__first(w.ps);
	ASSERT_TRUE(p && !p->live && p->exit_ts && !p->in_bpf);
	ASSERT_EQ(fake_sampler.nr_cleared, 1);
	ASSERT_EQ(fake_sampler.cleared[0], 4003);
	world_done(&w);
}

TEST(pid_reuse_is_told_by_starttime)
{
	struct world w;
	int live = 0, exited = 0;

	world_init(&w);
	fakeproc__add(&w.fp, 4004, "python3", 100, PYTHON);
	ASSERT_EQ(fakeproc__discover(w.ps, 4004), 0);
	/* Another process with the same pid: its starttime differs. */
	fakeproc__put_stat(&w.fp, 4004, "python3", 200);
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
	ASSERT_EQ(fake_sampler.nr_cleared, 1);
	ASSERT_EQ(fake_sampler.nr_set, 2);
	world_done(&w);
}

/*
 * An exec event read after the new image was found (by one of its samples,
 * or a rescan) leaves that record as it is; one from after the finding ends
 * it and makes another.
 */
TEST(exec_event_older_than_the_record_keeps_it)
{
	struct pyproc *p;
	struct world w;
	__u64 found;

	world_init(&w);
	fakeproc__add(&w.fp, 4009, "python3", 100, PYTHON);
	ASSERT_EQ(fakeproc__discover(w.ps, 4009), 0);
	p = procs__find_live(w.ps, 4009);
	ASSERT_TRUE(p != NULL);
	found = p->first_ts;
	procs__exec(w.ps, 4009, found - 1);
	ASSERT_TRUE(procs__find_live(w.ps, 4009) == p);
	ASSERT_EQ(nr_records(&w, 4009), 1);
	ASSERT_EQ(fake_sampler.nr_cleared, 0);
	procs__exec(w.ps, 4009, found + 1);
	ASSERT_EQ(nr_records(&w, 4009), 2);
	ASSERT_TRUE(!p->live && p->exit_ts == found + 1);
	p = procs__find_live(w.ps, 4009);
	ASSERT_TRUE(p != NULL && p->first_ts > found);
	world_done(&w);
}

TEST(rescan_skips_known_not_python_until_pid_reuse)
{
	struct world w;

	world_init(&w);
	/* A Python process first: its interpreter's verdict is known from then on. */
	fakeproc__add(&w.fp, 4006, "python3", 100, PYTHON);
	ASSERT_EQ(fakeproc__discover(w.ps, 4006), 0);
	fakeproc__add(&w.fp, 4005, "true", 100, NOT_PY);
	procs__rescan(w.ps);
	fakeproc__analysed(w.ps);
	procs__rescan(w.ps); /* the verdict is known now: (4005, 100) is remembered */
	/* The same (pid, starttime) is not looked at again, whatever it maps now... */
	fakeproc__put_exe(&w.fp, 4005, PYTHON);
	procs__rescan(w.ps);
	ASSERT_TRUE(procs__find_live(w.ps, 4005) == NULL);
	/* ...but a new process under that pid is, at once. */
	fakeproc__put_stat(&w.fp, 4005, "python3", 300);
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
	fakeproc__add(&w.fp, 4010, "python3", 100, PYTHON);
	fakeproc__put_file(&w.fp, 4010, "cgroup",
		 "1:name=systemd:/system.slice/docker-" CONTAINER_ID ".scope\n"
		 "0::/system.slice/docker-" CONTAINER_ID ".scope\n");
	ASSERT_EQ(fakeproc__discover(w.ps, 4010), 0);
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
	fakeproc__put_file(&w.fp, 4010, "cgroup", "0::/system.slice/app.service\n");
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
	fakeproc__add(&w.fp, 4011, "python3", 100, PYTHON);
	fakeproc__add(&w.fp, 4012, "python3", 100, PYTHON);
	fakeproc__put_file(&w.fp, 4012, "cgroup", "0::/user.slice/x\n0::/system.slice/sshd.service\n");
	ASSERT_EQ(fakeproc__discover(w.ps, 4011), 0);
	ASSERT_EQ(fakeproc__discover(w.ps, 4012), 0);
	p = procs__find_live(w.ps, 4011);
	ASSERT_TRUE(p != NULL && p->in_bpf);
	ASSERT_EQ(p->nr_labels, 0);
	ASSERT_TRUE(p->labels == NULL);
	p = procs__find_live(w.ps, 4012);
	ASSERT_TRUE(p != NULL && p->in_bpf);
	ASSERT_EQ(p->nr_labels, 0);
	world_done(&w);
}
