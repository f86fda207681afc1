#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Off-CPU time from the scheduler: a thread's interval off the CPU is recorded with its
Python stack, the kernel stack it blocked in and its exact ns (tag off-CPU).  Checked
through the PYPROF/3 payload, on every CPython this machine has: Debian's 3.11, pyenv's
3.9-3.13 and the sid tree's 3.14, 3.15 and 3.13t, all at once under one daemon."""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyproftest  # noqa: E402
from pyproftest import (Daemon, WORKLOADS, Workload, interpreters, main,  # noqa: E402
                        need_root, test, tree_interpreters, wait_for)

# The decoder of test_wire, without running its tests here too.
_n = len(pyproftest._tests)
from test_wire import KERNEL, OFF_CPU, PYTHON, decode, label, request  # noqa: E402
del pyproftest._tests[_n:]

SCRIPT = os.path.join(WORKLOADS, "offcpu.py")
NS = 10 ** 9
MS = 10 ** 6


def marker_line(name):
    """The line of offcpu.py marked "# line: name"."""
    with open(SCRIPT) as f:
        for i, text in enumerate(f, 1):
            if text.rstrip().endswith("# line: " + name):
                return i
    raise AssertionError("no line marked %s in %s" % (name, SCRIPT))


def pythons():
    found = []
    for minor in range(9, 14):
        found += interpreters(minor)
    for minor in (14, 15, "13t"):
        found += tree_interpreters(minor)
    if not found:
        raise pyproftest.Skip("no CPython found")
    return found


def stacks(d, pid):
    """[(frame labels root first, count, tag)] of pid's last minute, from PYPROF/3."""
    head, payload = request(d.sock, b"PYPROF/3 snapshot pid=%d seconds=60\n" % pid)
    if not head.startswith(b"OK"):
        raise AssertionError("snapshot of %d: %r" % (pid, head))
    _, got = decode(payload, 3)
    return [([(f[0], label(f).decode(errors="replace")) for f in frames], n, tag)
            for frames, n, tag in got]


def leaf_python(frames):
    py = [lab for kind, lab in frames if kind == PYTHON]
    return py[-1] if py else ""


def kernel(frames):
    return [lab for kind, lab in frames if kind == KERNEL]


def at_line(frames, line):
    return leaf_python(frames).endswith("offcpu.py:%d)" % line)


def check_all(d, workloads, check, timeout):
    """Polls check(label, stacks) for every workload until it passes or timeout: it
    returns what to print, or raises AssertionError (the last one is the failure)."""
    left = dict(workloads)
    done = {}
    errors = {}
    end = time.monotonic() + timeout
    while left and time.monotonic() < end:
        time.sleep(1.0)
        for lab, w in list(left.items()):
            try:
                done[lab] = check(lab, stacks(d, w.pid))
                del left[lab]
            except AssertionError as e:
                errors[lab] = e
    for lab in sorted(done):
        print("  %s: %s" % (lab, done[lab]))
    if left:
        raise AssertionError("; ".join("%s: %s" % (lab, errors.get(lab, "no check ran"))
                                       for lab in sorted(left)))


def run(mode, check, timeout):
    need_root()
    ws = {}
    try:
        with Daemon(offcpu=True) as d:
            for lab, python in pythons():
                ws[lab] = Workload(python, "offcpu.py", mode, 120).__enter__()
            check_all(d, ws, check, timeout)
    finally:
        for w in ws.values():
            w.__exit__(None, None, None)


@test
def sleep_then_compute():
    """A thread sleeps 2 s then computes 20 ms: off-CPU, the sleep line with ~2 s per
    sleep in a sleep's (or select's) kernel frames; on-CPU, (nearly) nothing at the sleep line."""
    line = marker_line("sleep")

    def check(lab, st):
        off = [(fr, n) for fr, n, tag in st if tag & OFF_CPU and at_line(fr, line)]
        ns = sum(n for _, n in off)
        assert ns >= 1.9 * NS, "%.2f s off-CPU at line %d: %r" % (ns / NS, line, st[:5])
        sleeps = round(ns / (2 * NS))
        assert abs(ns - sleeps * 2 * NS) < 0.05 * NS * sleeps, (ns, sleeps)
        ks = [k for fr, _ in off for k in kernel(fr)]
        # time.sleep() is clock_nanosleep, or select() before 3.11.
        assert any("sleep" in k or "select" in k for k in ks), ks
        on = sum(n for fr, n, tag in st if not tag & OFF_CPU and "sleeper" in str(fr))
        on_sleep = sum(n for fr, n, tag in st if not tag & OFF_CPU and at_line(fr, line))
        assert on_sleep <= max(1, on // 20), (on_sleep, on)
        return "%.3f s off-CPU at line %d (%d sleeps), %d/%d on-CPU samples there" % (
            ns / NS, line, sleeps, on_sleep, on)

    run("sleep", check, 30)


@test
def lock_waiter_blocks_in_acquire():
    """A waiter blocked in lock.acquire() while the holder sleeps 1 s with the lock: its
    off-CPU stack is at the acquire line, in futex kernel frames, ~1 s each time."""
    line = marker_line("acquire")

    def check(lab, st):
        off = [(fr, n) for fr, n, tag in st if tag & OFF_CPU and at_line(fr, line)]
        ns = sum(n for _, n in off)
        assert ns >= 0.9 * NS, "%.2f s off-CPU at line %d: %r" % (ns / NS, line, st[:5])
        futex = sum(n for fr, n in off if any("futex" in k for k in kernel(fr)))
        assert futex >= 0.95 * ns, (futex, ns, [kernel(fr) for fr, _ in off])
        return "%.3f s off-CPU at line %d, %.0f%% in futex frames" % (ns / NS, line,
                                                                       100.0 * futex / ns)

    run("lock", check, 30)


@test
def recv_on_a_silent_peer():
    """A thread in sock.recv on a TCP peer that sends a byte a second: tcp_recvmsg-like
    kernel frames under the recv line."""
    line = marker_line("recv")
    tcp = re.compile(r"tcp_recvmsg|sk_wait_data|inet_recvmsg|sock_recvmsg")

    def check(lab, st):
        off = [(fr, n) for fr, n, tag in st if tag & OFF_CPU and at_line(fr, line)]
        ns = sum(n for _, n in off)
        assert ns >= 0.9 * NS, "%.2f s off-CPU at line %d: %r" % (ns / NS, line, st[:5])
        in_tcp = sum(n for fr, n in off if any(tcp.search(k) for k in kernel(fr)))
        assert in_tcp >= 0.95 * ns, (in_tcp, ns, [kernel(fr) for fr, _ in off])
        return "%.3f s off-CPU at line %d, %.0f%% in tcp_recvmsg frames" % (
            ns / NS, line, 100.0 * in_tcp / ns)

    run("recv", check, 30)


@test
def kernel_stacks_of_two_waits_are_not_mixed():
    """A thread waits in poll(), then in select(), 50 ms each, over and over: every
    interval kept, the kernel stacks of most given again from those remembered (status
    counts them), and still each line's off-CPU time in its own system call's frames."""
    need_root()
    lab, python = one_python()
    lines = {"poll": re.compile(r"sys_poll|do_poll"),
             "select": re.compile(r"sys_select|do_select|core_sys_select|kern_select")}
    with Daemon(offcpu=True) as d, Workload(python, "offcpu.py", "twowaits", 60) as w:
        st0 = d.status()

        def enough():
            st = stacks(d, w.pid)
            return all(sum(n for fr, n, tag in st if tag & OFF_CPU
                           and at_line(fr, marker_line(name))) >= 2 * NS for name in lines)
        pyproftest.wait_for(enough, timeout=30, interval=0.5, what="2 s in each wait")
        reused = int(d.status()["bpf_offcpu_kstack_reused"]) - int(st0["bpf_offcpu_kstack_reused"])
        st = stacks(d, w.pid)
        got = []
        for name, own in lines.items():
            off = [(fr, n) for fr, n, tag in st if tag & OFF_CPU
                   and at_line(fr, marker_line(name))]
            ns = sum(n for _, n in off)
            mine = sum(n for fr, n in off if any(own.search(k) for k in kernel(fr)))
            other = [k for fr, _ in off for k in kernel(fr)
                     if any(r.search(k) for o, r in lines.items() if o != name)]
            assert mine >= 0.95 * ns and not other, (name, mine, ns, other)
            got.append("%s %.2f s" % (name, ns / NS))
        print("  %s: %s off-CPU, each in its own frames; %d kernel stacks reused"
              % (lab, ", ".join(got), reused))
        assert reused >= 20, reused


def one_python():
    for minor in (11, 12, 13, 10, 9):
        for lab, python in interpreters(minor):
            return lab, python
    raise pyproftest.Skip("no CPython 3.9-3.13 here")


def off_cpu_ns(st):
    return sum(n for _, n, tag in st if tag & OFF_CPU)


@test
def short_intervals_are_drawn_in_proportion():
    """Naps of 2 ms under --offcpu-min 5ms --offcpu-sample 10ms: about one in five is
    recorded (not two: the sample unit, not the minimum, is the draw's), weighing 10 ms,
    so the naps' recorded off-CPU time is the time they took; status counts the
    intervals drawn and those not."""
    need_root()
    lab, python = one_python()
    with Daemon("--offcpu-min", "5ms", "--offcpu-sample", "10ms", offcpu=True) as d, \
            Workload(python, "offcpu.py", "naps", 60) as w:
        st0 = d.status()
        assert st0["offcpu"] == "on" and st0["offcpu_min_ns"] == str(5 * MS), st0
        assert st0["offcpu_sample_ns"] == str(10 * MS), st0
        line = w.proc.stdout.readline().split()
        assert line[0] == "napped", line
        napped = float(line[1]) * NS
        # Records are read in order: a sample of what the napper does next comes after.
        d.wait_samples(w.pid, 1, match="compute", timeout=20)
        st = d.status()
        drawn = int(st["bpf_offcpu_short_drawn"]) - int(st0["bpf_offcpu_short_drawn"])
        short = int(st["bpf_offcpu_short"]) - int(st0["bpf_offcpu_short"])
        naps = sum(n for fr, n, tag in stacks(d, w.pid) if tag & OFF_CPU
                   and at_line(fr, marker_line("nap")))
        print("  %s: naps took %.3f s, recorded %.3f s; short intervals %d drawn, %d not"
              % (lab, napped / NS, naps / NS, drawn, short))
        # ~1400 naps of ~2.1 ms, each drawn with p ~0.2: one sigma of the sum is ~5%.
        assert abs(naps - napped) <= 0.2 * napped, (naps, napped)
        assert drawn >= 100 and short >= 4 * drawn * 0.5, (drawn, short)
        # p ~0.21 for a 2.1 ms nap, +-0.011 over ~1400 of them (0.42 if it were the minimum).
        assert 0.12 < drawn / (drawn + short) < 0.3, (drawn, short)


def offcpu_at(d, pid, name):
    """ns off the CPU at marker name of pid, 0 while pyprofd does not profile pid yet."""
    head, payload = request(d.sock, b"PYPROF/3 snapshot pid=%d seconds=60\n" % pid)
    if head.startswith(b"ERR ENOENT"):
        return 0
    return sum(n for fr, n, tag in stacks(d, pid) if tag & OFF_CPU
               and at_line(fr, marker_line(name)))


def wait_offcpu(d, where, timeout):
    """Polls until every (pid, marker) of where has 0.5 s or more off the CPU recorded."""
    end = time.monotonic() + timeout
    while True:
        got = {(pid, name): offcpu_at(d, pid, name) for pid, name in where}
        if all(ns >= NS // 2 for ns in got.values()) or time.monotonic() > end:
            return got
        time.sleep(0.5)


@test
def threads_before_and_after_discovery_are_recorded():
    """Only threads of profiled processes have the task storage the scheduler programs
    record in: pyprofd started after the process gives it to the threads it already had;
    threads and a child process it makes later get theirs when they are created.  Every
    one's naps are recorded off the CPU."""
    need_root()
    lab, python = one_python()
    with Workload(python, "offcpu.py", "late", 60) as w, Daemon(offcpu=True) as d:
        early = wait_offcpu(d, [(w.pid, "early_%d" % i) for i in range(3)], 20)
        st = d.status()
        reply = w.ask(signal.SIGUSR1).split()
        assert reply[0] == "started", reply
        child = int(reply[1])
        late = wait_offcpu(d, [(w.pid, "late_0"), (w.pid, "late_1"), (child, "forked")], 20)
        marked = int(d.status()["bpf_offcpu_threads_marked"]) - int(st["bpf_offcpu_threads_marked"])
        print("  %s: off-CPU s %s; %d threads marked after discovery" % (
            lab, " ".join("%s %.1f" % (name, ns / NS)
                          for (_, name), ns in sorted({**early, **late}.items())), marked))
        assert all(ns >= NS // 2 for ns in early.values()), early
        assert all(ns >= NS // 2 for ns in late.values()), late
        assert marked >= 3, marked  # two threads, the child's one


def over_since_recording(d, pid, at_least):
    """pid's dump, once a thread in it is "off CPU over N s (since before recording)"
    with N >= at_least (seconds); else None."""
    out = d.ctl("dump", "--pid", str(pid)).stdout
    for m in re.finditer(r"off CPU over ([0-9.]+) (s|ms) \(since before recording\)", out):
        if float(m.group(1)) * (1 if m.group(2) == "s" else 1e-3) >= at_least:
            return out
    return None


@test
def a_wait_begun_before_recording_counts_from_then():
    """A thread already waiting when pyprofd starts to profile its process (a server's,
    blocked since long before) is off the CPU from then on as far as recording goes:
    dump says so, and when it wakes the part of its wait since then is recorded."""
    need_root()
    lab, python = one_python()
    with Workload(python, "offcpu.py", "long", 60) as w:
        asleep = time.monotonic()
        with Daemon(offcpu=True) as d:
            started = time.monotonic()
            wait_for(lambda: d.listed().get(w.pid, ("", ""))[1] == "profiled", timeout=20,
                     what="pid %d to be profiled" % w.pid)
            seen = time.monotonic()
            # dump's "off CPU over 1.2 s (since before recording)": polled till it is 0.5 s.
            dump = wait_for(lambda: over_since_recording(d, w.pid, 0.5), timeout=20,
                            what="dump to show the wait of pid %d over 0.5 s" % w.pid)
            before_wake = time.monotonic()
            assert w.ask(signal.SIGUSR1).strip() == "woken"
            woke = time.monotonic()
            got = wait_offcpu(d, [(w.pid, "long")], 20)[(w.pid, "long")]
            st = d.status()
        print("  %s: waiting %.1f s before pyprofd started, %.1f s before it profiled "
              "the process, %.1f s in all; %.2f s of it recorded" % (
                  lab, started - asleep, seen - asleep, woke - asleep, got / NS))
        assert int(st["bpf_offcpu_marked_off_cpu"]) >= 1, st
        # From the marking (between pyprofd's start and the listing) to the wake.  Before
        # the marking nothing: the wait began before the daemon ran.
        assert before_wake - seen - 0.05 < got / NS < woke - started + 0.05, (
            got, asleep, started, seen, before_wake, woke)


@test
def no_offcpu_loads_no_scheduler_programs():
    """--no-offcpu: status says off, on-CPU samples as before, no off-CPU stacks."""
    need_root()
    lab, python = one_python()
    with Daemon("--no-offcpu") as d, Workload(python, "offcpu.py", "sleep", 60) as w:
        st = d.status()
        assert st["offcpu"] == "off", st
        d.wait_samples(w.pid, 1, match="compute", timeout=20)
        time.sleep(2.5)
        got = stacks(d, w.pid)
        assert got and off_cpu_ns(got) == 0, got
        st = d.status()
        assert int(st["bpf_offcpu_switch_out"]) == 0, st
        print("  %s: %d on-CPU stacks, no off-CPU one" % (lab, len(got)))


if __name__ == "__main__":
    main()
