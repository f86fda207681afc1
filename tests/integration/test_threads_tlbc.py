# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The free-threaded 3.14 walk of thread-local bytecode, against a stand-in:
no 3.14t can be built here, so tests/helpers/fakeft.c lays out a 3.14t
process as its synthesized debug offsets say (tests/data/debugoffsets), with
fixed stacks whose frames point into per-thread copies of their bytecode.
This tests pyprof's walk (BPF), symbolization and dump against that layout,
not the layout against a real interpreter."""

import math
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, Daemon, Skip, main, need_root, parse_folded, test,  # noqa: E402
                        wait_for)

FAKEFT = os.path.join(OUTPUT, "tests", "fakeft")
FILE = "/fake/ft.py"
THREADS = 4
# fakeft.c: thread t (1..4) in spin() at line 111 + t of copy t, called from run()
# at line 16 (copy t); the main thread in main() at line 5 (copy 0); one more
# thread's spin() frame names copy 99, which its code object does not have.
MAIN = "main (%s:5)" % FILE
RUN = "run (%s:16)" % FILE
SPIN = ["spin (%s:%d)" % (FILE, 111 + t) for t in range(1, THREADS + 1)]
UNREADABLE = "[python: unreadable stack]"


class FakeFT:
    def __init__(self, seconds):
        if not os.path.exists(FAKEFT):
            raise Skip("%s not built (make helpers)" % FAKEFT)
        self.proc = subprocess.Popen([FAKEFT, str(THREADS), str(seconds)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError("fakeft did not start: %r %s" % (line, self.proc.stderr.read()))
        self.ready_at = time.time()
        self.pid = self.proc.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@test
def tlbc_copies_fake_3_14t():
    need_root()
    with Daemon("--rate", "499") as d, FakeFT(120) as w:
        wait_for(lambda: w.pid in d.listed(), timeout=20, what="fakeft listed")
        version, state = d.listed()[w.pid]
        assert version == "3.14.10t" and state == "profiled", (version, state)
        # Its layout was never run on a real 3.14t: list and dump say so.
        row = [l for l in d.ctl("list").stdout.splitlines() if l.split()[0] == str(w.pid)]
        assert "layout derived from CPython's source, not tested" in row[0], row
        head = d.ctl("dump", "--pid", str(w.pid)).stdout.splitlines()[1]
        assert head.startswith("Python v3.14.10t (layout derived"), head
        before = int(d.status().get("bpf_err_bad_tlbc", "0"))

        # From the first whole second after "ready" on: before it, fakeft is profiled
        # (from its exec: its _PyRuntime is in the file) while main() and the threads set
        # themselves up, and ticks find no interpreter yet or a thread not in its list, as
        # in a real interpreter's start.  What is tested is the walk of the set-up process.
        start = math.ceil(w.ready_at)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
        wait_for(lambda: time.time() > start, timeout=5, interval=0.05, what="that second")

        def snapshot():
            """The Python part of each stack (kernel frames dropped)."""
            r = d.ctl("snapshot", "--pid", str(w.pid), "--since", since, "--full-filenames",
                      check=False)
            assert r.returncode in (0, 6), r.stderr  # 6: no samples yet
            st = {}
            for s, n in parse_folded(r.stdout).items():
                s = ";".join(f for f in s.split(";") if not f.endswith("_[k]"))
                st[s] = st.get(s, 0) + n
            return st

        def every_thread():
            st = snapshot()
            got = [sum(n for s, n in st.items() if s.endswith(";%s;%s" % (RUN, spin)))
                   for spin in SPIN]
            return st if min(got) >= 30 else None
        st = wait_for(every_thread, timeout=90, interval=0.5,
                      what="30 samples of each thread's own line")
        total = sum(st.values())
        per = {spin: sum(n for s, n in st.items() if s.endswith(";%s;%s" % (RUN, spin)))
               for spin in SPIN}
        main_n = sum(n for s, n in st.items() if s.endswith(";" + MAIN))
        bad = sum(n for s, n in st.items() if UNREADABLE in s)
        # Any other Python frame is a line taken against the wrong copy.
        other = {s: n for s, n in st.items()
                 if s.split(";")[1:] and not (any(s.endswith(";%s;%s" % (RUN, p)) for p in SPIN) or
                                              s.endswith(";" + MAIN) or UNREADABLE in s)}
        print("  %d samples: per thread %s, main %d, bad copy %d, other %s"
              % (total, sorted(per.values()), main_n, bad, other))
        assert not other, other
        assert main_n > 0 and bad > 0, st
        assert int(d.status().get("bpf_err_bad_tlbc", "0")) > before
        out = d.ctl("dump", "--pid", str(w.pid)).stdout
        threads = out.split("\nThread ")[1:]
        assert len(threads) == THREADS + 2, out
        for spin in SPIN:
            t = [x for x in threads if spin in x]
            assert len(t) == 1 and RUN in t[0], (spin, out)
        assert sum(1 for x in threads if MAIN in x) == 1, out
        assert sum(1 for x in threads if "[python: no bytecode copy for the frame]" in x) == 1, out


if __name__ == "__main__":
    main()
