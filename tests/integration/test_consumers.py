# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The output formats as their real consumers read them: `go tool pprof`,
the speedscope web app and pyprof's own SVG in headless Chromium.  No root,
no daemon: build/tests/fmt_render renders fixtures/sample.folded, and every
number the consumers show is checked against the fixture.  Each check skips
when its consumer is missing (scripts/install-test-consumers.sh installs
them).  SCREENSHOTS=DIR keeps the browser's screenshots there."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import OUTPUT, ROOT, Skip, main, parse_folded, test  # noqa: E402

FMT_RENDER = os.path.join(OUTPUT, "tests", "fmt_render")
FIXTURE = os.path.join(ROOT, "tests", "integration", "fixtures", "sample.folded")
DRIVER = os.path.join(ROOT, "tests", "integration", "speedscope_check.js")
NODE_MODULES = os.path.join(ROOT, OUTPUT, "npm", "node_modules")
CHROMIUM = "/usr/bin/chromium"
RATE = 99
PERIOD_NS = 10 ** 9 // RATE
INSTALL = "scripts/install-test-consumers.sh"


def split_frame(frame, depth):
    """(name, file, line) as frame__split() reads a frame; file None when none."""
    if depth == 0:
        return frame, None, 0
    if frame.endswith("_[k]"):
        return frame[:-4], "[kernel]", 0
    if len(frame) >= 2 and frame[0] == "[" and frame[-1] == "]":
        return frame, None, 0
    open_ = frame.find(" (")
    if len(frame) < 4 or not frame.endswith(")") or open_ <= 0:
        return frame, None, 0
    name, loc = frame[:open_], frame[open_ + 2:-1]
    file, colon, line = loc.rpartition(":")
    if colon and line.isdigit():
        return name, file, int(line)
    return name, loc, 0


class Fixture:
    """The fixture's stacks and what any profile viewer must compute from them."""

    def __init__(self):
        with open(FIXTURE) as f:
            self.stacks = [(s.split(";"), n) for s, n in parse_folded(f.read()).items()]
        self.total = sum(n for _, n in self.stacks)

    def flat_cum(self, key):
        """{key: [flat, cum]} for key(frame, depth) of every frame."""
        out = {}
        for frames, n in self.stacks:
            keys = [key(f, d) for d, f in enumerate(frames)]
            out.setdefault(keys[-1], [0, 0])[0] += n
            for k in set(keys):
                out.setdefault(k, [0, 0])[1] += n
        return out

    def nodes(self):
        """{call path (tuple of frames from the root): samples}: a flame graph's boxes."""
        out = {}
        for frames, n in self.stacks:
            for d in range(1, len(frames) + 1):
                out[tuple(frames[:d])] = out.get(tuple(frames[:d]), 0) + n
        return out


def render(fmt, path, rate=RATE):
    if not os.path.exists(FMT_RENDER):
        raise Skip("%s not built" % FMT_RENDER)
    with open(FIXTURE, "rb") as fin, open(path, "wb") as fout:
        r = subprocess.run([FMT_RENDER, fmt, str(rate)], stdin=fin, stdout=fout,
                           stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, "fmt_render %s failed (%d): %s" % (fmt, r.returncode, r.stderr)
    assert os.path.getsize(path) > 0, "fmt_render %s wrote nothing" % fmt


def pprof_top(path, *args):
    """Rows of `go tool pprof -top`: {name: (flat, flat%, cum, cum%)}, and the header."""
    r = subprocess.run(["go", "tool", "pprof", "-top"] + list(args) + [path],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "go tool pprof failed (%d): %s" % (r.returncode, r.stderr)
    rows, header = {}, []
    row = re.compile(r"^\s*(\S+)\s+([\d.]+)%\s+[\d.]+%\s+(\S+)\s+([\d.]+)%\s+(.+)$")
    for line in r.stdout.splitlines():
        m = row.match(line)
        if m:
            name = m.group(5)
            assert name not in rows, "%r twice in pprof's output:\n%s" % (name, r.stdout)
            rows[name] = (m.group(1), float(m.group(2)), m.group(3), float(m.group(4)))
        else:
            header.append(line)
    assert rows, "no rows in pprof's output:\n%s\n%s" % (r.stdout, r.stderr)
    return rows, header, r.stdout


def seconds(v):
    """pprof's "21.21s", "909.09ms", "0" as seconds."""
    m = re.match(r"^([\d.]+)(ns|us|µs|ms|s|mins|hrs)?$", v)
    assert m, "unexpected value %r" % v
    return float(m.group(1)) * {None: 1, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1,
                                "mins": 60, "hrs": 3600}[m.group(2)]


@test
def pprof_top_agrees():
    if not shutil.which("go"):
        raise Skip("go tool pprof not installed (Debian golang-go; %s)" % INSTALL)
    fx = Fixture()
    with tempfile.TemporaryDirectory(prefix="pyprof-consumers.") as tmp:
        path = os.path.join(tmp, "profile.pb.gz")
        render("pprof", path)

        # The default view: CPU time, function granularity, as a person runs it.
        rows, header, text = pprof_top(path, "-nodecount=50")
        print("  " + "\n  ".join(text.splitlines()[:8]))
        want = fx.flat_cum(lambda f, d: split_frame(f, d)[0])
        assert "Type: cpu" in header, header
        total = re.search(r"of (\S+) total", "\n".join(header))
        assert total and abs(seconds(total.group(1)) - fx.total * PERIOD_NS / 1e9) < 0.01, header
        hottest = max(want, key=lambda k: want[k][0])
        top = next(iter(rows))
        assert top == hottest, "pprof's hottest is %r, the fixture's %r" % (top, hottest)
        assert set(rows) == set(want), "functions differ: pprof only %s, fixture only %s" % (
            sorted(set(rows) - set(want)), sorted(set(want) - set(rows)))
        for name, (flat, flat_pct, cum, cum_pct) in rows.items():
            f, c = want[name]
            assert abs(flat_pct - 100.0 * f / fx.total) <= 0.5, (name, flat_pct, f)
            assert abs(cum_pct - 100.0 * c / fx.total) <= 0.5, (name, cum_pct, c)
            assert abs(seconds(flat) - f * PERIOD_NS / 1e9) <= 0.01, (name, flat, f)
            assert abs(seconds(cum) - c * PERIOD_NS / 1e9) <= 0.01, (name, cum, c)

        # Sample counts, exactly, per function and per line.
        rows, _, _ = pprof_top(path, "-sample_index=samples", "-nodefraction=0", "-nodecount=100")
        for name, (flat, _, cum, _) in rows.items():
            assert (int(flat), int(cum)) == tuple(want[name]), (name, flat, cum, want[name])

        def label(frame, depth):
            name, file, line = split_frame(frame, depth)
            if file is None:
                return name
            return "%s %s:%d" % (name, file, line) if line else "%s %s" % (name, file)

        want = fx.flat_cum(label)
        rows, _, text = pprof_top(path, "-sample_index=samples", "-nodefraction=0",
                                  "-nodecount=100", "-lines")
        assert set(rows) == set(want), "lines differ: pprof only %s, fixture only %s" % (
            sorted(set(rows) - set(want)), sorted(set(want) - set(rows)))
        for name, (flat, _, cum, _) in rows.items():
            assert (int(flat), int(cum)) == tuple(want[name]), (name, flat, cum, want[name])
        assert "compute_checksum /srv/app/crypto.py:33" in rows, text


def need_browser(speedscope):
    if not shutil.which("node"):
        raise Skip("node not installed (Debian nodejs; %s)" % INSTALL)
    if not os.access(CHROMIUM, os.X_OK):
        raise Skip("%s not installed (Debian chromium; %s)" % (CHROMIUM, INSTALL))
    if not os.path.exists(os.path.join(NODE_MODULES, "playwright-core", "package.json")):
        raise Skip("playwright-core not in %s (%s)" % (NODE_MODULES, INSTALL))
    if speedscope and not os.path.exists(os.path.join(NODE_MODULES, "speedscope", "dist",
                                                      "release", "index.html")):
        raise Skip("speedscope not in %s (%s)" % (NODE_MODULES, INSTALL))


def drive(tmp, *args):
    shots = os.environ.get("SCREENSHOTS") or tmp
    os.makedirs(shots, exist_ok=True)
    argv = ["node", DRIVER, args[0], NODE_MODULES, args[1],
            os.path.join(shots, "pyprof-" + args[0])] + list(args[2:])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, "%s failed (%d):\n%s%s" % (DRIVER, r.returncode, r.stdout, r.stderr)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert not res["errors"], "browser errors: %s" % res["errors"]
    if os.environ.get("SCREENSHOTS"):
        print("  screenshots: " + " ".join(res["screenshots"]))
    return res


@test
def speedscope_loads():
    need_browser(True)
    fx = Fixture()
    with tempfile.TemporaryDirectory(prefix="pyprof-consumers.") as tmp:
        path = os.path.join(tmp, "profile.json")
        render("speedscope", path)
        with open(path) as f:
            nr_frames = len(json.load(f)["shared"]["frames"])
        res = drive(tmp, "speedscope", path)
    assert "Something went wrong" not in res["text"], res["text"]
    assert res["title"] == "pyprof profile - speedscope", res["title"]
    assert "pyprof profile" in res["text"], res["text"]
    # The flame chart really is drawn: plenty of coloured pixels, many colours.
    assert res["flamechart"]["painted"] > 0.1 and res["flamechart"]["colours"] > 20, \
        res["flamechart"]
    # Sandwich: one row per frame, with speedscope's own totals.
    rows = res["rows"]
    assert len(rows) == nr_frames, "%d rows for %d frames" % (len(rows), nr_frames)

    def key(frame, depth):
        name, file, _ = split_frame(frame, depth)
        return name, file

    # Frames differing only in line are one (name, file) here: add them up on both sides.
    want = {}
    for (name, file, _), (flat, cum) in fx.flat_cum(split_frame).items():
        w = want.setdefault((name, file), [0, 0])
        w[0] += flat
        w[1] += cum
    got = {}
    for r in rows:
        g = got.setdefault((r["name"], r["file"]), [0.0, 0.0])
        g[0] += r["selfPct"]
        g[1] += r["totalPct"]
    assert set(got) == set(want), "frames differ: speedscope only %s, fixture only %s" % (
        sorted(set(got) - set(want)), sorted(set(want) - set(got)))
    for k, (self_pct, total_pct) in got.items():
        assert abs(self_pct - 100.0 * want[k][0] / fx.total) < 0.05, (k, self_pct, want[k])
        assert abs(total_pct - 100.0 * want[k][1] / fx.total) < 0.05, (k, total_pct, want[k])
    hottest = max(want, key=lambda k: want[k][0])
    assert (rows[0]["name"], rows[0]["file"]) == hottest, (rows[0], hottest)
    # Times: 1e9 / RATE ns per sample.
    assert re.match(r"^[\d.]+m?s ", rows[0]["self"]), rows[0]
    root = max(rows, key=lambda r: r["totalPct"])
    assert abs(seconds(root["total"].split()[0]) - fx.total * PERIOD_NS / 1e9) < 0.01, root


@test
def svg_is_interactive():
    need_browser(False)
    fx = Fixture()
    zoom, search = "Handler.do_GET", "^compute_checksum "
    nodes = fx.nodes()
    with tempfile.TemporaryDirectory(prefix="pyprof-consumers.") as tmp:
        path = os.path.join(tmp, "profile.svg")
        render("svg", path)
        res = drive(tmp, "svg", path, zoom, search)
    assert res["frames"] == len(nodes), "%d frames for %d call paths" % (res["frames"], len(nodes))
    assert res.get("target"), "no frame named %s in the SVG" % zoom
    n = max(c for p, c in nodes.items() if p[-1].startswith(zoom + " ("))
    assert res["target"].startswith(zoom + " (") and "%d samples" % n in res["target"], res
    before, zoomed, reset = res["before"], res["zoomed"], res["reset"]
    # Hover names the frame.
    assert res["hover"] and res["hover"].startswith(zoom + " ("), res["hover"]
    # Click zooms: the frame fills the width its root had, children scale alike,
    # frames beside it go, "Reset Zoom" appears.
    scale = float(fx.total) / n
    assert abs(zoomed["target"] / before["target"] - scale) < 0.02 * scale, (before, zoomed, scale)
    assert res["child"] and abs(zoomed["child"] / before["child"] - scale) < 0.02 * scale, res
    assert res["outside"] and before["outside"] > 0 and zoomed["outside"] == 0, res
    assert not before["unzoomVisible"] and zoomed["unzoomVisible"], res
    # "Reset Zoom" puts everything back.
    for k in ("target", "child", "outside"):
        assert abs(reset[k] - before[k]) < 0.5, (k, before, reset)
    assert not reset["unzoomVisible"], reset
    # Search: the matched share counts each sample once, however many frames match.
    want = sum(c for frames, c in fx.stacks if any(re.search(search, f) for f in frames[1:]))
    m = re.search(r"([\d.]+)%", res.get("matched") or "")
    assert m and abs(float(m.group(1)) - 100.0 * want / fx.total) < 0.01, (res.get("matched"), want)
    hits = [p for p in nodes if re.search(search, p[-1])]
    assert len(res["highlighted"]) == len(hits), (res["highlighted"], hits)
    assert all(re.search(search, t) for t in res["highlighted"]), res["highlighted"]


if __name__ == "__main__":
    main()
