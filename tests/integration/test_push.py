# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofd --push against Grafana Pyroscope's documented /ingest API, checked by
a receiver written here (no Pyroscope server is in Debian's archive): the
parameters (name with labels, from < until, format, units, sampleRate,
spyName, aggregationType), windows that tile each process's time without
overlap, a folded body holding the workload's hot function; 503 retried with
growing back-off, 400 not retried; a receiver that never answers does not hold
up the socket or sampling; https is refused with a clear error."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (PYPROFD, Daemon, Skip, Workload, free_port, interpreters,  # noqa: E402
                        main, need_root, parse_folded, test, wait_for)
import pyproftest  # noqa: E402

# Helpers of test_systemd.py, without its tests.
_registered = list(pyproftest._tests)
from test_systemd import Installed, check_network_dropin, unit_daemon  # noqa: E402
pyproftest._tests[:] = _registered

# Pyroscope's series key: APP{key=value,...}, keys as Prometheus label names.
NAME_RE = re.compile(r"^([A-Za-z0-9._-]+)\{((?:[A-Za-z_][A-Za-z0-9_]*=[^,{}=]+)"
                     r"(?:,[A-Za-z_][A-Za-z0-9_]*=[^,{}=]+)*)\}$")


def python3():
    for minor in (11, 12, 13, 10):
        for _, py in interpreters(minor):
            return py
    raise Skip("no CPython 3.10-3.13")


class Receiver:
    """An /ingest endpoint on loopback: answer(n) gives the status of the n-th request
    (0-based); every request is kept as (monotonic time, path, {param: value}, body)."""

    def __init__(self, answer=lambda n: 200):
        self.answer = answer
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True,
                                                strict_parsing=True))
                with outer.lock:
                    n = len(outer.requests)
                    outer.requests.append((time.monotonic(), u.path, q, body))
                code = outer.answer(n)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.srv.shutdown()
        self.srv.server_close()

    def of_pid(self, pid):
        with self.lock:
            return [r for r in self.requests if labels(r[2]["name"]).get("pid") == str(pid)]


def labels(name):
    m = NAME_RE.match(name)
    assert m, "name %r is not APP{key=value,...}" % name
    return dict(kv.split("=", 1) for kv in m.group(2).split(","))


def counters(d):
    return {k: int(v) for k, v in d.status().items() if k.startswith("push_")}



def pushlog(d):
    """What the daemon said of its pushes: why a window could not be sent."""
    return "\n".join(l for l in d.output().splitlines() if "push" in l)[-4000:]

@test
def push_https_refused():
    r = subprocess.run([PYPROFD, "--push", "https://127.0.0.1:4040"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "only http://" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([PYPROFD, "--push", "http://a b/"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0 and "invalid --push" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([PYPROFD, "--push-name", "a"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode != 0 and "need --push" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([PYPROFD, "--push", "http://h", "--push-format", "json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "invalid --push-format" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([PYPROFD, "--push", "http://h", "--push-name", "a{b}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "invalid --push-name" in r.stderr, (r.returncode, r.stderr)


@test
def push_folded_windows():
    need_root()
    port = free_port()
    with Receiver() as rx, \
            Daemon("--window", "1", "--push", rx.url + "/prefix/", "--push-name", "svc.cpu",
                   "--http", "127.0.0.1:%d" % port) as d, \
            Workload(python3(), "hotwarm.py", 120) as w:
        got = wait_for(lambda: len(rx.of_pid(w.pid)) >= 5 and rx.of_pid(w.pid),
                       timeout=90, interval=0.25, what="5 pushes of pid %d" % w.pid)
        wall = time.time()
        spans = []
        hot = 0
        for _, path, q, body in got:
            assert path == "/prefix/ingest", path
            assert q["format"] == "folded" and q["units"] == "samples", q
            assert q["aggregationType"] == "sum" and q["spyName"] == "pyprof", q
            assert q["sampleRate"] == "99", q
            assert q["name"].startswith("svc.cpu{"), q["name"]
            lb = labels(q["name"])
            for key in ("host", "pid", "comm", "python"):
                assert key in lb, (key, lb)
            assert lb["python"].startswith("3."), lb
            assert lb["host"] == re.sub(r"[^A-Za-z0-9._/:@+~-]", "_", socket.gethostname()), lb
            frm, until = int(q["from"]), int(q["until"])
            assert frm < until <= wall + 1 and frm > wall - 600, (frm, until, wall)
            spans.append((frm, until))
            stacks = parse_folded(body.decode())
            assert stacks and all(c > 0 for c in stacks.values()), body[:300]
            hot += sum(c for s, c in stacks.items() if ";hot" in s or "hot (" in s or ":hot" in s)
        spans.sort()
        # One process's pushes tile its time: each window starts where the last ended.
        for (f0, u0), (f1, u1) in zip(spans, spans[1:]):
            assert u0 == f1, "windows overlap or leave a gap: %s" % spans
        assert hot > 0, "no hot() in the pushed stacks: %r" % got[-1][3][:500]
        c = counters(d)
        print("  %d pushes of pid %d, windows %s, status %s" % (len(got), w.pid, spans[:3], c))
        assert c["push_ok"] >= len(got) and c["push_bytes"] > 0, c
        assert c["push_failed"] == 0 and c["push_rejected"] == 0, (c, pushlog(d))
        # The same counters in /metrics, with their types.
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
            body = r.read().decode()
        for name, kind in (("pyprofd_push_ok_total", "counter"),
                           ("pyprofd_push_bytes_total", "counter"),
                           ("pyprofd_push_retried_total", "counter"),
                           ("pyprofd_push_dropped_total", "counter"),
                           ("pyprofd_push_queued", "gauge")):
            assert "# TYPE %s %s\n" % (name, kind) in body, name
        ok = int(re.search(r"^pyprofd_push_ok_total (\d+)$", body, re.M).group(1))
        assert ok >= c["push_ok"], (ok, c)


@test
def push_pprof_reads_in_go_tool_pprof():
    need_root()
    if not shutil.which("go"):
        raise Skip("go tool pprof not installed (Debian golang-go; "
                   "scripts/install-test-consumers.sh)")
    with Receiver() as rx, \
            Daemon("--window", "1", "--push", rx.url, "--push-format", "pprof") as d, \
            Workload(python3(), "hotwarm.py", 120) as w:
        got = wait_for(lambda: len(rx.of_pid(w.pid)) >= 3 and rx.of_pid(w.pid),
                       timeout=90, interval=0.25, what="3 pushes of pid %d" % w.pid)
        with tempfile.TemporaryDirectory(prefix="pyproftest-push.") as tmp:
            hot = 0
            for i, (_, path, q, body) in enumerate(got):
                assert q["format"] == "pprof" and int(q["from"]) < int(q["until"]), q
                f = os.path.join(tmp, "%d.pb.gz" % i)
                with open(f, "wb") as out:
                    out.write(body)
                r = subprocess.run(["go", "tool", "pprof", "-raw", f], capture_output=True,
                                   text=True, timeout=60)
                assert r.returncode == 0, "go tool pprof -raw: %s" % r.stderr
                assert "PeriodType: cpu nanoseconds" in r.stdout, r.stdout[:500]
                hot += r.stdout.count(" hot ") + r.stdout.count(" hot\n")
            print("  %d pprof pushes, 'hot' in %d lines of -raw" % (len(got), hot))
            assert hot > 0, r.stdout[:2000]
        assert counters(d)["push_failed"] == 0, pushlog(d)


@test
def push_retries_5xx_with_backoff():
    need_root()
    # The first three requests fail: the first window's push is tried four times.
    with Receiver(lambda n: 503 if n < 3 else 200) as rx, \
            Daemon("--window", "1", "--push", rx.url) as d, \
            Workload(python3(), "hotwarm.py", 120) as w:
        wait_for(lambda: len(rx.requests) >= 4, timeout=90, interval=0.25,
                 what="four requests")
        first = rx.requests[:4]
        key = lambda r: (r[2]["name"], r[2]["from"])
        assert len({key(r) for r in first}) == 1, "not the same push retried: %s" % (
            [key(r) for r in first])
        gaps = [b[0] - a[0] for a, b in zip(first, first[1:])]
        print("  retry gaps %s s" % ["%.2f" % g for g in gaps])
        # Doubling back-off (1 s, 2 s, 4 s): each wait longer than the one before.
        assert gaps[0] < gaps[1] < gaps[2], gaps
        assert first[3][3], "the retried push has no body"
        wait_for(lambda: counters(d)["push_ok"] >= 1, timeout=30, what="a push accepted")
        c = counters(d)
        assert c["push_retried"] >= 3 and c["push_failed"] == 0, (c, pushlog(d))


@test
def push_4xx_not_retried():
    need_root()
    with Receiver(lambda n: 400) as rx, \
            Daemon("--window", "1", "--push", rx.url) as d, \
            Workload(python3(), "hotwarm.py", 120):
        wait_for(lambda: counters(d)["push_rejected"] >= 3, timeout=90, interval=0.25,
                 what="three pushes rejected")
        c = counters(d)
        with rx.lock:
            keys = [(r[2]["name"], r[2]["from"]) for r in rx.requests]
        assert len(keys) == len(set(keys)), "a 400 was retried: %s" % keys
        assert c["push_retried"] == 0 and c["push_failed"] >= 3, c
        print("  status %s" % c)


@test
def push_silent_receiver_stalls_nothing():
    need_root()
    # Accepts connections (the kernel's backlog, then accept()) and never reads or answers.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    held = []
    stop = threading.Event()

    def hold():
        lst.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lst.accept()[0])
            except socket.timeout:
                pass
    t = threading.Thread(target=hold, daemon=True)
    t.start()
    try:
        url = "http://127.0.0.1:%d" % lst.getsockname()[1]
        with Daemon("--window", "1", "--push", url) as d, \
                Workload(python3(), "hotwarm.py", 120) as w:
            d.wait_samples(w.pid, 20)
            before = int(d.status()["samples_received"])
            # While the one connection hangs, windows queue up, status answers and
            # samples keep coming; after its deadline the push is retried.
            polls = 0

            def retried():
                nonlocal polls
                polls += 1
                st = d.status()
                return int(st["push_retried"]) >= 1 and st
            st = wait_for(retried, timeout=90, interval=0.5, what="the silent push to time out")
            after = int(st["samples_received"])
            print("  %d status polls answered while the receiver hung; queued %s, "
                  "samples %d -> %d" % (polls, st["push_queued"], before, after))
            assert held, "the daemon never connected"
            assert int(st["push_queued"]) >= 2, st
            assert after > before, (before, after)
            assert int(st["push_ok"]) == 0, st
    finally:
        stop.set()
        t.join()
        for s in held:
            s.close()
        lst.close()


@test
def push_passes_over_processes_no_longer_python():
    """Fork children run Python, then exec a program that is not Python: the window of
    their exec holds Python samples of pids that run no Python when it is pushed.  No
    profile of them is what the snapshot says, and no failure of the push."""
    need_root()
    with Receiver() as rx, Daemon("--window", "1", "--push", rx.url) as d, \
            Workload(python3(), "hotwarm.py", 120) as hot, \
            Workload(python3(), "forkexec.py", 4, 2.5) as w:
        kids = [int(w.proc.stdout.readline().split()[1]) for _ in range(4)]

        def comm(pid):
            with open("/proc/%d/comm" % pid) as f:
                return f.read().strip()
        wait_for(lambda: all(comm(k) == "sleep" for k in kids), timeout=60,
                 what="the children's exec")
        execd = time.time()
        # The windows up to the exec and past it are pushed (hotwarm's tell when).
        wait_for(lambda: any(int(q["from"]) >= execd + 2 for _, _, q, _ in rx.of_pid(hot.pid)),
                 timeout=60, interval=0.25, what="pushes of the windows after the exec")
        c = counters(d)
        passed = [k for k in kids if re.search(r"push: pid %d not pushed" % k, d.output())]
        print("  children %s, pushed %s, passed over %s, status %s"
              % (kids, [k for k in kids if rx.of_pid(k)], passed, c))
        assert any(rx.of_pid(k) for k in kids), "no window of the children pushed"
        assert passed, "no child was sampled in its exec's window: %s" % pushlog(d)
        assert c["push_failed"] == 0, (c, pushlog(d))


@test
def push_systemd_dropin():
    """The unit keeps no network; the drop-in it ships for --push opens TCP to
    loopback only, systemd-analyze accepts it, and its command line pushes under
    the unit's capability bounding set."""
    need_root()
    if not shutil.which("systemd-analyze"):
        raise Skip("no systemd-analyze")
    with Installed() as inst:
        argv, keep = check_network_dropin(inst, "push", "--push", "http://127.0.0.1:")
        work = tempfile.mkdtemp(prefix="pyproftest-unit.")
        try:
            with Receiver() as rx:
                d = unit_daemon(argv + ["--no-offcpu", "--window", "1"], work, keep,
                                moved={"--push": rx.url})
                with d, Workload(python3(), "hotwarm.py", 120) as w:
                    wait_for(lambda: rx.of_pid(w.pid), timeout=60, interval=0.25,
                             what="a push under the unit's bounding set")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
