#!/usr/bin/env python3
"""--since/--until: wall-clock ranges return the samples inside them, across a restart too
(the state files keep each second: the same samples before and after, exactly).

A busy single-threaded Python process sampled at 99 Hz.  The daemon keeps its default
10 s windows, counted per 1 s bucket: whole-second ranges are what the data holds exactly.  The expectation
is the samples the process's CPU time in the range stands for (its CPU time polled from
/proc, 99 per CPU second): S * 99 when it had a CPU to itself, fewer on a loaded machine."""
import os
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timezone

from pyproftest import (Daemon, Workload, main, need_root, parse_folded, test, wait_for,
                        python_for)

RATE = 99
TICK = os.sysconf("SC_CLK_TCK")


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class CpuLog:
    """(wall time, CPU seconds) of pid, polled: the CPU time of a past range, interpolated."""

    def __init__(self, pid):
        self.pid, self.points = pid, []

    def poll_until(self, t_end):
        while time.time() < t_end:
            self.points.append((time.time(), cpu_s(self.pid)))
            time.sleep(0.05)

    def at(self, t):
        for (t0, c0), (t1, c1) in zip(self.points, self.points[1:]):
            if t0 <= t <= t1:
                return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c0
        raise AssertionError("no CPU reading around %f" % t)

    def between(self, a, b):
        return self.at(b) - self.at(a)


def samples(d, pid, since, until):
    r = d.ctl("snapshot", "--pid", str(pid), "--since", since, "--until", until, check=False)
    assert r.returncode in (0, 6), (r.returncode, r.stderr)
    return sum(parse_folded(r.stdout).values())


def check_range(d, w, log, end, seconds):
    a, b = end - seconds, end
    n = samples(d, w.pid, iso(a), iso(b))
    want = log.between(a, b) * RATE
    print("  %2d s: %d samples (%d at a full CPU; CPU time in range says %.1f)"
          % (seconds, n, seconds * RATE, want))
    # One sample period either way, and the /proc tick's and the polling's uncertainty.
    # A process that shares its CPU is hit by a tick with the chance of its share: the
    # count is then binomial around want, 4 sigma allowed (none at a CPU of its own,
    # where only the terms above are left).
    share = min(1.0, want / (seconds * RATE))
    slack = 1 + RATE / TICK * 2 + 0.01 * want + 4 * (want * (1 - share)) ** 0.5
    assert abs(n - want) <= slack, (seconds, n, want)
    assert n <= seconds * RATE + 1, (seconds, n)
    return n


@test
def ranges_return_the_samples_inside_them():
    need_root()
    _, python = python_for(11)
    with Workload(python, "hotwarm.py", 120) as w:
        log = CpuLog(w.pid)
        with Daemon("--rate", str(RATE)) as d:
            d.wait_samples(w.pid, 10)
            start = time.time()
            log.poll_until(start + 32)
            # Whole seconds, ended 2 s ago: closed windows.
            end = int(time.time()) - 2
            for s in (1, 7, 25):
                check_range(d, w, log, end, s)
            # The reply states what it covers: the range asked for, to the second.
            r = d.ctl("snapshot", "--pid", str(w.pid), "--since", iso(end - 7),
                      "--until", iso(end), "--format", "json")
            assert '"duration_ns":7000000000' in r.stdout.replace(" ", ""), r.stdout[:400]
            assert '"to":"%s.000000000Z"' % iso(end)[:-1] in r.stdout, r.stdout[:400]


@test
def past_ranges_are_exact_across_a_restart():
    """A restart on the same --state-dir gives ranges in the past the very samples they had
    before: two whole 10 s windows, and 7 s that start 3 s into a window (inside it, and
    across the next window's start), which state files before W6 gave back whole."""
    need_root()
    _, python = python_for(11)
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    try:
        args = ("--rate", str(RATE), "--state-dir", state)
        with Workload(python, "hotwarm.py", 120) as w:
            with Daemon(*args) as d:
                d.wait_samples(w.pid, 10)
                # Two whole windows that start after the first samples, ended 2 s ago.
                b = (int(time.time()) // 10 + 3) * 10
                wait_for(lambda: time.time() >= b + 2, timeout=60, what="two windows to close")
                ranges = ((b - 20, b), (b - 17, b - 10), (b - 13, b - 6))
                old = [samples(d, w.pid, iso(x), iso(y)) for x, y in ranges]
            with Daemon(*args) as d:
                for (x, y), before in zip(ranges, old):
                    again = samples(d, w.pid, iso(x), iso(y))
                    print("  after a restart: %d samples in %s..%s (%d before)"
                          % (again, iso(x), iso(y), before))
                    assert again == before and before > 0, ((x, y), again, before)
    finally:
        shutil.rmtree(state, ignore_errors=True)


@test
def bad_times_are_usage_errors():
    need_root()
    with Daemon("--rate", str(RATE)) as d:
        for args in (["--since", "yesterday"], ["--since", "25:00"],
                     ["--until", "2026-02-30T00:00:00Z"], ["--since", "-5m", "--until", "-10m"],
                     ["--since", "2999-01-01T00:00:00Z"], ["--seconds", "0"],
                     ["--seconds", "5x"],
                     ["--since", "-5m", "--until", "-1m", "--seconds", "30"]):
            r = d.ctl("snapshot", "--pid", "1", *args, check=False)
            print("  %s: exit %d, %s" % (" ".join(args), r.returncode, r.stderr.strip()))
            assert r.returncode == 2 and r.stderr.startswith("pyprofctl: "), (args, r)


if __name__ == "__main__":
    main()
