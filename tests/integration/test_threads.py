# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Threads that are easy to get wrong: the oldest threads of a big pool (the BPF
walk reaches only the newest), and a free-threaded build's threads running at once.
(Stacks sampled while a frame is pushed or popped: test_partial.py.)"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (TREE_MINORS, WORKLOADS, Daemon, Skip, Workload, frame_func, frame_tid,  # noqa: E402
                        frame_line, main, need_root, py_frames, python_for, test, wait_for)

BUSY = ["busy_%02d" % i for i in range(20)]
NO_STATE = "[python: thread has no Python state]"


def count(st, pred):
    return sum(n for s, n in st.items() if pred(s))


def check_pool(d, python, idle, order):
    with Workload(python, "pool.py", idle, order, 120) as w:
        # Every thread is started now and the busy ones spin.  Before, a new
        # thread sampled before it bound its Python state had none: those
        # misses are no busy thread's.
        # Its interpreter may still be being analysed (a fresh daemon, a loaded machine:
        # "not a Python process pyprofd profiles" was seen once).
        wait_for(lambda: d.listed().get(w.pid, (None, None))[1] == "profiled", timeout=60,
                 what="the pool's process profiled")
        st = d.snapshot(w.pid)
        start_total, start_miss = sum(st.values()), count(st, lambda s: NO_STATE in s)

        def all_busy_seen():
            st = d.snapshot(w.pid)
            seen = [b for b in BUSY if any(";%s (" % b in s for s in st)]
            return st if len(seen) == len(BUSY) else None
        st = wait_for(all_busy_seen, timeout=60, interval=0.5,
                      what="all 20 busy functions of %d+20 threads (%s)" % (idle, order))
        seen_total, seen_miss = sum(st.values()), count(st, lambda s: NO_STATE in s)
        # The idle threads block: every sample from now on is of a busy thread.
        st = d.wait_samples(w.pid, seen_total + 1500, timeout=60)
        total, miss = sum(st.values()), count(st, lambda s: NO_STATE in s)
        print("  %d idle, busy %s: samples without Python state: %d of %d while starting, "
              "%d of %d until all 20 were seen, %d of the last %d"
              % (idle, order, start_miss, start_total, seen_miss - start_miss,
                 seen_total - start_total, miss - seen_miss, total - seen_total))
        # Once seen, never lost again: one in a thousand allows for a sample
        # of the main thread as it exits its wait.
        assert miss - seen_miss <= (total - seen_total) // 1000, (miss, seen_miss, total)
        # Before: misses of a busy thread until pyprofd seeds the cache, a few
        # ms after BPF first misses it: 5%, never a thread's whole life.
        assert seen_miss - start_miss <= max(5, (seen_total - start_total) * 0.05), \
            (seen_miss, start_miss, seen_total, start_total)


def pool_test(minor, debian, idle):
    need_root()
    _, python = python_for(minor, debian)
    # The bound on misses before a seeding is the daemon's reaction time (69 of 756
    # samples missed at load average 40 once, against 5%, with a nice-0 daemon).
    with Daemon("--rate", "499").as_the_unit_runs_it() as d:
        for order in ("first", "spread", "last"):
            check_pool(d, python, idle, order)
        status = d.status()
        print("  seedings %s of %s threads in %s us, BPF walks past the limit %s" % (
            status["tstate_seeds"], status["tstate_seeded"], status["tstate_seed_us"],
            status["bpf_err_thread_walk_limit"]))


# 5000 idle threads on the builds whose thread lists differ most: a static binary, 3.9's
# pthread ids only, the free-threaded one.  Seeding is the same code for every version.
POOLS_5000 = ((11, True), (9, False), ("13t", None))


def make_pool_tests():
    for minor, debian in ((11, True), (9, False), (12, False), (13, False), (14, None),
                          (15, None), ("13t", None)):
        for idle in (1000, 5000) if (minor, debian) in POOLS_5000 else (1000,):
            def t(minor=minor, debian=debian, idle=idle):
                pool_test(minor, debian, idle)
            kind = "debian" if debian else "pyenv" if debian is False else "sid"
            t.__name__ = "pool_%d_%s_3_%s" % (idle, kind, minor)
            test(t)


make_pool_tests()


WORKERS = ("t_alpha", "t_beta", "t_gamma", "t_delta")


def host_tids(pid):
    """{tid in pid's own pid namespace: host tid} of each thread of pid."""
    tids = {}
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, t)) as f:
            nspid = [ln.split()[-1] for ln in f if ln.startswith("NSpid:")]
        tids[int(nspid[0])] = int(t)
    return tids


def task_state(pid, tid):
    """(state, cpu) of a thread: R for running or runnable, and the CPU it is on or
    queued for (fields 3 and 39 of /proc/PID/task/TID/stat)."""
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return rest[0], int(rest[36])


def watch_parallel(pid, workers, ncpus):
    """Reads the four workers' states every 5 ms, at least 400 times and until, while
    runnable, they were seen on ncpus CPUs (20 s at most).  Returns (reads, reads with
    all four runnable at once, CPUs seen).  With a GIL three of them sleep on it
    nearly always; without, all four are runnable however loaded the machine is: the
    scheduler queues them, none waits for another."""
    reads = together = 0
    seen = set()
    deadline = time.monotonic() + 20
    while (reads < 400 or len(seen) < ncpus) and time.monotonic() < deadline:
        states = [task_state(pid, t) for t in workers]
        reads += 1
        together += all(st == "R" for st, _ in states)
        seen |= {cpu for st, cpu in states if st == "R"}
        time.sleep(0.005)
    return reads, together, seen


@test
def free_threaded_threads_run_in_parallel_sid_3_13t():
    """3.13t without its GIL: four threads spin at once, on every CPU, and each thread's
    samples show its own function under threading's bootstrap, at the lines of the calls."""
    need_root()
    _, python = python_for("13t")
    if len(os.sched_getaffinity(0)) < 2:
        raise Skip("one CPU only")
    script = os.path.join(WORKLOADS, "parallel.py")
    calls = {}
    with open(script) as f:
        for n, line in enumerate(f, 1):
            if line.startswith("def t_"):
                func = line[4:].split("(")[0]
            elif line.strip() == "spin(end)":
                calls[func] = n
    with Daemon("--rate", "199") as d, Workload(python, "parallel.py", 120) as w:
        words = w.proc.stdout.readline().split()
        assert words[:2] == ["threads", "0"], "GIL enabled: %r" % words
        ns = dict((k, int(v)) for k, v in (x.split("=") for x in words[2:]))
        tids = host_tids(w.pid)
        workers = {tids[ns[f]]: f for f in WORKERS}
        # Two CPUs: both of them here, and what a bigger machine shows however loaded.
        reads, together, seen = watch_parallel(w.pid, list(workers), 2)
        print("  %d reads of the four workers' states: all four runnable in %d, on CPUs %s"
              % (reads, together, sorted(seen)))
        assert len(seen) >= 2, seen
        assert together >= reads * 0.5, (together, reads)

        def each_seen():
            st = d.snapshot(w.pid)
            n = {f: sum(c for s, c in st.items() if ";%s (" % f in s) for f in WORKERS}
            return all(v >= 50 for v in n.values())
        wait_for(each_seen, timeout=60, interval=0.5, what="50 samples of each worker")
        r = d.ctl("snapshot", "--pid", str(w.pid), "--threads", "--full-filenames")
        full = dict.fromkeys(WORKERS, 0)
        for line in r.stdout.splitlines():
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")
            tid = frame_tid(frames[1])
            funcs = [frame_func(x) for x in py_frames(";".join(frames[1:]))]
            own = [f for f in funcs if f in WORKERS]
            if tid not in workers:
                assert not own, "a worker's function in thread %d: %s" % (tid, stack)
                continue
            f = workers[tid]
            assert own in ([], [f]), "thread %d runs %s, not %s: %s" % (tid, own, f, stack)
            if "spin" not in funcs:
                continue
            # The whole stack, from threading's bootstrap to spin(), nothing missing.
            assert funcs == ["Thread._bootstrap", "Thread._bootstrap_inner", "Thread.run", f,
                             "spin"], stack
            assert "[python:" not in stack, stack
            caller = next(x for x in frames if frame_func(x) == f)
            assert caller.startswith("%s (%s:" % (f, script)) \
                and frame_line(caller) == calls[f], (caller, calls)
            full[f] += int(n)
        print("  samples of each worker's whole stack: %s" % full)
        assert all(v >= 50 for v in full.values()), full


if __name__ == "__main__":
    main()
