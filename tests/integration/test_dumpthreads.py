# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`pyprofctl dump`'s line per thread on real interpreters: on or off the CPU, for how
long and in which kernel function, holding or waiting for the GIL (threadstates.py:
two spinning threads, a sleeper, a recv on a silent socketpair, a Lock waiter, the
main thread in Event.wait, and a sleeper that blocks once the process is profiled)."""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, Skip, Workload, interpreters, main, need_root, test,  # noqa: E402
                        tree_interpreters, wait_for)

HEADER = re.compile(r'^(\d+) "((?:[^"\\]|\\x[0-9a-f]{2})*)" \((.*)\)( in a subinterpreter)?'
                    r'(, tid (\d+) in its pid namespace)?:$')
STATUS = re.compile(r'^(?:(on CPU)|off CPU(?: (\d+\.\d\d) s| (\d+\.\d) ms| \(([^)]*)\))'
                    r'(?: in (\S+))?)((?:, [a-z ]+)*)$')
GIL_WORDS = ("holding the GIL", "waiting for the GIL", "no GIL")
# The kernel function each blocked thread waits in (3.9/3.10's time.sleep is a select()).
SLEEP = {"hrtimer_nanosleep", "do_nanosleep", "do_select"}
RECV = {"unix_stream_read_generic", "unix_stream_data_wait"}
FUTEX = {"futex_wait"}
ROLES = {"spin": None, "sleeper": SLEEP, "late_sleeper": SLEEP, "receiver": RECV,
         "waiter": FUTEX, "hold_and_wait": FUTEX, "main": None}
MOVING = ("late_sleeper",)
TIMEOUT = 20


def parse_thread(part):
    """One thread's part of a dump: (tid, comm, status dict, role) or an AssertionError."""
    lines = part.splitlines()
    m = HEADER.match(lines[0])
    assert m, "header %r" % lines[0]
    status = m.group(3)
    gil = next((g for g in GIL_WORDS if status.endswith(", " + g)), None)
    if gil:
        status = status[:-len(", " + gil)]
    s = STATUS.match(status)
    assert s, "status %r" % m.group(3)
    off_ns = None
    if s.group(2):
        off_ns = float(s.group(2)) * 1e9
    elif s.group(3):
        off_ns = float(s.group(3)) * 1e6
    frames = [ln.strip() for ln in lines[1:] if ln.strip()]
    funcs = [f.split(" (")[0] for f in frames]
    role = next((f for f in funcs if f in ROLES), None)
    return {"tid": int(m.group(1)), "comm": m.group(2), "on_cpu": bool(s.group(1)),
            "off_ns": off_ns, "why": s.group(4), "kfunc": s.group(5),
            "quals": [q for q in s.group(6).split(", ") if q], "gil": gil, "role": role,
            "ns_tid": m.group(6), "header": lines[0], "frames": frames}


def comm_of(pid, tid):
    try:
        with open("/proc/%d/task/%d/comm" % (pid, tid)) as f:
            return f.read().rstrip("\n")
    except OSError:
        return None


class Seen:
    """What the dumps of one workload showed so far, and what is still to see."""

    def __init__(self, pid, gil):
        self.pid, self.gil = pid, gil
        self.ok = set()
        self.late_ns = []
        self.dump_at = None

    def check(self, t):
        """Asserts what must hold in every dump; notes what must be seen once."""
        role, label = t["role"], "%s (%s)" % (t["role"], t["header"])
        assert role, (t["header"], t["frames"])
        assert str(t["tid"]) in os.listdir("/proc/%d/task" % self.pid), label
        # The thread's Python name (threading's default: "Thread-N (target)", or
        # "Thread-N" on 3.9; "MainThread"), else its OS name.
        comm = comm_of(self.pid, t["tid"])
        name = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), t["comm"])
        assert comm is None or name == comm or (
            name == "MainThread" if t["tid"] == self.pid else
            re.match(r"Thread-\d+( \(\w+\))?$", name)), (label, comm)
        if not self.gil:
            assert t["gil"] == "no GIL", label
        if role == "spin":
            assert t["on_cpu"] or t["kfunc"] in (None, "futex_wait"), label
            if t["on_cpu"] and (t["gil"] == "holding the GIL" or not self.gil):
                self.ok.add("spin on CPU")
            if t["gil"] == "waiting for the GIL":
                # Or woken, still to return from the futex call (preempted on the way out).
                assert not t["on_cpu"] and (t["kfunc"] == "futex_wait" or
                                            t["quals"] == ["runnable"]), label
                self.ok.add("spin waiting for the GIL")
            return
        # late_sleeper runs a moment between its sigwait() and its sleep; the others
        # block before the workload is ready, but 3.13t+ lock waits spin (sched_yield)
        # for a while first: a thread running or runnable is on its way.
        if role == "main":
            return  # the main thread between its print("ready") and hold_and_wait()
        if t["on_cpu"] or t["quals"] == ["runnable"] or role in MOVING and (
                t["kfunc"] not in ROLES[role] or t["gil"] == "waiting for the GIL"):
            return
        # A blocked thread: off the CPU where it waits, neither holding nor waiting for the GIL.
        assert t["kfunc"] in ROLES[role] and t["quals"] == [], label
        assert t["gil"] in (None, "no GIL"), label
        self.ok.add(role)
        if role == "late_sleeper" and t["off_ns"] is not None:
            self.late_ns.append((t["off_ns"], self.dump_at))

    def done(self):
        want = set(ROLES) - {"spin", "main"} | {"spin on CPU"}
        if self.gil:
            want.add("spin waiting for the GIL")
        if len(self.late_ns) < 2 or self.late_ns[-1][1] - self.late_ns[0][1] < 0.2:
            return False
        # The time off the CPU grows as the clock between the dumps does.
        (ns0, at0), (ns1, at1) = self.late_ns[0], self.late_ns[-1]
        assert abs((ns1 - ns0) / 1e9 - (at1 - at0)) < 0.05 + 0.1 * (at1 - at0), self.late_ns
        return want <= self.ok

    def missing(self):
        return "seen %s, late_sleeper's (ns off, when) %s" % (sorted(self.ok), self.late_ns)


def check_states(d, label, python, gil=True):
    t0 = time.monotonic()
    with Workload(python, "threadstates.py") as w:
        wait_for(lambda: w.pid in d.listed(), timeout=TIMEOUT, what="pid listed")
        assert w.ask(signal.SIGUSR1).strip() == "late"
        seen = Seen(w.pid, gil)
        deadline = time.monotonic() + TIMEOUT
        dumps, out = 0, ""
        while not seen.done():
            assert time.monotonic() < deadline, "%s after %d dumps: %s\n%s" % (
                label, dumps, seen.missing(), out)
            seen.dump_at = time.monotonic()
            out = d.ctl("dump", "--pid", str(w.pid)).stdout
            dumps += 1
            threads = [parse_thread(p) for p in out.split("\nThread ")[1:]]
            assert len(threads) == 7, out
            for t in threads:
                seen.check(t)
            time.sleep(0.05)
        last = "\n".join("  " + t["header"] for t in threads)
        print("  %s: %d dumps, %.1f s; the last:\n%s" % (label, dumps, time.monotonic() - t0,
                                                         last))


def one_of(minors):
    for m in minors:
        for label, python in interpreters(m):
            if label.startswith("pyenv"):
                return label, python
    return None


@test
def dump_says_what_each_thread_does():
    need_root()
    builds = [b for b in interpreters(11) if b[0].startswith("debian")]
    builds += [b for b in (one_of((9, 10)), one_of((10,)), one_of((12,)), one_of((13,))) if b]
    builds = list(dict.fromkeys(builds))
    tree = tree_interpreters(14) + tree_interpreters("13t")
    if not builds and not tree:
        raise Skip("no supported CPython")
    with Daemon("--rate", "99", offcpu=True) as d:
        for label, python in builds + tree:
            check_states(d, label, python, gil=not label.endswith("13t"))


@test
def dump_without_offcpu_says_the_time_is_not_recorded():
    need_root()
    builds = interpreters(11)
    if not builds:
        raise Skip("no CPython 3.11")
    with Daemon("--rate", "99") as d, Workload(builds[0][1], "threadstates.py") as w:
        wait_for(lambda: w.pid in d.listed(), timeout=TIMEOUT, what="pid listed")
        out = d.ctl("dump", "--pid", str(w.pid)).stdout
        threads = [parse_thread(p) for p in out.split("\nThread ")[1:]]
        sleeper = next(t for t in threads if t["role"] == "sleeper")
        assert sleeper["why"] == "time not recorded: --no-offcpu", out
        assert sleeper["kfunc"] in SLEEP, out
        print("  " + sleeper["header"])


if __name__ == "__main__":
    main()
