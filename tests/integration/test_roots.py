# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Processes whose root is not the daemon's: a plain chroot (its /proc/PID/maps shows
host paths), a chroot inside a private mount namespace (its paths lead nowhere from
the host: only /proc/PID/map_files opens the file), and a container-style root
(pivot_root: maps show the tree's own paths).  Each runs a copy of Debian's python3.11
in a tree of hard links to the host's libraries and stdlib: an interpreter file the
daemon has never seen (the host's own it knows from its --probe paths).  The same copy
started afterwards by its host path must be profiled too, whatever discovery made of
the rooted process."""

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, WORKLOADS, Daemon, Skip, Workload, interpreters,  # noqa: E402
                        main, need_root, test)

RATE = "199"
INROOT = os.path.join(OUTPUT, "tests", "inroot")


def debian_python():
    builds = interpreters(11)
    if not builds or not builds[0][0].startswith("debian"):
        raise Skip("needs Debian's python3.11")
    return builds[0][1]


def shared_objects(exe):
    """The absolute paths of what the dynamic loader maps for exe, itself included."""
    out = subprocess.run(["ldd", exe], capture_output=True, text=True, check=True).stdout
    paths = [exe]
    for line in out.splitlines():
        for word in line.split():
            if word.startswith("/"):
                paths.append(word)
    return paths


@contextlib.contextmanager
def linked_tree(python, script):
    """A root holding a copy of python, its libraries and stdlib as hard links of the
    host's files (no mount: nothing to undo but the directory), and script as
    /app/<script name>.  Yields (tree, path of the script inside)."""
    minor = os.path.basename(python)[len("python"):]
    stdlib = "/usr/lib/python" + minor
    tree = tempfile.mkdtemp(prefix="pyproftest-root.", dir="/var/tmp")
    try:
        if os.stat(tree).st_dev != os.stat(python).st_dev:
            raise Skip("/var/tmp is not on %s's file system: no hard links" % python)
        for d in ("bin", "lib", "lib64", "sbin"):
            os.makedirs(os.path.join(tree, "usr", d))
            os.symlink("usr/" + d, os.path.join(tree, d))
        for d in ("app", "proc", "dev", "tmp"):
            os.mkdir(os.path.join(tree, d))
        for path in shared_objects(python):
            dst = tree + path
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if path == python:
                shutil.copy(python, dst)
            elif not os.path.exists(dst):
                os.link(os.path.realpath(path), dst)
        subprocess.run(["cp", "-al", stdlib, tree + stdlib], check=True)
        inside = "/app/" + os.path.basename(script)
        shutil.copy(script, tree + inside)
        yield tree, inside
    finally:
        shutil.rmtree(tree, ignore_errors=True)


class Rooted(Workload):
    """A workload whose command line is given whole (a helper in front of python)."""

    def __init__(self, argv):
        super().__init__(sys.executable, "hotwarm.py")
        self.argv = argv


def wait_hot(d, pid, where):
    """Samples in hot() attributed to the file at where; the process is "profiled"."""
    st = d.wait_samples(pid, 50, match="hot (", timeout=40)
    stack = max((s for s in st if ";hot (" in s), key=st.get)
    print("  pid %d: %s" % (pid, stack[:160]))
    assert "hot (%s:" % where in stack, stack
    assert d.listed()[pid][1] == "profiled", d.listed().get(pid)


def then_normally(d, tree, python):
    """The tree's interpreter (the same inode), started the ordinary way by its host path."""
    with Workload(tree + python, "hotwarm.py", 60) as w:
        wait_hot(d, w.pid, os.path.join(WORKLOADS, "hotwarm.py"))


# linux/capability.h, linux/prctl.h
CAP_SYS_ADMIN = 21
CAP_CHECKPOINT_RESTORE = 40
PR_CAPBSET_DROP = 24


def without_map_files():
    """A daemon that cannot open /proc/PID/map_files (as under pyprofd.service, whose
    bounding set has neither capability)."""
    d = Daemon("--rate", RATE)

    def drop():
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
                raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP %d" % cap)
    d.preexec_fn = drop
    return d


def need_inroot():
    need_root()
    if not os.path.exists(INROOT):
        raise Skip("%s not built (make helpers)" % INROOT)


@test
def plain_chroot_profiled():
    """chroot TREE python3.11: maps say TREE/usr/bin/python3.11, which is no path under
    /proc/PID/root (that is TREE already)."""
    need_inroot()
    python = debian_python()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with linked_tree(python, script) as (tree, inside), Daemon("--rate", RATE) as d:
        with Rooted([INROOT, "--chroot", tree, python, inside, "60"]) as w:
            with open("/proc/%d/maps" % w.pid) as f:
                assert (tree + python) in f.read(), "maps should show the host path"
            wait_hot(d, w.pid, inside)
        then_normally(d, tree, python)


@test
def plain_chroot_profiled_without_map_files():
    """The same with the capabilities of pyprofd.service: the host path maps show is the
    way in, taken because it is the very inode mapped."""
    need_inroot()
    python = debian_python()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with linked_tree(python, script) as (tree, inside), without_map_files() as d:
        with Rooted([INROOT, "--chroot", tree, python, inside, "60"]) as w:
            wait_hot(d, w.pid, inside)
        then_normally(d, tree, python)


def in_private_namespace(tree, empty, python, inside):
    """argv: the tree bound onto the empty directory in a mount namespace of its own, then
    python chrooted there (one process all along: the pid is the interpreter's)."""
    inner = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, "sh",
            tree, empty, INROOT, "--chroot", empty, python, inside, "60"]


@test
def chroot_in_private_namespace_profiled():
    """The tree bound onto an empty directory in a mount namespace of the process's own,
    then chroot: maps name a path that is empty on the host, and /proc/PID/root + that
    path leads nowhere either.  Only /proc/PID/map_files reaches the file."""
    need_inroot()
    python = debian_python()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with linked_tree(python, script) as (tree, inside), Daemon("--rate", RATE) as d:
        empty = tempfile.mkdtemp(prefix="pyproftest-empty.")
        try:
            with Rooted(in_private_namespace(tree, empty, python, inside)) as w:
                with open("/proc/%d/maps" % w.pid) as f:
                    assert (empty + python) in f.read(), "maps should show the bound path"
                assert not os.path.exists(empty + python), "the path must be empty on the host"
                wait_hot(d, w.pid, inside)
            then_normally(d, tree, python)
        finally:
            os.rmdir(empty)


@test
def unopenable_file_not_taken_for_not_python():
    """Without map_files nothing opens the private namespace's file: the process cannot be
    profiled, but that says nothing about the file.  The same interpreter file started by
    its host path meanwhile (as the rescans keep trying the rooted process) is profiled,
    and the rooted process is not listed as anything."""
    need_inroot()
    python = debian_python()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with linked_tree(python, script) as (tree, inside), without_map_files() as d:
        empty = tempfile.mkdtemp(prefix="pyproftest-empty.")
        try:
            with Rooted(in_private_namespace(tree, empty, python, inside)) as w:
                # Past a rescan (5 s): discovery has looked at it, at least twice.
                time.sleep(6)
                then_normally(d, tree, python)
                listed = d.listed(all_=True)
                assert w.pid not in listed, listed.get(w.pid)
        finally:
            os.rmdir(empty)


@test
def private_root_profiled():
    """The container way (pivot_root into the tree): maps say /usr/bin/python3.11, the
    tree's own path, which /proc/PID/root leads to."""
    need_inroot()
    python = debian_python()
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with linked_tree(python, script) as (tree, inside), Daemon("--rate", RATE) as d:
        with Rooted([INROOT, tree, python, inside, "60"]) as w:
            with open("/proc/%d/maps" % w.pid) as f:
                assert " %s\n" % python in f.read(), "maps should show the tree's path"
            wait_hot(d, w.pid, inside)
        then_normally(d, tree, python)


if __name__ == "__main__":
    main()
