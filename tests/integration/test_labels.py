# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Process labels from cgroups: a Python process started in a cgroup made by
hand as systemd would make a unit's (systemd is not PID 1 here) is listed with
its unit and cgroup path, one in a docker-shaped scope with its container id,
one whose cgroup name holds hostile bytes in one row, escaped, and an exited
one still with its labels after pyprofd restarts with the same --state-dir."""

import errno
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (WORKLOADS, Daemon, Skip, interpreters, main, need_root,  # noqa: E402
                        test, wait_for)

RATE = "199"


def a_python():
    builds = [b for m in (11, 12, 13, 10, 9) for b in interpreters(m)]
    if not builds:
        raise Skip("no supported CPython")
    return builds[0][1]


def hierarchies():
    """Mount points of the cgroup v2 hierarchy and of v1's name=systemd, where mounted."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields, sup = pre.split(), post.split()
            if sup[0] == "cgroup2" and "v2" not in found:
                found["v2"] = fields[4]
            elif sup[0] == "cgroup" and "name=systemd" in sup[2].split(",") and "v1" not in found:
                found["v1"] = fields[4]
    if not found:
        raise Skip("no cgroup2 nor name=systemd hierarchy mounted")
    return found


class Cgroup:
    """The cgroup rel (a path below the root) made in every hierarchy found, removed on exit."""

    def __init__(self, rel):
        self.rel = rel
        self.made = []

    def __enter__(self):
        try:
            for mnt in hierarchies().values():
                path = mnt
                for part in self.rel.split("/"):
                    path = os.path.join(path, part)
                    try:
                        os.mkdir(path)
                        self.made.append(path)
                    except FileExistsError:
                        pass
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def procs_files(self):
        return [os.path.join(mnt, self.rel, "cgroup.procs") for mnt in hierarchies().values()]

    def __exit__(self, *exc):
        # Deepest first; a cgroup whose last process was just reaped can be busy a moment.
        for path in reversed(self.made):
            for _ in range(100):
                try:
                    os.rmdir(path)
                    break
                except OSError as e:
                    if e.errno == errno.ENOENT:
                        break
                    if e.errno != errno.EBUSY:
                        raise
                    if any(x.is_dir() for x in os.scandir(path)):
                        break  # a parent another test uses now (system.slice): theirs to remove
                    time.sleep(0.05)
            else:
                raise AssertionError("cgroup %r stayed busy" % path)
        self.made = []


class InCgroup:
    """hotwarm.py started in cgroup cg: it joins every hierarchy before exec, so pyprofd
    finds it there."""

    def __init__(self, python, cg, seconds=60):
        self.argv = [python, os.path.join(WORKLOADS, "hotwarm.py"), str(seconds)]
        self.files = cg.procs_files()
        self.proc = None

    def _join(self):
        for path in self.files:
            with open(path, "w") as f:
                f.write(str(os.getpid()))

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=self._join)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.__exit__(None, None, None)
            raise AssertionError("workload did not start: %r" % line)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def rows_of(out, pid):
    return [line for line in out.splitlines() if line.split()[:1] == [str(pid)]]


def labels_of(d, pid, all_=False):
    """pid's LABELS field as pyprofctl list --wide shows it (cut at the header's column:
    the names used here hold no space), or None while it is not listed.  With --all a pid
    can have two rows: the test runner's forked child (a Python process, profiled until it
    execs) and the workload it became; the workload is the one with the most samples."""
    out = d.ctl(*(["list", "--wide", "--all"] if all_ else ["list", "--wide"])).stdout
    rows = rows_of(out, pid)
    assert len(rows) <= (2 if all_ else 1), rows
    if not rows:
        return None
    row = max(rows, key=lambda r: int(r.split()[3]))
    hdr = out.splitlines()[0]
    a = hdr.index(" LABELS ") + 1
    b = a + len("LABELS") + re.search(r"\S", hdr[a + len("LABELS"):]).start()
    field = row[a:b].strip()
    return field if "=" in field else None


def split_labels(field):
    """The escaped field as key -> value, still escaped (',' and '=' in values are)."""
    out, item, i = {}, "", 0
    items = []
    while i < len(field):
        if field[i] == "\\":
            item += field[i:i + 2]
            i += 2
            continue
        if field[i] == ",":
            items.append(item)
            item = ""
        else:
            item += field[i]
        i += 1
    items.append(item)
    for it in items:
        k, _, v = it.partition("=")
        out[k] = v
    return out


@test
def unit_and_cgroup_listed():
    need_root()
    python = a_python()
    unit = "pyproftest-%s.service" % secrets.token_hex(4)
    with Daemon("--rate", RATE) as d, Cgroup("system.slice/" + unit) as cg, \
            InCgroup(python, cg) as w:
        d.wait_samples(w.pid, 20, match="hot (")
        labels = split_labels(wait_for(lambda: labels_of(d, w.pid), what="labels"))
        print("  %s" % labels)
        assert labels.get("unit") == unit, labels
        assert labels.get("cgroup") == "/system.slice/" + unit, labels
        assert "container" not in labels, labels
        # The header names the columns: the labels whole with --wide, the command last.
        hdr = d.ctl("list", "--wide").stdout.splitlines()[0].split()
        assert "LABELS" in hdr and "UNIT" in hdr and hdr[-1] == "COMMAND", hdr


@test
def container_id_listed():
    need_root()
    python = a_python()
    cid = secrets.token_hex(32)
    with Daemon("--rate", RATE) as d, Cgroup("system.slice/docker-%s.scope" % cid) as cg, \
            InCgroup(python, cg) as w:
        labels = split_labels(wait_for(lambda: labels_of(d, w.pid), what="labels"))
        print("  %s" % labels)
        assert labels.get("container") == cid, labels
        assert labels.get("unit") == "docker-%s.scope" % cid, labels
        d.wait_samples(w.pid, 20, match="hot (")


@test
def hostile_cgroup_name_escaped():
    need_root()
    python = a_python()
    unit = "pyproftest-%s.service" % secrets.token_hex(4)
    # Tab, comma, '=', a terminal sequence, a backslash escape and invalid UTF-8.
    hostile = "a\tb,c=d\x1b]0;pwned\x07\\x41-\udcff"
    want = "a\\tb\\,c\\=d\\x1b]0;pwned\\x07\\\\x41-\\xff"
    # The kernel refuses a newline in a cgroup name (/proc/PID/cgroup would be ambiguous).
    hv = hierarchies()
    probe = os.path.join(next(iter(hv.values())), "pyproftest-%s\nx" % secrets.token_hex(4))
    try:
        os.mkdir(probe)
        os.rmdir(probe)
        hostile += "\nnl"
        want += "\\nnl"
    except OSError as e:
        assert e.errno == errno.EINVAL, e
    with Daemon("--rate", RATE) as d, Cgroup("system.slice/%s/%s" % (unit, hostile)) as cg, \
            InCgroup(python, cg) as w:
        field = wait_for(lambda: labels_of(d, w.pid), what="labels")
        out = d.ctl("list", "--wide").stdout
        print("  %r" % field)
        labels = split_labels(field)
        assert labels.get("cgroup") == "/system.slice/%s/%s" % (unit, want), labels
        assert labels.get("unit") == unit, labels
        # One row, no terminal sequence, no row or column made by the name.
        assert len(rows_of(out, w.pid)) == 1, out
        assert "\x1b" not in out and "\x07" not in out, repr(out)
        assert sum("pwned" in line for line in out.splitlines()) == 1, out
        d.wait_samples(w.pid, 20, match="hot (")


@test
def labels_survive_a_restart():
    """--state-dir keeps an exited process's labels with its history."""
    need_root()
    python = a_python()
    unit = "pyproftest-%s.service" % secrets.token_hex(4)
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    try:
        args = ("--rate", RATE, "--window", "2", "--state-dir", state)
        with Daemon(*args) as d, Cgroup("system.slice/" + unit) as cg:
            with InCgroup(python, cg, seconds=3) as w:
                d.wait_samples(w.pid, 20, match="hot (")
                w.proc.wait(30)
            wait_for(lambda: d.listed(all_=True)[w.pid][1] == "exited", what="exit")
            before = labels_of(d, w.pid, all_=True)
        assert split_labels(before).get("unit") == unit, before
        with Daemon(*args) as d:
            rows = d.listed(all_=True)
            assert rows[w.pid][1] == "exited", rows
            after = labels_of(d, w.pid, all_=True)
            print("  %s" % after)
            assert after == before, (before, after)
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
