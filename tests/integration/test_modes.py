# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl's --mode (cpu, wall, offcpu, gil), --tid and the marker frames ([gc],
[waiting for GIL]) chosen at query time: against a fake daemon that sends a profile of
tagged stacks made by hand (no root needed), against fakes of older daemons (PYPROF/2
only; PYPROF/3 without the sampling period: a clear error for the modes they cannot
serve, cpu still works), and against the real pyprofd."""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (FakePyprofd, OUTPUT, PYPROFCTL, ROOT, WORKLOADS, Daemon, Skip,  # noqa: E402
                        Workload, frame_tid, interpreters, main, need_root, parse_folded,
                        recv_all, test, wait_for)

FMT_RENDER = os.path.join(OUTPUT, "tests", "fmt_render")
WALL = os.path.join(ROOT, "tests", "golden", "wall.folded")
DRIVER = os.path.join(ROOT, "tests", "integration", "speedscope_check.js")
NODE_MODULES = os.path.join(ROOT, OUTPUT, "npm", "node_modules")
CHROMIUM = "/usr/bin/chromium"

# Tags (userspace/lib/profile/sample.h).
ON_CPU, OFF_CPU, GIL, GIL_WAIT, GC = 0, 0x01, 0x02, 0x04, 0x08
# Frame kinds (userspace/lib/profile/frame.h).
PROCESS, PYTHON, KERNEL, MARKER, THREAD = 0, 1, 2, 3, 5
PERIOD_NS = 10000000    # 100 Hz

NONE = 0xffffffff


def py(name, file, line):
    return (PYTHON, name, file, line)


def kernel(name):
    return (KERNEL, name, None, -1)


def thread(tid):
    return (THREAD, "", None, tid)


ROOT = (PROCESS, "python3", None, -1)

# One process, two threads: 101 sleeps 2 s then computes (sleep-then-compute), 102
# computes holding the GIL, collects garbage once, and waits for the GIL.
STACKS = [
    ([ROOT, thread(101), py("<module>", "/app/main.py", 9), py("nap", "/app/main.py", 3),
      kernel("do_nanosleep")], OFF_CPU, 2000000000),
    ([ROOT, thread(101), py("<module>", "/app/main.py", 9), py("work", "/app/main.py", 5)],
     GIL, 2),
    ([ROOT, thread(102), py("<module>", "/app/main.py", 9), py("spin", "/app/main.py", 7)],
     GIL, 5),
    ([ROOT, thread(102), py("<module>", "/app/main.py", 9), py("spin", "/app/main.py", 7)],
     GIL | GC, 1),
    ([ROOT, thread(102), py("<module>", "/app/main.py", 9), py("spin", "/app/main.py", 7)],
     ON_CPU, 3),
    ([ROOT, thread(102), py("<module>", "/app/main.py", 9), py("spin", "/app/main.py", 7),
      kernel("futex_wait")], OFF_CPU | GIL_WAIT, 40000000),
]


def wire(stacks, version=3):
    """userspace/lib/proto/wire.h's encoding of (frames, tag, count) stacks."""
    strings, frames = [], []

    def index(x, table):
        if x not in table:
            table.append(x)
        return table.index(x)
    body = b""
    for fs, tag, count in stacks:
        ids = []
        for kind, name, file, line in fs:
            fr = (kind, index(name.encode(), strings),
                  NONE if file is None else index(file.encode(), strings), line, -1)
            ids.append(index(fr, frames))
        body += struct.pack("<I%dIQ" % len(ids), len(ids), *ids, count)
        if version >= 3:
            body += struct.pack("<B", tag)
    out = b"PYPROFS" + bytes([version]) + struct.pack("<I", len(strings))
    out += b"".join(struct.pack("<I", len(x)) + x for x in strings)
    out += struct.pack("<I", len(frames)) + b"".join(struct.pack("<BIIii", *f) for f in frames)
    return out + struct.pack("<I", len(stacks)) + body


class FakeDaemon(FakePyprofd):
    """Answers snapshots with STACKS in PYPROF/3 (version=3), or only PYPROF/1-2 as
    pyprofd before tags (version=2, the on-CPU stacks untagged); with period, states
    period_ns when asked period=1, else refuses that argument as pyprofd before it did.
    Records the request lines."""

    prefix = "pyproftest-modes."

    def __init__(self, version=3, period=True):
        self.version = version
        self.period = period

    def _reply(self, line):
        v = int(line[7:8]) if line[7:8].isdigit() else 0
        if not line.startswith("PYPROF/") or not 1 <= v <= self.version:
            return b"ERR EPROTO unsupported protocol version\n"
        if " snapshot " not in line:
            return b"OK 0\n"
        if " period=1" in line and not self.period:
            return b"ERR EINVAL unknown argument 'period' for 'snapshot'\n"
        if v >= 3:
            payload = wire(STACKS)
        else:
            payload = wire([(f, 0, n) for f, t, n in STACKS if not t & OFF_CPU], 2)
        fields = " from_ns=1 to_ns=60000000001" if " range=1" in line else ""
        if " period=1" in line:
            fields += " period_ns=%d" % PERIOD_NS
        return ("OK %d%s\n" % (len(payload), fields)).encode() + payload


def need_pyprofctl():
    if not os.path.exists(PYPROFCTL):
        raise Skip("%s not built" % PYPROFCTL)


def folded(out):
    """{stack text: count} of folded output."""
    res = {}
    for line in out.splitlines():
        text, n = line.rsplit(" ", 1)
        res[text] = res.get(text, 0) + int(n)
    return res


MAIN = "python3;<module> (main.py:9);"


@test
def cpu_mode_is_the_default_with_a_gc_marker():
    need_pyprofctl()
    with FakeDaemon() as d:
        r = d.ctl("snapshot", "--pid", "42")
        assert r.returncode == 0, r.stderr
        assert d.lines == ["PYPROF/3 snapshot pid=42 range=1\n"], d.lines
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2,
                                    MAIN + "spin (main.py:7)": 8,
                                    MAIN + "spin (main.py:7);[gc]": 1}, r.stdout
        assert r.stdout == d.ctl("snapshot", "--pid", "42", "--mode", "cpu").stdout
        # --no-gc: the marker goes, the sample stays with its stack.
        r = d.ctl("snapshot", "--pid", "42", "--no-gc")
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2,
                                    MAIN + "spin (main.py:7)": 9}, r.stdout


@test
def wall_mode_counts_time_and_asks_for_the_period():
    need_pyprofctl()
    with FakeDaemon() as d:
        r = d.ctl("snapshot", "--pid", "42", "--mode", "wall")
        assert r.returncode == 0, r.stderr
        assert d.lines == ["PYPROF/3 snapshot pid=42 range=1 period=1\n"], d.lines
        got = folded(r.stdout)
        assert got == {MAIN + "nap (main.py:3);do_nanosleep_[k]": 2000000000,
                       MAIN + "work (main.py:5)": 2 * PERIOD_NS,
                       MAIN + "spin (main.py:7)": 8 * PERIOD_NS,
                       MAIN + "spin (main.py:7);[gc]": PERIOD_NS,
                       MAIN + "spin (main.py:7);[waiting for GIL];futex_wait_[k]": 40000000}, got
        # Sleep-then-compute: thread 101 spent ~99% of its time in the sleep.
        r = d.ctl("snapshot", "--pid", "42", "--mode", "wall", "--tid", "101")
        got = folded(r.stdout)
        share = got[MAIN + "nap (main.py:3);do_nanosleep_[k]"] / sum(got.values())
        assert 0.98 < share < 1, (share, got)
        r = d.ctl("snapshot", "--pid", "42", "--tid", "101")
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2}, r.stdout


@test
def offcpu_and_gil_modes():
    need_pyprofctl()
    with FakeDaemon() as d:
        r = d.ctl("snapshot", "--pid", "42", "--mode", "offcpu", "--threads")
        assert r.returncode == 0, r.stderr
        assert d.lines == ["PYPROF/3 snapshot pid=42 range=1\n"], d.lines
        assert folded(r.stdout) == {
            "python3;thread_101;<module> (main.py:9);nap (main.py:3);do_nanosleep_[k]":
                2000000000,
            "python3;thread_102;<module> (main.py:9);spin (main.py:7);[waiting for GIL];"
            "futex_wait_[k]": 40000000}, r.stdout
        r = d.ctl("snapshot", "--pid", "42", "--mode", "gil", "--no-gc")
        assert r.returncode == 0, r.stderr
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2,
                                    MAIN + "spin (main.py:7)": 6}, r.stdout
        r = d.ctl("snapshot", "--pid", "42", "--mode", "gil", "--tid", "102,101,7")
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2,
                                    MAIN + "spin (main.py:7)": 5,
                                    MAIN + "spin (main.py:7);[gc]": 1}, r.stdout


@test
def bad_view_options_are_usage_errors():
    need_pyprofctl()
    with FakeDaemon() as d:
        for opts in (["--mode", "idle"], ["--mode", ""], ["--tid", "0"], ["--tid", "1,,2"],
                     ["--tid", "x"], ["--tid", ",1"], ["--tid", "1,"], ["--tid", ""],
                     ["--tid", ",".join(["1"] * 65)]):
            for verb in (["snapshot"], ["top", "--iterations", "1"]):
                r = d.ctl(*verb, "--pid", "42", *opts)
                assert r.returncode == 2, (verb, opts, r)
                assert "--mode" in r.stderr or "--tid" in r.stderr, (opts, r.stderr)
        assert d.lines == [], d.lines
        r = d.ctl("snapshot", "--pid", "42", "--tid", ",".join(["1"] * 64))
        assert r.returncode == 6, r
        r = d.ctl("snapshot", "--pid", "42", "--tid", ",".join(["1"] * 60), "--tid", "1,2,3,4,5")
        assert r.returncode == 2 and "at most 64" in r.stderr, r
        # --tid twice: the threads of both
        r = d.ctl("snapshot", "--pid", "42", "--tid", "101", "--tid", "102", "--mode", "gil")
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2, MAIN + "spin (main.py:7)": 5,
                                    MAIN + "spin (main.py:7);[gc]": 1}, r.stdout


@test
def a_pyprof2_daemon_serves_cpu_and_refuses_the_other_modes_clearly():
    need_pyprofctl()
    with FakeDaemon(version=2) as d:
        r = d.ctl("snapshot", "--pid", "42")
        assert r.returncode == 0, r.stderr
        assert folded(r.stdout) == {MAIN + "work (main.py:5)": 2,
                                    MAIN + "spin (main.py:7)": 9}, r.stdout
        for mode in ("wall", "offcpu", "gil"):
            del d.lines[:]
            r = d.ctl("snapshot", "--pid", "42", "--mode", mode)
            assert r.returncode == 1 and r.stdout == "", r
            assert "older than PYPROF/3" in r.stderr and "--mode %s" % mode in r.stderr, r.stderr
            # Not asked again in PYPROF/2: that answer could only be wrong.
            assert len(d.lines) == 1 and d.lines[0].startswith("PYPROF/3 "), d.lines
        r = d.ctl("top", "--pid", "42", "--mode", "wall", "--iterations", "1")
        assert r.returncode == 1 and "older than PYPROF/3" in r.stderr, r


@test
def a_daemon_without_the_period_refuses_wall_only():
    need_pyprofctl()
    with FakeDaemon(period=False) as d:
        r = d.ctl("snapshot", "--pid", "42", "--mode", "wall")
        assert r.returncode == 1 and r.stdout == "", r
        assert "does not state its sampling period" in r.stderr, r.stderr
        for mode in ("cpu", "offcpu", "gil"):
            r = d.ctl("snapshot", "--pid", "42", "--mode", mode)
            assert r.returncode == 0 and r.stdout, (mode, r)


@test
def top_takes_the_mode():
    need_pyprofctl()
    with FakeDaemon() as d:
        r = d.ctl("top", "--pid", "42", "--mode", "offcpu", "--iterations", "1")
        assert r.returncode == 0, r.stderr
        assert any(x.startswith("PYPROF/3 snapshot pid=42 since_ns=") for x in d.lines), d.lines
        assert "nap" in r.stdout and "work" not in r.stdout, r.stdout
        r = d.ctl("top", "--pid", "42", "--mode", "wall", "--iterations", "1", "--tid", "101")
        assert r.returncode == 0, r.stderr
        assert any("period=1" in x for x in d.lines), d.lines
        assert "nap" in r.stdout and "spin" not in r.stdout, r.stdout
        # cpu: %GIL, the share of a function's samples whose thread held the GIL.
        r = d.ctl("top", "--pid", "42", "--iterations", "1")
        assert r.returncode == 0, r.stderr
        rows = {x.split()[-2]: x.split() for x in r.stdout.splitlines() if "(main.py)" in x}
        assert rows["spin"][4] == "66.67%" and rows["work"][4] == "100.00%", r.stdout
        assert "%GIL" in r.stdout and "11 samples in the last" in r.stdout, r.stdout
    with FakeDaemon(version=2) as d:
        r = d.ctl("top", "--pid", "42", "--iterations", "1")
        assert r.returncode == 0, r.stderr
        rows = {x.split()[-2]: x.split() for x in r.stdout.splitlines() if "(main.py)" in x}
        assert rows["spin"][4] == "-", r.stdout


def go_pprof(path, *args):
    r = subprocess.run(["go", "tool", "pprof"] + list(args) + [path], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, "go tool pprof failed (%d): %s" % (r.returncode, r.stderr)
    return r.stdout


@test
def every_format_says_the_unit_of_a_wall_view():
    """pyprofctl in wall mode against the fake: every format says nanoseconds, and the
    consumers take it (go tool pprof when installed; JSON and XML parsers)."""
    need_pyprofctl()
    total = 2000000000 + 40000000 + 11 * PERIOD_NS
    with FakeDaemon() as d, tempfile.TemporaryDirectory(prefix="pyproftest-modes.") as tmp:
        def snap(fmt, *extra):
            path = os.path.join(tmp, "out." + fmt)
            r = d.ctl("snapshot", "--pid", "42", "--mode", "wall", "--format", fmt, "-o", path,
                      *extra)
            assert r.returncode == 0, (fmt, r.stderr)
            return path
        r = d.ctl("snapshot", "--pid", "42", "--mode", "wall")
        assert "time on and off the CPU in ns" in r.stderr, r.stderr
        assert sum(folded(r.stdout).values()) == total, r.stdout
        with open(snap("json")) as f:
            doc = json.load(f)
        assert (doc["mode"], doc["unit"], doc["period_ns"], doc["total"]) == \
            ("wall", "nanoseconds", PERIOD_NS, total), doc
        assert sum(st["count"] for st in doc["stacks"]) == total
        with open(snap("speedscope")) as f:
            doc = json.load(f)
        prof = doc["profiles"][0]
        assert prof["unit"] == "nanoseconds" and prof["endValue"] == total, prof
        assert sum(prof["weights"]) == total and "wall-clock time" in prof["name"], prof
        svg = ET.parse(snap("svg")).getroot()
        title = next(t for t in svg.iter() if t.get("id") == "title").text
        assert title.endswith("wall-clock time 2.15 s"), title
        tips = [t.text for t in svg.iter() if t.tag.endswith("title")]
        assert any(t.startswith("nap (main.py:3) (2.00 s, 93.") for t in tips), tips
        r = d.ctl("snapshot", "--pid", "42", "--mode", "wall", "--lines")
        assert r.returncode == 0, r.stderr
        assert "wall-clock time" in r.stdout and "TotalTime" in r.stdout, r.stdout
        row = next(x for x in r.stdout.splitlines() if x.endswith("(nap)"))
        assert row.split()[2] == "2.00s", row
        pb = snap("pprof")
        if not shutil.which("go"):
            raise Skip("go tool pprof not installed: the rest is checked")
        out = go_pprof(pb, "-top", "-nodecount=50")
        assert "Type: wall" in out, out
        m = re.search(r"of (\S+) total", out)
        assert m and m.group(1) == "2.15s", out
        assert re.search(r"^\s+2s\s+93\.\d+%.*do_nanosleep$", out, re.M), out
        raw = go_pprof(pb, "-raw")
        assert "PeriodType: wall nanoseconds" in raw and "Period: %d" % PERIOD_NS in raw, raw
        out = go_pprof(snap("pprof", "--mode", "offcpu"), "-top")
        assert "Type: off_cpu" in out and "of 2040ms total" in out, out


def render_wall(fmt, path):
    """tests/golden/wall.folded (ns) rendered as a wall view by fmt_render."""
    if not os.path.exists(FMT_RENDER):
        raise Skip("%s not built" % FMT_RENDER)
    with open(WALL, "rb") as fin, open(path, "wb") as fout:
        r = subprocess.run([FMT_RENDER, fmt, "99", "4242", "app", "60", "60500000000",
                            "1764590000000000000", "wall", "10101010"], stdin=fin, stdout=fout,
                           stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr


def browser(tmp, *args):
    """test_consumers.py's driver of the real speedscope app and of the SVG in Chromium."""
    if not shutil.which("node") or not os.access(CHROMIUM, os.X_OK):
        raise Skip("node or %s not installed (scripts/install-test-consumers.sh)" % CHROMIUM)
    if not os.path.exists(os.path.join(NODE_MODULES, "speedscope", "package.json")) or \
       not os.path.exists(os.path.join(NODE_MODULES, "playwright-core", "package.json")):
        raise Skip("speedscope, playwright-core not in %s (scripts/install-test-consumers.sh)"
                   % NODE_MODULES)
    argv = ["node", DRIVER, args[0], NODE_MODULES, args[1], os.path.join(tmp, "shot")]
    r = subprocess.run(argv + list(args[2:]), capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, "%s failed (%d):\n%s%s" % (DRIVER, r.returncode, r.stdout, r.stderr)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert not res["errors"], "browser errors: %s" % res["errors"]
    return res


@test
def wall_views_in_speedscope_and_the_svg_in_chromium():
    """A wall view's speedscope file in the real app (times, not samples) and its SVG
    in Chromium (tooltips and search in time)."""
    with tempfile.TemporaryDirectory(prefix="pyproftest-modes.") as tmp:
        path = os.path.join(tmp, "wall.json")
        render_wall("speedscope", path)
        res = browser(tmp, "speedscope", path)
        assert "wall-clock time" in res["text"], res["text"]
        rows = {(r["name"], r["file"]): r for r in res["rows"]}
        nap = rows[("nap", "/srv/app/main.py")]
        assert abs(nap["totalPct"] - 100.0 * 2e9 / 2031803880) < 0.05, nap
        assert nap["total"].split()[0] in ("2.00s", "2s"), nap
        path = os.path.join(tmp, "wall.svg")
        render_wall("svg", path)
        res = browser(tmp, "svg", path, "handle", "^nap ")
        assert res["hover"] and re.search(r"\((2\.00 s|[\d.]+ ms), [\d.]+%\)$", res["hover"]), res
        m = re.search(r"([\d.]+)%", res.get("matched") or "")
        assert m and abs(float(m.group(1)) - 100.0 * 2e9 / 2031803880) < 0.01, res


def snapshot_header(sock, pid, args):
    """The OK line of pyprofd's answer to a PYPROF/3 snapshot with args."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(b"PYPROF/3 snapshot pid=%d %s\n" % (pid, args.encode()))
        reply = recv_all(s)
    head, _, payload = reply.partition(b"\n")
    assert head.startswith(b"OK "), reply[:200]
    assert int(head.split()[1]) == len(payload), head
    return head.decode()


def a_python():
    for minor in (11, 12, 13, 10, 9):
        found = interpreters(minor)
        if found:
            return found[0][1]
    raise Skip("no CPython 3.9-3.13")


@test
def pyprofd_states_its_period_and_wall_adds_up():
    """The real daemon: period_ns is 1e9 / rate when asked, never otherwise; of a
    stopped process (no new samples) wall = cpu x period + offcpu, stack by stack."""
    need_root()
    need_pyprofctl()
    rate = 199
    with Daemon("--rate", str(rate), offcpu=True) as d, \
            Workload(a_python(), "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 100, match="spin (", timeout=30)
        head = snapshot_header(d.sock, w.pid, "range=1 period=1")
        assert head.endswith(" period_ns=%d" % (10**9 // rate)) and "from_ns=" in head, head
        assert "period_ns" not in snapshot_header(d.sock, w.pid, "range=1"), head
        os.kill(w.pid, signal.SIGSTOP)
        try:
            for attempt in range(3):
                views = {}
                for mode in ("cpu", "wall", "offcpu"):
                    r = d.ctl("snapshot", "--pid", str(w.pid), "--mode", mode, "--threads",
                              check=False)
                    assert r.returncode in (0, 6), (mode, r)
                    views[mode] = parse_folded(r.stdout)
                keys = set(views["wall"]) | set(views["cpu"]) | set(views["offcpu"])
                want = {k: views["cpu"].get(k, 0) * (10**9 // rate) + views["offcpu"].get(k, 0)
                        for k in keys}
                if want == views["wall"]:
                    break
            assert want == views["wall"], views
            assert any("spin (" in k for k in views["cpu"]), views["cpu"]
        finally:
            os.kill(w.pid, signal.SIGCONT)


def sleeper_tid(d, pid, sleep_at):
    """The tid of the thread whose stacks hold sleep_at (its --threads level)."""
    for stack in parse_folded(d.ctl("snapshot", "--pid", str(pid), "--mode", "offcpu",
                                    "--threads", "--full-filenames", check=False).stdout):
        if sleep_at in stack:
            return frame_tid(stack.split(";")[1])
    return None


@test
def sleep_then_compute_in_wall_and_cpu():
    """Tachyon's example on real BPF: a thread sleeps 2 s then computes 20 ms, over and
    over.  Its wall view (--tid: that thread alone) has ~99% in the sleep, under the
    kernel's sleep; its cpu view ~0%; wall adds up to the thread's elapsed time."""
    need_root()
    need_pyprofctl()
    script = os.path.join(WORKLOADS, "offcpu.py")
    if not os.path.exists(script):
        raise Skip("no %s (the off-CPU workload)" % script)
    with open(script) as f:
        line = next(i for i, t in enumerate(f, 1) if t.rstrip().endswith("# line: sleep"))
    # Full file names: the short ones are relative to the main script's directory,
    # which a view knows from a <module> frame, and the main thread's wait in join()
    # is an off-CPU interval only once it ends.
    sleep_at = "sleeper (%s:%d)" % (script, line)
    # 999 Hz: 20 ms of CPU a cycle is then ~20 samples, enough for a share of them.
    with Daemon("--rate", "999", offcpu=True).as_the_unit_runs_it() as d:
        t0 = time.monotonic()
        with Workload(a_python(), "offcpu.py", "sleep", 60) as w:
            # Recorded from the marking of its threads, which the listing follows: a wait
            # begun before is recorded from then (a loaded daemon may find it late).
            wait_for(lambda: d.listed().get(w.pid, ("", ""))[1] == "profiled", timeout=20,
                     what="pid %d to be profiled" % w.pid)
            sleep_then_compute_check(d, w, (t0, time.monotonic()), sleep_at)


def sleep_then_compute_check(d, w, started, sleep_at):
    """started: (before the workload was started, once pyprofd listed it as profiled)."""
    deadline = time.monotonic() + 30
    tid = None
    while time.monotonic() < deadline:
        time.sleep(1)
        tid = tid or sleeper_tid(d, w.pid, sleep_at)
        if not tid:
            continue
        wall = parse_folded(d.ctl("snapshot", "--pid", str(w.pid), "--mode", "wall",
                                  "--tid", str(tid), "--full-filenames", check=False).stdout)
        slept = sum(n for k, n in wall.items() if sleep_at in k)
        now = time.monotonic()
        if slept >= 4 * 10**9:
            break
    assert tid, "no thread of pid %d sleeps at %s: %s" % (w.pid, sleep_at, d.ctl(
        "snapshot", "--pid", str(w.pid), "--mode", "offcpu", "--threads", "--full-filenames",
        check=False))
    assert slept >= 4 * 10**9, wall
    share = slept / sum(wall.values())
    assert 0.96 < share < 0.999, (share, wall)
    # All of the thread's time since it started (between the two) but the sleep it is in
    # now (< 2 s); an interpreter slow to start on a loaded machine moves both bounds.
    total = sum(wall.values()) / 1e9
    assert now - started[1] - 2.5 < total < now - started[0] + 0.2, (started, now, wall)
    # Under the kernel's sleep (clock_nanosleep; select before 3.11).
    in_kernel = sum(n for k, n in wall.items() if sleep_at in k and any(
        f.endswith("_[k]") and ("sleep" in f or "select" in f) for f in k.split(";")))
    assert in_kernel > 0.95 * slept, wall
    cpu = parse_folded(d.ctl("snapshot", "--pid", str(w.pid), "--tid", str(tid),
                             "--full-filenames", check=False).stdout)
    at_sleep = sum(n for k, n in cpu.items() if sleep_at in k)
    # The sleep's own CPU time (the syscall, and a tick the timer delivers as the thread
    # is switched back in, under finish_task_switch) is a sample or two (2 of 31 seen at
    # load average 9); counting the 2 s it slept would be ~99% of them.
    for k, n in cpu.items():
        if sleep_at in k:
            print("  cpu sample at the sleep: %d x ...%s" % (n, k[-120:]))
    assert cpu and at_sleep <= 2 + 0.1 * sum(cpu.values()), cpu
    print("  wall: %.1f%% of %.2f s in the sleep; cpu: %d of %d samples there"
          % (100 * share, sum(wall.values()) / 1e9, at_sleep, sum(cpu.values())))


if __name__ == "__main__":
    main()
