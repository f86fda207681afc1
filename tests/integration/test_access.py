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
                        need_root, parse_folded, test, wait_for)

USER = "pyproftest-user"
GROUP = "pyproftest-grp"


class TestUser:
    """A throwaway system user and group, removed afterwards."""

    def __enter__(self):
        for tool in ("useradd", "userdel", "groupadd", "groupdel", "gpasswd", "setpriv"):
            if not shutil.which(tool):
                raise Skip("no %s" % tool)
        subprocess.run(["userdel", USER], capture_output=True)
        subprocess.run(["groupdel", GROUP], capture_output=True)
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True)
        subprocess.run(["groupadd", "--system", GROUP], check=True)
        pw = pwd.getpwnam(USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        return self

    def run_as(self):
        """setpriv prefix: this user, with the groups /etc/group gives it now."""
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--init-groups",
                "--inh-caps=-all", "--bounding-set=-all"]

    def add_to_group(self):
        subprocess.run(["gpasswd", "-a", USER, GROUP], check=True, capture_output=True)

    def __exit__(self, *exc):
        subprocess.run(["userdel", USER], capture_output=True)
        subprocess.run(["groupdel", GROUP], capture_output=True)


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
                        assert r.returncode != 0 and "belongs to another user" in r.stderr, r
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
