# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The interpreters of the Debian sid tree that tests/pythons/provision makes (`make
pythons`): CPython 3.14 and 3.15 as Debian builds them, and a free-threaded 3.13t built
from source in the tree.  Each runs the way a container runs it (tests/helpers/inroot
--pid: pivot_root into the tree, a pid namespace of its own, the workloads bound at their
host path) with a known hot function, and `pyprofctl list` must say of it what TREE_PYTHONS says.  A version becoming
supported is a change of its row there: "profiled" rows are checked down to the hot
function's frames and lines."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, ROOT, WORKLOADS, Daemon, Skip, Workload, main,  # noqa: E402
                        need_root, test, wait_for)

RATE = "199"
INROOT = os.path.join(OUTPUT, "tests", "inroot")
TREE = os.environ.get("PYPROF_SID_TREE", "/var/cache/pyprof/pythons/sid")
PROVISION = os.path.join(ROOT, "tests", "pythons", "provision")

# One row per interpreter of the tree: its name, the provisioning steps it needs
# (PYPROF_SID_STEPS), its path in the tree, the version `pyprofctl list` shows, and the
# state it shows with a piece of the NOTE column ("" for none).
TREE_PYTHONS = [
    ("sid-3.14", "pythons", "/usr/bin/python3.14", "3.14.10", "profiled", ""),
    ("sid-3.15", "pythons", "/usr/bin/python3.15", "3.15.2", "profiled", ""),
    ("src-3.13t", "all", "/opt/py313t/bin/python3.13t", "3.13.15t", "profiled", ""),
]


def provisioned(steps):
    """Whether the tree holds what those provisioning steps make (the script says)."""
    env = dict(os.environ, PYPROF_SID_TREE=TREE, PYPROF_SID_STEPS=steps)
    return subprocess.run([PROVISION, "--check"], env=env).returncode == 0


def list_row(d, pid):
    """pid's row of `pyprofctl list`: (VERSION, STATE, the whole line), or None."""
    for line in d.ctl("list").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 3 and f[0] == str(pid):
            return f[1], f[2], line
    return None


class InTree(Workload):
    """A workload run by python inside the tree, in a container of its own; pid is the
    interpreter's host pid (the helper's only child)."""

    def __init__(self, python, script, *args):
        super().__init__(python, script, *args)
        self.argv = [INROOT, "--pid", "--bind", WORKLOADS, TREE] + self.argv

    @property
    def pid(self):
        helper = self.proc.pid
        with open("/proc/%d/task/%d/children" % (helper, helper)) as f:
            children = f.read().split()
        assert len(children) == 1, children
        return int(children[0])


def line_of(text):
    """The line number of the line of hotwarm.py that is text (indentation aside): the
    call "hot(unit)", not "def hot(unit):"."""
    with open(os.path.join(WORKLOADS, "hotwarm.py")) as f:
        for n, line in enumerate(f, 1):
            if line.strip() == text:
                return n
    raise AssertionError("hotwarm.py has no %r" % text)


def check_profiled(d, pid, script):
    """The hottest stack in hot() ends hot -> spin, at the lines the calls are on."""
    st = d.wait_samples(pid, 100, match="hot (", timeout=40)
    stack = max((s for s in st if ";hot (" in s), key=st.get)
    print("    %s" % stack[:200])
    want = ";main (%s:%d);hot (%s:%d);spin (%s:" % (
        script, line_of("hot(unit)"), script, line_of("return spin(3 * unit)"), script)
    assert want in stack, (want, stack)


def run_one(d, label, python, version, state, note):
    script = os.path.join(WORKLOADS, "hotwarm.py")
    with InTree(python, "hotwarm.py", 60) as w:
        pid = w.pid
        with open("/proc/%d/maps" % pid) as f:
            assert " %s\n" % python in f.read(), "maps should show the tree's path"
        row = wait_for(lambda: list_row(d, pid), timeout=20, what="%s listed" % label)
        print("  %s: pid %d: %s" % (label, pid, row[2]))
        assert row[0] == version, (label, row)
        assert row[1] == state, (label, row)
        assert note in row[2], (label, note, row)
        if state == "profiled":
            check_profiled(d, pid, script)


@test
def tree_interpreters_listed_as_expected():
    need_root()
    if not os.path.exists(INROOT):
        raise Skip("%s not built (make helpers)" % INROOT)
    rows = [r for r in TREE_PYTHONS if provisioned(r[1])]
    if not rows:
        raise Skip("no interpreters in %s (make pythons)" % TREE)
    missing = [r[0] for r in TREE_PYTHONS if r not in rows]
    with Daemon("--rate", RATE) as d:
        for label, _, python, version, state, note in rows:
            run_one(d, label, python, version, state, note)
    if missing:
        raise Skip("not provisioned: %s (make pythons)" % ", ".join(missing))


if __name__ == "__main__":
    main()
