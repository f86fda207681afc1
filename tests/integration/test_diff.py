# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl diff on real profiled processes: two Python programs with different hot
functions (workloads/switch.py, one only before_switch(), the other only
after_switch()), diffed as difffolded.pl's two-count folded text and as a differential
SVG (parsed as XML; hover, zoom and search in headless Chromium when it is installed);
the diff of two stopped processes against their snapshots, merged as difffolded.pl
merges two folded files (and, given FLAMEGRAPH=DIR, a FlameGraph checkout, against
difffolded.pl and flamegraph.pl themselves); what --vs inherits from A; the command
line's errors."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (OUTPUT, PYPROFCTL, ROOT, Daemon, Skip, Workload, interpreters, main,  # noqa: E402
                        need_root, parse_folded, test, wait_for)

RATE = "199"
SAMPLES = 200   # per process before diffing: a hot function then has most of them
SVG_NS = "{http://www.w3.org/2000/svg}"
DRIVER = os.path.join(ROOT, "tests", "integration", "speedscope_check.js")
NODE_MODULES = os.path.join(ROOT, OUTPUT, "npm", "node_modules")
CHROMIUM = "/usr/bin/chromium"


def python3():
    for m in (11, 12, 13, 10, 9):
        for _, python in interpreters(m):
            return python
    raise Skip("no CPython")


def parse_diff(text):
    """stack -> (countA, countB) from differential folded text; each stack once."""
    rows = {}
    for line in text.splitlines():
        rest, _, b = line.rpartition(" ")
        stack, _, a = rest.rpartition(" ")
        assert stack and a.isdigit() and b.isdigit(), "malformed diff line %r" % line
        assert stack not in rows, "stack twice: %r" % stack
        rows[stack] = (int(a), int(b))
    return rows


def with_func(rows, func):
    """The rows whose stack has a frame of function func."""
    return {s: c for s, c in rows.items() if any(f.startswith(func + " (") for f in s.split(";"))}


class Two:
    """pyprofd and the two processes: a hot in before_switch(), b in after_switch()."""

    def __enter__(self):
        python = python3()
        self.d = Daemon("--rate", RATE).__enter__()
        self.a = Workload(python, "switch.py", 100000).__enter__()
        self.b = Workload(python, "switch.py", 0).__enter__()
        # b prints the switch at once: it is in after_switch() from the start.
        assert self.b.proc.stdout.readline().startswith("switch "), "switch.py 0 did not switch"
        self.d.wait_samples(self.a.pid, SAMPLES, match="before_switch (", timeout=60)
        self.d.wait_samples(self.b.pid, SAMPLES, match="after_switch (", timeout=60)
        return self

    def diff(self, *args):
        return self.d.ctl("diff", "--pid", str(self.a.pid), *args)

    def __exit__(self, *exc):
        self.b.__exit__(*exc)
        self.a.__exit__(*exc)
        self.d.__exit__(*exc)


@test
def folded_shows_each_side_hot_function():
    """And --normalize, and what --vs keeps of A: one pair of processes for all three."""
    need_root()
    with Two() as t:
        check_folded(t)
        check_normalize(t)
        check_vs_inherits(t)


def check_folded(t):
    r = t.diff("--vs", "--pid", str(t.b.pid))
    rows = parse_diff(r.stdout)
    # Sorted by stack, as fmt_diff says: the same profiles give the same text.
    assert list(rows) == sorted(rows, key=lambda s: s.encode()), list(rows)
    before, after = with_func(rows, "before_switch"), with_func(rows, "after_switch")
    assert before and after, rows
    # A's hot function: A's samples only; B's the reverse.
    assert sum(a for a, _ in before.values()) >= SAMPLES * 0.8, before
    assert all(b == 0 for _, b in before.values()), before
    assert all(a == 0 for a, _ in after.values()), after
    assert sum(b for _, b in after.values()) >= SAMPLES * 0.8, after
    # The hot function has most of each side's samples.
    total_a = sum(a for a, _ in rows.values())
    total_b = sum(b for _, b in rows.values())
    assert sum(a for a, _ in before.values()) > 0.9 * total_a, (before, total_a)
    assert sum(b for _, b in after.values()) > 0.9 * total_b, (after, total_b)
    # What each side covers goes to stderr (folded text cannot say it).
    assert re.search(r"A: pid %d, total \d+ samples over \S+Z to \S+Z, " % t.a.pid,
                     r.stderr), r.stderr
    assert re.search(r"B: pid %d, total \d+ samples over \S+Z to \S+Z, " % t.b.pid,
                     r.stderr), r.stderr


def check_normalize(t):
    rows = parse_diff(t.diff("--normalize", "--vs", "--pid", str(t.b.pid)).stdout)
    total_a = sum(a for a, _ in rows.values())
    total_b = sum(b for _, b in rows.values())
    # floor(a * total_b / total_a) per stack: at most one under per line.
    assert total_b - len(rows) <= total_a <= total_b, (total_a, total_b, len(rows))


def check_vs_inherits(t):
    # --seconds after --vs: B keeps A's pid, so both sides are A's process.
    rows = parse_diff(t.diff("--seconds", "60", "--vs", "--seconds", "30").stdout)
    before = with_func(rows, "before_switch")
    assert sum(a for a, _ in before.values()) > 0 and sum(b for _, b in before.values()) > 0
    assert not with_func(rows, "after_switch"), rows


def stable_snapshot(d, pid):
    """The folded text of stopped process pid once it stops changing (samples in flight
    drained): two snapshots alike a second apart."""
    last = [None]

    def same():
        text = d.ctl("snapshot", "--pid", str(pid), "--seconds", "600").stdout
        if text == last[0]:
            return text
        last[0] = text
        return None
    return wait_for(same, timeout=30, interval=1.0, what="pid %d's profile to settle" % pid)


def merged(fa, fb, normalize=False):
    """difffolded.pl's semantics over two folded texts: stack -> (countA, countB)."""
    a, b = parse_folded(fa), parse_folded(fb)
    ta, tb = sum(a.values()), sum(b.values())
    scale = normalize and ta and tb and ta != tb
    return {s: ((a.get(s, 0) * tb // ta) if scale else a.get(s, 0), b.get(s, 0))
            for s in set(a) | set(b)}


@test
def diff_is_the_two_snapshots_merged():
    """With both processes stopped (their profiles stay put), the diff is exactly the
    union of their two snapshots, as difffolded.pl merges two folded files; and with
    FLAMEGRAPH=DIR (a FlameGraph checkout: not in Debian nor npm) difffolded.pl's own
    lines, which flamegraph.pl draws."""
    need_root()
    with Two() as t, tempfile.TemporaryDirectory(prefix="pyprof-diff.") as tmp:
        for w in (t.a, t.b):
            os.kill(w.pid, signal.SIGSTOP)
        try:
            fa, fb = stable_snapshot(t.d, t.a.pid), stable_snapshot(t.d, t.b.pid)
            plain = t.diff("--seconds", "600", "--vs", "--pid", str(t.b.pid)).stdout
            norm = t.diff("--seconds", "600", "--vs", "--pid", str(t.b.pid),
                          "--normalize").stdout
        finally:
            for w in (t.a, t.b):
                os.kill(w.pid, signal.SIGCONT)
        assert parse_diff(plain) == merged(fa, fb), (plain, fa, fb)
        assert parse_diff(norm) == merged(fa, fb, True), (norm, fa, fb)
        fg = os.environ.get("FLAMEGRAPH")
        if not fg:
            print("  (FLAMEGRAPH=DIR not set: difffolded.pl and flamegraph.pl not run)")
            return
        for name, text in (("a.folded", fa), ("b.folded", fb), ("diff.folded", plain)):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        for opts, ours in (([], plain), (["-n"], norm)):
            r = subprocess.run(["perl", os.path.join(fg, "difffolded.pl")] + opts +
                               [os.path.join(tmp, "a.folded"), os.path.join(tmp, "b.folded")],
                               capture_output=True, text=True, timeout=60, check=True)
            assert sorted(r.stdout.splitlines()) == ours.splitlines(), (opts, r.stdout, ours)
        with open(os.path.join(tmp, "diff.folded")) as f:
            r = subprocess.run(["perl", os.path.join(fg, "flamegraph.pl")], stdin=f,
                               capture_output=True, text=True, timeout=60, check=True)
        root = ET.fromstring(r.stdout.encode())
        titles = [e.text for e in root.iter(SVG_NS + "title")]
        # flamegraph.pl: widths of B (A's hot function has none), its delta on the leaves.
        assert any(x.startswith("after_switch (") for x in titles), titles
        assert any(x.startswith("spin (switch.py:") and "%; +" in x for x in titles), titles


def svg_frames(path):
    """(title, fill) of every frame of the SVG at path, which must parse as XML."""
    root = ET.parse(path).getroot()
    frames = []
    for g in root.iter(SVG_NS + "g"):
        title, rect = g.find(SVG_NS + "title"), g.find(SVG_NS + "rect")
        if title is not None and rect is not None:
            frames.append((title.text, rect.get("fill")))
    return root, frames


def rgb(fill):
    m = re.fullmatch(r"rgb\((\d+),(\d+),(\d+)\)", fill)
    assert m, fill
    return tuple(int(v) for v in m.groups())


def have_browser():
    return (shutil.which("node") and os.access(CHROMIUM, os.X_OK) and
            os.path.exists(os.path.join(NODE_MODULES, "playwright-core", "package.json")))


def browse(tmp, path, zoom, search):
    """speedscope_check.js's svg mode (test_consumers): hover, zoom, reset, search."""
    argv = ["node", DRIVER, "svg", NODE_MODULES, path, os.path.join(tmp, "pyprof-diff"),
            zoom, search]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, "%s failed (%d):\n%s%s" % (DRIVER, r.returncode, r.stdout, r.stderr)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert not res["errors"], "browser errors: %s" % res["errors"]
    return res


@test
def svg_colours_growth_red_and_shrinkage_blue():
    need_root()
    with Two() as t, tempfile.TemporaryDirectory(prefix="pyprof-diff.") as tmp:
        path = os.path.join(tmp, "diff.svg")
        r = t.diff("--vs", "--pid", str(t.b.pid), "--format", "svg", "--output", path)
        assert r.stdout == "", r.stdout
        root, frames = svg_frames(path)
        title = "".join(e.text or "" for e in root.iter(SVG_NS + "text") if e.get("id") == "title")
        assert re.search(r"pyprof diff: A: .*\(pid %d\).* vs B: .*\(pid %d\)" % (t.a.pid, t.b.pid),
                         title), title
        shrank = [(n, rgb(f)) for n, f in frames if n.startswith("before_switch (")]
        grew = [(n, rgb(f)) for n, f in frames if n.startswith("after_switch (")]
        assert shrank and grew, frames
        # All of A's hot function went: blue, and B has none of it; B's came: red.
        assert all(c[2] == 255 and c[0] == c[1] < 255 for _, c in shrank), shrank
        assert all(re.search(r"; B: 0 samples, 0\.00%; -\d", n) for n, _ in shrank), shrank
        assert all(c[0] == 255 and c[1] == c[2] < 255 for _, c in grew), grew
        assert all(re.search(r"\(A: 0 samples, 0\.00%; B: [1-9]\d* samples?,.*; \+\d", n)
                   for n, _ in grew), grew
        # Deep colours: each change is near the largest (both near all of the samples).
        assert min(c[0] for _, c in shrank) < 80 and min(c[1] for _, c in grew) < 80, frames
        if not have_browser():
            print("  (no headless Chromium: scripts/install-test-consumers.sh)")
            return
        res = browse(tmp, path, "before_switch", "_switch ")
        assert res.get("hover", "").startswith("before_switch ("), res
        assert res["zoomed"]["target"] > res["before"]["target"], res
        assert res["reset"]["target"] == res["before"]["target"], res
        m = re.search(r"([\d.]+)%", res.get("matched") or "")
        # The two hot functions are nearly all of both profiles' width.
        assert m and float(m.group(1)) > 80, res.get("matched")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@test
def diff_of_two_ranges_splits_at_the_switch():
    """One process that switches its hot function: the 5 s before the second the switch
    happened in against the 5 s after it.  before_switch() is all A's and none of B's,
    after_switch() the reverse, to the sample: the ranges are exact to the second."""
    need_root()
    with Daemon("--rate", RATE) as d, Workload(python3(), "switch.py", 6) as w:
        line = w.proc.stdout.readline().split()
        assert line and line[0] == "switch", line
        switched = float(line[1])
        s = int(switched)
        a = ["--since", iso(s - 5), "--until", iso(s)]
        b = ["--since", iso(s + 1), "--until", iso(s + 6)]
        wait_for(lambda: time.time() > s + 7, timeout=30, interval=0.2, what="B's range over")
        last = [None]

        def drained():
            # Samples in flight: two diffs alike, half a second apart.
            r = d.ctl("diff", "--pid", str(w.pid), *a, "--vs", *b)
            same = r.stdout == last[0]
            last[0] = r.stdout
            return r if same else None
        r = wait_for(drained, timeout=30, interval=0.5, what="the diff to settle")
        rows = parse_diff(r.stdout)
        before, after = with_func(rows, "before_switch"), with_func(rows, "after_switch")
        a_before = sum(x for x, _ in before.values())
        b_after = sum(y for _, y in after.values())
        print("  switch at %s: A %d samples in before_switch, B %d in after_switch"
              % (line[2], a_before, b_after))
        assert a_before > 0 and b_after > 0, rows
        assert all(y == 0 for _, y in before.values()), before
        assert all(x == 0 for x, _ in after.values()), after
        # Each side is its hot function's: nothing else ran for a whole second there.
        assert a_before > 0.9 * sum(x for x, _ in rows.values()), rows
        assert b_after > 0.9 * sum(y for _, y in rows.values()), rows
        # The ranges stated are the ones asked for.
        assert "over %s to %s" % (iso(s - 5), iso(s)) in r.stderr, r.stderr
        assert "over %s to %s" % (iso(s + 1), iso(s + 6)) in r.stderr, r.stderr
        # The SVG of the same ranges: the shrinkage blue, the growth red.
        with tempfile.TemporaryDirectory(prefix="pyprof-diff.") as tmp:
            path = os.path.join(tmp, "diff.svg")
            d.ctl("diff", "--pid", str(w.pid), *a, "--vs", *b, "--format", "svg",
                  "--output", path)
            _, frames = svg_frames(path)
        shrank = [rgb(f) for n, f in frames if n.startswith("before_switch (")]
        grew = [rgb(f) for n, f in frames if n.startswith("after_switch (")]
        assert shrank and grew, frames
        assert all(c[2] == 255 and c[0] == c[1] < 255 for c in shrank), shrank
        assert all(c[0] == 255 and c[1] == c[2] < 255 for c in grew), grew


@test
def usage_errors():
    def ctl(*args):
        return subprocess.run([PYPROFCTL, "--socket", "/nonexistent/pyprofd.sock", "diff"] +
                              list(args), capture_output=True, text=True, timeout=30)

    for args, why in ((("--pid", "1"), "needs --vs"),
                      (("--pid", "1", "--vs", "--vs"), "one --vs"),
                      (("--vs", "--pid", "1"), "needs --pid"),
                      (("--pid", "1", "--vs", "--mode", "wall"), "before --vs"),
                      (("--pid", "1", "--vs", "--format", "pprof"), "folded or svg"),
                      (("--pid", "x", "--vs"), "invalid --pid"),
                      (("--pid", "1", "--vs", "--pid", "0"), "invalid --pid")):
        r = ctl(*args)
        assert r.returncode == 2 and why in r.stderr, (args, r.returncode, r.stderr)
    r = ctl("--help")
    assert r.returncode == 0 and "--vs" in r.stdout and "--normalize" in r.stdout, r
    # Options parse; then no daemon: 3.
    r = ctl("--pid", "1", "--mode", "wall", "--vs", "--pid", "2", "--format", "svg")
    assert r.returncode == 3, (r.returncode, r.stderr)


if __name__ == "__main__":
    main()
