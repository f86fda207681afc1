#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""PYPROF/2 and /3: the same verbs as PYPROF/1, and a snapshot as the binary
profile encoding of userspace/lib/proto/wire.h, decoded here independently of
the C code: its frames' labels make exactly the folded text PYPROF/1 answers.
PYPROF/3 carries every stack with its tag; PYPROF/2 and /1 the on-CPU ones,
untagged, merged: the three agree on a real daemon."""

import os
import shutil
import socket
import struct
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, main, need_root, recv_all, test, unused_pid,  # noqa: E402
                        write_state_window, wait_for_an_open_hour)

PROCESS, PYTHON, KERNEL, MARKER, OTHER, THREAD, NATIVE = range(7)
ON_CPU, OFF_CPU, GIL, GIL_WAIT, GC = 0, 1, 2, 4, 8   # userspace/lib/profile/sample.h


def request(sock, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(line)
    reply = recv_all(s)
    s.close()
    head, _, payload = reply.partition(b"\n")
    return head, payload


def decode(buf, version=2):
    """(frames, stacks) of a PYPROF/<version> profile (a stack: frames, count, tag);
    raises on anything malformed."""
    assert buf[:8] == b"PYPROFS" + bytes([version]), buf[:8]
    at = 8

    def take(fmt):
        nonlocal at
        v = struct.unpack_from("<" + fmt, buf, at)
        at += struct.calcsize("<" + fmt)
        return v

    (n,) = take("I")
    strings = []
    for _ in range(n):
        (ln,) = take("I")
        strings.append(buf[at:at + ln])
        assert len(strings[-1]) == ln and b"\0" not in strings[-1]
        at += ln
    (n,) = take("I")
    frames = []
    for _ in range(n):
        kind, name, file, line, func_line = take("BIIii")
        assert kind <= NATIVE and line >= -1 and func_line >= -1
        frames.append((kind, strings[name], None if file == 0xffffffff else strings[file], line))
    (n,) = take("I")
    stacks = []
    for _ in range(n):
        (nr,) = take("I")
        ids = take("%dI" % nr)
        (count,) = take("Q")
        (tag,) = take("B") if version >= 3 else (ON_CPU,)
        assert count >= 1 and tag & ~(OFF_CPU | GIL | GIL_WAIT | GC) == 0
        stacks.append(([frames[i] for i in ids], count, tag))
    assert at == len(buf), (at, len(buf))
    return frames, stacks


def label(frame):
    kind, name, file, line = frame
    if kind == PYTHON and file is not None:
        return name + b" (" + file + (b":%d" % line if line >= 0 else b"") + b")"
    if kind == KERNEL:
        return name + b"_[k]"
    if kind == THREAD:
        return b"thread %d" % line if not name else name + b" (tid %d)" % line
    if kind == NATIVE and file is not None:
        return name + b" (" + file + b")"
    return name


def folded(stacks):
    """Folded text of decoded stacks, for frames that need no escaping."""
    lines = {}
    for frames, count, _ in stacks:
        key = b";".join(label(f) for f in frames)
        lines[key] = lines.get(key, 0) + count
    return b"".join(b"%s %d\n" % (k, lines[k]) for k in sorted(lines))


@test
def v2_snapshot_is_the_v1_profile_as_data():
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    pid = unused_pid()
    stacks = {
        ("<module> (/srv/app.py:30)", "main (/srv/app.py:28)", "hot (/srv/app.py:17)"): 60,
        ("<module> (/srv/app.py:30)", "main (/srv/app.py)", "read_[k]", "do_syscall_64_[k]"): 7,
        ("[python: no Python frame]",): 2,
        ("<module> (/srv/app.py:30)", "f (x) (/a b (c).py:2)", "0xffffffff81000000_[k]"): 1,
    }
    write_state_window(state, [(pid, 12345, os.getuid(), "app", "/usr/bin/python3",
                                {("app",) + st: c for st, c in stacks.items()})])
    try:
        check_v2_snapshot(state, pid)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def check_v2_snapshot(state, pid):
    with Daemon("--state-dir", state) as d:
        q = b" snapshot pid=%d seconds=3600\n" % pid
        h1, v1 = request(d.sock, b"PYPROF/1" + q)
        h2, v2 = request(d.sock, b"PYPROF/2" + q)
        assert h1 == b"OK %d" % len(v1), h1
        assert h2 == b"OK %d" % len(v2), h2
        frames, got = decode(v2)
        kinds = {label(f): f[0] for f in frames}
        assert kinds[b"app"] == PROCESS and kinds[b"hot (/srv/app.py:17)"] == PYTHON, kinds
        assert kinds[b"read_[k]"] == KERNEL and kinds[b"[python: no Python frame]"] == MARKER
        main_ = [f for f in frames if f[1] == b"main" and f[3] == -1]
        assert main_ and main_[0][2] == b"/srv/app.py", frames
        assert folded(got) == v1, (folded(got), v1)
        assert sum(c for _, c, _ in got) == 70
        # PYPROF/3: the same stacks, on-CPU all (the file is a W2 one), in the same order.
        h3, v3 = request(d.sock, b"PYPROF/3" + q)
        assert h3 == b"OK %d" % len(v3), h3
        frames3, got3 = decode(v3, 3)
        assert frames3 == frames and got3 == got, (got3, got)


@test
def v2_and_v3_speak_the_other_verbs_and_v4_is_refused():
    need_root()
    with Daemon() as d:
        h1, l1 = request(d.sock, b"PYPROF/1 list\n")
        h2, l2 = request(d.sock, b"PYPROF/2 list\n")
        h3, l3 = request(d.sock, b"PYPROF/3 list\n")
        assert all(h.startswith(b"OK ") for h in (h1, h2, h3)), (h1, h2, h3)
        assert l1.split(b"\n")[0] == l2.split(b"\n")[0] == l3.split(b"\n")[0], (l1, l2, l3)
        h, _ = request(d.sock, b"PYPROF/4 list\n")
        assert h.startswith(b"ERR EPROTO"), h
        for v in (b"2", b"3"):
            h, _ = request(d.sock, b"PYPROF/" + v + b" snapshot\n")
            assert h.startswith(b"ERR EINVAL"), h


def enc_str(b):
    return struct.pack("<I", len(b)) + b


def write_w4_window(state_dir, pid, comm, labels, frames, stacks, window_s=10):
    """One window file of pyprofd's current format (W5, userspace/lib/profile/statefile.h)
    holding the current window: frames (kind, name, file or None, line, func_line),
    stacks (frame indexes, count, tag), labels [(key, value)] sorted by key."""
    window_ns = window_s * 10**9
    now = time.time_ns()  # the profile clock: wall-clock ns
    index = now // window_ns
    boot = open("/proc/sys/kernel/random/boot_id", "rb").read()[:36]
    raw = struct.pack("<QQQ", window_ns, index * window_ns, time.time_ns() - (now - index * window_ns)) + boot
    raw += struct.pack("<I", 1) + struct.pack("<iQIIII", pid, 12345, 0, 0, 0x030b02f0, 1)
    raw += enc_str(comm) + enc_str(b"/usr/bin/python3") + enc_str(b"")
    raw += struct.pack("<I", len(labels)) + b"".join(enc_str(k) + enc_str(v) for k, v in labels)
    strings = []
    for f in frames:
        for x in (f[1], f[2]):
            if x is not None and x not in strings:
                strings.append(x)
    raw += struct.pack("<I", len(strings)) + b"".join(enc_str(x) for x in strings)
    raw += struct.pack("<I", len(frames)) + bytes(f[0] for f in frames)
    raw += b"".join(struct.pack("<I", strings.index(f[1])) for f in frames)
    raw += b"".join(struct.pack("<I", 0xffffffff if f[2] is None else strings.index(f[2]))
                    for f in frames)
    raw += b"".join(struct.pack("<i", f[3]) for f in frames)
    raw += b"".join(struct.pack("<i", f[4]) for f in frames)
    raw += struct.pack("<I", len(stacks))
    for ids, count, _ in stacks:
        raw += struct.pack("<I%dIQ" % len(ids), len(ids), *ids, count)
    raw += bytes(tag for _, _, tag in stacks)
    path = os.path.join(state_dir, "w%d.pyprof" % index)
    with open(path, "wb") as f:
        f.write(b"PYPROFW5" + struct.pack("<Q", len(raw)) + zlib.compress(raw))
    return path


def by_labels(stacks, keep=lambda tag: True, tags=True):
    """{(frame labels, tag): count} of decoded stacks whose tag keep() accepts."""
    out = {}
    for frames, count, tag in stacks:
        if keep(tag):
            key = (tuple(label(f) for f in frames), tag if tags else ON_CPU)
            out[key] = out.get(key, 0) + count
    return out


@test
def v3_v2_v1_agree_on_tagged_stacks():
    """A W4 window with off-CPU, GIL and GC tags (no sampler makes them yet): PYPROF/3
    hands out every stack with its tag, PYPROF/2 exactly the on-CPU ones untagged and
    merged, PYPROF/1 their folded text; frames only off-CPU stacks use are in neither."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    pid = unused_pid()
    frames = [(PROCESS, b"app", None, -1, -1), (THREAD, b"", None, 7, -1),
              (THREAD, b"", None, 8, -1), (PYTHON, b"<module>", b"/srv/app.py", 30, 1),
              (PYTHON, b"main", b"/srv/app.py", 28, 20), (PYTHON, b"hot", b"/srv/app.py", 17, 15),
              (KERNEL, b"read", None, -1, -1), (THREAD, b"", None, 9, -1),
              (MARKER, b"[python: no Python frame]", None, -1, -1)]
    a, b, c = [0, 1, 3, 4, 5], [0, 2, 3, 4, 5], [0, 1, 3, 4, 6]
    stacks = [(a, 60, ON_CPU), (a, 5 * 10**9, OFF_CPU), (b, 4, ON_CPU),
              (c, 123, OFF_CPU | GIL_WAIT), (a, 3, GIL), (b, 2, GC | GIL), ([0, 7, 8], 77, OFF_CPU)]
    wait_for_an_open_hour()
    path = write_w4_window(state, pid, b"app", [(b"unit", b"app.service")], frames, stacks,
                           window_s=3600)
    mine = os.stat(path).st_ino
    want = {(tuple(label(frames[i][:4]) for i in ids), tag): n for ids, n, tag in stacks}
    want_v1 = b"app;<module> (/srv/app.py:30);main (/srv/app.py:28);hot (/srv/app.py:17) 69\n"
    try:
        # The file as written here, then as the daemon wrote it again at its stop.
        for round_ in ("written here", "rewritten by pyprofd"):
            assert (os.stat(path).st_ino == mine) == (round_ == "written here"), round_
            with Daemon("--state-dir", state, "--window", "3600") as d:
                assert int(d.status()["state_files_skipped"]) == 0, d.output()
                q = b" snapshot pid=%d seconds=3600\n" % pid
                replies = [request(d.sock, b"PYPROF/%d" % v + q) for v in (1, 2, 3)]
            for h, payload in replies:
                assert h == b"OK %d" % len(payload), h
            v1, (f2, s2), (f3, s3) = (replies[0][1], decode(replies[1][1], 2),
                                      decode(replies[2][1], 3))
            assert by_labels(s3) == want, by_labels(s3)
            on_cpu = by_labels(s3, keep=lambda t: not t & OFF_CPU, tags=False)
            assert by_labels(s2) == on_cpu and len(s2) == 2, (by_labels(s2), on_cpu)
            assert sum(n for _, n, _ in s2) == 60 + 4 + 3 + 2
            no_threads = [([f for f in fs if f[0] != THREAD], n, t) for fs, n, t in s2]
            assert folded(no_threads) == v1 == want_v1, v1
            assert len(f3) == len(frames) and len(f2) == len(frames) - 3, (f2, f3)
            print("  %s: PYPROF/3 %d stacks, PYPROF/2 %d, PYPROF/1 %r" %
                  (round_, len(s3), len(s2), v1))
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
