#!/usr/bin/env python3
"""pyprofd --native: the native frames of hashlib, zlib, json's C encoder and _sre directly
above the Python function that called them, on every interpreter the machine has; without
--native (or without snapshot --native) the stacks are the Python-only ones."""
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, WORKLOADS, Daemon, Skip, Workload, interpreters, main, need_root, test,
                        tree_interpreters, wait_for, parse_folded)

# Python function -> what one of the native frames above it must name.  json.dumps
# calls the C encoder from JSONEncoder.iterencode, under do_json.  Debian's python3.11
# (and its _json module) and sid's 3.14 and 3.15 are stripped: their static functions are
# named from the debug files python3.X-dbg installs (make test-deps, make pythons), which
# pyprofd finds by build-id.  _sre's are _sre_SRE_Pattern_* and sre_ucs1_* (sre_lib.h).
EXPECT = {
    "do_sha": ("SHA256", "sha256"),
    "do_zlib": ("deflate",),
    "JSONEncoder.iterencode": ("encoder_",),
    "do_re": ("sre_",),
}


def all_pythons():
    return versions_pythons() + sid_pythons()


def versions_pythons():
    found = []
    for minor in (11, 12, 13):
        found += interpreters(minor)
    return found


def sid_pythons():
    """Debian sid's 3.14 and 3.15: GCC moves most of the eval loop into its .cold part,
    which their stripped binaries do not name (.dynsym only): pyprofd names it after
    the function jumping into it (coldparts.c), _PyEval_EvalFrameDefault.cold."""
    found = []
    for minor in (14, 15):
        found += tree_interpreters(minor)
    return found


def func(frame):
    """The function of "name (file)": the last " (" opens the file, since a C++ name
    may hold one ("walk(void (*)(), int)")."""
    return frame.rsplit(" (", 1)[0] if frame.endswith(")") else frame


def above(stacks, pyfunc):
    """The frames above the last frame of pyfunc in each stack that has it."""
    out = []
    for stack, n in stacks.items():
        frames = stack.split(";")
        idx = [i for i, f in enumerate(frames) if func(f) == pyfunc]
        if idx:
            out.append((frames[idx[-1] + 1:], n))
    return out


def native_ok(d, pid):
    """None until each function of EXPECT has a stack with an expected native frame
    directly above it (only native frames between), else the stacks."""
    r = d.ctl("snapshot", "--pid", str(pid), "--native", check=False)
    if r.returncode != 0:
        return None
    st = parse_folded(r.stdout)
    for pyfunc, names in EXPECT.items():
        hit = False
        for frames, _ in above(st, pyfunc):
            # Native frames name an ELF file: "sym (/path/lib.so)".
            natives = [f for f in frames if not f.endswith("_[k]")]
            if natives and all(is_native(f) for f in natives) and \
                    any(any(n in f for n in names) for f in natives):
                hit = True
        if not hit:
            native_ok.missing = pyfunc
            return None
    return st


def is_native(frame):
    """A native frame names its ELF file by its full path: "sym (/usr/lib/x.so)"; a
    Python frame's file is a .py one, and shortened in the default view."""
    _, sep, file = frame.partition(" (/")
    return bool(sep) and not re.search(r"\.py(:\d+)?\)$", file)


def python_only(stack):
    """No native frame (nor the marker of a partial native stack) below the root."""
    return not any(is_native(f) or f.startswith("[native:") for f in stack.split(";")[1:])


@test
def native_frames_above_their_python_caller():
    need_root()
    pythons = all_pythons()
    if not pythons:
        raise Skip("no interpreters")
    with Daemon("--native") as d:
        assert d.status()["native"] == "on"
        for label, python in pythons:
            with Workload(python, "native.py") as w:
                try:
                    st = wait_for(lambda: native_ok(d, w.pid), timeout=60, interval=0.5,
                                  what="native frames of %s" % label)
                except AssertionError:
                    r = d.ctl("snapshot", "--pid", str(w.pid), "--native", check=False)
                    raise AssertionError("%s, nothing above %s: %s" % (
                        label, native_ok.missing, r.stdout[-3000:]))
                # The default view of the same samples: Python frames only.
                plain = parse_folded(d.ctl("snapshot", "--pid", str(w.pid)).stdout)
                bad = [s for s in plain if not python_only(s)]
                assert not bad, "%s: native frames without --native: %s" % (label, bad[:3])
                assert sum(plain.values()) >= sum(st.values()), label
                print("  %s: ok" % label)
        s = d.status()
        assert int(s["bpf_native_sent"]) > 0 and int(s["native_unwound"]) > 0, s


@test
def unmatched_stack_marked_never_glued():
    need_root()
    pythons = sid_pythons()
    if not pythons:
        raise Skip("no sid interpreters (make pythons)")
    with Daemon("--native") as d:
        for label, python in pythons:
            with Workload(python, "native.py") as w:
                def some():
                    r = d.ctl("snapshot", "--pid", str(w.pid), "--native", check=False)
                    st = parse_folded(r.stdout) if r.returncode == 0 else {}
                    return st if above(st, "do_sha") else None
                st = wait_for(some, timeout=60, interval=0.5, what="do_sha of " + label)
                for frames, _ in above(st, "do_sha"):
                    natives = [f for f in frames if not f.endswith("_[k]")]
                    # Either matched (SHA-256 code above do_sha) or marked, no other frame.
                    assert natives == ["[native: partial stack]"] or \
                        any("SHA256" in f or "sha256" in f for f in natives), (label, frames)
                print("  %s: ok" % label)


def with_frame(d, pid, name):
    """The --native stacks of pid once one has a frame called name, else None."""
    r = d.ctl("snapshot", "--pid", str(pid), "--native", check=False)
    st = parse_folded(r.stdout) if r.returncode == 0 else {}
    return st if any(func(f) == name for s in st for f in s.split(";")) else None


@test
def replaced_library_named_from_the_file_mapped():
    """A library whose path names another file by the time pyprofd first reads it (an
    upgrade's rename) is named from the file mapped (/proc/PID/map_files), not the new one:
    libspin_b.so has the same code at the same addresses as libspin_a.so, named spin_b."""
    need_root()
    pythons = all_pythons()
    if not pythons:
        raise Skip("no interpreters")
    built = [os.path.join(OUTPUT, "tests", "libspin_%s.so" % v) for v in "ab"]
    if not all(os.path.exists(p) for p in built):
        raise Skip("no libspin_a.so / libspin_b.so (make helpers)")
    label, python = pythons[0]
    top = tempfile.mkdtemp(prefix="pyproftest-so.")
    lib = os.path.join(top, "libspin.so")
    try:
        shutil.copy(built[0], lib)
        with Daemon("--native") as d, Workload(python, "replaced_so.py", lib) as w:
            # Unwound once: the process's modules are reported, the library's file not read.
            wait_for(lambda: with_frame(d, w.pid, "do_python"), timeout=60, interval=0.5,
                     what="a native unwind of " + label)
            shutil.copy(built[1], lib + ".new")
            os.rename(lib + ".new", lib)
            assert w.ask(signal.SIGUSR1).strip() == "going"
            st = wait_for(lambda: with_frame(d, w.pid, "spin_a") or
                          with_frame(d, w.pid, "spin_b"), timeout=60, interval=0.5,
                          what="spin's frames in " + label)
            names = {func(f) for s in st for f in s.split(";")}
            assert "spin_a" in names and "spin_b" not in names, \
                [s for s in st if "spin_" in s][:3]
            print("  %s: ok" % label)
    finally:
        shutil.rmtree(top)


@test
def cxx_frames_demangled():
    """A C++ method called through ctypes shows as C++ spells it above its caller."""
    need_root()
    pythons = versions_pythons()
    if not pythons:
        raise Skip("no interpreters")
    lib = os.path.join(OUTPUT, "tests", "libcxxspin.so")
    if not os.path.exists(lib):
        raise Skip("no libcxxspin.so (make helpers)")
    label, python = pythons[0]
    want = "pyprof_test::Walker::spin(unsigned long)"
    with Daemon("--native") as d, Workload(python, "cxx_spin.py", lib) as w:
        st = wait_for(lambda: with_frame(d, w.pid, want), timeout=60, interval=0.5,
                      what="the demangled C++ frame in " + label)
        for frames, _ in above(st, "do_cxx"):
            if want in [func(f) for f in frames]:
                break
        else:
            raise AssertionError("%s not above do_cxx: %s" % (want, list(st)[:3]))
        assert not any(func(f).startswith("_Z") for s in st for f in s.split(";")), \
            [s for s in st if "_Z" in s][:3]
        print("  %s: ok" % label)


def marked_lines(script, *marks):
    """The line numbers of script (a workload) whose comment is each of marks."""
    with open(os.path.join(WORKLOADS, script)) as f:
        lines = f.read().splitlines()
    return [next(i + 1 for i, t in enumerate(lines) if t.endswith("# " + m)) for m in marks]


def under_line(stacks, func_line):
    """(natives, n, matched) per stack whose last Python frame of work is func_line:
    the native frames' files above it, and whether the native stack was matched."""
    out = []
    for stack, n in stacks.items():
        frames = stack.split(";")
        idx = [i for i, f in enumerate(frames) if f.startswith("work (")]
        if not idx or frames[idx[-1]] != func_line:
            continue
        rest = [f for f in frames[idx[-1] + 1:] if not f.endswith("_[k]")]
        natives = [f.rsplit(" (", 1)[1][:-1] for f in rest if is_native(f)]
        out.append((natives, n, not any(f.startswith("[native:") for f in rest)))
    return out


@test
def numpy_lines_native_frames_and_shares():
    """numpy.random.rand(2000, 100) and y.sum() on two lines of one function (Debian's
    numpy, /usr/bin/python3.11): the native frames under each line are numpy's own
    (numpy/random's for rand, _multiarray_umath's for sum), and each line's share of
    the samples is the share of time the script measured it take."""
    need_root()
    python = "/usr/bin/python3.11"
    if not os.path.exists(python):
        raise Skip("no /usr/bin/python3.11")
    if subprocess.run([python, "-c", "import numpy"], capture_output=True).returncode:
        raise Skip("no numpy for %s (make test-deps: python3-numpy)" % python)
    rand_line, sum_line = marked_lines("numpy_lines.py", "RAND", "SUM")
    want = {"rand": ("work (numpy_lines.py:%d)" % rand_line, "/numpy/random/"),
            "sum": ("work (numpy_lines.py:%d)" % sum_line, "/numpy/core/_multiarray_umath")}

    def enough():
        r = d.ctl("snapshot", "--pid", str(w.pid), "--native", check=False)
        st = parse_folded(r.stdout) if r.returncode == 0 else {}
        got = {k: sum(n for _, n, _ in under_line(st, v[0])) for k, v in want.items()}
        # ~7% of the time is sum's: 2000 samples give it ~140.
        return (st, got) if got["rand"] + got["sum"] >= NUMPY_SAMPLES else None

    # 499 Hz: the samples come in seconds, not a minute.
    with Daemon("--native", "--rate", "499") as d, \
            Workload(python, "numpy_lines.py") as w:
        st, got = wait_for(enough, timeout=120, interval=1, what="numpy samples")
        spent = [int(x) for x in w.ask(signal.SIGUSR1).split()]
    for k, (line, lib) in want.items():
        matched = [(nat, n) for nat, n, ok in under_line(st, line) if ok]
        total = sum(n for _, n in matched)
        own = sum(n for nat, n in matched if any(lib in f for f in nat))
        # Every native frame is numpy's or the interpreter's call plumbing (stripped:
        # python3.11+0x...); a libc leaf (memset, memcpy) is numpy's work too.
        foreign = [nat for nat, _ in matched
                   if any("/numpy/" not in f and f != python and "/libc.so" not in f
                          and "/libm.so" not in f for f in nat)]
        assert total and own >= 0.95 * total, (k, own, total, matched[:5])
        assert not foreign, (k, foreign[:3])
    # Sampling is binomial: sum's share within 4 standard deviations (and 2 points for
    # the samples and times of the moment between the snapshot and the question).
    n = got["rand"] + got["sum"]
    measured = spent[1] / float(spent[0] + spent[1])
    sampled = got["sum"] / float(n)
    tol = 4 * math.sqrt(measured * (1 - measured) / n) + 0.02
    print("  sum's share: sampled %.3f, measured %.3f (n %d, tolerance %.3f)" % (
        sampled, measured, n, tol))
    assert abs(sampled - measured) <= tol, (sampled, measured, n, tol)


NUMPY_SAMPLES = 2000


@test
def off_by_default():
    need_root()
    label, python = (interpreters(11) or [(None, None)])[0]
    if not python:
        raise Skip("no CPython 3.11")
    with Daemon() as d, Workload(python, "native.py") as w:
        st = d.wait_samples(w.pid, 20)
        assert d.status()["native"] == "off"
        assert all(python_only(s) for s in st), list(st)[:3]
        # --native on a daemon without it: the same Python-only stacks.
        r = parse_folded(d.ctl("snapshot", "--pid", str(w.pid), "--native").stdout)
        assert all(python_only(s) for s in r), list(r)[:3]
        assert int(d.status()["bpf_native_sent"]) == 0


# --- C-only threads (a C extension's pthread, no Python state) -------------------------

NO_TSTATE = "[python: thread has no Python state]"


def c_thread_stacks(d, pid, native):
    """pid's stacks by thread (snapshot --threads, --native if native) once its C thread
    has samples, else None."""
    args = ["snapshot", "--pid", str(pid), "--threads"] + (["--native"] if native else [])
    r = d.ctl(*args, check=False)
    st = parse_folded(r.stdout) if r.returncode == 0 else {}
    want = "cthread_spin_forever" if native else NO_TSTATE
    return st if any(want in s for s in st) else None


@test
def c_only_thread_shows_its_native_stack():
    """A pthread a C library started, with no Python state: with --native its stack is
    cthread_spin_forever's, under the process and thread frames, no marker; the view
    without --native (and a daemon without it) shows the marker as before."""
    need_root()
    label, python = (all_pythons() or [(None, None)])[0]
    if not python:
        raise Skip("no interpreters")
    lib = os.path.join(OUTPUT, "tests", "libcthread.so")
    if not os.path.exists(lib):
        raise Skip("no libcthread.so (make helpers)")
    with Daemon("--native") as d, Workload(python, "cthread.py", lib) as w:
        st = wait_for(lambda: c_thread_stacks(d, w.pid, True), timeout=60, interval=0.5,
                      what="cthread_spin_forever in " + label)
        spin = [s for s in st if "cthread_spin_forever" in s]
        for s in spin:
            frames = s.split(";")
            user = [f for f in frames if not f.endswith("_[k]")]
            # Root, thread, native frames only: the leaf is the spinning function.
            assert NO_TSTATE not in frames and frames[1].startswith("thread"), s
            assert all(is_native(f) for f in user[2:]), s
            assert func(user[-1]) == "cthread_spin_forever", s
        # The same samples without --native: the marker stands for the native stack.
        plain = parse_folded(d.ctl("snapshot", "--pid", str(w.pid)).stdout)
        assert any(s.endswith(NO_TSTATE) or (";" + NO_TSTATE + ";") in s for s in plain), \
            list(plain)[:5]
        assert all(python_only(s) for s in plain), list(plain)[:3]
        assert int(d.status()["bpf_native_no_tstate"]) > 0
        print("  %s: ok" % label)
    with Daemon() as d, Workload(python, "cthread.py", lib) as w:
        st = wait_for(lambda: c_thread_stacks(d, w.pid, False), timeout=60, interval=0.5,
                      what="the no-Python-state marker in " + label)
        assert all(python_only(s) for s in st), list(st)[:3]
        assert int(d.status()["bpf_native_no_tstate"]) == 0


@test
def vdso_frames_unwound_to_their_python_caller():
    """A leaf in the vDSO (time.monotonic's clock_gettime): named, and unwound through
    to the Python function that called it, not cut short as a partial stack."""
    need_root()
    label, python = (all_pythons() or [(None, None)])[0]
    if not python:
        raise Skip("no interpreters")
    with Daemon("--native") as d, Workload(python, "vdso.py") as w:
        def merged():
            st = with_frame(d, w.pid, "do_clock") or {}
            return [s for s in st if "([vdso])" in s.split(";")[-1]] or None
        for s in wait_for(merged, timeout=60, interval=0.5, what="vDSO frames of " + label):
            frames = s.split(";")
            assert any(func(f) == "do_clock" for f in frames), s
            assert "[native: partial stack]" not in frames, s
        print("  %s: ok" % label)


if __name__ == "__main__":
    main()
