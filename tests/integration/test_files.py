# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Files in directories others could write: pyprofd's socket directory must be
root's and not group/other-writable, the daemon removes only the socket it
bound, and pyprofctl -o never writes through a planted symlink."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (PYPROFCTL, PYPROFD, Daemon, Skip, Workload, interpreters,  # noqa: E402
                        main, need_root, parse_folded, test, wait_for)


def a_python():
    builds = [b for m in (11, 12, 13, 10, 9) for b in interpreters(m)]
    if not builds:
        raise Skip("no supported CPython")
    return builds[0][1]


def fifo_reader(path):
    """A thread reading the FIFO at path to its end, returned with its result once it
    waits in open(): a writer's O_NONBLOCK open then finds a reader (a reader process
    started just before could still be starting, and the open fail with ENXIO)."""
    got = {"tid": None, "data": None}
    started = threading.Event()

    def run():
        got["tid"] = threading.get_native_id()
        started.set()
        with open(path) as f:
            got["data"] = f.read()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    started.wait()

    def in_open():
        with open("/proc/self/task/%d/syscall" % got["tid"]) as f:
            return f.read().split()[0] == "257"  # openat, blocked
    wait_for(in_open, timeout=10, interval=0.01, what="the FIFO's reader to wait in open()")
    return t, got


def daemon_at(sock, *extra):
    """A Daemon listening on sock instead of its own temporary directory."""
    d = Daemon(*extra)
    d.args = [PYPROFD, "--socket", sock] + list(extra)
    d.sock = sock
    return d


@test
def unsafe_socket_dir_is_refused():
    need_root()
    base = tempfile.mkdtemp(prefix="pyproftest-sock.")
    try:
        for name, mode, uid in (("world-writable", 0o777, 0), ("sticky-tmp-like", 0o1777, 0),
                                ("group-writable", 0o775, 0), ("other-user", 0o755, 65534)):
            sockdir = os.path.join(base, name)
            os.mkdir(sockdir)
            os.chmod(sockdir, mode)
            os.chown(sockdir, uid, 0)
            sock = os.path.join(sockdir, "pyprofd.sock")
            try:
                r = subprocess.run([PYPROFD, "--socket", sock], capture_output=True, text=True,
                                   timeout=60)
            except subprocess.TimeoutExpired:
                raise AssertionError("pyprofd started with its socket in a %s dir" % name)
            out = r.stdout + r.stderr
            print("  %s: exit %d, %s" % (name, r.returncode, out.strip().splitlines()[:1]))
            assert r.returncode != 0 and "Refusing socket directory '%s'" % sockdir in out, out
            assert not os.path.lexists(sock), "socket created in a %s dir" % name
        # A missing directory is created, 0755, and used.
        sock = os.path.join(base, "new", "pyprofd.sock")
        with daemon_at(sock) as d:
            st = os.stat(os.path.dirname(sock))
            assert st.st_uid == 0 and not st.st_mode & 0o022, oct(st.st_mode)
            assert d.ctl("status").returncode == 0
        assert not os.path.lexists(sock), "socket left behind"
    finally:
        shutil.rmtree(base, ignore_errors=True)


@test
def exit_unlinks_nothing_after_socket_dir_swap():
    """The socket dir swapped for a symlink to a dir holding a file of that name: it survives."""
    need_root()
    base = tempfile.mkdtemp(prefix="pyproftest-sock.")
    sockdir, moved, decoy = (os.path.join(base, n) for n in ("run", "run.old", "decoy"))
    os.mkdir(sockdir, 0o755)
    os.mkdir(decoy, 0o755)
    precious = os.path.join(decoy, "pyprofd.sock")
    with open(precious, "w") as f:
        f.write("root's own file\n")
    try:
        with daemon_at(os.path.join(sockdir, "pyprofd.sock")) as d:
            os.rename(sockdir, moved)
            os.symlink(decoy, sockdir)
            assert stat.S_ISSOCK(os.lstat(os.path.join(moved, "pyprofd.sock")).st_mode)
            d.sock = os.path.join(moved, "pyprofd.sock")
            assert d.ctl("status").returncode == 0
        with open(precious) as f:
            assert f.read() == "root's own file\n"
        # What it did create, it removed, where it created it.
        assert not os.path.lexists(os.path.join(moved, "pyprofd.sock"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@test
def ctl_output_ignores_planted_symlinks():
    """snapshot -o: symlinks at the temporary names and at the target never lead a write out."""
    need_root()
    python = a_python()
    base = tempfile.mkdtemp(prefix="pyproftest-out.")
    outdir = os.path.join(base, "out")
    os.mkdir(outdir)
    # Writable by everyone: whoever could plant the names below (in a directory
    # only root writes to, a symlink at the target is root's own, and followed).
    os.chmod(outdir, 0o777)
    os.chmod(base, 0o755)
    secrets = [os.path.join(base, "secret%d" % i) for i in range(2)]
    for path in secrets:
        with open(path, "w") as f:
            f.write("root's own file\n")
        os.chmod(path, 0o600)
    out = os.path.join(outdir, "prof.folded")

    def plant():
        # In the child, before exec: its pid is pyprofctl's, so every temporary
        # name it could pick (old "<out>.tmp.<pid>", new ".<name>.tmp.<pid>.<n>") is taken.
        pid = os.getpid()
        os.symlink(secrets[0], "%s.tmp.%d" % (out, pid))
        for n in range(4):
            os.symlink(secrets[0], os.path.join(outdir, ".prof.folded.tmp.%d.%d" % (pid, n)))
    try:
        os.symlink(secrets[1], out)
        with Daemon("--rate", "199") as d, Workload(python, "hotwarm.py", 60) as w:
            d.wait_samples(w.pid, 20, match="hot (")
            r = subprocess.run([PYPROFCTL, "--socket", d.sock, "snapshot", "--pid", str(w.pid),
                                "-o", out], capture_output=True, text=True, timeout=60,
                               preexec_fn=plant)
            assert r.returncode == 0, r.stderr
        for path in secrets:
            with open(path) as f:
                assert f.read() == "root's own file\n", "%s overwritten" % path
        assert stat.S_ISREG(os.lstat(out).st_mode), "the target is still a symlink"
        with open(out) as f:
            assert sum(n for s, n in parse_folded(f.read()).items() if "hot (" in s) >= 20
    finally:
        shutil.rmtree(base, ignore_errors=True)


@test
def ctl_output_into_devices_fifos_and_trusted_links():
    """snapshot -o /dev/null must not turn the device into a file; a FIFO and a
    terminal are written into; a symlink root made in its own directory (as
    /dev/stdout is) is followed."""
    need_root()
    python = a_python()
    base = tempfile.mkdtemp(prefix="pyproftest-out.")
    try:
        null = os.path.join(base, "null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        fifo = os.path.join(base, "fifo")
        os.mkfifo(fifo)
        real = os.path.join(base, "real.folded")
        link = os.path.join(base, "link.folded")
        os.symlink(real, link)
        with Daemon("--rate", "199") as d, Workload(python, "hotwarm.py", 60) as w:
            d.wait_samples(w.pid, 20, match="hot (")

            def ctl(out, **kw):
                return subprocess.run([PYPROFCTL, "--socket", d.sock, "snapshot", "--pid",
                                       str(w.pid), "-o", out], text=True, timeout=60, **kw)
            r = ctl(null, capture_output=True)
            assert r.returncode == 0, r.stderr
            assert stat.S_ISCHR(os.lstat(null).st_mode), "the device became a file"
            # A FIFO with a reader gets the profile; one nobody reads is an error, not a hang.
            reader, read = fifo_reader(fifo)
            r = ctl(fifo, capture_output=True)
            reader.join(timeout=30)
            got = read["data"] or ""
            assert r.returncode == 0 and "hot (" in got, (r.stderr, got[:200])
            r = ctl(fifo, capture_output=True)
            assert r.returncode != 0 and "cannot write" in r.stderr, r
            assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
            # /dev/stdout: a link to the process's own fd 1, here a pipe.
            r = ctl("/dev/stdout", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert r.returncode == 0 and "hot (" in r.stdout, r.stderr
            assert os.path.islink("/dev/stdout") or not os.path.exists("/dev/stdout")
            r = ctl(link, capture_output=True)
            assert r.returncode == 0, r.stderr
            assert os.path.islink(link) and "hot (" in open(real).read()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
