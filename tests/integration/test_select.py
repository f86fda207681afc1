# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Selectors: a "service" of three worker processes, each with a hot function of its
own, in a unit cgroup made by hand as systemd would make it (systemd is not PID 1
here), one worker killed and started again halfway.  --unit and --cmdline each give
one profile of all four processes, the exited one included, --per-process one root
per process; an unprivileged user selecting --all sees only their own processes, and
a selection of another user's processes tells nothing of them.  Bad selectors fail
with a clear error and the exit status for it."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyproftest  # noqa: E402
from pyproftest import (PYPROFCTL, WORKLOADS, Daemon, main, need_root,  # noqa: E402
                        parse_folded, test, wait_for)

# Helpers of test_access and test_labels, without running their tests here.
_ntests = len(pyproftest._tests)
from test_access import TestUser, python_for_all  # noqa: E402
from test_labels import Cgroup  # noqa: E402
del pyproftest._tests[_ntests:]

RATE = "199"
ENOUGH = 20     # samples of a worker's hot function before it counts as profiled


class Worker:
    """service_worker.py NAME in cgroup cg, as a unit's process: a shell joins the cgroup
    in every hierarchy and execs the interpreter, so no Python code of this test runs in
    the unit (a fork child of this process would be a Python process there)."""

    def __init__(self, python, cg, name, tag, seconds=120, run_as=(), script=None):
        join = "".join("echo $$ > '%s' && " % f for f in cg.procs_files()) if cg else ""
        script = script or os.path.join(WORKLOADS, "service_worker.py")
        self.argv = list(run_as) + ["sh", "-c", join + 'exec "$@"', "sh", python, script, name,
                                    str(seconds), tag]
        self.name = name
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.__exit__(None, None, None)
            raise AssertionError("worker %s did not start: %r" % (self.name, line))
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def __exit__(self, *exc):
        self.stop()
        self.proc.stdout.close()
        self.proc.stderr.close()


def hot_samples(stacks, name):
    return sum(n for s, n in stacks.items() if ("hot_%s (" % name) in s)


def roots(stacks):
    """Samples per root frame."""
    out = {}
    for s, n in stacks.items():
        root = s.split(";")[0]
        out[root] = out.get(root, 0) + n
    return out


def folded(d, *selector, seconds=120):
    r = d.ctl("snapshot", *selector, "--seconds", str(seconds))
    return parse_folded(r.stdout), r.stderr


def wait_hot(d, w, n=ENOUGH):
    # d.snapshot(): a worker not profiled yet, or with no sample yet (exit 6), is "not yet".
    wait_for(lambda: hot_samples(d.snapshot(w.pid, seconds=120), w.name) >= n, timeout=60,
             interval=0.25, what="%d samples of worker %s (pid %d)" % (n, w.name, w.pid))


def check_per_process(stacks, workers):
    """One root per process, "PID COMMAND-LINE", holding its own hot function's samples."""
    by_root = {}
    for s, n in stacks.items():
        by_root.setdefault(s.split(";")[0], {})[s] = n
    pids = sorted(int(r.split()[0]) for r in by_root)
    assert pids == sorted(w.pid for w in workers), (pids, list(by_root))
    for w in workers:
        (root,) = [r for r in by_root if r.split()[0] == str(w.pid)]
        assert "service_worker.py %s " % w.name in root, root
        own = hot_samples(by_root[root], w.name)
        others = sum(hot_samples(by_root[root], x) for x in "abc" if x != w.name)
        assert own >= ENOUGH and others == 0, (root, own, others)
    return by_root


@test
def a_restarted_service_is_one_profile():
    need_root()
    python = python_for_all()
    tag = "svc-" + secrets.token_hex(4)
    unit = "pyproftest-%s.service" % tag
    pattern = r"service_worker\.py [abc] [0-9]+ %s$" % tag
    with Daemon("--rate", RATE) as d, Cgroup("system.slice/" + unit) as cg, \
            Worker(python, cg, "a", tag) as a, Worker(python, cg, "b", tag) as b, \
            Worker(python, cg, "c", tag) as c:
        for w in (a, b, c):
            wait_hot(d, w)
        # The restart: b killed, a new b in the same unit.
        b.stop()
        wait_for(lambda: d.listed(all_=True).get(b.pid, ("", ""))[1] == "exited",
                 what="worker b's exit seen")
        with Worker(python, cg, "b", tag) as b2:
            wait_hot(d, b2)
            workers = (a, b, b2, c)
            # The unit by its short name, as systemctl takes it: all four, merged.
            stacks, note = folded(d, "--unit", unit[:-len(".service")])
            print("  --unit: %s" % note.strip())
            assert "unit %s, 4 processes" % unit in note, note
            # Without --per-process every stack is under the process name.
            comm = os.path.basename(os.path.realpath(python))[:15]
            assert set(roots(stacks)) == {comm}, roots(stacks)
            for name in "abc":
                assert hot_samples(stacks, name) >= (2 if name == "b" else 1) * ENOUGH, \
                    (name, hot_samples(stacks, name))
            by_root = check_per_process(folded(d, "--unit", unit, "--per-process")[0],
                                        workers)
            print("  --per-process roots: %s" % sorted(by_root))
            check_per_process(folded(d, "--cmdline", pattern, "--per-process")[0], workers)
            # top and --lines take the same selection; top's views are the newest samples.
            r = d.ctl("top", "--unit", unit, "--iterations", "4", "--interval", "1s")
            print("  " + r.stdout.splitlines()[0])
            assert r.stdout.startswith("pyprofctl top: unit %s, " % unit), r.stdout[:300]
            assert all("hot_%s " % x in r.stdout for x in "abc"), r.stdout
            r = d.ctl("snapshot", "--cmdline", pattern, "--lines")
            print("  " + r.stdout.splitlines()[0])
            assert r.stdout.startswith("pyprofctl snapshot: command lines matching %s, "
                                       "4 processes, " % pattern), r.stdout[:300]
            assert all("hot_%s" % x in r.stdout for x in "abc"), r.stdout
            # All gone: the profiles stop changing, and must agree to the sample.
            for w in workers:
                w.stop()
            wait_for(lambda: all(d.listed(all_=True)[w.pid][1] == "exited" for w in workers),
                     what="every worker's exit seen")
            by_unit, _ = folded(d, "--unit", unit)
            by_cmdline, note = folded(d, "--cmdline", pattern)
            per_process, _ = folded(d, "--unit", unit, "--per-process")
            listed, _ = folded(d, "--pid", ",".join(str(w.pid) for w in workers),
                               "--cmdline", pattern)
            totals = [sum(x.values()) for x in (by_unit, by_cmdline, per_process, listed)]
            print("  totals (unit, cmdline, per-process, pids+cmdline): %s" % totals)
            assert by_unit == by_cmdline == listed, "the selections differ"
            assert len(set(totals)) == 1, totals
            assert "command lines matching" in note and "4 processes" in note, note
            # One more worker's worth of the unit is the exited b: its samples count.
            b_only, _ = folded(d, "--pid", str(b.pid), "--cmdline", pattern)
            assert hot_samples(b_only, "b") >= ENOUGH, b_only


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def cpu_s(pid):
    """pid's CPU seconds, None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuLog:
    """(wall time, CPU seconds) per pid, polled while waiting: the CPU time of each
    worker in a past range, interpolated."""

    def __init__(self):
        self.points = {}

    def poll_until(self, t_end, workers):
        while time.time() < t_end:
            for w in workers:
                c = cpu_s(w.pid)
                if c is not None and w.proc.poll() is None:
                    self.points.setdefault(w.pid, []).append((time.time(), c))
            time.sleep(0.05)

    def between(self, pid, a, b):
        pts = self.points[pid]

        def at(t):
            if t <= pts[0][0]:
                return pts[0][1]
            if t >= pts[-1][0]:
                return pts[-1][1]
            for (t0, c0), (t1, c1) in zip(pts, pts[1:]):
                if t0 <= t <= t1:
                    return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c0
        return at(b) - at(a)


@test
def a_service_over_two_minutes_in_the_past():
    """Issue 13's done-when: three workers of a unit, b restarted halfway, asked for by
    --unit over an exact 2-minute range that ended before the question: every process's
    samples are its CPU time in the range, the range stated is the one asked, and the two
    halves add up to the whole to the sample (no rounding to 10 s windows)."""
    need_root()
    python = python_for_all()
    tag = "svc-" + secrets.token_hex(4)
    unit = "pyproftest-%s.service" % tag
    rate = int(RATE)
    log = CpuLog()
    with Daemon("--rate", RATE) as d, Cgroup("system.slice/" + unit) as cg, \
            Worker(python, cg, "a", tag, seconds=300) as a, \
            Worker(python, cg, "b", tag, seconds=300) as b, \
            Worker(python, cg, "c", tag, seconds=300) as c:
        for w in (a, b, c):
            wait_hot(d, w)
        # A start off the 10 s windows' grid, so whole windows could not give the answer.
        t0 = int(time.time()) + 2
        t0 += (3 - t0 % 10) % 10
        # b stops just before the halfway second and b2 starts just after it.
        log.poll_until(t0 + 59.7, (a, b, c))
        b.stop()
        log.poll_until(t0 + 60.3, (a, c))
        with Worker(python, cg, "b", tag, seconds=300) as b2:
            log.poll_until(t0 + 122, (a, b2, c))
            for w in (a, b2, c):
                w.stop()
            workers = (a, b, b2, c)

            def count(since, until):
                r = d.ctl("snapshot", "--unit", unit, "--per-process", "--since", iso(since),
                          "--until", iso(until))
                per = {}
                for stack, n in parse_folded(r.stdout).items():
                    pid = int(stack.split(" ", 1)[0])
                    per[pid] = per.get(pid, 0) + n
                return per, r.stderr
            last = [None]

            def settled():
                got = count(t0, t0 + 120)
                same = got == last[0]
                last[0] = got
                return got if same else None
            whole, note = wait_for(settled, timeout=30, interval=0.5, what="samples drained")
            print("  %s" % note.strip())
            assert "unit %s, 4 processes" % unit in note, note
            assert "samples of %s to %s, 120.0 s" % (iso(t0), iso(t0 + 120)) in note, note
            for w in workers:
                want = log.between(w.pid, t0, t0 + 120) * rate
                got = whole.get(w.pid, 0)
                print("  pid %d (%s): %d samples, CPU time in range says %.1f"
                      % (w.pid, w.name, got, want))
                # A sample period either way, the /proc tick's and the polling's uncertainty.
                assert abs(got - want) <= 2 + 2 * rate / os.sysconf("SC_CLK_TCK") + 0.02 * want, \
                    (w.pid, got, want)
            assert whole.get(b.pid, 0) > 0 and whole.get(b2.pid, 0) > 0, whole
            first, _ = count(t0, t0 + 60)
            second, _ = count(t0 + 60, t0 + 120)
            for pid in set(whole) | set(first) | set(second):
                assert first.get(pid, 0) + second.get(pid, 0) == whole.get(pid, 0), \
                    (pid, first, second, whole)
            # b ran in the first half only, b2 in the second only.
            assert b.pid not in second and b2.pid not in first, (first, second)


@test
def per_process_svg_has_a_tower_per_process():
    need_root()
    python = python_for_all()
    tag = "svg-" + secrets.token_hex(4)
    with Daemon("--rate", RATE) as d, Worker(python, None, "a", tag) as a, \
            Worker(python, None, "c", tag) as c:
        wait_hot(d, a)
        wait_hot(d, c)
        out = os.path.join(d.dir, "p.svg")
        d.ctl("snapshot", "--cmdline", tag, "--per-process", "--format", "svg", "-o", out)
        with open(out) as f:
            svg = f.read()
        title = svg[svg.index("<title>"):svg.index("</title>")] if "<title>" in svg else svg[:400]
        assert "command lines matching %s, 2 processes" % tag in svg, title
        for w in (a, c):
            assert ">%d %s " % (w.pid, python) in svg or "%d %s " % (w.pid, python) in svg, w.pid


@test
def users_select_only_their_own():
    need_root()
    python = python_for_all()
    tag = "acc-" + secrets.token_hex(4)
    with TestUser() as u:
        shared = tempfile.mkdtemp(prefix="pyproftest-sel.")
        try:
            os.chmod(shared, 0o755)
            script = os.path.join(shared, "service_worker.py")
            shutil.copy(os.path.join(WORKLOADS, "service_worker.py"), script)
            os.chmod(script, 0o644)
            with Daemon("--rate", RATE) as d, \
                    Worker(python, None, "a", tag, script=script) as root_w, \
                    Worker(python, None, "b", tag, run_as=u.run_as(), script=script) as theirs:
                os.chmod(d.dir, 0o755)
                wait_hot(d, root_w)
                wait_hot(d, theirs)

                def ctl(*args):
                    return subprocess.run(u.run_as() + [PYPROFCTL, "--socket", d.sock] +
                                          list(args), capture_output=True, text=True, timeout=30)

                # Root sees both; the user, of all processes, only theirs.
                r = d.ctl("snapshot", "--all", "--per-process")
                pids = {int(x.split()[0]) for x in roots(parse_folded(r.stdout))}
                assert {root_w.pid, theirs.pid} <= pids, pids
                r = ctl("snapshot", "--all", "--per-process")
                assert r.returncode == 0, r.stderr
                pids = {int(x.split()[0]) for x in roots(parse_folded(r.stdout))}
                print("  the user's --all: pids %s (theirs %d, root's %d); %s"
                      % (sorted(pids), theirs.pid, root_w.pid, r.stderr.strip()))
                assert pids == {theirs.pid}, pids
                assert "all processes, 1 process" in r.stderr, r.stderr
                r = ctl("snapshot", "--user", u.name, "--cmdline", tag)
                assert r.returncode == 0 and hot_samples(parse_folded(r.stdout), "b") >= ENOUGH
                # Root's process selected, and nothing at all: the same answer.
                mine = ctl("snapshot", "--cmdline", "service_worker\\.py a .*" + tag)
                none = ctl("snapshot", "--cmdline", "no-such-" + tag)
                print("  %s" % mine.stderr.strip())
                assert mine.returncode == none.returncode == 4, (mine, none)
                assert mine.stderr == none.stderr and "no process of yours matches" in \
                    mine.stderr and mine.stdout == none.stdout == "", (mine, none)
                r = ctl("snapshot", "--pid", "%d,%d" % (root_w.pid, theirs.pid), "--per-process")
                pids = {int(x.split()[0]) for x in roots(parse_folded(r.stdout))}
                assert r.returncode == 0 and pids == {theirs.pid}, (pids, r.stderr)
        finally:
            shutil.rmtree(shared, ignore_errors=True)


@test
def bad_selectors_say_why():
    need_root()
    with Daemon("--rate", RATE) as d:
        cases = [
            (["--cmdline", "(worker"], 2, "invalid cmdline pattern: Unmatched ( or \\("),
            (["--cmdline", "(a)\\1"], 2, "back-references are not supported"),
            (["--unit", "no-such-" + secrets.token_hex(4)], 4,
             "no process matches the selection"),
            (["--container", "12"], 2, "container must be 4 to 64 lowercase hex digits"),
            (["--comm", "a-name-longer-than-15"], 2, "comm must be 1 to 15 bytes"),
            (["--cgroup", "system.slice"], 2, "absolute cgroup path"),
            (["--user", "no-such-user-" + secrets.token_hex(2)], 2, "unknown --user"),
            (["--pid", "1,x"], 2, "invalid --pid"),
            ([], 2, "needs --pid N or another selector"),
        ]
        for args, status, msg in cases:
            for verb in (["snapshot"], ["snapshot", "--lines"], ["top", "--iterations", "1"]):
                r = d.ctl(*verb, *args, check=False)
                assert r.returncode == status and msg in r.stderr and r.stdout == "", \
                    (verb, args, r.returncode, r.stderr)
            print("  %s: %d %s" % (" ".join(args) or "(none)", status, r.stderr.strip()))


if __name__ == "__main__":
    main()
