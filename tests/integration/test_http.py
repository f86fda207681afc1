# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofd's HTTP listener (--http) read by its real consumers: Debian's
prometheus scrapes /metrics (and promtool checks the exposition), `go tool
pprof` fetches /debug/pprof/profile of a Python process with a known split;
hostile clients (bad heads, oversized heads, silent and byte-a-second
connections) do not keep the daemon from answering others; without --http no
port is opened.  Consumers come from scripts/install-test-consumers.sh."""

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, Skip, Workload, free_port, interpreters, main,  # noqa: E402
                        need_root, test, unused_pid, wait_for)
import pyproftest  # noqa: E402

# Helpers of test_consumers.py and test_systemd.py, without their tests.
_registered = list(pyproftest._tests)
from test_consumers import pprof_top, seconds  # noqa: E402
from test_systemd import Installed, check_network_dropin, unit_daemon  # noqa: E402
pyproftest._tests[:] = _registered

INSTALL = "scripts/install-test-consumers.sh"


def get(port, path, timeout=30):
    """(status, headers, body) of GET path."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw(port, data, timeout=15):
    """What the daemon answers to these bytes, until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        # The end of what it sends: an incomplete head is dropped at once, not at its deadline.
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return out
            if not chunk:
                return out
            out += chunk


def status_code(reply):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", reply)
    assert m, "not an HTTP response: %r" % reply[:200]
    return int(m.group(1))


def metrics(port):
    """{series: value} of /metrics ("name" or 'name{label="v"}')."""
    code, hdrs, body = get(port, "/metrics")
    assert code == 200, (code, body[:300])
    assert hdrs["Content-Type"].startswith("text/plain; version=0.0.4"), hdrs["Content-Type"]
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out, body


def python3():
    for minor in (11, 12, 13, 10):
        for _, py in interpreters(minor):
            return py
    raise Skip("no CPython 3.10-3.13")


def listening_inodes():
    """Socket inodes of every listening TCP socket on the host."""
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # TCP_LISTEN
                    inodes.add(fields[9])
    return inodes


def tcp_listeners_of(pid):
    held = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    return held & listening_inodes()


@test
def no_port_without_http():
    need_root()
    with Daemon() as d:
        assert not tcp_listeners_of(d.proc.pid), "pyprofd listens on TCP without --http"
    port = free_port()
    with Daemon("--http", "127.0.0.1:%d" % port) as d:
        wait_for(lambda: tcp_listeners_of(d.proc.pid), timeout=30, what="the --http listener")
        # Metrics only: profiles need --http-profiles, whoever asks.
        code, _, body = get(port, "/debug/pprof/profile?pid=%d&seconds=5" % d.proc.pid)
        assert code == 403 and b"--http-profiles" in body, (code, body)
    for bad in ("127.0.0.1", "127.0.0.1:0", "localhost:80", "[::1]9", "1.2.3.4:70000"):
        r = subprocess.run([d.args[0], "--http", bad], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode != 0 and "invalid --http" in r.stderr, (bad, r.returncode, r.stderr)


class Prometheus:
    """prometheus with a config of its own scraping pyprofd every second, storage in a
    temporary directory, on a free loopback port (not the Debian service)."""

    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="pyproftest-prom.")
        self.port = free_port()
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: pyprofd\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w+")

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def query(self, promql):
        """The vector result of an instant query, or None while prometheus starts."""
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError("prometheus exited: %s" % self.log.read()[-2000:])
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (self.port,
                                                              urllib.parse.quote(promql))
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                res = json.load(r)
        except (OSError, ValueError):
            return None
        assert res["status"] == "success", res
        return res["data"]["result"]

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@test
def prometheus_scrapes_metrics():
    need_root()
    if not shutil.which("prometheus") or not shutil.which("promtool"):
        raise Skip("prometheus/promtool not installed (Debian prometheus; %s)" % INSTALL)
    port = free_port()
    with Daemon("--http", "127.0.0.1:%d" % port) as d, \
            Workload(python3(), "hotwarm.py", 120) as w:
        d.wait_samples(w.pid, 50)
        series, body = metrics(port)
        # promtool's linter: names, types, HELP, units.
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           timeout=30)
        assert r.returncode == 0, "promtool check metrics: %s%s" % (r.stdout, r.stderr)
        st = d.status()
        # Every loss counter status shows is a metric.
        for key in st:
            if key.startswith(("bpf_lost_", "bpf_err_")):
                assert 'pyprofd_bpf_%s_total{reason="%s"}' % (
                    "lost" if "_lost_" in key else "errors", key) in series, key
        assert series['pyprofd_processes{state="profiled"}'] >= 1, series
        assert series["pyprofd_resident_memory_bytes"] > 1 << 20, series
        with Prometheus(port) as prom:
            before = int(d.status()["samples_received"])

            def scraped():
                res = prom.query("pyprofd_samples_total")
                if res and float(res[0]["value"][1]) >= before:
                    return res
            res = wait_for(scraped, timeout=90, interval=0.5,
                           what="prometheus to scrape a pyprofd_samples_total >= %d" % before)
            after = int(d.status()["samples_received"])
            value = float(res[0]["value"][1])
            print("  status samples_received %d..%d, PromQL pyprofd_samples_total %d"
                  % (before, after, value))
            assert before <= value <= after and value > 0, (before, value, after)
            up = prom.query('up{job="pyprofd"}')
            assert up and up[0]["value"][1] == "1", up


# hotwarm.py: hot() spins 3 units for each of warm()'s 1.
HOT_SHARE = 0.75


@test
def go_tool_pprof_fetches_profile():
    need_root()
    if not shutil.which("go"):
        raise Skip("go tool pprof not installed (Debian golang-go; %s)" % INSTALL)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="pyproftest-pprof.")
    try:
        with Daemon("--http", "127.0.0.1:%d" % port, "--http-profiles") as d, \
                Workload(python3(), "hotwarm.py", 120) as w:
            d.wait_samples(w.pid, 500, "hot")
            url = "http://127.0.0.1:%d/debug/pprof/profile?pid=%d&seconds=30" % (port, w.pid)
            os.environ["PPROF_TMPDIR"] = tmp
            rows, header, text = pprof_top(url, "-sample_index=samples", "-nodefraction=0",
                                           "-nodecount=100")
            hot, warm = seconds(rows["hot"][2]), seconds(rows["warm"][2])
            n = hot + warm
            share = hot / n
            tol = 4 * math.sqrt(HOT_SHARE * (1 - HOT_SHARE) / n) + 0.02
            print("  go tool pprof: hot %d warm %d samples (share %.3f of %d, +-%.3f)"
                  % (hot, warm, share, n, tol))
            assert n >= 300 and abs(share - HOT_SHARE) < tol, text
            assert "main" in rows, text
            # The very samples the socket's snapshot has: between two reads of it.
            def socket_samples():
                st = d.snapshot(w.pid, 3600)
                return sum(c for stack, c in st.items() if ";hot (" in stack or ";warm (" in stack)
            before = socket_samples()
            rows, _, _ = pprof_top(url.replace("seconds=30", "seconds=3600"),
                                   "-sample_index=samples", "-nodefraction=0", "-nodecount=100")
            got = seconds(rows["hot"][2]) + seconds(rows["warm"][2])
            after = socket_samples()
            print("  socket %d..%d samples of hot and warm, HTTP %d" % (before, after, got))
            assert before <= got <= after, (before, got, after)
            # Same selection keys and errors as the socket's snapshot verb.
            for query, want in (("pid=%d&seconds=0" % w.pid, 400), ("pid=x", 400),
                                ("pid=%d&nonsense=1" % w.pid, 400), ("seconds=5", 400),
                                ("pid=%d" % unused_pid(), 404), ("pid=%25zz", 400)):
                code, _, body = get(port, "/debug/pprof/profile?" + query)
                assert code == want, (query, code, body)
                assert body.endswith(b"\n") and b"\n" not in body[:-1], (query, body)
    finally:
        os.environ.pop("PPROF_TMPDIR", None)
        shutil.rmtree(tmp, ignore_errors=True)


@test
def hostile_clients_do_not_stop_it():
    need_root()
    port = free_port()
    with Daemon("--http", "127.0.0.1:%d" % port, "--http-profiles") as d:
        wait_for(lambda: tcp_listeners_of(d.proc.pid), timeout=30, what="the --http listener")
        # More silent connections than the limit (32), and one sending a byte a second.
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        slow = socket.create_connection(("127.0.0.1", port))
        t0 = time.monotonic()
        for _ in range(3):
            slow.send(b"G")
            t = time.monotonic()
            series, _ = metrics(port)
            assert time.monotonic() - t < 5, "a GET took %.1f s" % (time.monotonic() - t)
            time.sleep(1)
        # The silent and the slow ones are closed, unanswered, in bounded time (5 s for
        # a head).
        for s in silent + [slow]:
            s.settimeout(30)
            try:
                got = s.recv(100)
            except ConnectionResetError:
                got = b""
            assert got == b"", got
        closed_after = time.monotonic() - t0
        assert closed_after < 20, closed_after
        for s in silent + [slow]:
            s.close()
        cases = [
            (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
            (b"\x00\xff\xfe garbage\r\n\r\n", 400),
            (b"GET /metrics HTTP/1.1\r\n folded: header\r\n\r\n", 400),
            (b"GET metrics HTTP/1.1\r\n\r\n", 400),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
            (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
            (b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413),
            (b"GET /nope HTTP/1.1\r\n\r\n", 404),
            (b"GET /debug/pprof/profile?pid=1&pid=2 HTTP/1.1\r\n\r\n", 400),
            (b"GET /%00 HTTP/1.1\r\n\r\n", 400),
            (b"GET /metrics HTTP/1.0\n\n", 200),
        ]
        for data, want in cases:
            reply = raw(port, data)
            assert status_code(reply) == want, (data[:60], reply[:200])
            assert b"\r\nConnection: close\r\n" in reply, reply[:200]
        # Random bytes: an answer or a close, never a crash.
        rnd = __import__("random").Random(13)
        for _ in range(200):
            data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
            raw(port, data + rnd.choice([b"", b"\r\n\r\n", b"\n\n"]), timeout=20)
        series, _ = metrics(port)
        print("  responses %s, evicted %d, timed out %d, head closes after %.1f s"
              % ({k[len('pyprofd_http_responses_total{code="'):-2]: int(v)
                  for k, v in series.items() if k.startswith("pyprofd_http_responses_total")
                  and v}, series["pyprofd_http_connections_evicted_total"],
                 series["pyprofd_http_connections_timed_out_total"], closed_after))
        assert series['pyprofd_http_responses_total{code="431"}'] >= 1, series
        assert series["pyprofd_http_connections_evicted_total"] >= 8, series
        assert d.proc.poll() is None
        d.ctl("status")


@test
def systemd_dropin_opens_only_loopback():
    """The unit keeps no network; the drop-in it ships for --http opens TCP to
    loopback peers only, systemd-analyze accepts it, and its command line serves
    metrics under the unit's capability bounding set."""
    need_root()
    if not shutil.which("systemd-analyze"):
        raise Skip("no systemd-analyze")
    with Installed() as inst:
        argv, keep = check_network_dropin(inst, "http", "--http", "127.0.0.1:")
        # Its command line, under the unit's bounding set; paths and port moved.
        work = tempfile.mkdtemp(prefix="pyproftest-unit.")
        port = free_port()
        try:
            d = unit_daemon(argv + ["--no-offcpu"], work, keep,
                            moved={"--http": "127.0.0.1:%d" % port})
            with d:
                wait_for(lambda: tcp_listeners_of(d.proc.pid), timeout=30,
                         what="the --http listener")
                series, _ = metrics(port)
                assert series["pyprofd_uptime_seconds"] >= 0, series
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
