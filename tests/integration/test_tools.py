# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl's views on a real profiled process: dump of a stuck program,
snapshot --lines, top (also in a real terminal, tmux), every --format (checked
by parsing it back), names made of terminal escapes, exit statuses."""

import glob
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyproftest  # noqa: E402
from pyproftest import (PYPROFCTL, Daemon, Skip, WORKLOADS, Workload, interpreters,  # noqa: E402
                        main, need_root, recv_all, test, tree_interpreters, wait_for)

# TestUser and python_for_all from test_access, without running its tests here.
_ntests = len(pyproftest._tests)
from test_access import TestUser, python_for_all  # noqa: E402
del pyproftest._tests[_ntests:]

RATE = "199"


def source_line(script, text):
    with open(os.path.join(WORKLOADS, script)) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError(text)


def builds_311_plus():
    builds = [b for m in (11, 12, 13, 9, 10) for b in interpreters(m)]
    if not builds:
        raise Skip("no supported CPython")
    return builds


def check_dump(d, label, python, w):
    """The dump of stuck.py, run by w: both threads where they wait, at their lines.
    Returns the threads' parts of the dump."""
    script = os.path.join(WORKLOADS, "stuck.py")
    wait_for(lambda: w.pid in d.listed(), timeout=10, what="pid listed")
    out = d.ctl("dump", "--pid", str(w.pid)).stdout
    threads = out.split("\nThread ")[1:]
    assert len(threads) == 2, out
    main_t = next((t for t in threads if "wait_forever (" in t), None)
    other = next((t for t in threads if "sleeper (" in t), None)
    assert main_t and other, out
    assert "wait_forever (%s:%d)" % (script, source_line("stuck.py", "event.wait()")) \
        in main_t, out
    assert "main (%s:%d)" % (script, source_line("stuck.py", "    wait_forever(event)")) \
        in main_t, out
    assert "sleeper (%s:%d)" % (script, source_line("stuck.py", "time.sleep(3600)")) \
        in other, out
    # Leaf first: the innermost Python frame of the waiting thread comes
    # before main().  Every version shows the kernel tid and its state (3.9/3.10
    # keep no tid: the task iterator finds the thread by its fs base).
    lines = [x.strip() for x in main_t.splitlines()[1:] if x.strip()]
    assert lines.index(next(x for x in lines if x.startswith("main ("))) > \
        lines.index(next(x for x in lines if x.startswith("wait_forever ("))), lines
    assert main_t.split()[0] == str(w.pid), main_t.splitlines()[0]
    assert " (off CPU " in main_t.splitlines()[0], main_t.splitlines()[0]
    print("  %s: %d threads, main in wait_forever, other in sleeper" % (label, 2))
    return threads


@test
def dump_shows_where_a_stuck_program_is():
    need_root()
    with Daemon("--rate", RATE) as d:
        for label, python in builds_311_plus():
            with Workload(python, "stuck.py") as w:
                check_dump(d, label, python, w)
        r = d.ctl("dump", "--pid", "1", check=False)
        assert r.returncode != 0 and r.stderr.strip(), r


def check_dump_in_pid_namespace(d, python):
    """stuck.py as pid 1 of its own pid namespace: dump must show host tids."""
    # --kill-child: the interpreter, pid 1 of its namespace, goes with unshare.
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", python,
                          os.path.join(WORKLOADS, "stuck.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        # The interpreter: unshare's child, which runs the same command line minus unshare.
        def host_pid():
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/status" % pid) as f:
                        status = f.read()
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                nspid = [ln.split()[1:] for ln in status.splitlines() if ln.startswith("NSpid:")]
                if argv[0] == python.encode() and nspid and nspid[0][-1] == "1":
                    return int(pid)
            return None
        pid = wait_for(host_pid, timeout=10, what="the namespaced interpreter")
        wait_for(lambda: pid in d.listed(), timeout=10, what="pid listed")
        out = d.ctl("dump", "--pid", str(pid)).stdout
        threads = out.split("\nThread ")[1:]
        assert len(threads) == 2, out
        check_host_tids(python, pid, threads)
    finally:
        p.kill()
        p.wait()
        p.stdout.close()


def check_host_tids(python, pid, threads):
    """The dump of pid 1 of a pid namespace names each thread by its host tid."""
    host_tids = set(int(t) for t in os.listdir("/proc/%d/task" % pid))
    for t in threads:
        head = t.splitlines()[0]
        tid = int(head.split()[0])
        assert tid in host_tids, "thread %d is no host tid of %d (%s): %s" % (
            tid, pid, sorted(host_tids), threads)
        assert " (off CPU " in head and "in its pid namespace" in head, head
    main_t = next(t for t in threads if "wait_forever (" in t)
    assert main_t.split()[0] == str(pid), main_t
    print("  %s: host pid %d, %s" % (python, pid, "; ".join(t.splitlines()[0] for t in threads)))


@test
def dump_inside_pid_namespace():
    need_root()
    if not shutil.which("unshare"):
        raise Skip("no unshare(1)")
    builds = [b for m in (11, 13) for b in interpreters(m)]
    if not builds:
        raise Skip("no CPython 3.11 or 3.13")
    with Daemon("--rate", RATE) as d:
        for _, python in builds:
            check_dump_in_pid_namespace(d, python)


@test
def lines_rank_source_lines():
    need_root()
    check_lines(builds_311_plus()[0][1])


def check_lines(python):
    # 1500 samples: one sigma of the hot line's share is 1.1 points.
    with Daemon("--rate", "499") as d, Workload(python, "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 1500, match="hot (", timeout=30)
        out = d.ctl("snapshot", "--pid", str(w.pid), "--lines").stdout
        head, _, table = out.partition("\n\n")
        # The range really covered, on the wall clock: whole seconds, at least the 60 s asked.
        assert re.match(r"pyprofctl snapshot: pid %d, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ to "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, " % w.pid, head), head
        assert float(head.split("Z, ")[1].split()[0]) >= 60, head
        rows = table.splitlines()
        assert rows[0].split()[:2] == ["%Total", "%Own"], rows[0]
        hot_line = source_line("hotwarm.py", "return spin(3 * unit)")
        row = next(r for r in rows if "hotwarm.py:%d (hot)" % hot_line in r)
        total = float(row.split()[0].rstrip("%"))
        print("  %s" % row.strip())
        assert abs(total - 75) < 6, row
        assert row.rstrip().endswith("return spin(3 * unit)"), row
        # The spin loop's own lines hold (almost) all own time.
        own_spin = sum(float(r.split()[1].rstrip("%")) for r in rows[1:] if "(spin)" in r)
        assert own_spin > 95, rows


def tree_python(minor):
    builds = tree_interpreters(minor)
    if not builds:
        raise Skip("no CPython 3.%s in the sid tree (make pythons, make helpers)" % minor)
    return builds[0]


def make_tree_tests():
    """dump and --lines on each of the sid tree's interpreters (make pythons), run the
    way a container runs them: as pid 1 of a pid namespace of its own, too."""
    for minor in (14, 15, "13t"):
        def dump(minor=minor):
            need_root()
            label, python = tree_python(minor)
            with Daemon("--rate", RATE) as d, Workload(python, "stuck.py") as w:
                check_host_tids(python, w.pid, check_dump(d, label, python, w))

        def lines(minor=minor):
            need_root()
            check_lines(tree_python(minor)[1])
        dump.__name__ = "dump_sid_3_%s" % minor
        lines.__name__ = "lines_sid_3_%s" % minor
        test(dump)
        test(lines)


make_tree_tests()


@test
def top_shows_the_last_interval():
    need_root()
    python = builds_311_plus()[0][1]
    # Windows of 1 s, and 2 s of samples first: the first view, drawn at once from
    # the newest window, holds no samples of the workload's start (its imports).
    with Daemon("--rate", RATE, "--window", "1") as d, Workload(python, "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 400, timeout=30)
        out = d.ctl("top", "--pid", str(w.pid), "--interval", "1s", "--iterations", "3").stdout
        frames = [f for f in out.split("pyprofctl top: ") if f.strip()]
        assert len(frames) == 3, out
        for i, f in enumerate(frames):
            head, _, table = f.partition("\n\n")
            rows = table.strip().splitlines()
            assert rows[0].split()[:2] == ["%Own", "%Total"], rows
            spin = next(r for r in rows if r.split()[-2] == "spin")
            hot = next(r for r in rows if r.split()[-2] == "hot")
            assert float(spin.split()[0].rstrip("%")) > 95, f
            assert 60 < float(hot.split()[1].rstrip("%")) < 90, f
            n = int(head.split(", ")[1].split()[0])
            secs = float(head.split("in the last ")[1].split("s")[0])
            # One busy thread at 199 Hz: about 199 samples a second, never the history.
            # The first view, drawn at once, is what the newest window holds so far.
            if i == 0:
                assert 0 < secs <= 21 and n <= 260 * secs, head
            else:
                # secs: the time between two fetches, longer on a loaded machine.
                assert 50 <= n <= 260 * secs and secs > 0.5, head
        print("  " + frames[-1].splitlines()[0])


@test
def every_format_parses():
    need_root()
    python = builds_311_plus()[0][1]
    out_dir = tempfile.mkdtemp(prefix="pyproftest-fmt.")
    try:
        with Daemon("--rate", RATE) as d, Workload(python, "hotwarm.py", 60) as w:
            d.wait_samples(w.pid, 300, match="hot (", timeout=30)
            paths = {}
            for fmt in ("folded", "svg", "speedscope", "pprof", "json"):
                paths[fmt] = os.path.join(out_dir, "profile." + fmt)
                d.ctl("snapshot", "--pid", str(w.pid), "--format", fmt, "-o", paths[fmt])
            folded = open(paths["folded"]).read()
            assert "hot (" in folded
            svg = ET.parse(paths["svg"]).getroot()
            assert svg.tag.endswith("svg")
            assert any("hot" in (t.text or "") for t in svg.iter("{http://www.w3.org/2000/svg}title"))
            doc = json.load(open(paths["json"]))
            assert doc["pid"] == w.pid and doc["total"] > 0
            assert any(f["name"] == "hot" and f.get("line") for f in doc["frames"]), doc["frames"]
            ss = json.load(open(paths["speedscope"]))
            assert ss["profiles"][0]["type"] == "sampled"
            assert any(f["name"] == "hot" for f in ss["shared"]["frames"])
            raw = gzip.open(paths["pprof"]).read()
            assert b"hot" in raw and b"cpu" in raw
            if shutil.which("go"):
                r = subprocess.run(["go", "tool", "pprof", "-top", paths["pprof"]],
                                   capture_output=True, text=True, timeout=120,
                                   env=dict(os.environ, HOME=out_dir, GOCACHE=out_dir))
                assert r.returncode == 0 and " spin" in r.stdout, r.stderr
            # Bad arguments are refused clearly.
            r = d.ctl("snapshot", "--pid", str(w.pid), "--format", "png", check=False)
            assert r.returncode != 0 and "unknown --format" in r.stderr
            r = d.ctl("snapshot", "--pid", str(w.pid), "--lines", "--format", "svg", check=False)
            assert r.returncode != 0 and "exclude" in r.stderr
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

# Clear screen, newline, tab, an OSC that retitles the terminal, a C1 CSI (U+009B).
HOSTILE = "\x1b[2J\n\t\x1b]0;pwned\x07\u009b"


def terminal_safe(data, what, allowed=b"\n"):
    """data as text, asserting it holds nothing a terminal acts on."""
    bad = sorted({b for b in data if (b < 0x20 and b not in allowed) or b == 0x7f})
    assert not bad, "%s: raw control bytes %s in %r" % (what, bad, data[:3000])
    text = data.decode("utf-8")  # strict: ill-formed UTF-8 fails here
    c1 = sorted({hex(ord(c)) for c in text if 0x80 <= ord(c) <= 0x9f})
    assert not c1, "%s: C1 controls %s in %r" % (what, c1, text[:3000])
    return text


def raw_request(path, req):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(req)
        return recv_all(s)


class HostilePython:
    """
    Debian's static python3.11, copied into a directory named with terminal
    escapes and run through a symlink named with them: comm is the link's
    name (newline and all), exe the copy's path.  (The path has no newline:
    /proc/PID/maps escapes it, and pyprofd then does not see the executable.)
    """

    def __enter__(self):
        if not os.path.exists("/usr/bin/python3.11"):
            raise Skip("no /usr/bin/python3.11 to copy")
        self.dir = tempfile.mkdtemp(prefix="pyproftest-esc.")
        sub = os.path.join(self.dir, "d" + HOSTILE.replace("\n", ""))
        os.mkdir(sub)
        shutil.copy("/usr/bin/python3.11", os.path.join(sub, "python3.11"))
        # comm keeps 15 bytes of the name: all of it is escapes but the "p".
        self.exe = os.path.join(self.dir, "p" + HOSTILE)
        os.symlink(os.path.join(sub, "python3.11"), self.exe)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


@test
def hostile_names_reach_no_terminal():
    """comm, exe and code names of another process cannot drive the terminal or forge rows."""
    need_root()
    with HostilePython() as hp, Daemon("--rate", RATE) as d, Workload(hp.exe, "hostile.py") as w:
        pid = str(w.pid)
        d.wait_samples(w.pid, 100, match="name", timeout=30)
        # The daemon never sends a field with a tab or newline inside.
        raw = raw_request(d.sock, b"PYPROF/1 list\n")
        rows = [r for r in raw.partition(b"\n")[2].split(b"\n")[1:] if r]
        assert all(r.split(b"\t")[0].isdigit() and len(r.split(b"\t")) == 8 for r in rows), raw
        assert any(r.startswith(pid.encode() + b"\t") for r in rows), raw
        views = {
            # --wide: comm and exe are columns too.
            "list": ["list", "--wide"],
            "list --all": ["list", "--all"],
            "list --json": ["list", "--json"],
            "status --json": ["status", "--json"],
            "dump": ["dump", "--pid", pid],
            "--lines": ["snapshot", "--pid", pid, "--lines"],
            "top": ["top", "--pid", pid, "--interval", "200ms", "--iterations", "2"],
            "status": ["status"],
            "json": ["snapshot", "--pid", pid, "--format", "json"],
        }
        out = {}
        for name, args in views.items():
            r = subprocess.run([PYPROFCTL, "--socket", d.sock] + args, capture_output=True,
                               timeout=60)
            assert r.returncode == 0, (name, r.returncode, r.stderr)
            out[name] = terminal_safe(r.stdout, name)
            terminal_safe(r.stderr, name + " (stderr)")
        # One row per process, each starting with its pid: no forged row.
        lines = out["list"].splitlines()
        assert all(line.split()[0].isdigit() for line in lines[1:]), out["list"]
        row = next(line for line in lines[1:] if line.split()[0] == pid)
        assert "p\\x1b[2J\\x0a\\x09" in row and "/d\\x1b[2J\\x09" in row, row
        assert "\\xc2\\x9b" in row, row
        assert "evil" in out["dump"] and "\\x1b]0;pwned" in out["dump"], out["dump"]
        assert "name" in out["--lines"] and "\\xc2\\x9b31m" in out["--lines"], out["--lines"]
        assert "\\xc2\\x9b31m" in out["top"], out["top"]
        # JSON keeps the name, escaped: the same text once parsed.
        doc = json.loads(out["json"])
        assert any(f["name"].startswith("evil") and "\u009b31m" in f["name"]
                   for f in doc["frames"]), doc["frames"]
        # list --json: the same escaped names, in JSON any parser reads.
        mine = next(o for o in json.loads(out["list --json"]) if o["pid"] == w.pid)
        assert "p\\x1b[2J\\x0a\\x09" in mine["comm"] and "/d\\x1b[2J\\x09" in mine["exe"], mine
        print("  " + row)


def tmux_available():
    if not shutil.which("tmux"):
        raise Skip("no tmux (scripts/install-test-consumers.sh installs it)")


class Tmux:
    """A tmux server of its own running one command in a 160x50 terminal."""

    def __init__(self, command):
        self.name = "pyproftest-%d-%d" % (os.getpid(), time.monotonic_ns())
        self.command = command

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.name] + list(args), capture_output=True,
                              text=True, timeout=10)

    def __enter__(self):
        r = self.tmux("new-session", "-d", "-x", "160", "-y", "50", self.command)
        assert r.returncode == 0, r.stderr
        return self

    def screen(self):
        return self.tmux("capture-pane", "-p", "-J").stdout

    def title(self):
        return self.tmux("display-message", "-p", "#{pane_title}").stdout.strip()

    def __exit__(self, *exc):
        self.tmux("kill-server")


def pid_of(*words):
    """The pid of the one process whose argv holds every word."""
    for p in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if p.isdigit() and all(w.encode() in argv for w in words):
            return int(p)
    return None


def after_top(shell_tail):
    return "; echo rc=$?; stty -a | tr '\\n' ' '; echo; echo end-of-test; sleep 600" + shell_tail


@test
def top_in_a_terminal_draws_at_once_and_quits_on_q():
    need_root()
    tmux_available()
    with HostilePython() as hp, Daemon("--rate", RATE) as d, Workload(hp.exe, "hostile.py") as w:
        d.wait_samples(w.pid, 20, match="name", timeout=30)
        cmd = "%s --socket %s top --pid %d --interval 1h" % (PYPROFCTL, d.sock, w.pid)
        # q: an interval of an hour, so only drawing at once shows anything.
        with Tmux(cmd + after_top("")) as t:
            wait_for(lambda: "pyprofctl top: pid %d" % w.pid in t.screen(), timeout=15,
                     what="top's first view")
            screen = t.screen()
            assert "q or Ctrl-C quits" in screen and "\\xc2\\x9b31m" in screen, screen
            assert "pwned" not in t.title(), t.title()
            t.tmux("send-keys", "q")
            wait_for(lambda: "end-of-test" in t.screen(), timeout=15, what="top to quit on q")
            screen = t.screen()
            assert "rc=0" in screen, screen
            assert " icanon " in screen and " echo " in screen, screen
        # SIGTERM: the terminal's mode is restored too.
        with Tmux(cmd + after_top("")) as t:
            wait_for(lambda: "pyprofctl top: pid %d" % w.pid in t.screen(), timeout=15,
                     what="top's first view")
            top = wait_for(lambda: pid_of(PYPROFCTL, d.sock, "top"), what="top's pid")
            os.kill(top, signal.SIGTERM)
            wait_for(lambda: "end-of-test" in t.screen(), timeout=15, what="top to stop on SIGTERM")
            screen = t.screen()
            assert "rc=0" in screen and " icanon " in screen and " echo " in screen, screen


@test
def top_fetches_only_what_is_new():
    """Each refresh asks for the windows since the last one: its reply does not grow."""
    need_root()
    python = builds_311_plus()[0][1]
    # 1 s windows and a workload whose distinct stacks keep growing (a new function
    # every 20 ms): fetching everything since top started would grow each refresh.
    with Daemon("--rate", RATE, "--window", "1") as d, Workload(python, "churn.py", 60) as w:
        d.wait_samples(w.pid, 20, match="f_", timeout=30)
        r = subprocess.run([PYPROFCTL, "--socket", d.sock, "top", "--pid", str(w.pid),
                            "--interval", "500ms", "--iterations", "20"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYPROFCTL_DEBUG_BYTES="1"))
        assert r.returncode == 0, r.stderr
        sizes = [int(line.split(": ")[2].split()[0]) for line in r.stderr.splitlines()
                 if line.startswith("pyprofctl: top refresh ")]
        assert len(sizes) == 20, r.stderr
        early, late = sum(sizes[1:7]) / 6, sum(sizes[14:20]) / 6
        print("  bytes per refresh: %s; refreshes 2-7 %.0f, 15-20 %.0f" % (sizes, early, late))
        assert late < 2 * early, sizes


@test
def exit_statuses_tell_what_failed():
    need_root()
    olds = sorted(glob.glob(os.path.join(pyproftest.pyenv_root(), "versions", "3.8.*", "bin",
                                         "python3.8")))
    ctl = [PYPROFCTL]
    r = subprocess.run(ctl, capture_output=True, text=True)
    assert r.returncode == 2 and "snapshot, top, dump, list, status" in r.stderr, r
    r = subprocess.run(ctl + ["--socket", "/nonexistent/pyprofd.sock", "list"],
                       capture_output=True, text=True)
    assert r.returncode == 3 and "not running" in r.stderr, r
    for verb in ("snapshot", "top", "dump", "list", "status"):
        r = subprocess.run(ctl + [verb, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "  %s " % verb in r.stdout and "Exit status" in r.stdout \
            and not r.stderr, (verb, r)
    with Daemon("--rate", RATE, "--window", "1") as d, \
            Workload("/usr/bin/python3.11", "idle.py", 60) as idle:
        assert d.ctl("snapshot", "--pid", "x", check=False).returncode == 2
        assert d.ctl("status", "extra", check=False).returncode == 2
        r = d.ctl("snapshot", "--pid", "999999999", check=False)
        assert r.returncode == 4 and "no process" in r.stderr, r
        r = d.ctl("dump", "--pid", str(d.proc.pid), check=False)
        assert r.returncode == 5 and "not a Python process" in r.stderr, r
        if olds:
            with Workload(olds[0], "idle.py", 60) as old:
                wait_for(lambda: old.pid in d.listed(), timeout=15, what="3.8 listed")
                r = d.ctl("snapshot", "--pid", str(old.pid), check=False)
                assert r.returncode == 5 and "not supported" in r.stderr, r
        # An idle process: its start-up samples leave the last 1 s windows.
        r = wait_for(lambda: (lambda r: r.returncode == 6 and r)(
            d.ctl("snapshot", "--pid", str(idle.pid), "--seconds", "1", check=False)),
            timeout=20, what="no samples of the idle process")
        assert r.stdout == "" and "CPU time" in r.stderr and "dump --pid %d" % idle.pid \
            in r.stderr, r.stderr
        print("  " + r.stderr.strip())


@test
def refusal_of_a_full_daemon_is_shown():
    """A user over the per-uid limit reads the daemon's refusal, not 'Broken pipe'."""
    need_root()
    python = python_for_all()
    with TestUser() as u, Daemon() as d:
        os.chmod(d.dir, 0o755)
        hold = ("import socket, sys\n"
                "held = []\n"
                "for _ in range(16):\n"
                "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                "    s.connect(sys.argv[1])\n"
                "    held.append(s)\n"
                "print('ready', flush=True)\n"
                "sys.stdin.read()\n")
        with subprocess.Popen(u.run_as() + [python, "-c", hold, d.sock], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) as holder:
            try:
                assert holder.stdout.readline().strip() == "ready"
                # All 16 accepted (the status client is one more).
                wait_for(lambda: int(d.status()["clients_connected"]) >= 17, timeout=5,
                         what="the 16 held connections")
                # The daemon may close before pyprofctl's send (EPIPE): tried
                # often, within the daemon's 10 s idle timeout of the held ones.
                end = time.monotonic() + 5
                for _ in range(200):
                    if time.monotonic() > end:
                        break
                    r = subprocess.run(u.run_as() + [PYPROFCTL, "--socket", d.sock, "list"],
                                       capture_output=True, text=True, timeout=10)
                    assert r.returncode == 3 and r.stderr == \
                        "pyprofctl: too many clients of this user\n", r
            finally:
                holder.stdin.close()
                holder.wait(10)
        print("  " + r.stderr.strip())



if __name__ == "__main__":
    main()
