# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Access control on pyprofd's socket, with a real unprivileged user: root and
members of the daemon's group see every process, any other user only its own."""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (PYPROFCTL, Daemon, Skip, WORKLOADS, Workload, main,  # noqa: E402
                        need_root, parse_folded, recv_all, sanitized, test, unused_pid, wait_for,
                        write_state_window)

import re  # noqa: E402
import time  # noqa: E402

# A busy loop; with a uid argument it first gives up root for good
# (setresuid: the kernel then makes it non-dumpable, as after a set-id exec).
SPIN = """
import os, sys
if len(sys.argv) > 1:
    uid, gid = int(sys.argv[1]), int(sys.argv[2])
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
def hot():
    x = 0
    while True:
        x += 1
print("ready", flush=True)
hot()
"""


def spawn(argv):
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready", argv
    return p


def reap(procs):
    for p in procs:
        p.kill()
        p.wait()
        p.stdout.close()


def kernel_lets_read(u, pid):
    """Whether the kernel lets u read pid's memory maps (PTRACE_MODE_READ, as
    process_vm_readv needs)."""
    code = "open('/proc/%d/maps').read()" % pid
    r = subprocess.run(u.run_as() + [python_for_all(), "-c", code], capture_output=True)
    return r.returncode == 0


def same_error(r, pid):
    return r.returncode, r.stderr.replace(str(pid), "N")

USER = "pyproftest-user"
GROUP = "pyproftest-grp"


class TestUser:
    """A throwaway system user and group, removed afterwards."""

    def __init__(self, name=USER, group=GROUP):
        self.name, self.group = name, group

    def __enter__(self):
        for tool in ("useradd", "userdel", "groupadd", "groupdel", "gpasswd", "setpriv"):
            if not shutil.which(tool):
                raise Skip("no %s" % tool)
        subprocess.run(["userdel", self.name], capture_output=True)
        subprocess.run(["groupdel", self.group], capture_output=True)
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        self.name], check=True)
        subprocess.run(["groupadd", "--system", self.group], check=True)
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        return self

    def run_as(self):
        """setpriv prefix: this user, with the groups /etc/group gives it now."""
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--init-groups",
                "--inh-caps=-all", "--bounding-set=-all"]

    def add_to_group(self):
        subprocess.run(["gpasswd", "-a", self.name, self.group], check=True, capture_output=True)

    def __exit__(self, *exc):
        subprocess.run(["userdel", self.name], capture_output=True)
        subprocess.run(["groupdel", self.group], capture_output=True)


def python_for_all():
    """An interpreter every user may run (pyenv's live under /root)."""
    for exe in ("/usr/bin/python3.11", "/usr/bin/python3"):
        if os.path.exists(exe):
            return exe
    raise Skip("no system python3 that other users can run")


@test
def users_see_only_their_processes():
    need_root()
    python = python_for_all()
    with TestUser() as u:
        shared = tempfile.mkdtemp(prefix="pyproftest-acc.")
        os.chmod(shared, 0o755)
        script = os.path.join(shared, "hotwarm.py")
        shutil.copy(os.path.join(WORKLOADS, "hotwarm.py"), script)
        os.chmod(script, 0o644)
        try:
            with Daemon("--rate", "199", "--group", GROUP) as d:
                # The socket is reachable by everyone; the daemon decides what they see.
                os.chmod(d.dir, 0o755)
                assert os.stat(d.sock).st_mode & 0o777 == 0o666, oct(os.stat(d.sock).st_mode)

                def ctl(*args):
                    return subprocess.run(u.run_as() + [PYPROFCTL, "--socket", d.sock] + list(args),
                                          capture_output=True, text=True, timeout=30)

                with Workload(python, "hotwarm.py", 60) as mine_root, \
                        subprocess.Popen(u.run_as() + [python, script, "60"],
                                         stdout=subprocess.PIPE, text=True) as theirs:
                    try:
                        assert theirs.stdout.readline().strip() == "ready"
                        d.wait_samples(theirs.pid, 20, match="hot (")
                        d.wait_samples(mine_root.pid, 20, match="hot (")

                        r = ctl("list")
                        assert r.returncode == 0, r.stderr
                        pids = [int(line.split()[0]) for line in r.stdout.splitlines()[1:]]
                        print("  user sees %s (root's %d, theirs %d)"
                              % (pids, mine_root.pid, theirs.pid))
                        assert theirs.pid in pids and mine_root.pid not in pids, r.stdout

                        r = ctl("snapshot", "--pid", str(theirs.pid))
                        assert r.returncode == 0 and sum(
                            n for s, n in parse_folded(r.stdout).items() if "hot (" in s) >= 20
                        r = ctl("snapshot", "--pid", str(mine_root.pid))
                        assert r.returncode != 0 and "of yours" in r.stderr, r
                        assert r.stdout == "", r.stdout

                        # In the group: everything, on the next connection.
                        u.add_to_group()
                        r = ctl("list")
                        pids = [int(line.split()[0]) for line in r.stdout.splitlines()[1:]]
                        assert theirs.pid in pids and mine_root.pid in pids, r.stdout
                        r = ctl("snapshot", "--pid", str(mine_root.pid))
                        assert r.returncode == 0 and "hot (" in r.stdout, r.stderr
                    finally:
                        theirs.kill()
                        theirs.wait()
                        theirs.stdout.close()
        finally:
            shutil.rmtree(shared, ignore_errors=True)


@test
def set_id_processes_are_not_their_users():
    """Visibility follows the kernel's ptrace read rule: a set-uid root program
    started by a user, or a root process that became the user, is not theirs."""
    need_root()
    python = python_for_all()
    with TestUser() as u:
        shared = tempfile.mkdtemp(prefix="pyproftest-suid.")
        try:
            os.chmod(shared, 0o755)
            script = os.path.join(shared, "spin.py")
            with open(script, "w") as f:
                f.write(SPIN)
            os.chmod(script, 0o644)
            suid = os.path.join(shared, "python3-suid")
            shutil.copy(python, suid)
            os.chmod(suid, 0o4755)
            with Daemon("--rate", "199") as d:
                os.chmod(d.dir, 0o755)
                procs = []
                try:
                    plain = spawn(u.run_as() + [python, script])
                    procs.append(plain)
                    setuid = spawn(u.run_as() + [suid, script])
                    procs.append(setuid)
                    dropped = spawn([python, script, str(u.uid), str(u.gid)])
                    procs.append(dropped)
                    for p in procs:
                        d.wait_samples(p.pid, 5, match="hot (")
                    # What the kernel says, which pyprofd must agree with.
                    assert kernel_lets_read(u, plain.pid)
                    assert not kernel_lets_read(u, setuid.pid)
                    assert not kernel_lets_read(u, dropped.pid)

                    def ctl(*args):
                        return subprocess.run(u.run_as() + [PYPROFCTL, "--socket", d.sock] +
                                              list(args), capture_output=True, text=True,
                                              timeout=30)
                    r = ctl("list")
                    pids = [int(line.split()[0]) for line in r.stdout.splitlines()[1:]]
                    print("  user sees %s (plain %d, setuid %d, dropped %d)"
                          % (pids, plain.pid, setuid.pid, dropped.pid))
                    assert pids == [plain.pid], r.stdout
                    assert ctl("snapshot", "--pid", str(plain.pid)).returncode == 0
                    for p in (setuid, dropped):
                        for verb in ("snapshot", "dump"):
                            r = ctl(verb, "--pid", str(p.pid))
                            assert r.returncode != 0 and "of yours" in r.stderr, (verb, r)
                            assert r.stdout == "", r.stdout
                finally:
                    reap(procs)
        finally:
            shutil.rmtree(shared, ignore_errors=True)


@test
def other_users_learn_nothing():
    """An unprivileged client cannot tell another user's Python process from
    another user's other process or from no process, and its status shows only
    its own processes."""
    need_root()
    python = python_for_all()
    with TestUser() as u, Daemon("--rate", "199") as d:
        os.chmod(d.dir, 0o755)
        procs = []
        try:
            script = os.path.join(d.dir, "spin.py")
            with open(script, "w") as f:
                f.write(SPIN)
            os.chmod(script, 0o644)
            roots_python = spawn([python, script])
            procs.append(roots_python)
            roots_sleep = subprocess.Popen(["sleep", "60"], stdout=subprocess.PIPE)
            procs.append(roots_sleep)
            theirs = spawn(u.run_as() + [python, script])
            procs.append(theirs)
            their_sleep = subprocess.Popen(u.run_as() + ["sleep", "60"], stdout=subprocess.PIPE)
            procs.append(their_sleep)
            d.wait_samples(roots_python.pid, 5, match="hot (")
            d.wait_samples(theirs.pid, 5, match="hot (")
            nobody = unused_pid()

            def ctl(*args):
                return subprocess.run(u.run_as() + [PYPROFCTL, "--socket", d.sock] + list(args),
                                      capture_output=True, text=True, timeout=30)
            for verb in ("snapshot", "dump"):
                answers = {name: same_error(ctl(verb, "--pid", str(pid)), pid)
                           for name, pid in (("root's python", roots_python.pid),
                                             ("root's sleep", roots_sleep.pid),
                                             ("no process", nobody))}
                print("  %s: %s" % (verb, answers))
                assert len(set(answers.values())) == 1, answers
                assert answers["no process"][0] != 0
                r = ctl(verb, "--pid", str(their_sleep.pid))
                assert r.returncode != 0 and "not a Python process" in r.stderr, r
            st = dict(line.split(" ", 1) for line in ctl("status").stdout.splitlines())
            root_st = d.status()
            leaky = [k for k in st if k.startswith(("bpf_", "discovered_", "events_", "clients_",
                                                    "state_", "daemon_", "samples_received"))]
            assert not leaky, leaky
            assert st["processes_live"] == "1", st
            assert int(root_st["processes_live"]) >= 2, root_st
            assert int(st["samples_profiled"]) < int(root_st["samples_profiled"]), (st, root_st)
        finally:
            reap(procs)


def connect_as(uid, path):
    """A connection whose peer credentials are uid's (the effective uid at connect)."""
    os.seteuid(uid)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s
    finally:
        os.seteuid(0)


def refused(s):
    s.settimeout(2)
    try:
        return s.recv(200)
    except socket.timeout:
        return None


@test
def users_cannot_lock_root_out():
    """Four users with 16 idle connections each: root still gets in, and the
    idle connections are closed sooner than a quiet daemon would."""
    need_root()
    users = [TestUser("pyproftest-u%d" % i, "pyproftest-g%d" % i) for i in range(4)]
    for u in users:
        u.__enter__()
    held = []
    try:
        with Daemon() as d:
            os.chmod(d.dir, 0o755)
            wait_for(lambda: d.status()["clients_connected"] == "1", timeout=10,
                     what="no other client connected")
            t0 = time.monotonic()
            for u in users:
                held += [(u, connect_as(u.uid, d.sock)) for _ in range(16)]
            st = d.status()
            print("  root's status with %s clients connected (%d refused)"
                  % (st["clients_connected"], int(st["clients_rejected"])))
            # 56 for users, the status client itself is root's.
            assert st["clients_connected"] == "57", st
            assert st["clients_rejected"] == "8", st
            answers = [refused(s) for u, s in held[-8:]]
            assert all(a == b"ERR EBUSY too many clients\n" for a in answers), answers
            # Idle connections are closed within about a second under such pressure.
            for u, s in held[:56]:
                s.settimeout(10)
                assert s.recv(100) == b"", "an idle connection got data"
            took = time.monotonic() - t0
            print("  idle connections closed after %.1f s" % took)
            assert took < 5, took
    finally:
        for u, s in held:
            s.close()
        for u in users:
            u.__exit__(None, None, None)


@test
def slow_readers_are_bounded():
    """16 connections that never read an 8 MB reply neither bloat the daemon
    nor keep it from answering others."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    with TestUser() as u:
        pid = unused_pid()
        frame = "f%04d (/srv/" + "x" * 200 + ".py:1)"
        stacks = {("main",) + tuple(frame % (i * 20 + k) for k in range(20)): 1 + i
                  for i in range(2000)}
        write_state_window(state, [(pid, 12345, u.uid, "big", "/usr/bin/python3", stacks)])
        held = []
        try:
            with Daemon("--state-dir", state) as d:
                os.chmod(d.dir, 0o755)
                rss0 = int(d.status()["daemon_rss_kb"])
                size = len(d.ctl("snapshot", "--pid", str(pid), "--seconds", "3600").stdout)
                assert size > 8 << 20, size
                for _ in range(16):
                    s = connect_as(u.uid, d.sock)
                    s.sendall(b"PYPROF/1 snapshot pid=%d seconds=3600\n" % pid)
                    held.append(s)
                worst = 0
                for _ in range(10):
                    t = time.monotonic()
                    st = d.status()
                    worst = max(worst, time.monotonic() - t)
                grown = (int(st["daemon_rss_kb"]) - rss0) >> 10
                print("  reply %d MiB; daemon grew %d MiB; status took %.0f ms at most; %s "
                      "refused, %s MiB queued" % (size >> 20, grown, worst * 1000,
                                                   st["replies_refused_memory"],
                                                   int(st["reply_bytes_queued"]) >> 20))
                assert int(st["replies_refused_memory"]) >= 8, st
                assert int(st["reply_bytes_queued"]) <= (32 + 9) << 20, st
                assert sanitized() or grown < 80, grown
                assert worst < 2, worst
                # The ones that were answered get their whole reply; the others a reason.
                answers = {}
                for s in held:
                    s.settimeout(10)
                    data = recv_all(s)
                    if data.startswith(b"OK "):
                        header, _, body = data.partition(b"\n")
                        assert int(header.split()[1]) == len(body) == size, (header, len(body))
                        kind = "whole reply"
                    else:
                        kind = data.decode().strip()
                    answers[kind] = answers.get(kind, 0) + 1
                print("  answers %s" % answers)
                assert answers.get("whole reply", 0) >= 1, answers
                assert sum(n for k, n in answers.items()
                           if k.startswith("ERR EBUSY too many replies")) >= 8, answers
        finally:
            for s in held:
                s.close()
            shutil.rmtree(state, ignore_errors=True)


@test
def clients_per_user_are_limited():
    """One user holding many idle connections cannot lock others out."""
    need_root()
    with Daemon() as d:
        # Start from a quiet daemon: the readiness probe's connection may not
        # have been closed on its side yet (the status client itself is 1).
        wait_for(lambda: d.status()["clients_connected"] == "1", timeout=10,
                 what="no other client connected")
        held = []
        try:
            for _ in range(40):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.sock)
                held.append(s)
            # The 17th and later connections of this uid were refused with a reason.
            refused = 0
            for s in held:
                s.settimeout(0.5)
                try:
                    data = s.recv(100)
                except socket.timeout:
                    continue
                if data.startswith(b"ERR EBUSY"):
                    refused += 1
            assert refused == 40 - 16, refused
        finally:
            for s in held:
                s.close()
        # Others get in again once they are gone; every refusal was counted.
        st = wait_for(lambda: (lambda r: r.returncode == 0 and r)(d.ctl("status", check=False)),
                      timeout=10, what="status once the held connections are closed")
        rejected = int(dict(line.split(" ", 1) for line in st.stdout.splitlines())["clients_rejected"])
        assert rejected >= refused, (rejected, refused)
        r = d.ctl("list")
        assert r.returncode == 0


if __name__ == "__main__":
    main()
