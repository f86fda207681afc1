#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""PYPROF/2: the same verbs as PYPROF/1, and a snapshot as the binary profile
encoding of userspace/lib/proto/wire.h, decoded here independently of the C
code: its frames' labels make exactly the folded text PYPROF/1 answers."""

import os
import shutil
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (Daemon, main, need_root, recv_all, test, unused_pid,  # noqa: E402
                        write_state_window)

PROCESS, PYTHON, KERNEL, MARKER, OTHER, THREAD, NATIVE = range(7)


def request(sock, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(line)
    reply = recv_all(s)
    s.close()
    head, _, payload = reply.partition(b"\n")
    return head, payload


def decode(buf):
    """(frames, stacks) of a PYPROF/2 profile; raises on anything malformed."""
    assert buf[:8] == b"PYPROFS\x02", buf[:8]
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
        assert count >= 1
        stacks.append(([frames[i] for i in ids], count))
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
    for frames, count in stacks:
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
        assert sum(c for _, c in got) == 70


@test
def v2_speaks_the_other_verbs_and_v3_is_refused():
    need_root()
    with Daemon() as d:
        h1, l1 = request(d.sock, b"PYPROF/1 list\n")
        h2, l2 = request(d.sock, b"PYPROF/2 list\n")
        assert h1.startswith(b"OK ") and h2.startswith(b"OK "), (h1, h2)
        assert l1.split(b"\n")[0] == l2.split(b"\n")[0], (l1, l2)
        h, _ = request(d.sock, b"PYPROF/3 list\n")
        assert h.startswith(b"ERR EPROTO"), h
        h, _ = request(d.sock, b"PYPROF/2 snapshot\n")
        assert h.startswith(b"ERR EINVAL"), h


if __name__ == "__main__":
    main()
