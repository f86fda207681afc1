# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl's view options on a real profiled process: --function merges the
lines of a function into its def line, --no-lines drops them, file names are
short by default and full with --full-filenames, --threads adds one level per
thread; and --full-filenames folded output is the daemon's own PYPROF/1 text."""

import os
import re
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (FakePyprofd, PYPROFCTL, WORKLOADS, Daemon, Skip, Workload, frame_func, frame_line,  # noqa: E402
                        interpreters, main, need_root, parse_folded, recv_all, test)

RATE = "199"


def python_311_plus():
    builds = [b for m in (11, 12, 13) for b in interpreters(m)]
    if not builds:
        raise Skip("no CPython 3.11+")
    return builds[0][1]


def def_line(script, func):
    with open(os.path.join(WORKLOADS, script)) as f:
        for i, line in enumerate(f, 1):
            if line.startswith("def %s(" % func):
                return i
    raise AssertionError(func)


def snapshot(d, pid, *opts):
    r = d.ctl("snapshot", "--pid", str(pid), *opts)
    return parse_folded(r.stdout)


def frames(stacks):
    return {f for s in stacks for f in s.split(";")}


def py_file(frame):
    """'hot (/x/y.py:12)' -> '/x/y.py'; None for a frame without a file."""
    if " (" not in frame or not frame.endswith(")"):
        return None
    inner = frame.split(" (", 1)[1][:-1]
    head, sep, tail = inner.rpartition(":")
    return head if sep and tail.isdigit() else inner


@test
def function_merges_lines_into_the_def_line():
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python_311_plus(), "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 300, match="spin (", timeout=30)
        plain = snapshot(d, w.pid)
        lines = {frame_line(f) for f in frames(plain) if frame_func(f) == "spin"}
        # spin's loop is two lines (the test and the body): both are sampled.
        assert len(lines) >= 2, lines
        merged = snapshot(d, w.pid, "--function")
        fn = {f for f in frames(merged) if frame_func(f) == "spin"}
        assert fn == {"spin (hotwarm.py:%d)" % def_line("hotwarm.py", "spin")}, fn
        hot = {f for f in frames(merged) if frame_func(f) == "hot"}
        assert hot == {"hot (hotwarm.py:%d)" % def_line("hotwarm.py", "hot")}, hot
        # Merged, not lost: the same samples in fewer stacks.
        assert len(merged) < len(plain) and sum(merged.values()) >= sum(plain.values())


@test
def no_lines_drops_line_numbers():
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python_311_plus(), "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 300, match="spin (", timeout=30)
        st = snapshot(d, w.pid, "--no-lines")
        py = [f for f in frames(st) if f.endswith(".py)")]
        assert "spin (hotwarm.py)" in py and "hot (hotwarm.py)" in py, py
        assert not [f for f in frames(st) if frame_line(f) is not None and ".py:" in f], st
        # Together with --function: still no lines.
        st = snapshot(d, w.pid, "--no-lines", "--function", "--full-filenames")
        assert "spin (%s)" % os.path.join(WORKLOADS, "hotwarm.py") in frames(st), st


@test
def file_names_short_by_default_full_on_request():
    need_root()
    python = python_311_plus()
    with Daemon("--rate", RATE) as d:
        with Workload(python, "hotwarm.py", 60) as w:
            d.wait_samples(w.pid, 300, match="spin (", timeout=30)
            short = frames(snapshot(d, w.pid))
            full = frames(snapshot(d, w.pid, "--full-filenames"))
            # The script's directory (that of the "<module>" frame): its files by their name.
            script = os.path.join(WORKLOADS, "hotwarm.py")
            body = [def_line("hotwarm.py", "spin") + k for k in (2, 3)]
            assert {"spin (hotwarm.py:%d)" % n for n in body} & short, short
            assert {"spin (%s:%d)" % (script, n) for n in body} & full, full
            assert not [f for f in short if (py_file(f) or "").startswith(WORKLOADS)], short
        with Workload(python, "threads.py", 60) as w:
            d.wait_samples(w.pid, 300, match="spin (", timeout=30)
            short = frames(snapshot(d, w.pid))
            full = frames(snapshot(d, w.pid, "--full-filenames"))
            # The standard library: threading's frames, relative to lib/pythonX.Y.
            lib = [py_file(f) for f in full if (py_file(f) or "").endswith("/threading.py")]
            assert lib and all("/lib/python3." in p for p in lib), lib
            assert [f for f in short if py_file(f) == "threading.py"], short
            assert not [f for f in short if "/lib/python3." in (py_file(f) or "")], short


@test
def threads_add_one_level_per_thread():
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python_311_plus(), "threads.py", 60) as w:
        d.wait_samples(w.pid, 600, match="spin (", timeout=30)
        st = snapshot(d, w.pid, "--threads")
        tids = {int(t) for t in os.listdir("/proc/%d/task" % w.pid)}
        by_thread = {}
        named = set()
        for s, n in st.items():
            f = s.split(";")
            # "NAME (tid <tid>)" for a thread with a Python name, else "thread <tid>",
            # in folded text "thread_<tid>": a name ending in " <number>" would read
            # as a count.
            m = re.match(r"^(?:thread_(\d+)|(.*) \(tid (\d+)\))$", f[1]) if len(f) >= 2 else None
            assert m, s
            tid = int(m.group(1) or m.group(3))
            assert tid in tids, (tid, tids)
            funcs = {frame_func(x) for x in f[2:]} & {"t_alpha", "t_beta", "t_gamma", "t_delta"}
            if funcs:
                by_thread.setdefault(tid, set()).update(funcs)
                # threading names a thread after its target: "Thread-1 (t_alpha)" (its
                # first samples, before pyprofd read the name, are "thread_<tid>").
                if m.group(2):
                    assert m.group(2).endswith(" (%s)" % next(iter(funcs))), s
                    named.add(tid)
        # The four busy threads, each in its own function only.
        assert len(by_thread) == 4, by_thread
        assert named == set(by_thread), (named, by_thread)
        assert all(len(v) == 1 for v in by_thread.values()), by_thread
        assert len({next(iter(v)) for v in by_thread.values()}) == 4, by_thread
        # Without --threads: no thread level, stacks of equal frames merged, and
        # nothing lost.  Stopped, the process adds no samples, so two answers can
        # cover the same ones; samples taken just before the stop may still be on
        # their way, hence the wait for two equal answers in a row.
        os.kill(w.pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 20
            st = snapshot(d, w.pid, "--threads")
            while True:
                plain = snapshot(d, w.pid)
                again = snapshot(d, w.pid, "--threads")
                if again == st or time.monotonic() > deadline:
                    break
                st = again
        finally:
            os.kill(w.pid, signal.SIGCONT)
        assert again == st, "the profile of a stopped process kept changing"
        assert not [s for s in plain if re.search(r";(thread_\d+|[^;]* \(tid \d+\))(;|$)", s)], plain
        merged = {}
        for s, n in st.items():
            f = s.split(";")
            key = ";".join(f[:1] + f[2:])
            merged[key] = merged.get(key, 0) + n
        assert plain == merged, (plain, merged)


def pyprof1_folded(sock, pid, seconds):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(b"PYPROF/1 snapshot pid=%d seconds=%d\n" % (pid, seconds))
        reply = recv_all(s)
    head, _, payload = reply.partition(b"\n")
    assert head.startswith(b"OK "), reply[:200]
    assert int(head.split()[1]) == len(payload), head
    return payload


@test
def full_filenames_folded_is_the_daemons_pyprof1_text():
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python_311_plus(), "threads.py", 60) as w:
        d.wait_samples(w.pid, 300, match="spin (", timeout=30)
        # Stopped, the process adds no samples: both answers cover the same ones.
        os.kill(w.pid, signal.SIGSTOP)
        try:
            time.sleep(1)
            for attempt in range(3):
                # --no-gc: PYPROF/1 has no [gc] marker on samples taken in the collector
                # (a thread's start collects now and then: 1 sample in ~400 here).
                r = d.ctl("snapshot", "--pid", str(w.pid), "--seconds", "60", "--format", "folded",
                          "--full-filenames", "--no-gc")
                v1 = pyprof1_folded(d.sock, w.pid, 60)
                if r.stdout.encode() == v1:
                    break
                time.sleep(0.5)
            assert r.stdout.encode() == v1, "pyprofctl:\n%s\nPYPROF/1:\n%s" % (
                r.stdout[:2000], v1[:2000].decode(errors="replace"))
            assert b"spin (" in v1
        finally:
            os.kill(w.pid, signal.SIGCONT)


@test
def top_takes_the_view_options():
    need_root()
    with Daemon("--rate", RATE, "--window", "1") as d, \
            Workload(python_311_plus(), "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 300, match="spin (", timeout=30)
        for opts, want in (((), "hotwarm.py"),
                           (("--full-filenames",), os.path.join(WORKLOADS, "hotwarm.py")),
                           (("--threads", "--function", "--no-lines"), "hotwarm.py")):
            out = d.ctl("top", "--pid", str(w.pid), "--interval", "1s", "--iterations", "2",
                        *opts).stdout
            rows = [r for r in out.splitlines() if r.split()[-2:-1] == ["spin"]]
            assert rows and all(r.split()[-1] == "(%s)" % want for r in rows), (opts, out)
        r = d.ctl("top", "--pid", str(w.pid), "--bogus", check=False)
        assert r.returncode == 2, r


def wire_v2(folded):
    """PYPROF/2's encoding (userspace/lib/proto/wire.h, version 2) of folded text whose
    frames are the process and "name (file:line)" Python frames."""
    strings, frames, stacks = [], [], []

    def index(x, table):
        if x not in table:
            table.append(x)
        return table.index(x)
    for line in folded.splitlines():
        text, count = line.rsplit(b" ", 1)
        ids = []
        for depth, f in enumerate(text.split(b";")):
            if depth == 0:
                frame = (0, index(f, strings), 0xffffffff, -1, -1)
            else:
                name, where = f[:-1].split(b" (", 1)
                file, ln = where.rsplit(b":", 1)
                frame = (1, index(name, strings), index(file, strings), int(ln), -1)
            ids.append(index(frame, frames))
        stacks.append((ids, int(count)))
    out = b"PYPROFS\x02" + struct.pack("<I", len(strings))
    out += b"".join(struct.pack("<I", len(x)) + x for x in strings)
    out += struct.pack("<I", len(frames)) + b"".join(struct.pack("<BIIii", *f) for f in frames)
    out += struct.pack("<I", len(stacks))
    out += b"".join(struct.pack("<I%dIQ" % len(i), len(i), *i, n) for i, n in stacks)
    return out


class OldDaemon(FakePyprofd):
    """A daemon of PYPROF/1 to PYPROF/<version> only, as pyprofd was: ERR EPROTO to
    newer requests, folded text (PYPROF/1) or version 2's encoding (PYPROF/2) to
    snapshots.  Records the request lines."""

    FOLDED = (b"python3;<module> (/app/main.py:9);f (/usr/lib/python3.11/json/decoder.py:20) 5\n"
              b"python3;<module> (/app/main.py:9);f (/usr/lib/python3.11/json/decoder.py:21) 1\n"
              b"python3;<module> (/app/main.py:9);g (/srv/pkg/u.py:3) 2\n")

    prefix = "pyproftest-old."

    def __init__(self, version=1):
        self.version = version

    def _reply(self, line):
        v = line[7:8]
        if not line.startswith("PYPROF/") or not "1" <= v <= "%d" % self.version:
            return (b"ERR EPROTO unsupported protocol version (this is PYPROF/1 "
                    b"to PYPROF/%d)\n" % self.version)
        if " snapshot " in line:
            payload = wire_v2(self.FOLDED) if v == "2" else self.FOLDED
            return b"OK %d from_ns=1 to_ns=60000000001\n" % len(payload) + payload
        return b"OK 0\n"


@test
def a_pyprof1_daemon_is_asked_in_folded_text():
    if not os.path.exists(PYPROFCTL):
        raise Skip("%s not built" % PYPROFCTL)
    with OldDaemon() as d:
        r = d.ctl("snapshot", "--pid", "42", "--full-filenames")
        assert r.returncode == 0, r.stderr
        assert r.stdout.encode() == OldDaemon.FOLDED, r.stdout
        assert d.lines[:3] == ["PYPROF/3 snapshot pid=42 range=1\n",
                               "PYPROF/2 snapshot pid=42 range=1\n",
                               "PYPROF/1 snapshot pid=42 range=1\n"], d.lines
        # The view applies to what it sent: short names, lines merged.
        r = d.ctl("snapshot", "--pid", "42", "--no-lines")
        assert r.returncode == 0, r.stderr
        assert r.stdout == ("python3;<module> (main.py);f (json/decoder.py) 6\n"
                            "python3;<module> (main.py);g (/srv/pkg/u.py) 2\n"), r.stdout


@test
def a_pyprof2_daemon_is_asked_in_version_2():
    """A daemon of before tags answers PYPROF/3 with ERR EPROTO: asked again in PYPROF/2,
    its profile is the same as the folded text of a PYPROF/1 one."""
    if not os.path.exists(PYPROFCTL):
        raise Skip("%s not built" % PYPROFCTL)
    with OldDaemon(2) as d:
        r = d.ctl("snapshot", "--pid", "42", "--full-filenames")
        assert r.returncode == 0, r.stderr
        assert r.stdout.encode() == OldDaemon.FOLDED, r.stdout
        assert d.lines == ["PYPROF/3 snapshot pid=42 range=1\n",
                           "PYPROF/2 snapshot pid=42 range=1\n"], d.lines
        r = d.ctl("snapshot", "--pid", "42", "--format", "json")
        assert r.returncode == 0 and '"json/decoder.py"' in r.stdout, r


if __name__ == "__main__":
    main()
