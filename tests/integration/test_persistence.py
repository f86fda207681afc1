# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--state-dir: history survives a restart of pyprofd; corrupt state is reported
and skipped, never fatal."""

import glob
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, Skip, Workload, interpreters, main, need_root,  # noqa: E402
                        test, wait_for)

RATE = "199"


def a_python():
    builds = [b for m in (11, 12, 13, 10, 9) for b in interpreters(m)]
    if not builds:
        raise Skip("no supported CPython")
    return builds[0][1]


def totals(stacks, func):
    return sum(stacks.values()), sum(n for s, n in stacks.items() if ";%s (" % func in s)


@test
def restart_keeps_history():
    need_root()
    python = a_python()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    try:
        args = ("--rate", RATE, "--window", "2", "--state-dir", state)
        with Daemon(*args) as d:
            with Workload(python, "hotwarm.py", 2) as gone:
                d.wait_samples(gone.pid, 50, match="hot (")
                gone.proc.wait(30)
            live = Workload(python, "hotwarm.py", 120).__enter__()
            d.wait_samples(live.pid, 50, match="hot (")
            wait_for(lambda: d.listed(all_=True)[gone.pid][1] == "exited", what="exit")
            before = d.snapshot(gone.pid, seconds=3600)
            live_before = totals(d.snapshot(live.pid, seconds=3600), "hot")
        files = glob.glob(os.path.join(state, "w*.pyprof"))
        assert files, "nothing saved in %s" % state
        try:
            with Daemon(*args) as d:
                rows = d.listed(all_=True)
                assert rows[gone.pid][1] == "exited", rows
                after = d.snapshot(gone.pid, seconds=3600)
                print("  exited pid %d: %d samples before, %d after the restart (%d files)"
                      % (gone.pid, sum(before.values()), sum(after.values()), len(files)))
                assert after == before, "history changed across the restart"
                # The live process is profiled again, with its history from before.
                wait_for(lambda: d.listed().get(live.pid, ("", ""))[1] == "profiled",
                         what="the live process to be profiled again")
                grown = d.wait_samples(live.pid, live_before[0] + 50, timeout=30)
                assert totals(grown, "hot")[1] > live_before[1]
        finally:
            live.__exit__(None, None, None)
    finally:
        shutil.rmtree(state, ignore_errors=True)


@test
def corrupt_state_is_skipped():
    need_root()
    python = a_python()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    try:
        args = ("--rate", RATE, "--window", "1", "--state-dir", state)
        with Daemon(*args) as d:
            with Workload(python, "hotwarm.py", 3) as w:
                d.wait_samples(w.pid, 100, match="hot (")
                w.proc.wait(30)
            before = d.snapshot(w.pid, seconds=3600)
        files = sorted(glob.glob(os.path.join(state, "w*.pyprof")))
        assert len(files) >= 3, files
        # Cut one file in half, break the compressed body of another, add junk.
        victim_cut, victim_flip = files[0], files[1]
        data = open(victim_cut, "rb").read()
        open(victim_cut, "wb").write(data[:len(data) // 2])
        data = bytearray(open(victim_flip, "rb").read())
        for i in range(20, len(data), 7):
            data[i] ^= 0x5A
        open(victim_flip, "wb").write(bytes(data))
        open(os.path.join(state, "w999999999.pyprof"), "wb").write(b"not a state file at all")
        open(os.path.join(state, "w999999998.pyprof"), "wb").write(b"PYPROFW2" + b"\xff" * 8)
        with Daemon(*args) as d:
            st = d.status()
            print("  state_files_skipped %s" % st["state_files_skipped"])
            assert int(st["state_files_skipped"]) == 4, st
            assert "Ignoring state file" in d.output()
            after = d.snapshot(w.pid, seconds=3600)
            # Whatever the intact files held is back, and nothing more.
            assert 0 < sum(after.values()) < sum(before.values()), (before, after)
            for stack, n in after.items():
                assert before.get(stack, 0) >= n, stack
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
