#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The GIL and the collector, read in the kernel (issue 11 items 3 and 5), on every
CPython of this machine: Debian's 3.11, pyenv's 3.9-3.13, the sid tree's 3.14, 3.15 and
3.13t.

- The offsets pyprof reads them at are those workloads/gil_oracle.py finds in the live
  interpreter (pyinterp_dump says what pyprof made of the same file).
- Two CPU-bound threads: the samples that held the GIL split about evenly between them,
  most of their time off the CPU is spent waiting for the GIL (a futex in its state), and
  a third thread in C code that released the GIL (hashlib) is seldom seen holding it; on
  3.13t no sample holds or waits for a GIL.
- A process that spends its time in gc.collect(): most of its samples carry SAMPLE_GC;
  a plain CPU loop none.
Tags are read from PYPROF/3 snapshots."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyproftest  # noqa: E402
from pyproftest import (OUTPUT, SID_TREE, TREE_PREFIX, WORKLOADS, Daemon, Skip, Workload,  # noqa: E402
                        interpreters, main, need_root, test, tree_argv, tree_interpreters,
                        wait_for)

# The PYPROF/3 decoder of test_wire.py, without its tests.
_registered = list(pyproftest._tests)
from test_wire import GC, GIL, GIL_WAIT, OFF_CPU, PYTHON, decode, request  # noqa: E402
pyproftest._tests[:] = _registered

DUMP = os.path.join(OUTPUT, "tests", "pyinterp_dump")
RUN_S = 30          # a workload's life: longer than any check of it
SAMPLES = 300       # on-CPU samples of a workload looked at


def all_pythons():
    """(label, python) for every supported CPython here, the tree's as Workload runs them."""
    found = []
    for minor in (9, 10, 11, 12, 13):
        found += interpreters(minor)
    for minor in (14, 15, "13t"):
        found += tree_interpreters(minor)
    if not found:
        raise Skip("no CPython 3.9-3.15 here")
    return found


def oracle(python):
    """What gil_oracle.py finds in a live python, as a dict."""
    argv = tree_argv(python, os.path.join(WORKLOADS, "gil_oracle.py"))
    if python.startswith(TREE_PREFIX):
        argv = argv[:1] + ["--pid"] + argv[1:]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (python, r.stdout, r.stderr)
    return dict(line.split(" ", 1) for line in r.stdout.splitlines())


def dump(path):
    r = subprocess.run([DUMP, path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (path, r.stderr)
    return {k: int(v) for k, v in (line.split(" ", 1) for line in r.stdout.splitlines())}


@test
def gil_and_gc_offsets_are_what_the_oracle_finds():
    if not os.path.exists(DUMP):
        raise Skip("%s not built (make helpers)" % DUMP)
    for label, python in all_pythons():
        if python.startswith(TREE_PREFIX) and os.geteuid() != 0:
            continue
        o = oracle(python)
        path = (SID_TREE if python.startswith(TREE_PREFIX) else "") + o["file"]
        d = dump(path)
        print("    %s: %s" % (label, " ".join("%s=%s" % kv for kv in sorted(o.items()))))
        assert d["free_threaded"] == int(o["free_threaded"]), (label, o, d)
        for k in ("tstate_interp", "runtime_gil", "interp_gil", "gil_holder", "gil_locked",
                  "gc_collecting"):
            assert d[k] == int(o[k]), (label, k, o, d)
        if d["free_threaded"]:
            assert d["gil_state_size"] == 0 and o["gil_futex"] == "-", (label, o, d)
            continue
        assert d["gil_state_off"] == int(o["gil_state_off"]), (label, o, d)
        # Each futex a waiter slept on lies in the range BPF's gil_wait_futex() tests.
        for off in (int(x) for x in o["gil_futex"].split(",")):
            assert 0 <= off < d["gil_state_size"], (label, off, d)


def tagged(d, pid, want):
    """[(python function names leaf first, count, tag)] of pid's stacks, once there are
    want on-CPU samples with a Python frame."""
    q = b"PYPROF/3 snapshot pid=%d seconds=3600\n" % pid

    def enough():
        head, payload = request(d.sock, q)
        if not head.startswith(b"OK"):
            return None
        _, stacks = decode(payload, 3)
        out = [([f[1].decode() for f in frames if f[0] == PYTHON][::-1], count, tag)
               for frames, count, tag in stacks]
        on_cpu = sum(c for names, c, t in out if names and not t & OFF_CPU)
        return out if on_cpu >= want else None
    return wait_for(enough, timeout=60, interval=0.5,
                    what="%d samples of pid %d" % (want, pid))


def share(stacks, func, mask, off_cpu=False):
    """(on-CPU samples in func, of them with all of mask's bits); with off_cpu, the same
    in nanoseconds off the CPU."""
    mine = [(c, t) for names, c, t in stacks
            if func in names and bool(t & OFF_CPU) == off_cpu]
    return sum(c for c, _ in mine), sum(c for c, t in mine if t & mask == mask)


def check_two_threads(d, label, python):
    with Workload(python, "gil.py", "two", RUN_S) as w:
        st = tagged(d, w.pid, SAMPLES)
    (n1, g1), (n2, g2) = share(st, "t_one", GIL), share(st, "t_two", GIL)
    n3, g3 = share(st, "t_nogil", GIL)
    print("    %s: t_one %d samples, %d holding the GIL; t_two %d, %d; t_nogil %d, %d" %
          (label, n1, g1, n2, g2, n3, g3))
    offs = [share(st, f, GIL_WAIT, off_cpu=True) for f in ("t_one", "t_two")]
    print("    %s: off the CPU, waiting for the GIL (s): %s" %
          (label, ["%.2f, %.2f" % (o / 1e9, w / 1e9) for o, w in offs]))
    assert n1 and n2 and n3, (label, st)
    # A thread hashing in C has let go of the GIL (but to start each hash).
    assert g3 <= 0.2 * n3, (label, n3, g3)
    if "13t" in label:
        assert g1 == g2 == 0 and not any(t & (GIL | GIL_WAIT) for _, _, t in st), (label, st)
        return
    # Off the CPU, a thread of the two sleeps on the GIL's futex (gil_wait_futex()).
    for off, wait in offs:
        assert off and wait >= 0.5 * off, (label, offs)
    # The thread on the CPU is the one holding the GIL, the other waits for it ...
    assert g1 + g2 >= 0.8 * (n1 + n2), (label, n1, g1, n2, g2)
    # ... and the two take turns.
    assert 0.3 <= g1 / (g1 + g2) <= 0.7, (label, g1, g2)


@test
def two_threads_split_the_gil():
    need_root()
    with Daemon(offcpu=True) as d:
        for label, python in all_pythons():
            check_two_threads(d, label, python)
        st = d.status()
        print("    reads failed: GIL %s, gc %s" % (st.get("bpf_err_read_gil"),
                                                   st.get("bpf_err_read_gc")))
        assert "bpf_err_read_gil" in st and "bpf_err_read_gc" in st, st


def check_gc(d, label, python):
    with Workload(python, "gil.py", "gc", RUN_S) as gcw, \
            Workload(python, "gil.py", "plain", RUN_S) as plain:
        st_gc = tagged(d, gcw.pid, SAMPLES)
        st_plain = tagged(d, plain.pid, SAMPLES)
    n, k = share(st_gc, "collect_loop", GC)
    pn, pk = share(st_plain, "plain_loop", GC)
    print("    %s: collect_loop %d samples, %d in the collector; plain_loop %d, %d" %
          (label, n, k, pn, pk))
    assert n and k >= 0.6 * n, (label, n, k)
    assert pn and pk == 0, (label, pn, pk)
    if "13t" not in label:
        # With a GIL, only its holder collects.
        assert all(t & GIL for _, _, t in st_gc if t & GC), (label, st_gc)


@test
def samples_in_the_collector_are_tagged():
    need_root()
    with Daemon(offcpu=True) as d:
        for label, python in all_pythons():
            check_gc(d, label, python)


if __name__ == "__main__":
    main()
