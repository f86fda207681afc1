# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Integration test harness: the real pyprofd on a temporary socket, real
Python processes, pyprofctl to query.  Each test prints one line:
"ok NAME (T s)", "FAIL NAME (T s)" or "skip NAME: why" (tests/run counts them)."""

import glob
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUT = os.path.join(ROOT, os.environ.get("OUTPUT", "build"))
PYPROFD = os.path.join(OUTPUT, "pyprofd")
PYPROFCTL = os.path.join(OUTPUT, "pyprofctl")
WORKLOADS = os.path.join(ROOT, "tests", "integration", "workloads")
INROOT = os.path.join(OUTPUT, "tests", "inroot")

_tests = []


def sanitized():
    """Whether pyprofd is the ASan build (make asan): its allocator keeps freed
    memory in quarantine, so the daemon's RSS says nothing about its own bounds."""
    try:
        with open(PYPROFD, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Skip(Exception):
    pass


def test(fn):
    _tests.append(fn)
    return fn


def pyenv_root():
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return os.path.expanduser("~/.pyenv")


def interpreters(minor):
    """Every CPython 3.<minor> on this machine: Debian's and pyenv's builds."""
    found = []
    deb = "/usr/bin/python3.%d" % minor
    if os.path.exists(deb):
        found.append(("debian-3.%d" % minor, deb))
    for d in sorted(glob.glob(os.path.join(pyenv_root(), "versions", "3.%d.*" % minor))):
        exe = os.path.join(d, "bin", "python3.%d" % minor)
        if os.path.exists(exe):
            found.append(("pyenv-" + os.path.basename(d), exe))
    return found


# The Debian sid tree of tests/pythons/provision (make pythons): 3.14, 3.15, 3.13t.
SID_TREE = os.environ.get("PYPROF_SID_TREE", "/var/cache/pyprof/pythons/sid")
TREE_PREFIX = "tree:"
TREE_PYTHONS = {14: "/usr/bin/python3.14", 15: "/usr/bin/python3.15",
                "13t": "/opt/py313t/bin/python3.13t"}


def tree_interpreters(minor):
    """The sid tree's interpreter of that minor (14, 15 or "13t"), as a python that
    Workload runs the way a container does: [("sid-3.14", "tree:/usr/bin/python3.14")]
    when the tree holds it and the inroot helper is built, else []."""
    exe = TREE_PYTHONS.get(minor)
    if not exe or not os.path.exists(SID_TREE + exe) or not os.path.exists(INROOT):
        return []
    return [("sid-3.%s" % minor, TREE_PREFIX + exe)]


def tree_argv(python, *args):
    """The command line that runs python with args: as it is, or for a tree: python
    (the tree's path, after TREE_PREFIX) as the command of the inroot helper in a private
    mount namespace rooted at the tree, with the helper's pid and the host's pid
    namespace (Workload adds a pid namespace), the workloads copied into the tree at
    their own path first."""
    if not python.startswith(TREE_PREFIX):
        return [python] + list(args)
    shutil.copytree(WORKLOADS, SID_TREE + WORKLOADS, dirs_exist_ok=True)
    return [INROOT, SID_TREE, python[len(TREE_PREFIX):]] + list(args)


class NotProfiled(AssertionError):
    """pyprofd does not profile the process (yet: it may still be analysing its ELF files)."""


def wait_for(cond, timeout=20.0, interval=0.05, what="condition"):
    """Polls cond() until it returns a true value; returns that value.  A snapshot that
    finds the process not profiled yet (NotProfiled) is a "not yet" here: on a loaded
    machine a fresh daemon may still be analysing the interpreter a workload runs."""
    deadline = time.monotonic() + timeout
    why = ""
    while True:
        try:
            v = cond()
        except NotProfiled as e:
            v, why = None, " (last: %s)" % e
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s%s" % (timeout, what, why))
        time.sleep(interval)


def parse_folded(text):
    stacks = {}
    for line in text.splitlines():
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        assert stack and count.isdigit(), "malformed folded line %r" % line
        stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


def frame_tid(frame):
    """The tid of a --threads level in folded text: "thread_1234" (a thread without a
    name) or "worker-3 (tid 1234)"; None for another frame."""
    m = re.match(r"^(?:thread_(\d+)|.* \(tid (\d+)\))$", frame)
    return int(m.group(1) or m.group(2)) if m else None


def frame_func(frame):
    """'hot (/x/y.py:12)' -> 'hot'."""
    return frame.split(" (", 1)[0]


def frame_line(frame):
    if not frame.endswith(")") or ":" not in frame:
        return None
    return int(frame.rsplit(":", 1)[1][:-1])


def wait_for_an_open_hour():
    """Returns when the current hour of pyprofd's profile clock (wall-clock ns,
    daemon/clock.h) has 2 minutes left at least (waits at most 2 minutes, 1 time in 30).
    A test that has a daemon with 1 h windows rewrite a state file at its stop needs it:
    the window the file's samples land in is then still open when that daemon stops, so it
    is written whatever the machine's load (with 10 s windows it could close while a slow
    daemon starts, and then nothing is rewritten)."""
    hour = 3600 * 10 ** 9
    left = hour - time.time_ns() % hour
    if left < 120 * 10 ** 9:
        time.sleep(left / 1e9 + 0.5)


class FakePyprofd:
    """A stand-in daemon on a socket of its own: one request line per connection,
    answered with self._reply(line) (a subclass's); records the request lines."""

    prefix = "pyproftest-fake."

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        self.sock = os.path.join(self.dir, "fake.sock")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.sock)
        self.srv.listen(8)
        self.lines = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def _serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with c:
                line = b""
                while not line.endswith(b"\n"):
                    b = c.recv(1)
                    if not b:
                        break
                    line += b
                self.lines.append(line.decode())
                c.sendall(self._reply(line.decode()))

    def ctl(self, *args):
        return subprocess.run([PYPROFCTL, "--socket", self.sock] + list(args),
                              capture_output=True, text=True, timeout=30)

    def __exit__(self, *exc):
        self.srv.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    def __init__(self, *extra, offcpu=False):
        """pyprofd on a socket of its own.  Off-CPU recording only with offcpu=True (or an
        --offcpu option in extra): its two scheduler programs take the kernel's verifier
        ~3 s of CPU at every start, which a hundred starts of tests about other things
        would spend for nothing (test_offcpu, test_modes, test_gil and test_systemd's run
        of the unit's own command line have it)."""
        self.dir = tempfile.mkdtemp(prefix="pyproftest.")
        self.sock = os.path.join(self.dir, "pyprofd.sock")
        self.log = open(os.path.join(self.dir, "pyprofd.log"), "w+")
        if not offcpu and not any(a.startswith("--offcpu") or a == "--no-offcpu" for a in extra):
            extra += ("--no-offcpu",)
        self.args = [PYPROFD, "--socket", self.sock] + list(extra)
        self.preexec_fn = None
        self.proc = None

    def as_the_unit_runs_it(self):
        """Runs pyprofd at the unit's CPUSchedulingPolicy=rr, priority 1: for checks
        bounded by the daemon's reaction time, which a nice-0 daemon on a loaded machine
        does not have (its wakeups wait behind every busy task on the CPU)."""
        self.preexec_fn = lambda: os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
        return self

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=self.preexec_fn)
        try:
            wait_for(self._ready, timeout=30, what="pyprofd to listen")
        except AssertionError:
            self.stop()
            raise AssertionError("pyprofd did not start:\n" + self.output())
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("pyprofd exited with %s:\n%s" % (self.proc.returncode, self.output()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("pyprofd ignored SIGTERM for %ds" % timeout)
        return self.proc.returncode

    def __exit__(self, *exc):
        try:
            rc = self.stop()
            if exc[0] is None and rc != 0:
                raise AssertionError("pyprofd exited with %s:\n%s" % (rc, self.output()))
        finally:
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def ctl(self, *args, check=True):
        r = subprocess.run([PYPROFCTL, "--socket", self.sock] + list(args),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("pyprofctl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    # snapshot() and wait_samples() show the files the daemon recorded: full paths
    # (pyprofctl's default shortens them, see test_views).
    def snapshot(self, pid, seconds=60):
        r = self.ctl("snapshot", "--pid", str(pid), "--seconds", str(seconds), "--full-filenames",
                     check=False)
        # 6: no samples (an empty profile); 5: not a process pyprofd profiles.
        if r.returncode == 5:
            raise NotProfiled("pyprofctl snapshot --pid %d: %s" % (pid, r.stderr))
        if r.returncode not in (0, 6):
            raise AssertionError("pyprofctl snapshot --pid %d failed (%d): %s" % (pid, r.returncode, r.stderr))
        return parse_folded(r.stdout)

    def status(self):
        out = self.ctl("status").stdout
        return {k: v for k, _, v in (line.partition(" ") for line in out.splitlines())}

    def listed(self, all_=False):
        """pid -> (version, state) from `pyprofctl list`."""
        args = ["list", "--all"] if all_ else ["list"]
        rows = {}
        for line in self.ctl(*args).stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                rows[int(f[0])] = (f[1], f[2])
        return rows

    def wait_samples(self, pid, n, match=None, timeout=30):
        """Polls until the snapshot of pid holds >= n samples (of stacks containing match)."""
        def enough():
            r = self.ctl("snapshot", "--pid", str(pid), "--full-filenames", check=False)
            if r.returncode != 0:
                return None
            st = parse_folded(r.stdout)
            total = sum(c for s, c in st.items() if match is None or match in s)
            return st if total >= n else None
        return wait_for(enough, timeout=timeout, interval=0.25,
                        what="%d samples of pid %d%s" % (n, pid, " with " + match if match else ""))


def recv_all(s):
    """Everything the peer sends on socket s until it closes the connection."""
    out = b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            return out
        out += chunk


def free_port():
    """A loopback port nobody listens on now (pyprofd wants a fixed one)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def unused_pid():
    """A pid no process has now (near the top of the default pid range)."""
    pid = 4194000
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


def write_state_window(state_dir, procs, window_s=10):
    """Writes one window file of pyprofd's --state-dir format as older versions
    wrote it ("PYPROFW2": frames as text, still read; see profile/statefile.h)
    holding the current window, with procs = [(pid, start_time,
    uid, comm, exe, {stack tuple: count})]; returns its path."""
    import struct
    import zlib

    def s(text):
        b = text.encode()
        return struct.pack("<I", len(b)) + b

    window_ns = window_s * 10**9
    now = time.time_ns()
    index = now // window_ns
    boot = open("/proc/sys/kernel/random/boot_id").read().strip().encode()[:36]
    raw = struct.pack("<QQQ", window_ns, index * window_ns, time.time_ns() - (now - index * window_ns)) + boot
    raw += struct.pack("<I", len(procs))
    for pid, start, uid, comm, exe, stacks in procs:
        names = sorted({f for st in stacks for f in st})
        ids = {n: i for i, n in enumerate(names)}
        raw += struct.pack("<iQIIII", pid, start, uid, uid, 0x030b02f0, 1)
        raw += s(comm) + s(exe) + s("") + struct.pack("<I", len(names))
        raw += b"".join(s(n) for n in names) + struct.pack("<I", len(stacks))
        for st, count in stacks.items():
            raw += struct.pack("<I", len(st)) + b"".join(struct.pack("<I", ids[f]) for f in st)
            raw += struct.pack("<Q", count)
    path = os.path.join(state_dir, "w%d.pyprof" % index)
    with open(path, "wb") as f:
        f.write(b"PYPROFW2" + struct.pack("<Q", len(raw)) + zlib.compress(raw))
    return path


class Workload:
    """A Python script from tests/integration/workloads, started and reaped."""

    def __init__(self, python, script, *args):
        self.argv = [python, os.path.join(WORKLOADS, script)] + [str(a) for a in args]
        self.proc = None
        self.in_tree = python.startswith(TREE_PREFIX)
        if self.in_tree:
            # In a container of its own (pivot_root, pid namespace), the workloads at the
            # same path inside the tree: frames name the files the tests expect.
            self.argv[0] = python[len(TREE_PREFIX):]
            self.argv = [INROOT, "--pid", SID_TREE] + self.argv

    def __enter__(self):
        if self.in_tree:
            shutil.copytree(WORKLOADS, SID_TREE + WORKLOADS, dirs_exist_ok=True)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise AssertionError("workload %s did not start: %r %s" % (self.argv, line, err))
        return self

    @property
    def pid(self):
        if self.in_tree:
            # The interpreter is the inroot helper's only child.
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return int(f.read().split()[0])
        return self.proc.pid

    def ask(self, sig, timeout=10.0):
        """Sends sig and returns the line the workload prints in reply."""
        # inroot passes on only the signals that end a process: ask the interpreter.
        os.kill(self.pid, sig)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "workload %d did not answer signal %d" % (self.pid, sig)
        return self.proc.stdout.readline()

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root for BPF")
    if not os.path.exists(PYPROFD):
        raise Skip("%s not built" % PYPROFD)


TREE_MINORS = (14, 15, "13t")


def python_for(minor, debian=None):
    """(label, python) of CPython 3.minor: the Debian build (debian=True), a pyenv one
    (False), or either (None); for TREE_MINORS the sid tree's (make pythons), run as in a
    container.  Skip when there is none."""
    if minor in TREE_MINORS:
        for label, python in tree_interpreters(minor):
            return label, python
        raise Skip("no CPython 3.%s in the sid tree (make pythons, make helpers)" % minor)
    for label, python in interpreters(minor):
        if debian is None or label.startswith("debian") == debian:
            return label, python
    raise Skip("no %sCPython 3.%d" % ("Debian " if debian else "pyenv " if debian is False else "",
                                      minor))


def py_frames(stack):
    """The Python frames of a folded stack: not the root, kernel frames or markers."""
    return [f for f in stack.split(";")[1:] if not f.endswith("_[k]") and not f.startswith("[")]


def main():
    sys.stdout.reconfigure(line_buffering=True)
    only = os.environ.get("TESTS")
    failed = 0
    for fn in _tests:
        name = fn.__name__
        if only and name not in only.split(","):
            continue
        t0 = time.monotonic()
        try:
            fn()
            # The time of each test: what CI's time limit is spent on.
            print("ok %s (%.1f s)" % (name, time.monotonic() - t0))
        except Skip as e:
            print("skip %s: %s" % (name, e))
        except Exception:
            failed += 1
            print("FAIL %s (%.1f s)" % (name, time.monotonic() - t0))
            traceback.print_exc(file=sys.stdout)
    sys.exit(1 if failed else 0)
