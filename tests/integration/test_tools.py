# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl's views on a real profiled process: dump of a stuck program,
snapshot --lines, top, and every --format (checked by parsing it back)."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, Skip, WORKLOADS, Workload, interpreters, main,  # noqa: E402
                        need_root, test, wait_for)

RATE = "199"


def source_line(script, text):
    with open(os.path.join(WORKLOADS, script)) as f:
        for i, line in enumerate(f, 1):
            if text in line:
                return i
    raise AssertionError(text)


def builds_311_plus():
    builds = [b for m in (11, 12, 13, 9, 10) for b in interpreters(m)]
    if not builds:
        raise Skip("no supported CPython")
    return builds


@test
def dump_shows_where_a_stuck_program_is():
    need_root()
    script = os.path.join(WORKLOADS, "stuck.py")
    with Daemon("--rate", RATE) as d:
        for label, python in builds_311_plus():
            with Workload(python, "stuck.py") as w:
                wait_for(lambda: w.pid in d.listed(), timeout=10, what="pid listed")
                out = d.ctl("dump", "--pid", str(w.pid)).stdout
                threads = out.split("\nThread ")[1:]
                assert len(threads) == 2, out
                main_t = next((t for t in threads if "wait_forever (" in t), None)
                other = next((t for t in threads if "sleeper (" in t), None)
                assert main_t and other, out
                assert "wait_forever (%s:%d)" % (script, source_line("stuck.py", "event.wait()")) \
                    in main_t, out
                assert "main (%s:%d)" % (script, source_line("stuck.py", "    wait_forever(event)")) \
                    in main_t, out
                assert "sleeper (%s:%d)" % (script, source_line("stuck.py", "time.sleep(3600)")) \
                    in other, out
                # Leaf first: the innermost Python frame of the waiting thread comes
                # before main().  3.11+ know the kernel tid and its state.
                lines = [x.strip() for x in main_t.splitlines()[1:] if x.strip()]
                assert lines.index(next(x for x in lines if x.startswith("main ("))) > \
                    lines.index(next(x for x in lines if x.startswith("wait_forever ("))), lines
                if int(os.path.basename(python).split(".")[1]) >= 11:
                    assert "(sleeping)" in main_t.splitlines()[0], main_t.splitlines()[0]
                print("  %s: %d threads, main in wait_forever, other in sleeper" % (label, 2))
        r = d.ctl("dump", "--pid", "1", check=False)
        assert r.returncode != 0 and r.stderr.strip(), r


def check_dump_in_pid_namespace(d, python):
    """stuck.py as pid 1 of its own pid namespace: dump must show host tids."""
    # --kill-child: the interpreter, pid 1 of its namespace, goes with unshare.
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", python,
                          os.path.join(WORKLOADS, "stuck.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        # The interpreter: unshare's child, which runs the same command line minus unshare.
        def host_pid():
            for pid in os.listdir("/proc"):
                try:
                    with open("/proc/%s/status" % pid) as f:
                        status = f.read()
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        argv = f.read().split(b"\0")
                except OSError:
                    continue
                nspid = [ln.split()[1:] for ln in status.splitlines() if ln.startswith("NSpid:")]
                if argv[0] == python.encode() and nspid and nspid[0][-1] == "1":
                    return int(pid)
            return None
        pid = wait_for(host_pid, timeout=10, what="the namespaced interpreter")
        wait_for(lambda: pid in d.listed(), timeout=10, what="pid listed")
        out = d.ctl("dump", "--pid", str(pid)).stdout
        threads = out.split("\nThread ")[1:]
        assert len(threads) == 2, out
        host_tids = set(int(t) for t in os.listdir("/proc/%d/task" % pid))
        for t in threads:
            head = t.splitlines()[0]
            tid = int(head.split()[0])
            assert tid in host_tids, "thread %d is no host tid of %d (%s): %s" % (
                tid, pid, sorted(host_tids), out)
            assert "(sleeping)" in head and "in its pid namespace" in head, head
        main_t = next(t for t in threads if "wait_forever (" in t)
        assert main_t.split()[0] == str(pid), main_t
        print("  %s: host pid %d, %s" % (python, pid, "; ".join(t.splitlines()[0] for t in threads)))
    finally:
        p.kill()
        p.wait()
        p.stdout.close()


@test
def dump_inside_pid_namespace():
    need_root()
    if not shutil.which("unshare"):
        raise Skip("no unshare(1)")
    builds = [b for m in (11, 13) for b in interpreters(m)]
    if not builds:
        raise Skip("no CPython 3.11 or 3.13")
    with Daemon("--rate", RATE) as d:
        for _, python in builds:
            check_dump_in_pid_namespace(d, python)


@test
def lines_rank_source_lines():
    need_root()
    python = builds_311_plus()[0][1]
    # 1500 samples: one sigma of the hot line's share is 1.1 points.
    with Daemon("--rate", "499") as d, Workload(python, "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 1500, match="hot (", timeout=30)
        out = d.ctl("snapshot", "--pid", str(w.pid), "--lines").stdout
        rows = out.splitlines()
        assert rows[0].split()[:2] == ["%Total", "%Own"], rows[0]
        hot_line = source_line("hotwarm.py", "return spin(3 * unit)")
        row = next(r for r in rows if "hotwarm.py:%d (hot)" % hot_line in r)
        total = float(row.split()[0].rstrip("%"))
        print("  %s" % row.strip())
        assert abs(total - 75) < 6, row
        assert row.rstrip().endswith("return spin(3 * unit)"), row
        # The spin loop's own lines hold (almost) all own time.
        own_spin = sum(float(r.split()[1].rstrip("%")) for r in rows[1:] if "(spin)" in r)
        assert own_spin > 95, rows


@test
def top_shows_the_last_interval():
    need_root()
    python = builds_311_plus()[0][1]
    with Daemon("--rate", RATE) as d, Workload(python, "hotwarm.py", 60) as w:
        d.wait_samples(w.pid, 50, timeout=30)
        out = d.ctl("top", "--pid", str(w.pid), "--interval", "1s", "--iterations", "3").stdout
        frames = [f for f in out.split("pyprofctl top: ") if f.strip()]
        assert len(frames) == 3, out
        for f in frames:
            head, _, table = f.partition("\n\n")
            rows = table.strip().splitlines()
            assert rows[0].split()[:2] == ["%Own", "%Total"], rows
            spin = next(r for r in rows if r.split()[-2] == "spin")
            hot = next(r for r in rows if r.split()[-2] == "hot")
            assert float(spin.split()[0].rstrip("%")) > 95, f
            assert 60 < float(hot.split()[1].rstrip("%")) < 90, f
            n = int(head.split(", ")[1].split()[0])
            # One busy thread at 199 Hz: about 199 samples a second, never the history.
            assert 50 <= n <= 260, head
        print("  " + frames[-1].splitlines()[0])


@test
def every_format_parses():
    need_root()
    python = builds_311_plus()[0][1]
    out_dir = tempfile.mkdtemp(prefix="pyproftest-fmt.")
    try:
        with Daemon("--rate", RATE) as d, Workload(python, "hotwarm.py", 60) as w:
            d.wait_samples(w.pid, 300, match="hot (", timeout=30)
            paths = {}
            for fmt in ("folded", "svg", "speedscope", "pprof", "json"):
                paths[fmt] = os.path.join(out_dir, "profile." + fmt)
                d.ctl("snapshot", "--pid", str(w.pid), "--format", fmt, "-o", paths[fmt])
            folded = open(paths["folded"]).read()
            assert "hot (" in folded
            svg = ET.parse(paths["svg"]).getroot()
            assert svg.tag.endswith("svg")
            assert any("hot" in (t.text or "") for t in svg.iter("{http://www.w3.org/2000/svg}title"))
            doc = json.load(open(paths["json"]))
            assert doc["pid"] == w.pid and doc["total"] > 0
            assert any(f["name"] == "hot" and f.get("line") for f in doc["frames"]), doc["frames"]
            ss = json.load(open(paths["speedscope"]))
            assert ss["profiles"][0]["type"] == "sampled"
            assert any(f["name"] == "hot" for f in ss["shared"]["frames"])
            raw = gzip.open(paths["pprof"]).read()
            assert b"hot" in raw and b"cpu" in raw
            if shutil.which("go"):
                r = subprocess.run(["go", "tool", "pprof", "-top", paths["pprof"]],
                                   capture_output=True, text=True, timeout=120,
                                   env=dict(os.environ, HOME=out_dir, GOCACHE=out_dir))
                assert r.returncode == 0 and " spin" in r.stdout, r.stderr
            # Bad arguments are refused clearly.
            r = d.ctl("snapshot", "--pid", str(w.pid), "--format", "png", check=False)
            assert r.returncode != 0 and "unknown --format" in r.stderr
            r = d.ctl("snapshot", "--pid", str(w.pid), "--lines", "--format", "svg", check=False)
            assert r.returncode != 0 and "exclude" in r.stderr
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
