# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""End to end: real BPF sampling of real CPython processes (every supported
version on this machine: Debian's static 3.11, pyenv's shared 3.9-3.13, and the
sid tree's 3.14, 3.15 and free-threaded 3.13t run as in a container) through
pyprofd."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (INROOT, OUTPUT, ROOT, SID_TREE, TREE_PREFIX, Daemon, Skip,  # noqa: E402
                        WORKLOADS, Workload, frame_func, frame_line, interpreters, main,
                        need_root, recv_all, test, tree_interpreters, unused_pid, wait_for)

RATE = "199"
HOTWARM_RATE = "499"


def source_line(script, text):
    """Line number of the first line of a workload containing text."""
    with open(os.path.join(WORKLOADS, script)) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError("%r not in %s" % (text, script))


def py_frames(stack):
    return [f for f in stack.split(";")[1:] if not f.endswith("_[k]") and not f.startswith("[")]


def check_hotwarm(python):
    need_root()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    # 2000 samples: the share's sampling error is then 0.01 (one sigma), the
    # tolerance 5 sigma.
    with Daemon("--rate", HOTWARM_RATE, "--window", "2") as d, \
            Workload(python, "hotwarm.py", 60) as w:
        st = d.wait_samples(w.pid, 2000, match="main (", timeout=60)
        hot = warm = 0
        lines = {"hot": set(), "warm": set(), "main": set()}
        for stack, n in st.items():
            frames = py_frames(stack)
            funcs = [frame_func(f) for f in frames]
            # The workload's main(), not site.main() during start-up.
            if not any(f.startswith("main (%s:" % script) for f in frames):
                continue
            # Root frame is the process name; then <module> -> main.
            assert stack.split(";")[0].startswith("python"), stack
            assert funcs[0] == "<module>" and funcs[1] == "main", stack
            for i, f in enumerate(frames):
                fn = frame_func(f)
                if fn in lines:
                    assert f.startswith("%s (%s:" % (fn, script)), "wrong file in %r" % f
                    # A caller sits on its call; a leaf caught on its first
                    # instruction reports its def line, as CPython does.
                    if i + 1 < len(frames):
                        lines[fn].add(frame_line(f))
            if "hot" in funcs:
                hot += n
            elif "warm" in funcs:
                warm += n
        share = hot / float(hot + warm)
        # The reference: the split in CPU time the workload clocked itself
        # (3:1 in iterations, a little under 0.75 in time).
        split = w.ask(signal.SIGUSR1).split()
        ref = int(split[1]) / float(int(split[1]) + int(split[2]))
        print("  %s: hot %d warm %d share %.3f, by its CPU clock %.3f"
              % (python, hot, warm, share, ref))
        assert abs(ref - 0.75) <= 0.05, "workload's own split %.3f is not 3:1" % ref
        assert abs(share - ref) <= 0.05, "hot share %.3f, expected %.3f +- 0.05" % (share, ref)
        # Caller frames sit on their call instruction: the lines are exact.
        assert lines["hot"] == {source_line("hotwarm.py", "return spin(3 * unit)")}, lines
        assert lines["warm"] == {source_line("hotwarm.py", "return spin(unit)")}, lines
        assert lines["main"] <= {source_line("hotwarm.py", "        hot(unit)"),
                                 source_line("hotwarm.py", "        warm(unit)"),
                                 source_line("hotwarm.py", "while time.monotonic() < end:")}, lines
        listed = d.listed()
        minor = version_of(python)
        assert w.pid in listed and listed[w.pid][0].startswith("3.%d" % minor) \
            and listed[w.pid][1] == "profiled", listed


def check_threads(python):
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python, "threads.py", 60) as w:
        names = ["t_alpha", "t_beta", "t_gamma", "t_delta"]

        def all_seen():
            st = d.snapshot(w.pid)
            per = {n: sum(c for s, c in st.items() if (n + " (") in s) for n in names}
            return per if all(v >= 20 for v in per.values()) else None
        per = wait_for(all_seen, timeout=60, interval=0.5, what="all four thread functions")
        print("  %s: %s" % (python, per))


def check_recursion(python):
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python, "recurse.py", 60) as w:
        st = d.wait_samples(w.pid, 50, match="bottom (", timeout=60)
        full = 0
        for stack, n in st.items():
            funcs = [frame_func(f) for f in py_frames(stack)]
            if "bottom" not in funcs:
                continue
            assert funcs[:2] == ["<module>", "main"], funcs[:3]
            assert funcs[2:] == ["rec"] * 100 + ["bottom"], "incomplete stack: %d frames" % len(funcs)
            full += n
        assert full >= 50, full


def check_kernel(python):
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python, "syscalls.py", 60) as w:
        st = d.wait_samples(w.pid, 200, match="read_loop (", timeout=60)
        with_k = sum(n for s, n in st.items() if "read_loop (" in s and s.endswith("_[k]"))
        total = sum(n for s, n in st.items() if "read_loop (" in s)
        # Kernel frames come after (below) the Python frame that made the syscall.
        in_read = 0
        for stack, n in st.items():
            if "read_loop (" not in stack or not stack.endswith("_[k]"):
                continue
            frames = stack.split(";")
            i = max(i for i, f in enumerate(frames) if f.startswith("read_loop ("))
            kframes = frames[i + 1:]
            assert kframes and all(f.endswith("_[k]") for f in kframes), stack
            if any(k in f for f in kframes for k in ("ksys_read", "vfs_read", "read_iter_zero",
                                                     "read_zero")):
                in_read += n
        print("  %s: %d of %d kernel samples in read(2)" % (python, in_read, with_k))
        # Timer interrupts and page faults land here too; the reads must dominate.
        assert in_read >= with_k * 0.5, (in_read, with_k)
        print("  %s: %d of %d read_loop samples in the kernel" % (python, with_k, total))
        assert with_k >= total * 0.2, (with_k, total)


SUPPORTED_MINORS = (9, 10, 11, 12, 13)
TREE_MINORS = (14, 15, "13t")


def version_of(python):
    return int(os.path.basename(python).split(".")[1].rstrip("t"))


def make_tests():
    builds = [b for minor in SUPPORTED_MINORS for b in interpreters(minor)]
    # The sid tree's (make pythons), each run the way a container runs it.
    builds += [b for minor in TREE_MINORS for b in tree_interpreters(minor)]
    for label, python in builds:
        for kind, fn in (("hotwarm", check_hotwarm), ("threads", check_threads),
                         ("recursion", check_recursion), ("kernel", check_kernel)):
            def t(fn=fn, python=python):
                fn(python)
            t.__name__ = "%s_%s" % (kind, label.replace(".", "_").replace("-", "_"))
            test(t)
    for minor in SUPPORTED_MINORS:
        if not interpreters(minor):
            def absent(minor=minor):
                raise Skip("no CPython 3.%d on this machine" % minor)
            absent.__name__ = "cpython_3_%d_present" % minor
            test(absent)


make_tests()


@test
def linetable_oracle_in_the_tree():
    """test-linetable's oracle (tests/unit/linetable_oracle.py) run by each of the sid
    tree's interpreters inside the tree, on its own stdlib: pyprof's decoder must give
    every offset the line co_lines(), co_positions() and PyCode_Addr2Line() give."""
    if os.geteuid() != 0:
        raise Skip("needs root for the inroot helper")
    unit = os.path.join(OUTPUT, "tests", "test-linetable")
    if not os.path.exists(unit):
        raise Skip("%s not built" % unit)
    builds = [b for minor in TREE_MINORS for b in tree_interpreters(minor)]
    if not builds:
        raise Skip("no sid tree (make pythons, make helpers)")
    # test-linetable runs every $PYENV_ROOT/versions/*/bin/python3.N it finds (and the
    # host's): one such wrapper per tree interpreter runs it in the tree, the oracle
    # script at its host path.  3.13t's is named python3.13, the pattern it looks for.
    tmp = tempfile.mkdtemp(prefix="pyproftest-oracle.")
    try:
        wrappers = []
        for label, python in builds:
            exe = python[len(TREE_PREFIX):]
            bindir = os.path.join(tmp, "versions", label, "bin")
            os.makedirs(bindir)
            wrapper = os.path.join(bindir, os.path.basename(exe).rstrip("t"))
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in (
                    INROOT, "--bind", os.path.join(ROOT, "tests", "unit"), SID_TREE, exe)))
            os.chmod(wrapper, 0o755)
            wrappers.append((label, exe, wrapper))
        env = dict(os.environ, TESTS="oracle_cpython", PYENV_ROOT=tmp, PYPROF_SRCDIR=ROOT)
        r = subprocess.run([unit], env=env, capture_output=True, text=True, timeout=300)
        lines = (r.stdout + r.stderr).splitlines()
        for label, exe, wrapper in wrappers:
            line = next((x.strip() for x in lines if x.strip().startswith(wrapper + " (")), None)
            assert line, "no oracle run of %s:\n%s%s" % (exe, r.stdout, r.stderr)
            print("  %s %s" % (label, line[len(wrapper):]))
            m = re.match(r" \((3\.\d+)\.\d+\): (\d+) code objects, (\d+) offsets, (\d+) "
                         r"mismatches$", line[len(wrapper):])
            assert m, line
            assert exe.endswith("python" + m.group(1)) or exe.endswith("python%st" % m.group(1)), \
                (exe, line)
            # Whole modules: every one of them has over a thousand code objects.
            assert int(m.group(2)) > 1000 and int(m.group(4)) == 0, line
        assert r.returncode == 0 and "ok oracle_cpython" in r.stdout, (r.stdout, r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def any_python311():
    builds = interpreters(11)
    if not builds:
        raise Skip("no CPython 3.11")
    return builds[-1][1]


@test
def started_before_daemon():
    need_root()
    python = any_python311()
    with Workload(python, "hotwarm.py", 60) as w, Daemon("--rate", RATE) as d:
        d.wait_samples(w.pid, 50, match="hot (", timeout=30)


@test
def exited_process_keeps_history():
    need_root()
    python = any_python311()
    with Daemon("--rate", RATE) as d:
        with Workload(python, "hotwarm.py", 2.5) as w:
            pid = w.pid
            d.wait_samples(pid, 20, match="hot (", timeout=30)
            w.proc.wait(30)
        wait_for(lambda: pid not in d.listed(), timeout=10, what="list to drop the exited pid")
        assert d.listed(all_=True)[pid][1] == "exited"
        st = d.snapshot(pid)
        assert sum(n for s, n in st.items() if "hot (" in s) >= 20, st


@test
def history_expires_with_retention():
    need_root()
    python = any_python311()
    with Daemon("--rate", RATE, "--window", "1", "--retention", "4") as d:
        with Workload(python, "hotwarm.py", 1.5) as w:
            pid = w.pid
            d.wait_samples(pid, 20, match="hot (", timeout=30)
            w.proc.wait(30)
        wait_for(lambda: d.listed(all_=True).get(pid, ("", ""))[1] == "exited", timeout=10,
                 what="the pid to show as exited")
        assert sum(n for s, n in d.snapshot(pid).items() if "hot (" in s) >= 20

        def forgotten():
            r = d.ctl("snapshot", "--pid", str(pid), check=False)
            return r.returncode != 0 and "no history" in r.stderr
        wait_for(forgotten, timeout=20, interval=0.25, what="retention to drop the history")
        assert pid not in d.listed(all_=True)


@test
def names_right_after_the_profile_renumbers():
    """The daemon keeps the name id of each sampled line; when expired windows take
    hundreds of names with them and the profile renumbers the rest, new samples must
    still be named right (and not be dropped)."""
    need_root()
    python = any_python311()
    script = os.path.join(WORKLOADS, "manynames.py")
    with Daemon("--rate", "999", "--window", "1", "--retention", "2") as d, \
            Workload(python, "manynames.py", 60) as w:
        def many_names():
            st = d.snapshot(w.pid)
            names = {f.split(" (")[0] for s in st for f in s.split(";") if f.startswith("f")}
            return len(names) >= 100
        wait_for(many_names, timeout=30, interval=0.25, what="100 f* functions sampled")
        w.proc.send_signal(signal.SIGUSR1)

        def only_steady():
            st = d.snapshot(w.pid)
            # (Not ";f": a busy machine preempts it, and finish_task_switch_[k] is an f too.)
            if any(re.search(r";f\d+ \(", s) for s in st):
                return None
            return sum(n for s, n in st.items() if ";steady (" in s)
        # History is 2-3 s long: once no f* frame is left, the profile has compacted.
        before = wait_for(only_steady, timeout=30, interval=0.25,
                          what="the first phase to leave the history")
        st = d.wait_samples(w.pid, before + 500, match=";steady (", timeout=30)
        for stack, n in st.items():
            if "main (" not in stack:
                continue
            funcs = [frame_func(f) for f in py_frames(stack)]
            assert funcs in (["<module>", "main"], ["<module>", "main", "steady"]), stack
            for f in py_frames(stack):
                assert f.startswith("%s (%s:" % (frame_func(f), script)), stack


@test
def errors_are_clear():
    need_root()
    with Daemon() as d:
        # A live process that is not Python.
        sleeper = subprocess.Popen(["sleep", "60"])
        try:
            r = d.ctl("snapshot", "--pid", str(sleeper.pid), check=False)
            assert r.returncode != 0 and "not a Python process" in r.stderr, r
        finally:
            sleeper.kill()
            sleeper.wait()
        # A pid nobody has.
        pid = unused_pid()
        r = d.ctl("snapshot", "--pid", str(pid), check=False)
        assert r.returncode != 0 and "no process" in r.stderr, r
        for bad in (["snapshot"], ["snapshot", "--pid", "abc"], ["snapshot", "--pid", "-1"],
                    ["snapshot", "--pid", "1", "--seconds", "0"], ["frobnicate"], []):
            r = d.ctl(*bad, check=False)
            assert r.returncode != 0 and r.stderr.strip(), (bad, r)
            assert "Traceback" not in r.stderr
    # Daemon gone: the socket is removed and pyprofctl says so.
    r = d.ctl("list", check=False)
    assert r.returncode != 0 and "not running" in r.stderr, r


@test
def exec_race_answers_for_the_new_image():
    """A fork child of a profiled Python process that runs Python code before it
    execs (as subprocess's preexec_fn does) is found as Python by its samples;
    a request right after the exec must see the program it runs now."""
    need_root()

    def spin():
        # Long enough for the daemon to name the child's samples before the exec.
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            pass
    with Daemon("--rate", "999") as d:
        wrong = []
        for i in range(8):
            sleeper = subprocess.Popen(["sleep", "60"], preexec_fn=spin)
            try:
                r = d.ctl("snapshot", "--pid", str(sleeper.pid), check=False)
                if r.returncode == 0 or "not a Python process" not in r.stderr:
                    wrong.append((r.returncode, r.stdout[:200], r.stderr))
            finally:
                sleeper.kill()
                sleeper.wait()
        st = d.status()
        print("  %d of 8 wrong; bpf_fork_inherit %s, discovered_fork %s"
              % (len(wrong), st["bpf_fork_inherit"], st["discovered_fork"]))
        assert int(st["discovered_fork"]) >= 1, st
        assert not wrong, wrong


def raw_request(path, data, shutdown=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(data)
    if shutdown:
        s.shutdown(socket.SHUT_WR)
    out = recv_all(s)
    s.close()
    return out


@test
def bad_requests_get_errors():
    need_root()
    with Daemon() as d:
        cases = [
            (b"\n", b"ERR EINVAL"),
            (b"hello\n", b"ERR EPROTO"),
            (b"PYPROF/9 list\n", b"ERR EPROTO"),
            (b"PYPROF/1 nosuchverb\n", b"ERR EOPNOTSUPP"),
            (b"PYPROF/1 snapshot\n", b"ERR EINVAL"),
            (b"PYPROF/1 snapshot pid=abc\n", b"ERR EINVAL"),
            (b"PYPROF/1 snapshot pid=1 bogus=2\n", b"ERR EINVAL"),
            (b"PYPROF/1 list\x00\n", b"ERR EINVAL"),
            (b"PYPROF/1 " + b"x" * 5000 + b"\n", b"ERR E2BIG"),
            (bytes(range(256)), b"ERR"),
        ]
        for req, want in cases:
            got = raw_request(d.sock, req)
            assert got.startswith(want), (req[:40], got[:100])
        # A client that connects and says nothing does not block others.
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(d.sock)
        try:
            got = raw_request(d.sock, b"PYPROF/1 list\n")
            assert got.startswith(b"OK "), got[:80]
        finally:
            idle.close()
        st = d.status()
        assert int(st["requests"]) >= len(cases), st


@test
def status_counts_every_sample():
    need_root()
    python = any_python311()
    with Daemon("--rate", RATE) as d, Workload(python, "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 100, timeout=30)
        st = d.status()
        for key in ("bpf_samples", "bpf_emitted", "bpf_lost_ringbuf_full", "samples_received",
                    "bpf_err_no_tstate", "bpf_err_read_frame", "processes_live"):
            assert key in st, key
        assert int(st["bpf_lost_ringbuf_full"]) == 0, st
        assert int(st["samples_received"]) <= int(st["bpf_emitted"]), st
        assert int(st["processes_live"]) >= 1, st


if __name__ == "__main__":
    main()
