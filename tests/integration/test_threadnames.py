# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Python thread names (issue 11 item 4): 1000 idle threads and 20 busy ones, each
spinning in a function of its own, on every supported version (pyenv 3.9-3.13, Debian's
static 3.11, the sid tree's 3.14, 3.15 and 3.13t, in a container): `snapshot --threads`
shows every busy function under a thread frame of the right name, `--thread-name`
keeps only the threads it matches, `dump` names the threads with their real tids (3.9 and
3.10 included, whose thread states hold only pthread ids), and a renamed thread's new
samples are under its new name.  One daemon for all of them."""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, Skip, Workload, main, need_root, parse_folded,  # noqa: E402
                        python_for, test, wait_for)

IDLE = 1000
BUSY = 20
VERSIONS = ((9, False), (10, False), (11, False), (11, True), (12, False), (13, False),
            (14, None), (15, None), ("13t", None))
# "busy-3 (tid 1234)" then, further on, "spin_3 (": a busy thread's frame and function.
FRAME = re.compile(r"^[^;]*;([^;]*) \(tid (\d+)\);(?:.*;)?spin_(\d+) \(")


def busy_frames(d, pid, *view):
    """{k: (thread frame's name, tid)} of each spin_k seen under a named thread frame."""
    r = d.ctl("snapshot", "--pid", str(pid), "--threads", *view, check=False)
    if r.returncode not in (0, 6):
        return {}
    seen = {}
    for stack in parse_folded(r.stdout):
        m = FRAME.match(stack)
        if m:
            seen.setdefault(int(m.group(3)), set()).add((m.group(1), int(m.group(2))))
    return seen


def all_busy_named(d, pid):
    seen = busy_frames(d, pid)
    named = {k for k, frames in seen.items() if ("busy-%d" % k) in {n for n, _ in frames}}
    return seen if len(named) == BUSY else None


def check_version(d, label, python):
    t0 = time.monotonic()
    with Workload(python, "threadnames.py", IDLE, 120) as w:
        seen = wait_for(lambda: all_busy_named(d, w.pid), timeout=40, interval=0.5,
                        what="%s: 20 busy functions under their threads' names" % label)
        # Names right: spin_k's only named frame is busy-k, of one thread.
        tids = {}
        for k, frames in seen.items():
            names = {n for n, _ in frames}
            assert names == {"busy-%d" % k}, (label, k, frames)
            assert len({t for _, t in frames}) == 1, (label, k, frames)
            tids[k] = next(iter(frames))[1]
        # --thread-name: busy-1 and busy-10..19 only, every stack kept under one of them.
        kept = busy_frames(d, w.pid, "--thread-name", "busy-1*")
        assert set(kept) == {1} | set(range(10, 20)), (label, sorted(kept))
        r = d.ctl("snapshot", "--pid", str(w.pid), "--threads", "--thread-name", "busy-1*")
        for stack in parse_folded(r.stdout):
            thread = stack.split(";")[1]
            assert re.match(r"busy-1\d? \(tid \d+\)$", thread), (label, stack)
        # dump: each busy thread's header names it, at the tid its frames have.
        out = d.ctl("dump", "--pid", str(w.pid)).stdout
        for k, tid in tids.items():
            assert re.search(r'^Thread %d "busy-%d" \(' % (tid, k), out, re.M), (label, k, out[:2000])
        idle_named = len(re.findall(r'^Thread \d+ "idle-\d+" \(', out, re.M))
        assert idle_named == IDLE, (label, idle_named)
        assert not re.search(r"^Thread 0x", out, re.M), (label, out[:2000])
        # Renamed: the new samples of busy-0 are under its new name, same tid.
        assert w.ask(signal.SIGUSR1).strip() == "renamed"
        wait_for(lambda: ("renamed-0", tids[0]) in busy_frames(d, w.pid).get(0, ()),
                 timeout=20, interval=0.5, what="%s: busy-0's samples as renamed-0" % label)
    print("  %s: 20 of %d+20 threads named, filtered, dumped and renamed in %.1f s"
          % (label, IDLE, time.monotonic() - t0))


@test
def thread_names_every_version():
    need_root()
    found = []
    for minor, debian in VERSIONS:
        try:
            found.append(python_for(minor, debian))
        except Skip as e:
            print("  skip 3.%s: %s" % (minor, e))
    if not found:
        raise Skip("no interpreter")
    with Daemon("--rate", "499") as d:
        for label, python in found:
            check_version(d, label, python)
        status = d.status()
        print("  status: %s" % " ".join("%s %s" % (k, v) for k, v in status.items()
                                        if k.startswith("thread_name")))
        assert int(status["thread_name_reads_corrupt"]) == 0, status


if __name__ == "__main__":
    main()
