# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--state-dir: history survives a restart of pyprofd; corrupt state is reported
and skipped, never fatal; a file is loaded whole or not at all; the directory
must be the daemon's own, and nothing planted in it redirects a write."""

import glob
import json
import os
import shutil
import stat
import struct
import subprocess
import socket
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (PYPROFD, Daemon, Skip, Workload, interpreters, main,  # noqa: E402
                        need_root, parse_folded, recv_all, test, wait_for, wait_for_an_open_hour)

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
        for path in files:
            with open(path, "rb") as f:
                assert f.read(8) == b"PYPROFW6", path  # the one version written
        try:
            with Daemon(*args) as d:
                rows = d.listed(all_=True)
                assert rows[gone.pid][1] == "exited", rows
                after = d.snapshot(gone.pid, seconds=3600)
                print("  exited pid %d: %d samples before, %d after the restart (%d files)"
                      % (gone.pid, sum(before.values()), sum(after.values()), len(files)))
                assert after == before, "history changed across the restart"
                # Its command line came back with it: `list` shows it, a cmdline selector
                # finds its history (the live one's ends in 120, not 2).
                shown = {o["pid"]: o for o in json.loads(d.ctl("list", "--all", "--json").stdout)}
                print("  its command line after the restart: %r" % shown[gone.pid]["command"])
                assert shown[gone.pid]["command"].endswith("hotwarm.py 2"), shown[gone.pid]
                r = d.ctl("snapshot", "--cmdline", r"hotwarm\.py 2$", "--seconds", "3600",
                          "--full-filenames")
                assert parse_folded(r.stdout) == before, "a cmdline selector lost its history"
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
        open(os.path.join(state, "w999999997.pyprof"), "wb").write(b"PYPROFW3" + b"\xff" * 8)
        open(os.path.join(state, "w999999996.pyprof"), "wb").write(b"PYPROFW5" + b"\xff" * 8)
        open(os.path.join(state, "w999999995.pyprof"), "wb").write(b"PYPROFW6" + b"\xff" * 8)
        with Daemon(*args) as d:
            st = d.status()
            print("  state_files_skipped %s" % st["state_files_skipped"])
            assert int(st["state_files_skipped"]) == 7, st
            assert "Ignoring state file" in d.output()
            after = d.snapshot(w.pid, seconds=3600)
            # Whatever the intact files held is back, and nothing more.
            assert 0 < sum(after.values()) < sum(before.values()), (before, after)
            for stack, n in after.items():
                assert before.get(stack, 0) >= n, stack
    finally:
        shutil.rmtree(state, ignore_errors=True)


# --- Hand-made state files (the format of userspace/lib/profile/statefile.h) ---------

MAX_STACK = 256 + 127 + 2   # PYPROF_MAX_STACK (include/pyprof_abi.h)
SEC = 10 ** 9


def prof_now():
    """The daemon's profile clock: CLOCK_MONOTONIC + the wall-clock offset at its start."""
    return time.time_ns()


def boot_id():
    with open("/proc/sys/kernel/random/boot_id", "rb") as f:
        return f.read(36)


def unused_pids(n):
    """Pids no process can have (at or above pid_max): history only, never live."""
    with open("/proc/sys/kernel/pid_max") as f:
        base = int(f.read()) + 1000
    return [base + i for i in range(n)]


def enc_str(x):
    b = x.encode()
    return struct.pack("<I", len(b)) + b


def enc_proc(pid, stacks, names=None, comm="py"):
    """stacks: [(name indices root first, count)]."""
    names = names or ["py", "main (/srv/a.py:1)", "hot (/srv/a.py:7)"]
    blob = struct.pack("<IQIIII", pid, 1234, 0, 0, 0x030b07f0, 1) + enc_str(comm) + \
        enc_str("/usr/bin/python3.11") + enc_str("") + struct.pack("<I", len(names)) + \
        b"".join(enc_str(n) for n in names) + struct.pack("<I", len(stacks))
    for ids, count in stacks:
        blob += struct.pack("<I%dIQ" % len(ids), len(ids), *ids, count)
    return blob


def write_state(state, index, procs, window_ns=10 * SEC):
    """Window file `index` of window_ns (this boot), holding the encoded procs."""
    now, start = prof_now(), index * window_ns
    raw = struct.pack("<QQQ", window_ns, start, time.time_ns() - (now - start)) + boot_id() + \
        struct.pack("<I", len(procs)) + b"".join(procs)
    path = os.path.join(state, "w%d.pyprof" % index)
    with open(path, "wb") as f:
        f.write(b"PYPROFW2" + struct.pack("<Q", len(raw)) + zlib.compress(raw, 1))
    return path


def recent_index(ago_windows, window_ns=10 * SEC):
    return prof_now() // window_ns - ago_windows


def list_all(d):
    """pid -> the `list --all` row's fields."""
    rows = {}
    for line in d.ctl("list", "--all").stdout.splitlines()[1:]:
        f = line.split()
        # (Other processes' names may hold anything, newlines included.)
        if len(f) >= 4 and f[0].isdigit():
            rows[int(f[0])] = f
    return rows


def no_history(d, pid):
    r = d.ctl("snapshot", "--pid", str(pid), "--seconds", "3600", check=False)
    return r.returncode != 0 and "no history" in r.stderr


@test
def deep_stack_state_file_is_served_safely():
    """A stack deeper than the one depth limit is refused at load; the deepest allowed is served."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    deep, deepest = unused_pids(2)
    try:
        names = ["py"] + ["f%d (/srv/deep.py:%d)" % (i, i) for i in range(1000)]
        write_state(state, recent_index(3), [enc_proc(deep, [(list(range(1000)), 9)], names)])
        write_state(state, recent_index(2),
                    [enc_proc(deepest, [(list(range(MAX_STACK)), 4)], names)])
        with Daemon("--state-dir", state) as d:
            # The request that overflowed names[] before: answered, and the daemon lives on.
            r = d.ctl("snapshot", "--pid", str(deep), "--seconds", "3600", check=False)
            assert r.returncode != 0 and "no history" in r.stderr, \
                "%spyprofd:\n%s" % (r.stderr, d.output())
            assert d.proc.poll() is None, d.output()
            st = d.status()
            assert int(st["state_files_skipped"]) == 1, st
            got = d.snapshot(deepest, seconds=3600)
            assert list(got.values()) == [4], got
            stack = next(iter(got)).split(";")
            assert len(stack) == MAX_STACK and stack[-1] == names[MAX_STACK - 1], len(stack)
            assert d.proc.poll() is None, d.output()
    finally:
        shutil.rmtree(state, ignore_errors=True)


@test
def late_corruption_loads_nothing():
    """A file whose last process is corrupt gives none of its processes any samples."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    first, second, good = unused_pids(3)
    try:
        # Well-formed zlib; the damage is in the body: the last frame names no name.
        write_state(state, recent_index(3), [enc_proc(first, [([0, 1, 2], 57)]),
                                             enc_proc(second, [([0, 1], 5), ([0, 3], 1)])])
        write_state(state, recent_index(2), [enc_proc(good, [([0, 1, 2], 8)])])
        with Daemon("--state-dir", state) as d:
            st = d.status()
            assert int(st["state_files_skipped"]) == 1, st
            assert "corrupt or truncated" in d.output()
            assert no_history(d, first) and no_history(d, second)
            assert sum(d.snapshot(good, seconds=3600).values()) == 8
    finally:
        shutil.rmtree(state, ignore_errors=True)


@test
def future_dated_state_file_is_rejected():
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    future, now = unused_pids(2)
    try:
        write_state(state, recent_index(-100), [enc_proc(future, [([0, 1, 2], 11)])])
        write_state(state, recent_index(0), [enc_proc(now, [([0, 1, 2], 3)])])
        with Daemon("--state-dir", state) as d:
            st = d.status()
            assert int(st["state_files_skipped"]) == 1, st
            assert "dated in the future" in d.output(), d.output()
            assert no_history(d, future)
            got = d.snapshot(now, seconds=3600)
            assert sum(got.values()) == 3, (got, time.time() % 10)
    finally:
        shutil.rmtree(state, ignore_errors=True)


@test
def restored_process_lists_its_samples():
    """list --all SAMPLES of a process known only from the state dir = its snapshot total."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    pid, = unused_pids(1)
    try:
        write_state(state, recent_index(4), [enc_proc(pid, [([0, 1, 2], 9000), ([0, 1], 600)])])
        write_state(state, recent_index(3), [enc_proc(pid, [([0, 1, 2], 82)])])
        with Daemon("--state-dir", state) as d:
            total = sum(d.snapshot(pid, seconds=3600).values())
            row = list_all(d)[pid]
            print("  restored pid %d: SAMPLES %s, snapshot %d" % (pid, row[3], total))
            assert row[2] == "exited" and total == 9682 and int(row[3]) == total, row
    finally:
        shutil.rmtree(state, ignore_errors=True)


def raw_snapshot(d, pid, version=1):
    """The payload of a PYPROF/<version> snapshot of the last hour."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(d.sock)
        s.sendall(b"PYPROF/%d snapshot pid=%d seconds=3600\n" % (version, pid))
        reply = recv_all(s)
    finally:
        s.close()
    head, _, payload = reply.partition(b"\n")
    assert head.startswith(b"OK "), reply[:200]
    assert int(head.split()[1]) == len(payload), head
    return payload


@test
def version_2_history_survives_an_upgrade():
    """A W2 file (an older pyprofd's, frames as text) is served as it was written, folded
    byte for byte; written again at the stop, as W4, it still is."""
    need_root()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    pid, = unused_pids(1)
    names = ["py", "main (/srv/a.py:1)", "hot (/srv/a.py)", "f (g) (/srv/x:y.py:12)",
             "do_syscall_64_[k]", "0xffffffff81000000_[k]", "[python: no Python frame]",
             "odd: name (", "thread 7", "py"]
    stacks = [([0, 1, 2], 5), ([0, 1, 3, 4, 5], 7), ([0, 6], 2), ([0, 7, 8, 9], 1)]
    # Folded text's one rewrite of these names: a trailing " 7" would read as a count.
    shown = [n.replace("thread 7", "thread_7") for n in names]
    want = "".join(sorted(";".join(shown[i] for i in ids) + " %d\n" % n for ids, n in stacks))
    try:
        wait_for_an_open_hour()
        path = write_state(state, recent_index(0), [enc_proc(pid, stacks, names)])

        def serve(d, version):
            got = raw_snapshot(d, pid).decode()
            print("  from %s: %d stacks, %d samples" % (version.decode(), got.count("\n"),
                                                      sum(parse_folded(got).values())))
            assert got == want, "%r != %r" % (got, want)
            assert raw_snapshot(d, pid, 2).startswith(b"PYPROFS\x02")
        upgrade_round_trip(state, path, b"PYPROFW2", serve)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def upgrade_round_trip(state, path, magic, serve):
    """Serves the older-format file `path` (the only one in state) with one daemon, then
    what that daemon wrote of it at its stop (W4, alone) with a second; serve(d, magic)
    checks each.  The daemons keep 1 h windows: the window the file's samples land in is
    then still open at the first one's stop, which writes it whatever the machine's load
    (with 10 s windows it could close while a slow daemon starts: nothing rewritten)."""
    with open(path, "rb") as f:
        assert f.read(8) == magic
    for version in (magic, b"PYPROFW6"):
        with Daemon("--state-dir", state, "--window", "3600") as d:
            assert int(d.status()["state_files_skipped"]) == 0, d.output()
            serve(d, version)
        if version == magic:
            os.unlink(path)
            files = glob.glob(os.path.join(state, "w*.pyprof"))
            assert len(files) == 1, files
            with open(files[0], "rb") as f:
                assert f.read(8) == b"PYPROFW6"


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# A window file of the last W3 writer (pyprofd at commit 08d2306, a run of
# workloads/threads.py: thread, Python and kernel frames), and what that pyprofd
# served of it under PYPROF/1 and PYPROF/2 (a snapshot of the last hour).
W3_FILE, W3_FOLDED, W3_WIRE = ("w3-threads.pyprof", "w3-threads.folded", "w3-threads.v2")


def redate_w3(state, index, pid):
    """The W3 fixture as a file of window `index` of this boot, its process given
    pid; only those header fields change, the writer's bytes stay."""
    with open(os.path.join(FIXTURES, W3_FILE), "rb") as f:
        data = f.read()
    assert data[:8] == b"PYPROFW3"
    raw = bytearray(zlib.decompress(data[16:]))
    window_ns = struct.unpack_from("<Q", raw, 0)[0]
    now, start = prof_now(), index * window_ns
    struct.pack_into("<QQ", raw, 8, start, time.time_ns() - (now - start))
    raw[24:60] = boot_id()
    assert struct.unpack_from("<I", raw, 60)[0] == 1    # one process, at byte 64
    struct.pack_into("<i", raw, 64, pid)
    path = os.path.join(state, "w%d.pyprof" % index)
    with open(path, "wb") as f:
        f.write(b"PYPROFW3" + struct.pack("<Q", len(raw)) + zlib.compress(bytes(raw), 1))
    return path


@test
def version_3_history_survives_an_upgrade():
    """A W3 file recorded from the last W3 writer is served exactly as that pyprofd
    served it (PYPROF/1 and PYPROF/2 bytes); written again at the stop, as W4, it
    still is."""
    need_root()
    with open(os.path.join(FIXTURES, W3_FOLDED), "rb") as f:
        want_folded = f.read()
    with open(os.path.join(FIXTURES, W3_WIRE), "rb") as f:
        want_wire = f.read()
    state = tempfile.mkdtemp(prefix="pyproftest-state.")
    pid, = unused_pids(1)
    try:
        wait_for_an_open_hour()
        path = redate_w3(state, recent_index(0, 2 * SEC), pid)

        def serve(d, version):
            got = raw_snapshot(d, pid)
            print("  from %s: %d stacks" % (version.decode(), got.count(b"\n")))
            assert got == want_folded, "%r != %r" % (got, want_folded)
            assert raw_snapshot(d, pid, 2) == want_wire
        upgrade_round_trip(state, path, b"PYPROFW3", serve)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def start_fails(*args):
    """pyprofd with these arguments (and a socket of its own): its exit status and output."""
    work = tempfile.mkdtemp(prefix="pyproftest-refuse.")
    try:
        argv = [PYPROFD, "--socket", os.path.join(work, "pyprofd.sock")] + list(args)
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("pyprofd %s started instead of refusing" % " ".join(args))
        return r.returncode, r.stdout + r.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test
def unsafe_state_dir_is_refused():
    need_root()
    base = tempfile.mkdtemp(prefix="pyproftest-state.")
    try:
        cases = []
        for name, mode, uid in (("other-user", 0o700, 65534), ("world-writable", 0o777, 0),
                                ("group-writable", 0o770, 0), ("sticky-tmp-like", 0o1777, 0)):
            path = os.path.join(base, name)
            os.mkdir(path)
            os.chmod(path, mode)
            os.chown(path, uid, 0)
            cases.append(path)
        good = os.path.join(base, "good")
        os.mkdir(good, 0o700)
        link = os.path.join(base, "link")
        os.symlink(good, link)
        cases.append(link)
        for path in cases:
            rc, out = start_fails("--state-dir", path)
            print("  %s: exit %d, %s" % (os.path.basename(path), rc,
                                         out.strip().splitlines()[-2:]))
            assert rc != 0 and "Refusing state directory '%s'" % path in out, out
            assert not glob.glob(os.path.join(path, "*")), "wrote into " + path
    finally:
        shutil.rmtree(base, ignore_errors=True)


@test
def planted_symlinks_in_state_dir_write_nothing_outside():
    """Symlinks at the temporary and final names of the next windows: no target is touched."""
    need_root()
    python = a_python()
    base = tempfile.mkdtemp(prefix="pyproftest-state.")
    state = os.path.join(base, "state")
    os.mkdir(state, 0o700)
    targets = {}
    for kind in ("tmp", "final"):
        targets[kind] = os.path.join(base, "precious-" + kind)
        with open(targets[kind], "w") as f:
            f.write("root's own %s\n" % kind)
        os.chmod(targets[kind], 0o600)
    try:
        first = recent_index(0, SEC)
        planted = range(first, first + 120)
        for i in planted:
            os.symlink(targets["tmp"], os.path.join(state, ".w%d.pyprof.tmp" % i))
            os.symlink(targets["final"], os.path.join(state, "w%d.pyprof" % i))

        def written():
            """Windows whose planted final-name symlink was replaced."""
            got = []
            for i in planted:
                path = os.path.join(state, "w%d.pyprof" % i)
                if not os.path.islink(path) or os.readlink(path) != targets["final"]:
                    got.append(i)
            return got
        with Daemon("--rate", RATE, "--window", "1", "--state-dir", state) as d:
            with Workload(python, "hotwarm.py", 60) as w:
                d.wait_samples(w.pid, 20, match="hot (")
                got = wait_for(lambda: len(written()) >= 2 and written(), timeout=30,
                               what="two windows written over planted names")
        print("  windows %s written where symlinks were planted" % got[:4])
        for kind, path in targets.items():
            with open(path, "rb") as f:
                assert f.read() == b"root's own %s\n" % kind.encode(), "%s target overwritten" % kind
        for i in got:
            assert stat.S_ISREG(os.lstat(os.path.join(state, "w%d.pyprof" % i)).st_mode), i
    finally:
        shutil.rmtree(base, ignore_errors=True)


@test
def state_dir_swapped_after_start_redirects_nothing():
    """The state dir renamed away and a symlink put in its place: windows stay in the real one."""
    need_root()
    python = a_python()
    base = tempfile.mkdtemp(prefix="pyproftest-state.")
    state, moved, decoy = (os.path.join(base, n) for n in ("state", "state.moved", "decoy"))
    os.mkdir(decoy, 0o700)
    try:
        with Daemon("--rate", RATE, "--window", "1", "--state-dir", state) as d:
            os.rename(state, moved)
            os.symlink(decoy, state)
            with Workload(python, "hotwarm.py", 60) as w:
                d.wait_samples(w.pid, 20, match="hot (")
                wait_for(lambda: glob.glob(os.path.join(moved, "w*.pyprof")) or
                         glob.glob(os.path.join(decoy, "w*.pyprof")), timeout=30,
                         what="a window written after the swap")
        assert os.listdir(decoy) == [], os.listdir(decoy)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
