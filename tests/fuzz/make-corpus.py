# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

    python3 tests/fuzz/make-corpus.py

Valid inputs each target's parser accepts, small enough to commit: the unit
tests' fixtures, state files of both versions pyprofd reads, line tables of
real code objects of every CPython in PYTHONS (run under each one), the
_Py_DebugOffsets of a real 3.13 and the real blobs of tests/data/debugoffsets,
small ELF files built with cc, and PYPROF/2 profile encodings built here.  File names are content hashes, so re-running
only adds what changed.
"""
import glob
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
PYTHONS = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3"))) + [
    "/usr/bin/python3.11"]

FOLDED = [
    b"python3;<module> (a.py:1);hot (a.py:9) 7\n\npython3;[python: no Python frame] 2\n"
    b"python3;x;do_syscall_64_[k] 1",
    b"py;<module> (/a.py:30);main (/a.py:28);hot (/a.py:17);spin (/a.py:11) 60\n"
    b"py;<module> (/a.py:30);main (/a.py:29);warm (/a.py:21);spin (/a.py:11) 20\n"
    b"py;rec (/b.py:5);rec (/b.py:5);rec (/b.py:6) 3\n"
    b"py;<module> (/a.py:30);main (/a.py:28);hot (/a.py:17);vfs_read_[k] 0\n",
    b"python3;<module> (/app/main.py:30);read_[k];do_syscall_64_[k] 2\n"
    b"python3;lambda (<frozen x>);native 4\n",
    b"p;a\"<&>' (/x y/\xc3\xa9.py:4) 9\np;\xff\xfe bad utf8;\x01ctl 1\n",
    b"p;a 18446744073709551615\np;b 1\n",
]

PROCMAPS = [
    b"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
    b"00e03000-00e24000 rw-p 00000000 00:00 0                                  [heap]\n"
    b"7f2c2c000000-7f2c2c021000 rw-p 00000000 00:00 0 \n"
    b"7f1e0a200000-7f1e0a228000 r--s 00001000 103:1f 2886203    /tmp/my dir/lib  two.so\n"
    b"7f1e0a400000-7f1e0a401000 r-xp 00002000 fd:01 42\t/usr/lib/x.so (deleted)\n"
    b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
]

CGROUP_ID = b"4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970"
CGROUP = [
    b"0::/system.slice/nginx.service\n",
    b"12:pids:/system.slice/a.service\n4:cpu,cpuacct:/system.slice/a.service\n"
    b"1:name=systemd:/system.slice/a.service\n0::/system.slice/a.service\n",
    b"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + CGROUP_ID +
    b".scope\n",
    b"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice/cri-containerd-" +
    CGROUP_ID + b".scope\n",
    b"10:net_prio:/docker/" + CGROUP_ID + b"\n9:perf_event:/" + CGROUP_ID + b"\n",
    b"0::/system.slice/x.service/a\tb,c=d:e\x1b[31m\\x41\xff\n",
]

KSYMS = [
    b"ffffffff81000300 T second_func\nffffffff81000000 T _stext\n"
    b"ffffffff81000000 t alias_of_stext\nffffffff81000200 D some_data\n"
    b"ffffffffc0a00100 T mod_func2\t[mymod]\nffffffff81000400 W weak_func\n"
    b"0000000000000000 A fixed_percpu_data\nnot a symbol line\nffffffff81000700 T\n"
    b"ffffffff81000900 T stext_end",
    b"0000000000000000 T _stext\n0000000000000000 t mod_func\t[mymod]\n",
]

PROTO = [
    b"\x16\x40PYPROF/1 snapshot pid=42 seconds=30\n\x00OK 1234\n",
    b"\x03\x0cPYPROF/1 list all=1\r\n\x00ERR ESRCH no process 42\n",
    b"\x16\xffPYPROF/1 x a=\x00ERR EBUSY\n",
]

HTTPREQ = [
    b"GET /debug/pprof/profile?pid=42&seconds=30 HTTP/1.1\r\nHost: 127.0.0.1:9464\r\n"
    b"User-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,"
    b"text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n",
    b"GET /debug/pprof/profile?pid=%34%32&cmdline=gunicorn+x&all HTTP/1.0\n\n",
    b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
]

# enum frame_kind (userspace/lib/profile/frame.h)
PROCESS, PYTHON, KERNEL, MARKER, OTHER, THREAD, NATIVE = range(7)
NONE = -1


# sample tags (userspace/lib/profile/sample.h)
ON_CPU, OFF_CPU, GIL, GIL_WAIT, GC = 0, 1, 2, 4, 8


def wire(frames, stacks, version=2):
    """PYPROF/2's or /3's profile encoding (userspace/lib/proto/wire.h) of frames
    (kind, name, file or None, line, func_line) and stacks (frame indexes, count[, tag])."""
    strings = []
    for _, name, file, _, _ in frames:
        for s in (name, file):
            if s is not None and s not in strings:
                strings.append(s)
    out = [b"PYPROFS" + bytes([version]), struct.pack("<I", len(strings))]
    out += [struct.pack("<I", len(s)) + s for s in strings]
    out.append(struct.pack("<I", len(frames)))
    for kind, name, file, line, func_line in frames:
        out.append(struct.pack("<BIIii", kind, strings.index(name),
                               0xffffffff if file is None else strings.index(file), line,
                               func_line))
    out.append(struct.pack("<I", len(stacks)))
    for ids, count, *tag in stacks:
        out.append(struct.pack("<I%dIQ" % len(ids), len(ids), *ids, count))
        if version >= 3:
            out.append(bytes([tag[0] if tag else ON_CPU]))
    return b"".join(out)


WIRE = [
    wire([], []),
    wire([(PROCESS, b"python3", None, NONE, NONE),
          (PYTHON, b"<module>", b"/srv/app.py", 1, 1),
          (PYTHON, b"hot", b"/srv/app.py", 9, 7),
          (KERNEL, b"do_syscall_64", None, NONE, NONE),
          (MARKER, b"[python: no Python frame]", None, NONE, NONE)],
         [([0, 1, 2], 7), ([0, 4], 2), ([0, 1, 2, 3], 1)]),
    wire([(PROCESS, b"py", None, NONE, NONE), (THREAD, b"", None, 4242, NONE),
          (THREAD, b"worker", None, 4243, NONE),
          (PYTHON, b"f (x)", b"/a b (c).py", NONE, NONE),
          (NATIVE, b"malloc", b"/lib/libc.so.6", NONE, NONE),
          (OTHER, b"", None, NONE, NONE), (PYTHON, b"caf\xc3\xa9", b"", 0, 0)],
         [([0, 1, 3, 4], 3), ([0, 2, 3], 1 << 40), ([0, 5, 6], 1), ([0, 1, 3, 4], 2)]),
    wire([(PROCESS, b"p", None, NONE, NONE), (PYTHON, b"rec", b"/r.py", 5, 4)],
         [([0] + [1] * 300, 1), ([0], (1 << 64) - 2)]),
    wire([], [], 3),
    wire([(PROCESS, b"python3", None, NONE, NONE), (THREAD, b"", None, 7, NONE),
          (PYTHON, b"wait", b"/srv/app.py", 9, 7),
          (KERNEL, b"do_syscall_64", None, NONE, NONE)],
         [([0, 1, 2], 7), ([0, 1, 2], 123456789, OFF_CPU), ([0, 1, 2, 3], 4, GIL | GC),
          ([0, 2], 5000, OFF_CPU | GIL_WAIT), ([0, 1, 2], 3, ON_CPU)], 3),
]

BOOT_ID = b"0123abcd-0000-4000-8000-00000000000a"


def statefile_raw(version, procs):
    """Raw (decompressed) bytes of a --state-dir window file, as statefile.h lays them out.
    procs: (pid, comm, frames, stacks[, labels]); a frame is (kind, name, file or None,
    line, func_line) for W6 to W3 (stored column by column), a name for W2; a stack is
    (frame indices, count[, tag[, bucket]]); labels (W4 on) are (key, value) pairs; W6's
    buckets are of 1 s, and its first process has a command line."""
    def s(x):
        return struct.pack("<I", len(x)) + x
    out = struct.pack("<QQQ", 10 * 10 ** 9, 100 * 10 ** 9, 5 * 10 ** 9) + BOOT_ID
    if version >= 6:
        out += struct.pack("<Q", 10 ** 9)
    out += struct.pack("<I", len(procs))
    for pid, comm, frames, stacks, *labels in procs:
        out += struct.pack("<iQIIII", pid, 99, 1000, 1000, 0x030b07f0, 1) + s(comm) + \
            s(b"/usr/bin/python3") + s(b"")
        if version >= 4:
            labels = labels[0] if labels else []
            out += struct.pack("<I", len(labels)) + b"".join(s(k) + s(v) for k, v in labels)
        if version == 2:
            out += struct.pack("<I", len(frames)) + b"".join(s(n) for n in frames)
        else:
            strings = []
            for f in frames:
                for x in (f[1], f[2]):
                    if x is not None and x not in strings:
                        strings.append(x)
            out += struct.pack("<I", len(strings)) + b"".join(s(x) for x in strings)
            # column by column: kinds, names, files, lines, func_lines
            out += struct.pack("<I", len(frames)) + bytes(f[0] for f in frames)
            out += b"".join(struct.pack("<I", strings.index(f[1])) for f in frames)
            out += b"".join(struct.pack("<I", 0xffffffff if f[2] is None else strings.index(f[2]))
                            for f in frames)
            out += b"".join(struct.pack("<i", f[3]) for f in frames)
            out += b"".join(struct.pack("<i", f[4]) for f in frames)
        out += struct.pack("<I", len(stacks))
        for ids, count, *tag in stacks:
            out += struct.pack("<I%dIQ" % len(ids), len(ids), *ids, count)
        if version >= 4:
            out += bytes(st[2] if len(st) > 2 else ON_CPU for st in stacks)
        if version >= 6:
            out += bytes(st[3] if len(st) > 3 else 0 for st in stacks)
            out += s(b"python3 app.py --port 8080" if pid == 4242 else b"")
    return out


STATE_W3 = [
    (4242, b"py", [(PROCESS, b"py", None, -1, -1), (THREAD, b"", None, 42, -1),
                   (PYTHON, b"main", b"/a.py", 1, 1), (PYTHON, b"hot", b"/a.py", -1, 5),
                   (KERNEL, b"do_syscall_64", None, -1, -1),
                   (MARKER, b"[python: no Python frame]", None, -1, -1),
                   (NATIVE, b"memcpy", b"/lib/libc.so.6", -1, -1)],
     [([0, 1, 2, 3], 5), ([0, 1, 2, 3, 4], 7), ([0, 5], 1), ([0, 6], 2)]),
    (7, b"x", [(OTHER, b"odd (name", None, -1, -1)], [([0], 1)]),
]
STATE_W4 = [
    (4242, b"py", STATE_W3[0][2],
     [([0, 1, 2, 3], 5), ([0, 1, 2, 3], 4000000, OFF_CPU), ([0, 1, 2, 3, 4], 7, GIL | GC),
      ([0, 5], 1), ([0, 6], 2, OFF_CPU | GIL_WAIT)],
     [(b"container", b"web-1"), (b"unit", b"app.service \xff\x01 (odd)")]),
    (7, b"x", [(OTHER, b"odd (name", None, -1, -1)], [([0], 1)]),
]
# The same frames in two buckets are two stacks.
STATE_W6 = [
    (4242, b"py", STATE_W3[0][2],
     [([0, 1, 2, 3], 5, ON_CPU, 0), ([0, 1, 2, 3], 3, ON_CPU, 9),
      ([0, 1, 2, 3], 4000000, OFF_CPU, 4), ([0, 1, 2, 3, 4], 7, GIL | GC, 4),
      ([0, 5], 1, ON_CPU, 1), ([0, 6], 2, OFF_CPU | GIL_WAIT, 2)],
     [(b"cmdline", b"python3 app.py"), (b"unit", b"app.service")]),
    (7, b"x", [(OTHER, b"odd (name", None, -1, -1)], [([0], 1, ON_CPU, 9)]),
]
STATE_W2 = [
    (4242, b"py", [b"py", b"main (/a.py:1)", b"hot (/a.py)", b"do_syscall_64_[k]",
                   b"[python: no Python frame]", b"thread 5", b"0x1f_[k]"],
     [([0, 1, 2], 5), ([0, 1, 2, 3], 7), ([0, 4], 1), ([0, 5, 1, 5, 0, 6], 2)]),
]

ELF_SRC = r"""
const unsigned int Py_Version = 0x030d00f0;
unsigned long long _PyRuntime[73] = { 0x7970677562656478ull, 0x030d00f0 };
void Py_Initialize(void) { }
int main(void) { return 0; }
"""


def coldfde():
    """fuzz-coldfde: addresses, pc, header length, then an .eh_frame_hdr whose one
    entry is an FDE for [0x1000, 0x1010) at the start of the .eh_frame after it."""
    hdr = bytes([1, 0x1b, 0x03, 0x3b]) + struct.pack("<iIii", 0x2100 - 0x2004, 1,
                                                     0x1000 - 0x2000, 0x100)
    eh = struct.pack("<IiiI", 16, 8, 0x1000 - 0x2108, 0x10)
    out = []
    for pc in (0x1008, 0x1010, 0xfff):
        out.append(struct.pack("<QQQH", 0x2000, 0x2100, pc, len(hdr)) + hdr + eh)
    return out


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def linetables():
    """Run under one interpreter: print minor, then hex seeds for its line tables."""
    import argparse  # a real module with many code objects
    minor = sys.version_info[1]
    print(minor)
    seen = 0

    def walk(co):
        nonlocal seen
        tab = co.co_lnotab if minor <= 9 else co.co_linetable
        if seen < 12 and len(tab) <= 512:
            addr = len(co.co_code) // 2
            hdr = struct.pack("<BiI", minor - 8, co.co_firstlineno, addr)
            print((hdr + tab).hex())
            seen += 1
        for c in co.co_consts:
            if hasattr(c, "co_code"):
                walk(c)

    with open(argparse.__file__) as f:
        walk(compile(f.read(), argparse.__file__, "exec"))


def debug_offsets(py):
    code = ("import ctypes, sys; a = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "
            "'_PyRuntime')); sys.stdout.write(ctypes.string_at(a, 73 * 8).hex())")
    r = subprocess.run([py, "-c", code], capture_output=True, text=True)
    return bytes.fromhex(r.stdout) if r.returncode == 0 else None


def elf_files(dbg):
    src = ELF_SRC
    if dbg:
        words = struct.unpack("<73Q", dbg)
        src = src.replace("{ 0x7970677562656478ull, 0x030d00f0 }",
                          "{ " + ", ".join("0x%xull" % w for w in words) + " }")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "py.c")
        with open(c, "w") as f:
            f.write(src)
        for flags in (["-shared", "-fPIC", "-nostdlib"], ["-shared", "-fPIC", "-nostdlib", "-s"]):
            so = os.path.join(tmp, "py.so")
            subprocess.run(["cc", "-Os", "-o", so, c, "-Wl,-z,noseparate-code",
                            "-Wl,--build-id=none", "-Wl,-z,max-page-size=0x1000"] + flags,
                           check=True)
            with open(so, "rb") as f:
                out.append(f.read())
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--linetables":
        linetables()
        return
    for t in FOLDED:
        put("fuzz-folded", b"\x05" + t)
    for t in PROCMAPS:
        put("fuzz-procmaps", t)
    for t in KSYMS:
        put("fuzz-ksyms", t)
    for t in coldfde():
        put("fuzz-coldfde", t)
    for t in CGROUP:
        put("fuzz-cgroup", t)
    for t in PROTO:
        put("fuzz-proto", t)
    for t in HTTPREQ:
        put("fuzz-httpreq", t)
    now = struct.pack("<Q", 1796214615 * 10**9)
    for t in (b"now", b"-15m", b"2h ago", b"10:02", b"10:02:30", b"2026-12-02",
              b"2026-12-02T10:02:00Z", b"2026-12-02 10:02:00.25+01:00", b"2026-12-02T10:02-0500"):
        put("fuzz-timeparse", now + t)
    for version, procs in ((6, STATE_W6), (5, STATE_W4), (4, STATE_W4), (3, STATE_W3),
                           (2, STATE_W2)):
        raw = statefile_raw(version, procs)
        put("fuzz-statefile", bytes([version]) + raw)
        put("fuzz-statefile", b"PYPROFW%d" % version + struct.pack("<Q", len(raw)) +
            zlib.compress(raw, 1))
    for t in WIRE:
        put("fuzz-wire", t)
    for py in PYTHONS:
        r = subprocess.run([py, __file__, "--linetables"], capture_output=True, text=True)
        if r.returncode != 0:
            continue
        for line in r.stdout.split()[1:]:
            put("fuzz-linetable", bytes.fromhex(line))
    dbg = None
    for py in PYTHONS:
        if "/3.13" in py:
            dbg = debug_offsets(py)
    if dbg:
        put("fuzz-debugoffsets", dbg)
    # The blobs of real 3.13-3.15 interpreters the unit tests parse, and the synthesized
    # 3.14t and 3.15t ones (tests/data/debugoffsets).
    blobs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "debugoffsets")
    for name in sorted(os.listdir(blobs)):
        if name.endswith(".bin"):
            with open(os.path.join(blobs, name), "rb") as f:
                put("fuzz-debugoffsets", f.read())
    for e in elf_files(dbg):
        put("fuzz-elf", e)


if __name__ == "__main__":
    main()
