# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""GIL and collector oracle for tests/integration/test_gil.py (CPython 3.9 to 3.15).

Run by an interpreter, finds in its own memory (through ctypes) where the
state lies that pyprof reads for SAMPLE_GIL and SAMPLE_GC, without assuming
any offset, and prints what it found as "name value" lines:

    file PATH            the ELF file holding _PyRuntime (libpython or the executable)
    free_threaded 0|1
    tstate_interp N      PyThreadState.interp: the word that is PyInterpreterState_Get()
    runtime_gil N        offset in _PyRuntime of the GIL state (3.9-3.11), else -1
    interp_gil N         offset in the interpreter of the pointer to it (3.12+), else -1
    gil_holder N         offset in the GIL state of last_holder
    gil_locked N         offset in the GIL state of locked
    gil_state_off N      the main interpreter's GIL state - &_PyRuntime
    gil_futex N,N,...    offsets in the GIL state of the futex words a thread
                         waiting for the GIL was seen sleeping on
    gc_collecting N      offset in the interpreter of gc.collecting

The GIL state is told by its contents: interval (sys.setswitchinterval(),
set to a value found nowhere else), last_holder (the tstate of whichever
of two threads looks), locked (1 while either looks).  gc.collecting is
the int of the interpreter that is 1 in every finalizer the collector runs
and 0 between collections.  Each value must be the only one that fits
every observation; otherwise the script says so on stderr and exits 1.
Without a GIL (free-threaded, sys._is_gil_enabled() false) the GIL lines
say -1.
"""
import ctypes
import gc
import os
import struct
import sys
import threading
import time

INTERVAL_US = 12347  # sys.setswitchinterval(): a GIL state's first word
RUNTIME_SPAN = 1024  # bytes of _PyRuntime searched for the GIL state (3.9-3.11)
INTERP_SPAN = 4096  # bytes of a heap interpreter (3.9-3.11) searched
EMBEDDED_SPAN = 16384  # bytes of the main interpreter when in _PyRuntime (3.12+)
GIL_SPAN = 64  # bytes of a GIL state searched for its fields
FUTEX_SEEN = 5  # sleeps on the GIL's futex to observe

api = ctypes.pythonapi
api.PyThreadState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_Main.restype = ctypes.c_void_p
# Called through PyDLL: the GIL stays held while they run.
libc = ctypes.PyDLL(None)
libc.usleep.argtypes = [ctypes.c_uint]
libc.open.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.read.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
libc.close.argtypes = [ctypes.c_int]


def fail(msg):
    sys.stderr.write("gil_oracle: %s\n" % msg)
    sys.exit(1)


def mem(addr, n):
    return ctypes.string_at(addr, n)


def u64s(buf):
    return struct.unpack("<%dQ" % (len(buf) // 8), buf[: len(buf) // 8 * 8])


def u32_at(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def only(name, cands):
    if len(cands) != 1:
        fail("%s: %d candidates %s" % (name, len(cands), sorted(cands)[:10]))
    return next(iter(cands))


def runtime_addr():
    return ctypes.addressof(ctypes.c_char.in_dll(api, "_PyRuntime"))


def file_of(addr):
    """The file mapped at addr, or right below it when addr is in its .bss
    past the file's end (an anonymous mapping that follows the file's)."""
    last = None
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5].strip() if len(parts) == 6 else ""
            if lo <= addr < hi:
                if path.startswith("/"):
                    return path
                if last and last[0] == lo:
                    return last[1]
                break
            last = (hi, path) if path.startswith("/") else None
    fail("no file holds 0x%x" % addr)


# Called through CDLL: the GIL is released while it copies.
cdll = ctypes.CDLL(None)
cdll.memcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]


def released_copy(addr, n):
    """n bytes at addr copied while no thread holds the GIL (no other wants it)."""
    buf = ctypes.create_string_buffer(n)
    cdll.memcpy(buf, addr, n)
    return buf.raw


def unlocked(base, triples):
    """The triples whose locked field reads 0 while the GIL is released."""
    out = set()
    for state, holder, locked in triples:
        if u32_at(released_copy(base + state, GIL_SPAN), locked) == 0:
            out.add((state, holder, locked))
    return out


def tstate_interp():
    ts, interp = api.PyThreadState_Get(), api.PyInterpreterState_Get()
    words = u64s(mem(ts, 64))
    return only("tstate_interp", {i * 8 for i, w in enumerate(words) if w == interp})


def interp_span(interp, runtime):
    embedded = runtime <= interp < runtime + (1 << 20)
    return EMBEDDED_SPAN if embedded else INTERP_SPAN


def observe_gil(where):
    """where() -> (base, span): where to look.  Returns the set of (state offset,
    holder, locked) that fit what the calling thread sees now."""
    ts = api.PyThreadState_Get()
    base, span = where()
    buf = mem(base, span)
    found = set()
    for i, w in enumerate(u64s(buf)):
        if w != INTERVAL_US:
            continue
        state = mem(base + i * 8, GIL_SPAN)
        holders = {k * 8 for k, v in enumerate(u64s(state)) if v == ts}
        locked = {k for k in range(0, GIL_SPAN - 3, 4) if u32_at(state, k) == 1}
        for h in holders:
            for lk in locked:
                found.add((i * 8, h, lk))
    return found


def gil_in_runtime(runtime):
    return lambda: (runtime, RUNTIME_SPAN)


def gil_pointers(interp, span):
    """Offsets in the interpreter of pointers to a GIL state inside it (its own _gil)."""
    words = u64s(mem(interp, span))
    out = set()
    for i, w in enumerate(words):
        if interp <= w < interp + span - GIL_SPAN and u64s(mem(w, 8))[0] == INTERVAL_US:
            out.add(i * 8)
    return out


def in_two_threads(fn):
    """fn()'s result in this thread and in another one, both holding the GIL."""
    box = []
    t = threading.Thread(target=lambda: box.append(fn()))
    t.start()
    t.join()
    return fn(), box[0]


def futex_words(gil):
    """Offsets from gil of the futexes a thread waiting for the GIL sleeps on,
    watched from this thread, which keeps the GIL (PyDLL calls) meanwhile."""
    stop = []
    tid = []

    def spin():
        tid.append(threading.get_native_id())
        while not stop:
            pass

    t = threading.Thread(target=spin)
    t.start()
    while not tid:
        time.sleep(0.001)
    path = b"/proc/self/task/%d/syscall" % tid[0]
    seen = set()
    sleeps = 0
    buf = ctypes.create_string_buffer(256)
    for _ in range(400):
        libc.usleep(20000)
        fd = libc.open(path, os.O_RDONLY | os.O_CLOEXEC)
        if fd < 0:
            fail("open %s" % path)
        n = libc.read(fd, buf, 255)
        libc.close(fd)
        fields = buf.raw[: max(n, 0)].split()
        if len(fields) > 1 and fields[0] == b"202":  # futex(uaddr, ...)
            seen.add(int(fields[1], 16) - gil)
            sleeps += 1
        if sleeps >= FUTEX_SEEN:
            break
    stop.append(1)
    t.join()
    if not seen:
        fail("the waiting thread was never seen in futex()")
    return seen


class Garbage:
    seen = []
    span = 0

    def __init__(self):
        self.me = self

    def __del__(self):
        Garbage.seen.append(mem(api.PyInterpreterState_Get(), Garbage.span))


def gc_collecting(span):
    """The int of the interpreter that is 1 in every finalizer run by the collector
    and 0 outside collections."""
    interp = api.PyInterpreterState_Get()
    Garbage.span = span
    outside = []
    for _ in range(3):
        Garbage()
        gc.collect()
        outside.append(mem(interp, span))
    if len(Garbage.seen) < 3:
        fail("the collector ran %d finalizers" % len(Garbage.seen))
    cands = set(range(0, span - 3, 4))
    for b in Garbage.seen:
        cands &= {o for o in cands if u32_at(b, o) == 1}
    for b in outside:
        cands &= {o for o in cands if u32_at(b, o) == 0}
    return only("gc_collecting", cands)


def main():
    sys.setswitchinterval(INTERVAL_US / 1e6)
    runtime = runtime_addr()
    interp = api.PyInterpreterState_Get()
    if interp != api.PyInterpreterState_Main():
        fail("not the main interpreter")
    span = interp_span(interp, runtime)
    out = {"file": file_of(runtime), "tstate_interp": tstate_interp()}
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    out["free_threaded"] = int(not gil_enabled)
    out.update(runtime_gil=-1, interp_gil=-1, gil_holder=-1, gil_locked=-1, gil_state_off=-1)
    out["gil_futex"] = "-"
    if gil_enabled:
        rt = set.intersection(*in_two_threads(lambda: observe_gil(gil_in_runtime(runtime))))
        rt = unlocked(runtime, rt)
        ptrs = gil_pointers(interp, span)
        if rt and ptrs:
            fail("a GIL state both in _PyRuntime %s and behind %s" % (rt, ptrs))
        if rt:
            state, holder, locked = only("GIL state in _PyRuntime", rt)
            out["runtime_gil"] = state
            gil = runtime + state
        else:
            ptr = only("interpreter's pointer to its GIL", ptrs)
            gil = u64s(mem(interp + ptr, 8))[0]
            sets = in_two_threads(lambda: observe_gil(lambda: (gil, GIL_SPAN)))
            fields = unlocked(gil, set.intersection(*sets))
            state, holder, locked = only("GIL state fields", fields)
            if state != 0:
                fail("the interpreter's GIL pointer is %d bytes before its state" % state)
            out["interp_gil"] = ptr
        out.update(gil_holder=holder, gil_locked=locked, gil_state_off=gil - runtime)
        out["gil_futex"] = ",".join(str(o) for o in sorted(futex_words(gil)))
    out["gc_collecting"] = gc_collecting(span)
    for k in ("file", "free_threaded", "tstate_interp", "runtime_gil", "interp_gil",
              "gil_holder", "gil_locked", "gil_state_off", "gil_futex", "gc_collecting"):
        print("%s %s" % (k, out[k]))


main()
