#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pyprofctl list tells processes apart (issue 13): command line, user, unit, container,
cgroup, start time, CPU share, samples and state, in the text table and in --json; and
status --json has the keys of status."""

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import tempfile
import termios
import time

from pyproftest import (Daemon, FakePyprofd, PYPROFCTL, Skip, interpreters, main, need_root,
                        test, wait_for)

CMDLINE_MAX = 4096          # PROCIDENT_CMDLINE_MAX
HZ = os.sysconf("SC_CLK_TCK")

BUSY = "import sys\nprint('ready', flush=True)\nwhile True:\n    pass\n"
IDLE = "import sys, time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(1)\n"
SERVER = ("import http.server, sys\n"
          "class H(http.server.SimpleHTTPRequestHandler):\n"
          "    pass\n")


def term_escape(b):
    """What term__put_text() makes of bytes b: control characters (C0, DEL, C1) and
    every byte of ill-formed UTF-8 as \\xHH."""
    out = []
    for ch in b.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if 0xdc80 <= o <= 0xdcff:
            out.append("\\x%02x" % (o - 0xdc00))
        elif o < 0x20 or o == 0x7f or 0x80 <= o <= 0x9f:
            out.extend("\\x%02x" % c for c in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


def started_at(pid):
    """When pid started, on the wall clock: /proc/PID/stat's starttime (field 22) on the
    boot clock, moved to the wall clock as ps does (to the tick, not btime's second)."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    ticks = int(fields[19])
    return time.clock_gettime(time.CLOCK_REALTIME) - \
        time.clock_gettime(time.CLOCK_BOOTTIME) + ticks / HZ


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def cgroup_of(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


def parse_table(text):
    """The aligned text table as dicts, cells cut at the header's column starts."""
    lines = text.splitlines()
    hdr = lines[0]
    names = hdr.split()
    starts = [hdr.index(" " + n + " ") + 1 if i else 0 for i, n in enumerate(names[:-1])]
    starts.append(hdr.rindex(" " + names[-1]) + 1)
    assert hdr.endswith(names[-1]), hdr
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() if b else line[a:]
                 for a, b in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(names, cells)))
    return names, rows


class Proc:
    """A Python process started from argv (bytes allowed), reaped at the end."""

    def __init__(self, argv, what):
        self.argv = argv
        self.what = what
        self.before = time.time()
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.p.stdout], [], [], 30)
        line = self.p.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            raise AssertionError("%s did not start: %r %r" % (what, line, self.p.stderr.read()
                                                              if self.p.poll() is not None else ""))
        self.after = time.time()
        self.pid = self.p.pid
        self.start = started_at(self.pid)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()


def listed(d, *args):
    r = subprocess.run([PYPROFCTL, "--socket", d.sock, "list"] + list(args),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout


def list_json(d, *args):
    return {o["pid"]: o for o in json.loads(listed(d, "--json", *args))}


def on_a_tty(d, cols, *args):
    """pyprofctl list on a terminal of cols columns: what it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen([PYPROFCTL, "--socket", d.sock, "list"] + list(args), stdout=slave,
                         stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.wait(30) == 0, p.stderr.read()
    p.stderr.close()
    return out.decode().replace("\r\n", "\n")


@test
def identity_listed():
    need_root()
    builds = interpreters(11)
    if not builds:
        raise Skip("no CPython 3.11")
    python = builds[0][1]
    top = tempfile.mkdtemp(prefix="pyproftest-ident.")
    os.chmod(top, 0o755)
    procs = []
    try:
        script = os.path.join(top, "worker.py")
        with open(script, "w") as f:
            f.write(IDLE)
        os.chmod(script, 0o644)
        os.makedirs(os.path.join(top, "identsrv"))
        with open(os.path.join(top, "identsrv", "__main__.py"), "w") as f:
            f.write(IDLE)
        hostile_args = [b"\x1b]0;pwned\x07", b"two\nlines\ttab", b"bad\xff\xfeutf8",
                        b"c1\xc2\x9b31m", "caf\u00e9".encode(), b"x" * 10240]
        with Daemon("--rate", "99") as d:
            busy = Proc([python, "-c", BUSY], "busy")
            procs.append(busy)
            idle = Proc([python, script, "--queue", "billing"], "script")
            procs.append(idle)
            mod = Proc(["env", "PYTHONPATH=" + top, python, "-m", "identsrv", "8000"], "module")
            procs.append(mod)
            mod.argv = [python, "-m", "identsrv", "8000"]
            other = Proc(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                          python, script, "--as", "nobody"], "nobody's")
            procs.append(other)
            other.argv = [python, script, "--as", "nobody"]
            hostile = Proc([python.encode(), b"-c", IDLE.encode()] + hostile_args, "hostile")
            procs.append(hostile)
            pids = [p.pid for p in procs]

            # Busy for a few seconds of samples; everyone listed and profiled.
            def ready():
                objs = list_json(d)
                if all(objs.get(p, {}).get("state") == "profiled" for p in pids) and \
                        objs[busy.pid]["samples"] >= 600:
                    return objs
                return None
            wait_for(ready, timeout=60, interval=0.25, what="the five processes profiled")
            cpu_busy = cpu_seconds(busy.pid)
            text = listed(d).decode()
            wide = listed(d, "--wide").decode()
            objs = list_json(d)
            cpu_busy = (cpu_busy + cpu_seconds(busy.pid)) / 2
            now = time.time()
            print("\n".join(line[:160] for line in text.splitlines()))

            want_cmd = {p.pid: term_escape(" ".join(p.argv).encode()) for p in procs[:4]}
            raw = b" ".join([python.encode(), b"-c", IDLE.encode()] + hostile_args)
            assert len(raw) > CMDLINE_MAX
            cut = raw[:CMDLINE_MAX]
            want_cmd[hostile.pid] = term_escape(cut) + "..."
            assert "\\x1b]0;pwned\\x07" in want_cmd[hostile.pid]
            users = {p.pid: "root" for p in procs}
            users[other.pid] = "nobody"
            uids = {p.pid: 0 for p in procs}
            uids[other.pid] = 65534

            # JSON: every key, of the right type and value.
            keys = {"pid", "version", "state", "samples", "cpu_percent", "user", "uid", "start",
                    "unit", "container", "cgroup", "comm", "exe", "note", "command", "labels"}
            for p in procs:
                o = objs[p.pid]
                assert set(o) == keys, o
                assert o["state"] == "profiled" and o["version"].startswith("3.11"), o
                assert isinstance(o["samples"], int) and isinstance(o["cpu_percent"], float), o
                assert o["command"] == want_cmd[p.pid], (p.what, o["command"], want_cmd[p.pid])
                assert o["user"] == users[p.pid] and o["uid"] == uids[p.pid], o
                start = time.mktime(time.strptime(o["start"][:19], "%Y-%m-%dT%H:%M:%S")) + \
                    float(o["start"][19:23])
                assert abs(start - p.start) < 0.05, (p.what, o["start"], p.start)
                assert p.before - 1 <= start <= p.after + 1, (p.what, start, p.before, p.after)
                assert o["cgroup"] == cgroup_of(p.pid), (o, cgroup_of(p.pid))
                assert o["labels"].get("cgroup") == o["cgroup"], o
                assert o["labels"].get("unit") == o["unit"], o
                assert o["container"] is None, o
                assert o["exe"] == os.path.realpath(python), o
                assert o["note"] == "", o
            # The busy one near its true CPU share (top's %CPU: one CPU is 100), the
            # idle ones near 0.
            share = 100 * cpu_busy / (now - busy.start)
            print("  busy %.1f%% (true %.1f%%), idle %s" % (
                objs[busy.pid]["cpu_percent"], share,
                [objs[p.pid]["cpu_percent"] for p in procs[1:]]))
            assert abs(objs[busy.pid]["cpu_percent"] - share) < 15, (objs[busy.pid], share)
            assert objs[busy.pid]["cpu_percent"] > 40, objs[busy.pid]
            for p in procs[1:]:
                assert objs[p.pid]["cpu_percent"] < 2, objs[p.pid]

            # Text: the same, every column, COMMAND last and whole (not a tty).
            names, rows = parse_table(text)
            # UNIT, CONTAINER and NOTE only when a process (of any user, here) has one.
            alln = ["PID", "VERSION", "STATE", "SAMPLES", "%CPU", "USER", "START", "UNIT",
                    "CONTAINER", "NOTE", "COMMAND"]
            assert names == [n for n in alln if n in names], names
            assert set(alln) - set(names) <= {"UNIT", "CONTAINER", "NOTE"}, names
            for n, key in (("UNIT", "unit"), ("CONTAINER", "container"), ("NOTE", "note")):
                assert (n in names) == any(o[key] for o in objs.values()), (n, names)
            rows = {int(r["PID"]): r for r in rows}
            for p in procs:
                r, o = rows[p.pid], objs[p.pid]
                assert r["VERSION"] == o["version"] and r["STATE"] == "profiled", r
                assert abs(int(r["SAMPLES"]) - o["samples"]) <= 400, (r, o)
                assert abs(float(r["%CPU"]) - o["cpu_percent"]) < 10, (r, o)
                assert r["USER"] == users[p.pid], r
                # ps's STIME for today, to the second.
                secs = {time.strftime("%H:%M:%S", time.localtime(p.start + e))
                        for e in (-0.02, 0, 0.02)}
                if time.localtime(p.start).tm_yday == time.localtime().tm_yday:
                    assert r["START"] in secs, (r["START"], secs)
                assert r.get("UNIT", "-") == (o["unit"] or "-"), r
                assert r.get("CONTAINER", "-") == "-" and r.get("NOTE", "-") == "-", r
                assert r["COMMAND"] == want_cmd[p.pid], (r["COMMAND"], want_cmd[p.pid])
            assert "\x1b" not in text and "\x07" not in text and "\xc2\x9b" not in text
            assert sum("pwned" in line for line in text.splitlines()) == 1, text
            names, wrows = parse_table(wide)
            assert names == ["PID", "VERSION", "STATE", "SAMPLES", "%CPU", "USER", "START",
                             "UNIT", "CONTAINER", "CGROUP", "COMM", "EXE", "LABELS", "NOTE",
                             "COMMAND"], names
            for r in wrows:
                if int(r["PID"]) in pids:
                    o = objs[int(r["PID"])]
                    assert r["CGROUP"] == o["cgroup"] and r["EXE"] == o["exe"], r
                    assert r["COMM"] == o["comm"] and r["LABELS"].startswith("cgroup="), r
                    assert r["COMMAND"] == want_cmd[int(r["PID"])], r

            # On a terminal: rows cut to its width, none wrapped.
            for cols in (80, 120):
                tty = on_a_tty(d, cols)
                assert all(len(line) <= cols for line in tty.splitlines()), tty
                trow = next(line for line in tty.splitlines() if line.startswith("%d " % hostile.pid))
                # Cut at cols, then trailing spaces dropped (as ps does): where the cut
                # fell on spaces of the command line, the row is that much shorter.
                shown = trow[tty.splitlines()[0].index("COMMAND"):]
                full = want_cmd[hostile.pid]
                assert full.startswith(shown), (shown, full)
                cut = full[len(shown):len(shown) + cols - len(trow)]
                assert len(trow) == cols or (cut.strip() == "" and
                                             len(cut) == cols - len(trow)), (cols, trow)
                assert "\x1b" not in tty, tty

            # Exited: --all keeps what was known of it.
            idle.stop()
            gone = wait_for(lambda: (lambda o: o if o.get(idle.pid, {}).get("state") == "exited"
                                     else None)(list_json(d, "--all")),
                            what="the script's exit")[idle.pid]
            assert gone["command"] == want_cmd[idle.pid] and gone["user"] == "root", gone
            assert gone["start"] == objs[idle.pid]["start"], gone
            assert gone["cpu_percent"] < 2, gone
            assert idle.pid not in list_json(d)

            # status --json: the keys of status, numbers as numbers.
            st = d.status()
            r = subprocess.run([PYPROFCTL, "--socket", d.sock, "status", "--json"],
                               capture_output=True, timeout=30)
            assert r.returncode == 0, r
            sj = json.loads(r.stdout)
            assert list(sj) == list(st), (list(sj), list(st))
            for k, v in st.items():
                if v.lstrip("-").isdigit():
                    assert isinstance(sj[k], int), (k, sj[k])
                else:
                    assert sj[k] == v, (k, sj[k], v)
            assert sj["rate_hz"] == 99 and sj["processes_live"] >= 4, sj
    finally:
        for p in procs:
            p.stop()
        shutil.rmtree(top, ignore_errors=True)


class OldDaemon(FakePyprofd):
    """pyprofd before the identity columns: list refuses identity=1 as it did any unknown
    argument, and answers the eight columns of its protocol."""

    prefix = "pyproftest-oldlist."
    TABLE = (b"PID\tVERSION\tSTATE\tSAMPLES\tCOMM\tEXE\tNOTE\tLABELS\n"
             b"4242\t3.11.2\tprofiled\t17\tpython3\t/usr/bin/python3.11\t\t"
             b"cgroup=/system.slice/a.service,unit=a.service\n")

    def _reply(self, line):
        if "identity=" in line:
            return b"ERR EINVAL unknown argument 'identity' for 'list'\n"
        return b"OK %d\n" % len(self.TABLE) + self.TABLE


@test
def older_daemon_listed():
    """A daemon that does not know identity=1 is asked again without it: what it has."""
    with OldDaemon() as d:
        r = d.ctl("list")
        assert r.returncode == 0 and r.stderr == "", r
        names, rows = parse_table(r.stdout)
        assert names == ["PID", "VERSION", "STATE", "SAMPLES", "%CPU", "USER", "START",
                         "UNIT", "COMMAND"], names
        assert rows == [{"PID": "4242", "VERSION": "3.11.2", "STATE": "profiled",
                         "SAMPLES": "17", "%CPU": "-", "USER": "-", "START": "-",
                         "UNIT": "a.service", "COMMAND": "-"}], rows
        assert d.lines == ["PYPROF/1 list identity=1\n", "PYPROF/1 list\n"], d.lines
        o = json.loads(d.ctl("list", "--json").stdout)
        assert o == [{"pid": 4242, "version": "3.11.2", "state": "profiled", "samples": 17,
                      "cpu_percent": None, "user": None, "uid": None, "start": None,
                      "unit": "a.service", "container": None,
                      "cgroup": "/system.slice/a.service", "comm": "python3",
                      "exe": "/usr/bin/python3.11", "note": "", "command": None,
                      "labels": {"cgroup": "/system.slice/a.service", "unit": "a.service"}}], o


if __name__ == "__main__":
    main()
