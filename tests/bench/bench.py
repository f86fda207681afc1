# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make bench: pyprof's costs and accuracy, measured side by side in one run.

Every comparison alternates its configurations round by round (this machine
is noisy) and reports the median with the min-max.  Needs root (BPF).
BENCH_ROUNDS=N changes the number of rounds (default 7); BENCH_QUICK=1 runs
a short version of each measurement, for a smoke test; BENCH_ONLY=a,b runs
only those sections (offcpu: the cost of recording off-CPU time; push: --push's
CPU per window and bytes per push, BENCH_PUSH_N=1,10,50 the process counts; peers: pyprof next to CPython 3.15's own sampling profiler,
Tachyon, on the sid tree of `make pythons`); BENCH_BASELINE_PYPROFD=PATH (another build of pyprofd)
adds it, side by side with this build, to the daemon-per-sample and history
rows.
"""

import functools
import json
import os
import platform
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from pyproftest import (INROOT, OUTPUT, PYPROFCTL, SID_TREE, interpreters,  # noqa: E402
                        parse_folded, wait_for)
from pyproftest import Daemon as TestDaemon  # noqa: E402


def Daemon(*extra):
    """pyprofd at its defaults, off-CPU recording included: what a host runs."""
    return TestDaemon(*extra, offcpu=True)


HERE = os.path.dirname(os.path.abspath(__file__))
WL = os.path.join(HERE, "workloads")
HOTWARM = os.path.join(HERE, "..", "integration", "workloads", "hotwarm.py")
UNIT = os.path.join(HERE, "..", "..", "systemd", "pyprofd.service.in")
QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3" if QUICK else "7"))
SLOWDOWN_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3" if QUICK else "15"))
NCPU = os.cpu_count() or 1

rows = []          # (section, measurement, value, target, verdict)
found = {}         # numbers one section measures and a later one uses


def row(section, what, value, target="", ok=None):
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    rows.append((section, what, value, target, verdict))
    print("  %-11s %-46s %-34s %-10s %s" % (section, what, value, target, verdict), flush=True)


def med_range(xs, fmt="%.3f"):
    if not xs:
        # No interval counted (BPF stats switched off under us: another bench's run).
        return "none"
    return (fmt % statistics.median(xs)) + " (" + (fmt % min(xs)) + "-" + (fmt % max(xs)) + ")"


def python():
    for minor in (11, 12, 13):
        for label, exe in interpreters(minor):
            return exe
    sys.exit("bench: no CPython 3.11+ here")


def ctl_status(d):
    return d.status()


def proc_run_ns(pid):
    """CPU time of a single-threaded process in ns (schedstat: finer than utime + stime)."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def unit_sched():
    """(policy, priority, nice) of the systemd unit: the bench runs pyprofd as the unit does."""
    keys = {}
    with open(UNIT) as f:
        for line in f:
            k, sep, v = line.strip().partition("=")
            if sep and k in ("CPUSchedulingPolicy", "CPUSchedulingPriority", "Nice"):
                keys[k] = v
    policy = {"rr": os.SCHED_RR, "fifo": os.SCHED_FIFO, "other": os.SCHED_OTHER,
              "batch": os.SCHED_BATCH, "idle": os.SCHED_IDLE}[keys.get("CPUSchedulingPolicy",
                                                                          "other")]
    return policy, int(keys.get("CPUSchedulingPriority", "0")), int(keys.get("Nice", "0"))


def sched_name(sched):
    policy, prio, nice = sched
    names = {os.SCHED_RR: "rr", os.SCHED_FIFO: "fifo", os.SCHED_OTHER: "other",
             os.SCHED_BATCH: "batch", os.SCHED_IDLE: "idle"}
    return "%s %d" % (names[policy], prio) if prio else "nice %d" % nice


def with_sched(sched):
    policy, prio, nice = sched

    def apply():
        os.setpriority(os.PRIO_PROCESS, 0, nice)
        os.sched_setscheduler(0, policy, os.sched_param(prio))
    return apply


def all_listed(d, procs):
    """Every one of procs is in pyprofd's list (one request; other users' processes on a
    shared machine may have any name, so only the PID column is read)."""
    pids = set()
    for line in d.ctl("list").stdout.splitlines()[1:]:
        first = (line.split(None, 1) or [""])[0]
        if first.isdigit():
            pids.add(int(first))
    return all(p.pid in pids for p in procs)


def stop_all(procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()
        if p.stdout:
            p.stdout.close()


def raw_request(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    s.sendall(line)
    data = b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


# --------------------------------------------------------------------------------------------
def run_timed(argv):
    """(wall seconds the workload printed, CPU seconds it used: utime + stime)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    if status != 0:
        raise RuntimeError("%s failed: %d" % (argv, status))
    return float(out), ru.ru_utime + ru.ru_stime


def bench_slowdown(py):
    """The target's wall and CPU time alone and under pyprofd at 99 and 999 Hz, and at
    99 Hz with --native (8 KiB of user stack copied per sample, unwound by the daemon).

    No IRQ time accounting on most kernels: the sampling program's time is
    charged to the thread it interrupts, so the workload's CPU time holds
    pyprofd's cost, without the scheduling noise of the wall clock.  A second
    run alone in each round gives the noise floor."""
    units = 160 if QUICK else 800
    variants = (("1 thread", []), ("4 threads", ["--threads", "4"]))
    configs = ("alone", "99", "999", "99 --native", "alone again")
    # (config, against, target in % or None): --native's own cost is the increment over
    # the same rate without it, paired round by round (issue 12's target).
    pairs = (("99", "alone", 0.5), ("999", "alone", None), ("99 --native", "alone", None),
             ("99 --native", "99", 1.0), ("alone again", "alone", None))
    wall = {(c, v[0]): [] for c in configs for v in variants}
    cpu = {(c, v[0]): [] for c in configs for v in variants}
    for r in range(SLOWDOWN_ROUNDS):
        order = configs[r % len(configs):] + configs[:r % len(configs)]
        for c in order:
            d = Daemon("--rate", *c.split()) if not c.startswith("alone") else None
            if d:
                d.__enter__()
            try:
                for name, extra in variants:
                    w, t = run_timed([py, os.path.join(WL, "mix.py"), str(units)] + extra)
                    wall[(c, name)].append(w)
                    cpu[(c, name)].append(t)
            finally:
                if d:
                    d.__exit__(None, None, None)

    def ratios(table, c, name, base="alone"):
        # Each run against the run of base in the same round: drift cancels out.
        return [(u / a - 1) * 100 for u, a in zip(table[(c, name)], table[(base, name)])]

    def fmt(rs):
        return "%+.2f%% (%+.2f..%+.2f)" % (statistics.median(rs), min(rs), max(rs))

    for name, _ in variants:
        row("slowdown", "mix, %s, alone: wall / CPU (s)" % name, "%.3f / %.3f"
            % (statistics.median(wall[("alone", name)]), statistics.median(cpu[("alone", name)])))
        q = statistics.quantiles(ratios(cpu, "alone again", name), n=4)
        noise = (q[2] - q[0]) / 2
        for c, base, target in pairs:
            if c == "alone again":
                label = "noise floor: alone vs alone"
            elif base == "alone":
                label = "pyprofd %s Hz vs alone" % c
            else:
                label = "%s Hz vs %s Hz" % (c, base)
            what = "mix, %s, %s, CPU" % (name, label)
            cr = ratios(cpu, c, name, base)
            med = statistics.median(cr)
            if target is None:
                row("slowdown", what, fmt(cr))
            elif med < target:
                row("slowdown", what, fmt(cr), "< %g%%" % target, True)
            else:
                # Resolving the target needs a noise floor below it; say which case this is.
                rows.append(("slowdown", what, fmt(cr), "< %g%%" % target,
                             "MISSED" if med > noise else "within noise (+-%.1f%%)" % noise))
                print("  %-11s %-46s %-34s %-10s %s" % rows[-1], flush=True)
            row("slowdown", "mix, %s, %s, wall" % (name, label),
                fmt(ratios(wall, c, name, base)))


# --------------------------------------------------------------------------------------------
def bpf_cost_once(py, depth, young, extra=(), native=None, rate=999):
    """us per sample (per 1 s interval) with one deep process per CPU; young: measured in
    the processes' first 5 s (code fingerprints on), else after them.  native: a list that
    gets the daemon's unwind us per sample of each interval (with --native in extra)."""
    per = []
    with Daemon("--rate", str(rate), *extra) as d:
        # One deep process per CPU: nearly every sample is a Python sample.
        t0 = time.monotonic()
        procs = [subprocess.Popen([py, os.path.join(WL, "deep.py"), str(depth), "120"],
                                  stdout=subprocess.PIPE, text=True) for _ in range(NCPU)]
        try:
            for p in procs:
                p.stdout.readline()
            wait_for(lambda: all_listed(d, procs), timeout=10,
                     what="deep processes listed")
            intervals = 3
            if young:
                time.sleep(0.3)
            else:
                time.sleep(max(0.0, 5.5 - (time.monotonic() - t0)))
                intervals = 3 if QUICK else 7
            st0 = ctl_status(d)
            for _ in range(intervals):
                time.sleep(1.0)
                st1 = ctl_status(d)
                dn = int(st1["bpf_prog_run_cnt"]) - int(st0["bpf_prog_run_cnt"])
                dt = int(st1["bpf_prog_run_time_ns"]) - int(st0["bpf_prog_run_time_ns"])
                if dn:
                    per.append(dt / dn / 1000.0)
                un = int(st1.get("native_unwound", 0)) - int(st0.get("native_unwound", 0))
                if native is not None and un:
                    native.append((int(st1["native_unwind_ns"]) -
                                   int(st0["native_unwind_ns"])) / un / 1000.0)
                st0 = st1
            share = int(st1["bpf_emitted"]) / max(1, int(st1["bpf_samples"]))
        finally:
            for p in procs:
                p.kill()
                p.wait()
                p.stdout.close()
    return per, share


def bench_bpf_cost(py):
    """Kernel BPF stats (run_time_ns / run_cnt) of the sampling program at 3 stack depths."""
    path = "/proc/sys/kernel/bpf_stats_enabled"
    try:
        old = open(path).read().strip()
        open(path, "w").write("1")
    except OSError as e:
        row("bpf", "cost per sample", "skipped: %s" % e)
        return
    try:
        for depth in (8, 64, 256):
            frames = min(depth + 2, 256)
            per, share = bpf_cost_once(py, depth, young=False)
            row("bpf", "cost per sample, %d Python frames (us)" % frames,
                med_range(per, "%.2f") + ", %.0f%% py" % (share * 100),
                "< 3 us" if depth == 64 else "", statistics.median(per) < 3 if depth == 64 else None)
            if depth == 64:
                # What that costs a busy thread: rate x cost per sample, as a share of its CPU.
                for hz in (99, 999):
                    row("bpf", "  = CPU taken from a busy thread at %d Hz" % hz,
                        "%.3f%%" % (hz * statistics.median(per) / 1e6 * 100))
        per, share = bpf_cost_once(py, 64, young=True)
        row("bpf", "  same, 66 frames, a process's first 5 s (us)",
            med_range(per, "%.2f") + ", fingerprints on")
    finally:
        open(path, "w").write(old)


def native_new_processes(py, n=20):
    """The daemon's unwind us per sample over the first second of n new processes of py
    (two at a time), each started after the last pair exited: what the ELF files cost
    when every process is new to the unwinder (symbol tables: one read per build-id)."""
    with Daemon("--rate", "199", "--native") as d:
        st0 = ctl_status(d)
        for _ in range(n // NCPU):
            procs = [subprocess.Popen([py, os.path.join(WL, "deep.py"), "8", "1"],
                                      stdout=subprocess.PIPE, text=True) for _ in range(NCPU)]
            for p in procs:
                p.stdout.readline()
            for p in procs:
                p.wait()
                p.stdout.close()
        st1 = ctl_status(d)
    un = int(st1["native_unwound"]) - int(st0["native_unwound"])
    ns = int(st1["native_unwind_ns"]) - int(st0["native_unwind_ns"])
    reads = int(st1.get("native_symtabs_read", 0)) - int(st0.get("native_symtabs_read", 0))
    return (ns / un / 1000.0 if un else None), un, reads


def bench_native(py):
    """--native side by side with it off: BPF us per sample (run_time_ns / run_cnt) at 10,
    64 and 256 Python frames, bytes per sample on the ring, the daemon's unwind time."""
    path = "/proc/sys/kernel/bpf_stats_enabled"
    try:
        old = open(path).read().strip()
        open(path, "w").write("1")
    except OSError as e:
        row("native", "cost per sample", "skipped: %s" % e)
        return
    try:
        for depth in (8, 62, 254):
            frames = depth + 2
            # 199 Hz: at 999 Hz on 2 CPUs the daemon's unwinding (~0.2 ms a sample) would
            # take most of a CPU and answer status late.
            off, _ = bpf_cost_once(py, depth, young=False, rate=199)
            unwind = []
            on, _ = bpf_cost_once(py, depth, young=False, extra=("--native",), native=unwind,
                                  rate=199)
            row("native", "BPF us/sample, %d frames: off | on" % frames,
                "%s | %s" % (med_range(off, "%.2f"), med_range(on, "%.2f")))
            row("native", "  daemon unwind+merge us/sample, %d frames" % frames,
                med_range(unwind, "%.1f") if unwind else "none")
            # The sample as sent (header, frames) and the fixed-size stack copy before it.
            sample = 64 + 16 * frames
            row("native", "  ring bytes/sample, %d frames: off | on" % frames,
                "%d | %d" % (sample, sample + 8264))
        us, un, reads = native_new_processes(py)
        row("native", "  daemon us/sample, first 1 s of 20 new processes",
            "%.1f (%d samples, %d symbol tables read)" % (us, un, reads) if us else "none")
    finally:
        open(path, "w").write(old)


# --------------------------------------------------------------------------------------------
def bench_daemon_cpu(py):
    """pyprofd's own CPU (schedstat) with 1, 10 and 50 busy Python processes at 99 Hz."""
    span = 4.0 if QUICK else 10.0
    for n in (1, 10, 50):
        procs = [subprocess.Popen([py, HOTWARM, "600"], stdout=subprocess.PIPE, text=True)
                 for _ in range(n)]
        try:
            for p in procs:
                p.stdout.readline()
            with Daemon() as d:
                wait_for(lambda: all_listed(d, procs), timeout=30, what="%d processes" % n)
                time.sleep(2)
                c0, t0 = proc_run_ns(d.proc.pid) / 1e9, time.monotonic()
                time.sleep(span)
                c1, t1 = proc_run_ns(d.proc.pid) / 1e9, time.monotonic()
                st = ctl_status(d)
            pct = (c1 - c0) / (t1 - t0) * 100
            row("daemon", "pyprofd CPU, %d busy processes" % n,
                "%.2f%% of a core (%s samples)" % (pct, st["samples_received"]),
                "< 1%" if n == 50 else "", pct < 1 if n == 50 else None)
        finally:
            for p in procs:
                p.kill()
                p.wait()
                p.stdout.close()


# --------------------------------------------------------------------------------------------
def bench_accuracy(py):
    """Known split: attribution error, and the share of complete Python stacks."""
    # The workload's rounds vary in length, so samples land at random points of a round
    # and the share carries binomial sampling error: 5000 samples (at 999 Hz, 5 s) keep
    # one sigma at 0.6 points, printed next to the result.  The reference is the split
    # the workload clocked itself (thread CPU time in hot() and warm()), not 3:1, which
    # CPU time misses by a few tenths of a point.
    errs, truth, complete = [], [], []
    want = 2000 if QUICK else 5000
    for _ in range(3 if QUICK else 5):
        with Daemon("--rate", "999") as d:
            p = subprocess.Popen([py, HOTWARM, "600"], stdout=subprocess.PIPE, text=True)
            try:
                p.stdout.readline()
                st = d.wait_samples(p.pid, want, timeout=120)
                p.send_signal(signal.SIGUSR1)
                split = p.stdout.readline().split()
            finally:
                p.kill()
                p.wait()
                p.stdout.close()
        assert len(split) == 3 and split[0] == "split", split
        ref = int(split[1]) / float(int(split[1]) + int(split[2]))
        hot = sum(n for s, n in st.items() if ";hot (" in s)
        warm = sum(n for s, n in st.items() if ";warm (" in s)
        total = sum(st.values())
        bad = sum(n for s, n in st.items() if ";[" in s)
        errs.append(abs(hot / float(hot + warm) - ref) * 100)
        truth.append(ref)
        complete.append((total - bad) / float(total) * 100)
    row("accuracy", "hot share error vs its CPU clock (points)", med_range(errs, "%.2f"), "< 1",
        statistics.median(errs) < 1)
    row("accuracy", "  hot share by the workload's CPU clock", med_range(truth, "%.4f"))
    row("accuracy", "  sampling error, one sigma (points)",
        "%.2f at %d samples" % (100 * (0.75 * 0.25 / want) ** 0.5, want))
    row("accuracy", "samples with a complete Python stack (%)", med_range(complete, "%.2f"),
        "> 99.5", statistics.median(complete) > 99.5)


# --------------------------------------------------------------------------------------------
def boot_id():
    return open("/proc/sys/kernel/random/boot_id").read().strip()[:36].encode()


def prof_now():
    """pyprofd's profile clock: wall-clock ns (CLOCK_MONOTONIC + the offset at its start)."""
    return time.time_ns()


def state_header(window_ns, index, nprocs, bucket_ns=None):
    """The raw header of a --state-dir window file (statefile.h); bucket_ns: W6's."""
    now = prof_now()
    wall = time.time_ns()
    start = index * window_ns
    raw = struct.pack("<QQQ", window_ns, start, wall - (now - start)) + boot_id()
    if bucket_ns is not None:
        raw += struct.pack("<Q", bucket_ns)
    return raw + struct.pack("<I", nprocs)


def state_file(magic, raw):
    return magic + struct.pack("<Q", len(raw)) + zlib.compress(raw, 1)


BUSY_STACKS = 3000  # the first simulated process's repertoire: ~2600 distinct stacks in 1 h
BUCKETS = 10        # 1 s buckets of a 10 s window
SIM_PID = 3000000   # the first simulated process, the busy one


def sim_cmdline(i):
    """A simulated process's command line: its unit's script, one worker of several."""
    return "/usr/bin/python3.11 /srv/app/%s.py --worker %d" % (sim_unit(i)[:-8], i)


def sim_unit(i):
    """Half the simulated processes are one service's (the busy one among them), half
    another's: the selector benchmark asks for one unit, 50 processes."""
    return "bench-%s.service" % ("a" if i % 2 == 0 else "b")


def simulated_procs(nprocs, stacks_per_window, samples_per_window, seed, window=0):
    """One window's part of every simulated process: a web service's worth of stacks.  The
    first process is a busy one (one thread at 99 Hz: 990 samples a window over 40 of
    BUSY_STACKS stacks), the one whose snapshots are timed.  Each process is (pid, names,
    [(name indices, [count per 1 s bucket])]): the busy one's samples in every second, the
    others' where each sample fell."""
    import random
    rnd = random.Random(seed)
    procs = []
    for i in range(nprocs):
        names = ["python3.11"] + ["%s (/srv/app/mod%d.py:%d)" % (f, i % 7, 10 + k)
                                  for k, f in enumerate(["<module>", "main", "serve", "handle"] +
                                                        ["f%d" % j for j in range(120)])]
        busy = i == 0
        rr = random.Random(12345) if busy else rnd
        repertoire = []
        for k in range(BUSY_STACKS if busy else 60):
            depth = rr.randint(15, 40)
            repertoire.append([0, 1, 2, 3, 4] + [rr.randint(5, len(names) - 1)
                                                 for _ in range(depth - 5)])
        nst, nsamp = (40, 990) if busy else (stacks_per_window, samples_per_window)
        chosen = (random.Random(window) if busy else rnd).sample(repertoire, nst)
        stacks = []
        for k, st in enumerate(chosen):
            count = max(1, nsamp // nst + (k < nsamp % nst))
            per = [0] * BUCKETS
            for n in range(count):
                per[(n + k) % BUCKETS if busy else rnd.randrange(BUCKETS)] += 1
            stacks.append((st, per))
        procs.append((SIM_PID + i, names, stacks))
    return procs


def sim_str(x):
    b = x.encode()
    return struct.pack("<I", len(b)) + b


def w2_blob(procs):
    """The processes as pyprofd wrote them before frames were data ("PYPROFW2", still read:
    loading it is what an upgrade costs); a window is whole, so the buckets are summed."""
    blob = b""
    for i, (pid, names, stacks) in enumerate(procs):
        body = b""
        for st, per in stacks:
            body += struct.pack("<I%dIQ" % len(st), len(st), *st, sum(per))
        blob += struct.pack("<IQIIII", pid, 1000 + i, 0, 0, 0x030b07f0, 1) + \
            sim_str("python3.11") + sim_str("/usr/bin/python3.11") + sim_str("") + \
            struct.pack("<I", len(names)) + b"".join(sim_str(n) for n in names) + \
            struct.pack("<I", len(stacks)) + body
    return blob


def w6_blob(procs):
    """The processes as pyprofd writes them now ("PYPROFW6"): labels, frames as data, each
    stack once per 1 s bucket it has samples in."""
    blob = b""
    for i, (pid, names, stacks) in enumerate(procs):
        unit = sim_unit(i)
        labels = [("cgroup", "/system.slice/" + unit), ("unit", unit)]
        frames = [(0, "python3.11", None, -1)]  # FRAME_PROCESS
        for n in names[1:]:
            func, rest = n.split(" (", 1)
            file, line = rest[:-1].rsplit(":", 1)
            frames.append((1, func, file, int(line)))  # FRAME_PYTHON
        strings = []
        for f in frames:
            for x in (f[1], f[2]):
                if x is not None and x not in strings:
                    strings.append(x)
        entries = [(st, n, b) for st, per in stacks for b, n in enumerate(per) if n]
        blob += struct.pack("<IQIIII", pid, 1000 + i, 0, 0, 0x030b07f0, 1) + \
            sim_str("python3.11") + sim_str("/usr/bin/python3.11") + sim_str("") + \
            struct.pack("<I", len(labels)) + b"".join(sim_str(k) + sim_str(v) for k, v in labels) + \
            struct.pack("<I", len(strings)) + b"".join(sim_str(x) for x in strings) + \
            struct.pack("<I", len(frames)) + bytes(f[0] for f in frames) + \
            b"".join(struct.pack("<I", strings.index(f[1])) for f in frames) + \
            b"".join(struct.pack("<I", 0xffffffff if f[2] is None else strings.index(f[2]))
                     for f in frames) + \
            b"".join(struct.pack("<i", f[3]) for f in frames) + \
            b"".join(struct.pack("<i", -1) for f in frames) + \
            struct.pack("<I", len(entries)) + \
            b"".join(struct.pack("<I%dIQ" % len(st), len(st), *st, n) for st, n, _ in entries) + \
            bytes(len(entries)) + bytes(b for _, _, b in entries) + sim_str(sim_cmdline(i))
    return blob


def timed_start(d):
    """Starts d and waits until its state dir is loaded: pyprofd listens first, and answers
    once the load is done (a request meanwhile waits).  Returns the time from the start to
    the end of the load as the log says it, and the load's own time (s)."""
    import re
    t0 = time.monotonic()
    d.__enter__()
    pat = re.compile(r"windows loaded from .* in ([0-9.]+) s")
    wait_for(lambda: pat.search(d.output()), timeout=300, what="the state dir's load")
    return time.monotonic() - t0, float(pat.search(d.output()).group(1))


def history_once(exe, ctlexe, state, x, selector):
    """One daemon (exe) started on a copy of the state dir: its start time (the load of the
    files in it), RSS, and the latency of timed snapshots of the busy process (raw PYPROF/1
    requests for 60 s and the whole history, PYPROF/2 for the whole history where exe speaks
    it, and pyprofctl's formats); with selector, also of the whole history of the processes
    of unit sim_unit(0), raw and through pyprofctl, checked to be 50 processes.  A copy,
    because a daemon rewrites the windows it loaded in its own format."""
    copy = tempfile.mkdtemp(prefix="pyprof-bench-state.")
    try:
        subprocess.run(["cp", "-a", state + "/.", copy], check=True)
        d = Daemon("--window", "10", "--retention", "2h", "--state-dir", copy)
        d.args[0] = exe
        start, load = timed_start(d)
        try:
            x["start"].append(start)
            x["load"].append(load)
            x["rss"].append(int(ctl_status(d)["daemon_rss_kb"]) / 1024.0)
            for _ in range(3 if QUICK else 8):
                for secs in (60, 3600):
                    line = ("PYPROF/1 snapshot pid=%d seconds=%d\n" % (SIM_PID, secs)).encode()
                    t = time.perf_counter()
                    reply = raw_request(d.sock, line)
                    x["lat"][secs].append((time.perf_counter() - t) * 1000)
                    assert reply.startswith(b"OK "), reply[:80]
                line = b"PYPROF/2 snapshot pid=%d seconds=3600\n" % SIM_PID
                t = time.perf_counter()
                wire = raw_request(d.sock, line)
                if wire.startswith(b"OK "):
                    x["wire"].append((time.perf_counter() - t) * 1000)
                if selector:
                    line = ("PYPROF/1 snapshot unit=%s seconds=3600 processes=1\n"
                            % sim_unit(0)).encode()
                    t = time.perf_counter()
                    sel = raw_request(d.sock, line)
                    x["sel"].append((time.perf_counter() - t) * 1000)
                    head = sel.split(b"\n", 1)[0].split()
                    assert head[0] == b"OK" and b"processes=50" in head, sel[:200]
                    # The same 50 by command line: a regex per process on top.
                    line = ("PYPROF/1 snapshot cmdline=/srv/app/%s[.]py seconds=3600 "
                            "processes=1\n" % sim_unit(0)[:-8]).encode()
                    t = time.perf_counter()
                    sel = raw_request(d.sock, line)
                    x["selc"].append((time.perf_counter() - t) * 1000)
                    head = sel.split(b"\n", 1)[0].split()
                    assert head[0] == b"OK" and b"processes=50" in head, sel[:200]
            for f in x["ctl"]:
                t = time.perf_counter()
                subprocess.run([ctlexe, "--socket", d.sock, "snapshot", "--pid", str(SIM_PID),
                                "--seconds", "3600", "--format", f, "--output", os.devnull],
                               check=True, capture_output=True)
                x["ctl"][f].append((time.perf_counter() - t) * 1000)
            if selector:
                t = time.perf_counter()
                r = subprocess.run([ctlexe, "--socket", d.sock, "snapshot", "--unit",
                                    sim_unit(0), "--seconds", "1h", "--per-process"],
                                   check=True, capture_output=True, text=True)
                x["sel_ctl"].append((time.perf_counter() - t) * 1000)
                roots = {line.split(";", 1)[0] for line in r.stdout.splitlines()}
                assert len(roots) == 50, sorted(roots)[:5]
        finally:
            d.__exit__(None, None, None)
    finally:
        subprocess.run(["rm", "-rf", copy])
    return reply


def write_history(dirs, nprocs, windows, window_ns):
    """windows of simulated history ending now, the same samples into each of dirs:
    {"W2": dir, "W6": dir}."""
    now_index = prof_now() // window_ns
    for k in range(windows):
        procs = simulated_procs(nprocs, 10, 20, seed=k % 8, window=k)
        index = now_index - windows + k
        for version, d in dirs.items():
            if version == "W2":
                f = state_file(b"PYPROFW2", state_header(window_ns, index, nprocs) +
                               w2_blob(procs))
            else:
                f = state_file(b"PYPROFW6", state_header(window_ns, index, nprocs,
                                                         window_ns // BUCKETS) + w6_blob(procs))
            with open(os.path.join(d, "w%d.pyprof" % index), "wb") as out:
                out.write(f)


def bench_history():
    """Snapshot latency for 60 s and 1 h of history, and pyprofd's RSS holding 1 h for 100
    processes (simulated windows: 20 samples over 10 of 60 stacks per process and window,
    about what 2 CPUs at 99 Hz give 100 busy processes), side by side: loaded from W2 files
    (whole windows: what an upgrade loads, one bucket per window) and from W6 files (the
    same samples per 1 s bucket, with labels: what a restart loads now), where a selector
    of one unit's 50 processes is timed too; this build side by side with
    BENCH_BASELINE_PYPROFD if given (on the W2 files, with the pyprofctl beside it, if
    there is one)."""
    window_ns = 10 * 10 ** 9
    nprocs, windows = 100, (60 if QUICK else 360)
    builds = [("this build", os.path.join(OUTPUT, "pyprofd"), PYPROFCTL)]
    base = os.environ.get("BENCH_BASELINE_PYPROFD")
    if base:
        ctl = os.path.join(os.path.dirname(base), "pyprofctl")
        builds.append(("baseline", base, ctl if os.access(ctl, os.X_OK) else PYPROFCTL))
    fmts = ("folded", "svg", "speedscope", "pprof", "json")
    # (name, build, files): W6 files for this build only (a baseline may not read them).
    configs = [("%s, W2 files" % b, exe, ctl, "W2") for b, exe, ctl in builds]
    configs.insert(1, ("this build, W6 files", builds[0][1], builds[0][2], "W6"))
    res = {c[0]: {"lat": {60: [], 3600: []}, "ctl": {f: [] for f in fmts}, "rss": [],
                  "start": [], "load": [], "wire": [], "sel": [], "selc": [], "sel_ctl": []}
           for c in configs}
    dirs = {v: tempfile.mkdtemp(prefix="pyprof-bench-state.") for v in ("W2", "W6")}
    try:
        with Daemon("--window", "10", "--retention", "2h") as d:
            base_rss = int(ctl_status(d)["daemon_rss_kb"])
        write_history(dirs, nprocs, windows, window_ns)
        for r in range(2 if QUICK else max(2, ROUNDS // 2)):
            for name, exe, ctlexe, version in (configs if r % 2 == 0 else configs[::-1]):
                reply = history_once(exe, ctlexe, dirs[version], res[name], version == "W6")
                if name == "this build, W2 files":
                    distinct = reply.count(b"\n") - 1 if reply.startswith(b"OK ") else 0
    finally:
        for d in dirs.values():
            subprocess.run(["rm", "-rf", d])
    hours = windows * 10 / 3600.0
    for name, _, _, version in configs:
        x = res[name]
        lat = x["lat"]
        row("history", "snapshot latency, 60 s of history, %s (ms)" % name,
            med_range(lat[60], "%.2f"), "< 20 ms", statistics.median(lat[60]) < 20)
        row("history", "snapshot latency, %.1f h of history, 1 process, PYPROF/1, %s (ms)"
            % (hours, name), med_range(lat[3600], "%.2f"), "< 20 ms",
            statistics.median(lat[3600]) < 20)
        if x["sel"]:
            row("history", "  %.1f h, unit= selector of 50 processes, PYPROF/1, %s (ms)"
                % (hours, name), med_range(x["sel"], "%.2f"))
            row("history", "  the same through pyprofctl --unit --per-process (ms)",
                med_range(x["sel_ctl"], "%.1f"))
            row("history", "  %.1f h, cmdline= selector of the same 50, PYPROF/1, %s (ms)"
                % (hours, name), med_range(x["selc"], "%.2f"))
        if x["wire"]:
            row("history", "  1 process as PYPROF/2, %s (ms)" % name, med_range(x["wire"], "%.2f"))
        for f in fmts:
            row("history", "  through pyprofctl, %s, %s (ms)" % (f, name),
                med_range(x["ctl"][f], "%.1f"))
        row("history", "pyprofd's load of %d files (log), %s (s)" % (windows, name),
            "%s (start to loaded %.1f)" % (med_range(x["load"], "%.2f"),
                                               statistics.median(x["start"])))
        row("history", "pyprofd RSS, %.1f h x %d processes, %s (MiB)" % (hours, nprocs, name),
            "%s (%.1f with no history)" % (med_range(x["rss"], "%.1f"), base_rss / 1024.0),
            "< 64 MiB", statistics.median(x["rss"]) < 64)
    row("history", "distinct stacks in %.1f h of the busy process" % hours, "%d" % distinct)
    w2, w6 = res["this build, W2 files"], res["this build, W6 files"]
    row("history", "  W6 (1 s buckets) / W2 (whole windows), RSS",
        "%.2f" % (statistics.median(w6["rss"]) / statistics.median(w2["rss"])))
    if len(builds) > 1:
        a, b = w2, res["baseline, W2 files"]
        for what, xa, xb in (("60 s snapshot", a["lat"][60], b["lat"][60]),
                             ("1 h snapshot", a["lat"][3600], b["lat"][3600]),
                             ("RSS", a["rss"], b["rss"]),
                             ("pyprofctl folded", a["ctl"]["folded"], b["ctl"]["folded"]),
                             ("pyprofctl svg", a["ctl"]["svg"], b["ctl"]["svg"])):
            row("history", "  this build / baseline, %s" % what,
                "%.2f" % (statistics.median(xa) / statistics.median(xb)))


def bench_window_memory():
    """The heap 100 processes' profiles hold for 1 h (tests/helpers/profile_mem: 2 samples a
    second each, over 10 stacks drawn per 10 s from 60) as plain 10 s windows, as 10 s
    windows counted per 1 s bucket (pyprofd's layout: ranges exact to the second), and as
    1 s windows, side by side."""
    exe = os.path.join(OUTPUT, "tests", "profile_mem")
    nprocs, span = 100, (600 if QUICK else 3600)
    got = {}
    for name, window_s, bucket_s in (("10 s windows", 10, 0), ("10 s windows, 1 s buckets", 10, 1),
                                     ("1 s windows", 1, 0)):
        out = subprocess.run([exe, str(window_s), str(bucket_s), str(nprocs), str(span)],
                             check=True, capture_output=True, text=True).stdout
        got[name] = int(out.split()[1]) / 2.0 ** 20
        row("history", "profile heap, %d s x %d processes, %s (MiB)" % (span, nprocs, name),
            "%.1f" % got[name])
    base = got["10 s windows"]
    row("history", "  1 s buckets / plain 10 s windows, heap",
        "%.2f" % (got["10 s windows, 1 s buckets"] / base), "< 4", got["10 s windows, 1 s buckets"] < 4 * base)
    row("history", "  1 s windows / plain 10 s windows, heap", "%.2f" % (got["1 s windows"] / base))


# --------------------------------------------------------------------------------------------
def bench_churn(py):
    """1000 Python processes of 50 ms: no BPF map entry, fd or memory left behind, and every
    sample accounted for."""
    n = 200 if QUICK else 1000
    with Daemon("--window", "2", "--retention", "10s") as d:
        before = ctl_status(d)
        t0 = time.monotonic()
        running = []
        for i in range(n):
            running.append(subprocess.Popen([py, os.path.join(WL, "short.py")]))
            if len(running) >= NCPU * 2:
                running.pop(0).wait()
        for p in running:
            p.wait()
        churn_s = time.monotonic() - t0
        mid = ctl_status(d)
        # Exited processes keep their history for the retention (10 s), then go.
        wait_for(lambda: int(ctl_status(d)["processes_exited"]) == 0 and
                 int(ctl_status(d)["processes_live"]) <= int(before["processes_live"]),
                 timeout=60, interval=1, what="the churned processes to expire")
        after = ctl_status(d)
    seen = int(mid["discovered_exec"]) + int(mid["discovered_pending"]) + \
        int(mid["discovered_pyinit"]) - int(before["discovered_exec"]) - \
        int(before["discovered_pending"]) - int(before["discovered_pyinit"])
    row("churn", "%d processes of 50 ms in %.0fs: discovered" % (n, churn_s), "%d" % seen, "%d" % n,
        seen >= n * 0.99)
    for key in ("bpf_procs_entries", "daemon_fds"):
        row("churn", "%s before -> after" % key, "%s -> %s" % (before[key], after[key]), "equal",
            after[key] == before[key])
    row("churn", "bpf_tstates_entries after (LRU, 65536 max)", after["bpf_tstates_entries"],
        "<= live threads", int(after["bpf_tstates_entries"]) <= int(before["bpf_tstates_entries"]) + 4)
    row("churn", "daemon RSS before -> after (MiB)", "%.1f -> %.1f (%.1f at the peak)"
        % (int(before["daemon_rss_kb"]) / 1024.0, int(after["daemon_rss_kb"]) / 1024.0,
           int(mid["daemon_rss_kb"]) / 1024.0), "no growth",
        int(after["daemon_rss_kb"]) <= int(before["daemon_rss_kb"]) * 1.25 + 2048)
    total = int(after["bpf_samples"])
    explained = sum(int(after[k]) for k in ("bpf_idle", "bpf_not_python", "bpf_emitted",
                                             "bpf_lost_ringbuf_full", "bpf_err_no_scratch"))
    dropped = int(after["bpf_lost_ringbuf_full"]) + int(after["bpf_err_no_scratch"]) + \
        int(after["samples_unknown_pid"])
    row("churn", "BPF samples explained by the counters", "%d of %d (dropped %d)"
        % (explained, total, dropped), "all", explained == total)
    row("churn", "samples emitted -> received by pyprofd", "%s -> %s"
        % (after["bpf_emitted"], after["samples_received"]), "equal",
        after["bpf_emitted"] == after["samples_received"])


# --------------------------------------------------------------------------------------------
def daemon_per_sample_once(py, exe, rate, nbusy, span):
    """us of pyprofd CPU per sample received, nbusy busy Python processes at rate Hz."""
    t0 = time.monotonic()
    procs = [subprocess.Popen([py, HOTWARM, "600"], stdout=subprocess.PIPE, text=True)
             for _ in range(nbusy)]
    try:
        for p in procs:
            p.stdout.readline()
        d = Daemon("--rate", str(rate))
        d.args[0] = exe
        with d:
            wait_for(lambda: all_listed(d, procs), timeout=30,
                     what="busy processes listed")
            # Past the processes' first 5 s, when every sample wakes the daemon: the
            # steady state, what a long-running service costs.
            time.sleep(max(1.0, 5.5 - (time.monotonic() - t0)))
            n0, c0 = int(ctl_status(d)["samples_received"]), proc_run_ns(d.proc.pid)
            time.sleep(span)
            c1, n1 = proc_run_ns(d.proc.pid), int(ctl_status(d)["samples_received"])
    finally:
        stop_all(procs)
    return (c1 - c0) / 1000.0 / max(1, n1 - n0)


def bench_daemon_per_sample(py):
    """pyprofd's CPU per sample (schedstat / samples received), everything it does included
    (ticks, rescans, status requests), at 99 Hz (the default) and 999 Hz, this build side by
    side with BENCH_BASELINE_PYPROFD if given."""
    builds = [("this build", os.path.join(OUTPUT, "pyprofd"))]
    base = os.environ.get("BENCH_BASELINE_PYPROFD")
    if base:
        builds.append(("baseline", base))
    span = 3.0 if QUICK else 6.0
    for rate in (99, 999):
        per = {b: [] for b, _ in builds}
        for r in range(ROUNDS):
            for name, exe in (builds if r % 2 == 0 else builds[::-1]):
                per[name].append(daemon_per_sample_once(py, exe, rate, NCPU, span))
        for name, _ in builds:
            row("daemon", "pyprofd CPU per sample, %d Hz, %s (us)" % (rate, name),
                med_range(per[name], "%.2f"))
        if base:
            rs = [a / b for a, b in zip(per["this build"], per["baseline"])]
            row("daemon", "  this build / baseline, %d Hz" % rate, med_range(rs, "%.2f"))
        found["daemon_us_%d" % rate] = statistics.median(per["this build"])


# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def build_pipepong():
    exe = os.path.join(OUTPUT, "bench-pipepong")
    subprocess.run(["cc", "-O2", "-Wall", "-o", exe, os.path.join(WL, "pipepong.c")], check=True)
    return exe


def build_gaps():
    so = os.path.join(OUTPUT, "bench-gaps.so")
    subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-o", so,
                    os.path.join(WL, "gaps.c")], check=True)
    return so


def bench_full_cost(py):
    """What a busy Python thread (66 frames deep) pays per sample at 99 Hz: the timer
    interrupt of a cpu-clock perf event the bench opens on its CPU with no BPF program,
    against pyprofd's (interrupt + BPF), each measured as the time the thread loses in the
    gaps that come back at the sampling period's phase (workloads/gaps.c); then pyprofd's
    CPU per sample on top.  Configurations alternate round by round."""
    rate = 99
    period = 10 ** 9 // rate          # the kernel turns a cpu-clock frequency into this period
    cpu = NCPU - 1
    span = 2.0 if QUICK else 4.0
    lib = ctypes_lib(build_gaps())
    p = subprocess.Popen([py, os.path.join(WL, "gaps.py"), os.path.join(OUTPUT, "bench-gaps.so"),
                          str(cpu), "64"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    configs = ("no sampling", "perf event, no BPF", "pyprofd")
    per = {c: [] for c in configs}
    bpf = []
    stats_path = "/proc/sys/kernel/bpf_stats_enabled"
    old_stats = open(stats_path).read().strip()
    try:
        assert p.stdout.readline().strip() == "ready"
        open(stats_path, "w").write("1")
        for r in range(ROUNDS):
            for c in configs[r % 3:] + configs[:r % 3]:
                fd, d = -1, None
                if c == "perf event, no BPF":
                    fd = lib.clock_event(cpu, rate)
                    assert fd >= 0, "perf_event_open failed"
                elif c == "pyprofd":
                    d = Daemon("--rate", str(rate))
                    d.__enter__()
                try:
                    if d:
                        wait_for(lambda: all_listed(d, [p]), timeout=30, what="gaps.py listed")
                        st0 = ctl_status(d)
                    p.stdin.write("%f %d\n" % (span, period))
                    p.stdin.flush()
                    lost, nr = [int(x) for x in p.stdout.readline().split()][:2]
                    if d:
                        st1 = ctl_status(d)
                        dn = int(st1["bpf_prog_run_cnt"]) - int(st0["bpf_prog_run_cnt"])
                        dt = int(st1["bpf_prog_run_time_ns"]) - int(st0["bpf_prog_run_time_ns"])
                        if dn:
                            bpf.append(dt / dn / 1000.0)
                finally:
                    if fd >= 0:
                        os.close(fd)
                    if d:
                        d.__exit__(None, None, None)
                per[c].append((lost, nr))
    finally:
        open(stats_path, "w").write(old_stats)
        p.stdin.close()
        stop_all([p])
    us = {c: [lost / nr / 1000.0 for lost, nr in per[c] if nr > 0] for c in configs}
    irq, total = statistics.median(us["perf event, no BPF"]), statistics.median(us["pyprofd"])
    row("cost", "gaps in phase with no timer (noise check, n/s)",
        "%.1f" % statistics.median([nr / span for _, nr in per["no sampling"]]))
    row("cost", "timer interrupt, no BPF, 99 Hz (us)", med_range(us["perf event, no BPF"], "%.2f"))
    row("cost", "timer interrupt + pyprofd's BPF, 99 Hz (us)", med_range(us["pyprofd"], "%.2f"))
    row("cost", "  BPF by the kernel's stats, 99 Hz, 66 frames (us)", med_range(bpf, "%.2f"))
    daemon = found.get("daemon_us_99")
    if daemon is None:
        row("cost", "full cost per sample", "skipped: needs the daemon section")
        return
    full = total + daemon
    row("cost", "full cost per sample: irq+BPF %.1f + pyprofd %.1f (us)" % (total, daemon),
        "%.1f" % full)
    row("cost", "  = share of a busy CPU at 99 Hz", "%.3f%%" % (rate * full / 1e6 * 100))
    row("cost", "  of which the timer interrupt alone", "%.3f%%" % (rate * irq / 1e6 * 100))


def ctypes_lib(so):
    import ctypes
    return ctypes.CDLL(so)


# --------------------------------------------------------------------------------------------
def bench_snapshot_load(py):
    """Snapshot latency with 64 processes x 4 runnable threads at 999 Hz (BENCH_LOAD_PROCS
    changes the 64), pyprofd at the default priority and at the unit's scheduling
    (CPUSchedulingPolicy=, Nice=), alternated round by round.  The bench's own
    client runs at nice -20 so that the rows time the daemon, not the client's wait for a
    CPU; pyprofctl is also timed at nice 0, as an operator's shell runs it."""
    nprocs = int(os.environ.get("BENCH_LOAD_PROCS", "16" if QUICK else "64"))
    unit = unit_sched()
    configs = (("nice 0 (default)", (os.SCHED_OTHER, 0, 0)),
               ("%s (the unit's)" % sched_name(unit), unit))
    lat = {c: [] for c, _ in configs}
    ctl = {c: [] for c, _ in configs}
    asks = 5 if QUICK else 12
    procs = [subprocess.Popen([py, os.path.join(WL, "busy.py"), "4", "3600"],
                              stdout=subprocess.PIPE, text=True,
                              preexec_fn=with_sched((os.SCHED_OTHER, 0, 0)))
             for _ in range(nprocs)]
    old = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        for p in procs:
            p.stdout.readline()
        os.setpriority(os.PRIO_PROCESS, 0, -20)
        for r in range(ROUNDS):
            for c, prio in (configs if r % 2 == 0 else configs[::-1]):
                d = Daemon("--rate", "999")
                d.preexec_fn = with_sched(prio)
                # The daemon was running before the host got busy: the load waits while
                # it starts (loading BPF at nice 0 under this load takes minutes).
                for p in procs:
                    p.send_signal(signal.SIGSTOP)
                with d:
                    wait_for(lambda: all_listed(d, procs), timeout=120,
                             what="%d busy processes listed" % nprocs)
                    for p in procs:
                        p.send_signal(signal.SIGCONT)
                    time.sleep(3)
                    for k in range(asks):
                        line = ("PYPROF/1 snapshot pid=%d seconds=60\n"
                                % procs[k % nprocs].pid).encode()
                        t = time.perf_counter()
                        reply = raw_request(d.sock, line)
                        lat[c].append((time.perf_counter() - t) * 1000)
                        assert reply.startswith(b"OK "), reply[:80]
                        time.sleep(0.1)
                    for k in range(2):
                        t = time.perf_counter()
                        subprocess.run([PYPROFCTL, "--socket", d.sock, "snapshot", "--pid",
                                        str(procs[k].pid)], capture_output=True, check=True,
                                       preexec_fn=with_sched((os.SCHED_OTHER, 0, 0)))
                        ctl[c].append((time.perf_counter() - t) * 1000)
                    # (Stopping pyprofd at nice 0 under this load takes longer than the
                    # harness waits: the load pauses for that too.)
                    for p in procs:
                        p.send_signal(signal.SIGSTOP)
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, old)
        for p in procs:
            p.send_signal(signal.SIGCONT)
        stop_all(procs)
    for c, prio in configs:
        med = statistics.median(lat[c])
        row("load", "snapshot, %d x 4 threads, pyprofd at %s (ms)" % (nprocs, c),
            med_range(lat[c], "%.1f"), "< 50 ms" if prio == unit else "",
            med < 50 if prio == unit else None)
    for c, _ in configs:
        row("load", "  pyprofctl snapshot at nice 0, pyprofd at %s (ms)" % c,
            med_range(ctl[c], "%.1f"))


# --------------------------------------------------------------------------------------------
# peers: pyprof next to CPython 3.15's own sampling profiler, Tachyon (`python3.15 -m
# profiling.sampling`), on the sid tree's 3.15 (tests/pythons/provision, `make pythons`).
# Both the target and Tachyon run the way a container runs them (tests/helpers/inroot): the
# target with a pid namespace of its own, Tachyon with the host's, so that it attaches to the
# target by its host pid (it reads the target's memory with process_vm_readv, as root).
PEER_PY = "/usr/bin/python3.15"
PEER_TESTS = os.path.dirname(HERE)                  # tests/, at its own path in the tree
PEER_OUT = os.path.join(OUTPUT, "bench-peers")      # Tachyon's output files, ditto
GATED = os.path.join(WL, "gated.py")
TACHYON = os.path.join(WL, "tachyon.py")
PEER_CONFIGS = ("alone", "pyprofd 99 Hz", "Tachyon 99 Hz", "Tachyon 1 kHz", "alone again")


def in_tree(own_pids, *argv):
    return [INROOT] + (["--pid"] if own_pids else []) + \
        ["--bind", PEER_TESTS, "--bind", PEER_OUT, SID_TREE] + list(argv)


def peers_missing():
    """Why the peers section cannot run here, or None."""
    if not os.path.exists(INROOT):
        return "%s not built (make helpers)" % INROOT
    if not os.path.exists(SID_TREE + PEER_PY):
        return "no %s in %s (make pythons)" % (PEER_PY, SID_TREE)
    os.makedirs(PEER_OUT, exist_ok=True)
    r = subprocess.run(in_tree(False, PEER_PY, "-c", "import profiling.sampling"),
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "the tree's python3.15 has no profiling.sampling: %s" % r.stderr.strip()[-200:]
    return None


def tasks_run_ns(pid):
    """CPU time of every thread of a process, ns (schedstat)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass                                    # a thread that just exited
    return total


def tree_target(*argv):
    """A script run by the tree's 3.15 in a container of its own: (Popen, host pid)."""
    p = subprocess.Popen(in_tree(True, PEER_PY, *argv), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        p.wait()
        raise RuntimeError("%s did not start" % argv[0])
    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
        return p, int(f.read().split()[0])


def tachyon_start(pid, rate, out, *extra):
    """Tachyon attached to pid, writing --collapsed to out; returns once it samples."""
    t = subprocess.Popen(in_tree(False, PEER_PY, TACHYON, "attach", "-r", str(rate),
                                 "--collapsed", "-o", out) + list(extra) + [str(pid)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = t.stderr.readline()
    if line.strip() != "sampling":
        t.kill()
        t.wait()
        raise RuntimeError("Tachyon did not start: %s%s" % (line, t.stderr.read()[-400:]))
    return t


def tachyon_end(t, timeout=60):
    """Waits for Tachyon; returns (samples, error rate %) from its summary."""
    out, err = t.communicate(timeout=timeout)
    if t.returncode != 0:
        raise RuntimeError("Tachyon failed (%d): %s" % (t.returncode, err[-400:]))
    samples, errors = 0, 0.0
    for line in out.splitlines():
        if line.startswith("Captured "):
            samples = int(line.split()[1].replace(",", ""))
        elif line.startswith("Error rate:"):
            errors = float(line.split(":")[1])
    return samples, errors


def read_collapsed(path):
    with open(path) as f:
        return parse_folded(f.read())


def frame_key(file, func, line):
    # Tachyon names a frame by co_name or co_qualname depending on the frame; pyprof by
    # qualname: both compare by the last part of the name.
    return (os.path.basename(file), func.rsplit(".", 1)[-1], line)


def norm_pyprof(folded):
    """pyprof's folded ("comm;func (file:line);...") as {(frame key, ...): count}, without
    the comm and the kernel frames (Tachyon sees no kernel stack); its own markers such as
    "[python: partial stack]" stay, as frames no Tachyon stack has."""
    out = {}
    for stack, n in folded.items():
        key = []
        for fr in stack.split(";")[1:]:
            if fr.endswith("_[k]"):
                continue
            func, sep, loc = fr.rpartition(" (")
            file, sep2, line = loc[:-1].rpartition(":")
            key.append(frame_key(file, func, line) if sep and sep2 else (fr,))
        out[tuple(key)] = out.get(tuple(key), 0) + n
    return out


def norm_tachyon(collapsed):
    """Tachyon's --collapsed ("tid:N;file:func:line;...") the same way, without the thread
    and its artificial frames (<GC>, <native>: pyprof's folded has none)."""
    out = {}
    for stack, n in collapsed.items():
        key = []
        for fr in stack.split(";")[1:]:
            parts = fr.rsplit(":", 2)
            if len(parts) == 3:
                key.append(frame_key(*parts))
            elif not fr.startswith("<"):
                key.append((fr,))
        out[tuple(key)] = out.get(tuple(key), 0) + n
    return out


def through(stacks, func):
    """The stacks with a frame of that function (the work, not start-up or the gate)."""
    return {s: n for s, n in stacks.items() if any(len(f) == 3 and f[1] == func for f in s)}


def no_lines(stacks):
    out = {}
    for s, n in stacks.items():
        k = tuple(f[:2] for f in s)
        out[k] = out.get(k, 0) + n
    return out


def overlap(a, b):
    """Agreement of two profiles: the sum over stacks of the smaller of the two shares
    (1 - total variation distance; 100% = the same distribution), in %."""
    ta, tb = float(sum(a.values()) or 1), float(sum(b.values()) or 1)
    return 100 * sum(min(a[s] / ta, b.get(s, 0) / tb) for s in a)


def top_common(a, b, n):
    def top(x):
        return set(sorted(x, key=lambda s: (-x[s], s))[:n])
    return len(top(a) & top(b))


def hot_share(stacks):
    hot = sum(n for s, n in stacks.items() if any(len(f) == 3 and f[1] == "hot" for f in s))
    warm = sum(n for s, n in stacks.items() if any(len(f) == 3 and f[1] == "warm" for f in s))
    return hot / float(hot + warm or 1), hot + warm


def peers_once(config, units):
    """One run of the gated mix under config: the target's (wall, CPU), the profiler's CPU
    and samples over the work, its profile (normalised), Tachyon's error rate."""
    r = {"prof_ns": 0, "samples": 0, "all_samples": 0, "stacks": {}, "errors": 0.0}
    d = t = None
    if config.startswith("pyprofd"):
        d = Daemon("--rate", config.split()[1])
        d.__enter__()
    try:
        p, pid = tree_target(GATED, str(units))
        try:
            if d:
                wait_for(lambda: d.listed().get(pid, ("", ""))[1] == "profiled", timeout=30,
                         what="the 3.15 target profiled")
                st0, c0 = ctl_status(d), tasks_run_ns(d.proc.pid)
            elif config.startswith("Tachyon"):
                out = os.path.join(PEER_OUT, "mix.collapsed")
                t = tachyon_start(pid, 99 if "99" in config else 1000, out)
                c0 = tasks_run_ns(t.pid)
            p.stdin.write("go\n")
            p.stdin.flush()
            wall, cpu = [float(x) for x in p.stdout.readline().split()]
            if d:
                r["prof_ns"] = tasks_run_ns(d.proc.pid) - c0
                st1 = ctl_status(d)
                r["all_samples"] = int(st1["samples_received"]) - int(st0["samples_received"])
                for k in ("bpf_prog_run_time_ns", "bpf_prog_run_cnt"):
                    r[k] = int(st1[k]) - int(st0[k])
                r["stacks"] = through(norm_pyprof(d.snapshot(pid, 3600)), "work")
            elif t:
                r["prof_ns"] = tasks_run_ns(t.pid) - c0
            p.stdin.close()
            p.wait(timeout=60)
            if t:
                _, r["errors"] = tachyon_end(t)
                t = None
                r["stacks"] = through(norm_tachyon(read_collapsed(out)), "work")
        finally:
            if t and t.poll() is None:
                t.kill()
                t.wait()
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
    finally:
        if d:
            d.__exit__(None, None, None)
    r.update(wall=wall, cpu=cpu, samples=sum(r["stacks"].values()))
    return r


def pct_fmt(rs):
    return "%+.2f%% (%+.2f..%+.2f)" % (statistics.median(rs), min(rs), max(rs))


def peers_slowdown():
    """Target cost and profiler CPU, configurations alternated round by round."""
    units = 200 if QUICK else 800
    runs = {c: [] for c in PEER_CONFIGS}
    stats = "/proc/sys/kernel/bpf_stats_enabled"
    old = open(stats).read().strip()
    try:
        open(stats, "w").write("1")
        for r in range(ROUNDS):
            k = r % len(PEER_CONFIGS)
            for c in PEER_CONFIGS[k:] + PEER_CONFIGS[:k]:
                runs[c].append(peers_once(c, units))
    finally:
        open(stats, "w").write(old)
    alone = runs["alone"]
    row("peers", "3.15 mix (%d units), alone: wall / CPU (s)" % units, "%.3f / %.3f" % (
        statistics.median([x["wall"] for x in alone]),
        statistics.median([x["cpu"] for x in alone])))
    for c in PEER_CONFIGS[1:]:
        rs = runs[c]
        name = "noise floor: alone vs alone" if c == "alone again" else c
        for what in ("cpu", "wall"):
            row("peers", "%s: target %s vs alone" % (name, "CPU" if what == "cpu" else what),
                pct_fmt([(x[what] / a[what] - 1) * 100 for x, a in zip(rs, alone)]))
        if c == "alone again":
            continue
        row("peers", "  %s: own CPU over the work (%% of a core)" % c, med_range(
            [x["prof_ns"] / 1e7 / x["wall"] for x in rs], "%.2f"))
        per = [x["prof_ns"] / 1e3 / max(1, x["all_samples"] or x["samples"]) for x in rs]
        extra = ", all %d samples of the host" % statistics.median(
            [x["all_samples"] for x in rs]) if c.startswith("pyprofd") else ""
        row("peers", "  %s: samples of the work / us per sample" % c, "%d / %s%s" % (
            statistics.median([x["samples"] for x in rs]), med_range(per, "%.1f"), extra))
        if c.startswith("pyprofd"):
            # What the sampling program takes from the target itself (charged to the thread
            # it interrupts: in the target's CPU time above), by the kernel's own stats: every
            # run on the host over the work, so the share of the target's CPU is a bound.
            bpf = [x["bpf_prog_run_time_ns"] / 1e3 / max(1, x["bpf_prog_run_cnt"]) for x in rs]
            row("peers", "  %s: BPF per run, all of the host's (us)" % c, med_range(bpf, "%.2f"))
            row("peers", "  %s: all BPF time / target CPU (%%, a bound)" % c, med_range(
                [x["bpf_prog_run_time_ns"] / 1e7 / x["cpu"] for x in rs], "%.3f"))
        row("peers", "  %s: target + profiler CPU vs alone" % c, pct_fmt(
            [((x["cpu"] + x["prof_ns"] / 1e9) / a["cpu"] - 1) * 100 for x, a in zip(rs, alone)]))
        if c.startswith("Tachyon"):
            row("peers", "  %s: its failed samples (%%)" % c,
                med_range([x["errors"] for x in rs], "%.2f"))
    # Agreement on the work's stacks, pairs of the same round; Tachyon against itself at its
    # two rates is what two runs of one profiler reach on this workload.
    pairs = (("pyprofd 99 Hz", "Tachyon 99 Hz"), ("pyprofd 99 Hz", "Tachyon 1 kHz"),
             ("Tachyon 99 Hz", "Tachyon 1 kHz"))
    for a, b in pairs:
        ab = list(zip(runs[a], runs[b]))
        row("peers", "mix stacks, %s vs %s: overlap, lines / functions (%%)" % (a, b),
            "%s / %s" % (med_range([overlap(x["stacks"], y["stacks"]) for x, y in ab], "%.1f"),
                         med_range([overlap(no_lines(x["stacks"]), no_lines(y["stacks"]))
                                    for x, y in ab], "%.1f")))
        row("peers", "  same: top-10 stacks in common (lines)",
            med_range([top_common(x["stacks"], y["stacks"], 10) for x, y in ab], "%.0f"))


def split_of(p, pid):
    """The hot / warm CPU ns hotwarm.py has clocked so far (it answers SIGUSR1)."""
    os.kill(pid, signal.SIGUSR1)
    f = p.stdout.readline().split()
    assert len(f) == 3 and f[0] == "split", f
    return int(f[1]), int(f[2])


def diff(after, before):
    return {s: n - before.get(s, 0) for s, n in after.items() if n > before.get(s, 0)}


def peers_accuracy_once(span):
    """pyprofd at 999 Hz and Tachyon at 1 kHz (its default) on the same hotwarm.py over the
    same span: both profiles of the span and the workload's own clock of it."""
    with Daemon("--rate", "999") as d:
        p, pid = tree_target(HOTWARM, "600")
        t = None
        try:
            wait_for(lambda: d.listed().get(pid, ("", ""))[1] == "profiled", timeout=30,
                     what="the 3.15 target profiled")
            out = os.path.join(PEER_OUT, "hotwarm.collapsed")
            t = tachyon_start(pid, 1000, out, "-d", str(span))
            s0, before = split_of(p, pid), norm_pyprof(d.snapshot(pid, 3600))
            samples, errors = tachyon_end(t, timeout=span + 60)
            t = None
            s1, after = split_of(p, pid), norm_pyprof(d.snapshot(pid, 3600))
        finally:
            if t and t.poll() is None:
                t.kill()
                t.wait()
            p.kill()
            p.wait()
            p.stdout.close()
    hot, warm = s1[0] - s0[0], s1[1] - s0[1]
    return {"ref": hot / float(hot + warm), "pyprof": diff(after, before),
            "tachyon": norm_tachyon(read_collapsed(out)), "errors": errors}


def peers_accuracy():
    span = 5 if QUICK else 8
    runs = [peers_accuracy_once(span) for _ in range(3 if QUICK else 5)]
    for who, name in (("pyprof", "pyprofd 999 Hz"), ("tachyon", "Tachyon 1 kHz")):
        shares = [hot_share(x[who]) for x in runs]
        n = statistics.median([m for _, m in shares])
        # Binomial sampling error of a 3:1 share at that many samples (see bench_accuracy).
        row("peers", "hotwarm, %s: hot share error vs its clock (points)" % name,
            med_range([abs(s - x["ref"]) * 100 for (s, _), x in zip(shares, runs)], "%.2f") +
            ", %d samples, sigma %.2f" % (n, 100 * (0.75 * 0.25 / max(1, n)) ** 0.5))
    row("peers", "  hot share by the workload's CPU clock", med_range([x["ref"] for x in runs],
                                                                         "%.4f"))
    row("peers", "  hot share, pyprofd - Tachyon (points)", med_range(
        [(hot_share(x["pyprof"])[0] - hot_share(x["tachyon"])[0]) * 100 for x in runs], "%+.2f"))
    row("peers", "  stacks overlap, lines / functions (%)", "%s / %s" % (
        med_range([overlap(x["pyprof"], x["tachyon"]) for x in runs], "%.1f"),
        med_range([overlap(no_lines(x["pyprof"]), no_lines(x["tachyon"])) for x in runs],
                  "%.1f")))
    row("peers", "  top-5 stacks in common (lines)",
        med_range([top_common(x["pyprof"], x["tachyon"], 5) for x in runs], "%.0f"))
    row("peers", "  Tachyon's failed samples (%)", med_range([x["errors"] for x in runs], "%.2f"))


def bench_peers():
    """pyprof and Tachyon on the same CPython 3.15 workloads, side by side."""
    why = peers_missing()
    if why:
        row("peers", "pyprof next to Tachyon (CPython 3.15)", "skipped: %s" % why)
        return
    peers_slowdown()
    peers_accuracy()


# --------------------------------------------------------------------------------------------
# "--offcpu-sample 10ms" is the build before --offcpu-sample (short waits drawn per
# --offcpu-min): the change side by side with the defaults (10 ms, 50 ms).
OFFCPU_CONFIGS = ("alone", "--no-offcpu", "off-CPU on", "--offcpu-sample 10ms",
                  "--offcpu-min 50ms", "alone again")
OFFCPU_ON = ("off-CPU on", "--offcpu-sample 10ms", "--offcpu-min 50ms")


def run_counted(argv):
    """(wall s the workload printed, its switches, CPU s it used: utime + stime)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read().split()
    _, status, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    if status != 0:
        raise RuntimeError("%s failed: %d" % (argv, status))
    wall = float(out[0]) if out else 0.0
    return wall, int(out[1]) if len(out) > 1 else 0, ru.ru_utime + ru.ru_stime


def has_django(py):
    return subprocess.run([py, "-c", "import django"], capture_output=True).returncode == 0


def offcpu_workloads(py):
    """(name, argv) of each workload; BENCH_OFFCPU_WORKLOADS=a,b keeps those whose names
    hold a or b (and the C ping-pong, whose runs give bpf_stats' floor)."""
    n = 1 if QUICK else 3
    found = [("pingpong, unpaced", [py, os.path.join(WL, "pingpong.py"), str(n * 100000), "0"]),
             ("pingpong, ~20k switches/s a thread",
              [py, os.path.join(WL, "pingpong.py"), str(n * 30000), "20"]),
             # A server runs for hours: timed past pyprofd's young-process time (5 s in
             # daemon/procs.c), whose code-object snapshots are a cost of starting.
             ("web: threaded HTTP server, clients in it",
              [py, os.path.join(WL, "web.py"), str(n * 1500), "6"])]
    if has_django(py):
        found.append((DJANGO, [py, os.path.join(WL, "django_render.py"), str(n * 70), "6"]))
    found += [(PIPEPONG, [build_pipepong(), str(n * 100000)]),
              (DD, ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=%d" % (n * 300000),
                    "status=none"])]
    only = [w for w in os.environ.get("BENCH_OFFCPU_WORKLOADS", "").split(",") if w]
    return [(name, argv) for name, argv in found
            if not only or name == PIPEPONG or any(w in name for w in only)]


DJANGO = "web: Django page, runserver's server, 4 client processes"


DD = "dd bs=1, not profiled (syscall-heavy)"
PIPEPONG = "C pipe ping-pong, not profiled"


def offcpu_bpf_ns(d):
    """(ns, runs) of the two scheduler programs so far (bpf_stats)."""
    st = ctl_status(d)
    return (int(st["bpf_switch_run_time_ns"]) + int(st["bpf_resume_run_time_ns"]),
            int(st["bpf_switch_run_cnt"]) + int(st["bpf_resume_run_cnt"]))


def offcpu_round(py, c, timed, wall, cpu, sw, stats, share):
    """One config's run of every workload: its BPF time if timed (bpf_stats on), else
    its wall and CPU times (bpf_stats off: what the host pays without the measuring)."""
    d = None
    if c == "--no-offcpu":
        d = Daemon("--no-offcpu")
    elif c == "off-CPU on":
        d = Daemon()
    elif c.startswith("--offcpu-"):
        d = Daemon(*c.split())
    if d:
        d.__enter__()
    try:
        for name, argv in offcpu_workloads(py):
            b0 = offcpu_bpf_ns(d) if c in OFFCPU_ON else (0, 0)
            w, n, t = run_counted(argv)
            if timed and c in OFFCPU_ON and t:
                # Every task's switches meanwhile, not only the workload's: an upper bound.
                b1 = offcpu_bpf_ns(d)
                share[(c, name)].append((b1[0] - b0[0], b1[1] - b0[1], t))
            elif not timed:
                wall[(c, name)].append(w)
                cpu[(c, name)].append(t)
            if w and n:
                sw[name].append(n / w)
        if timed and c == "off-CPU on":
            stats.append(ctl_status(d))
    finally:
        if d:
            d.__exit__(None, None, None)


def offcpu_rows(names, wall, cpu, sw, stats, share):
    def ratios(table, c, name, base):
        return [(u / a - 1) * 100 for u, a in zip(table[(c, name)], table[(base, name)]) if a]

    def fmt(rs):
        return "%+.2f%% (%+.2f..%+.2f)" % (statistics.median(rs), min(rs), max(rs))

    pp = share[("off-CPU on", PIPEPONG)]
    floor = min(ns / runs for ns, runs, _ in pp if runs) if pp else 0
    for name in names:
        # Issue 11's targets: 20k switches/s, and an ordinary web workload (the Django
        # render; web.py, clients in the server's process and 1 ms pages, is harder).
        target = {"pingpong, ~20k switches/s a thread": 2.0, DJANGO: 0.5}.get(name)
        if sw[name]:
            row("offcpu", name + ": switches/s", "%.0f" % statistics.median(sw[name]))
        noise = ratios(cpu, "alone again", name, "alone")
        row("offcpu", "  noise floor: alone again vs alone, CPU", fmt(noise))
        for table, what in ((cpu, "CPU"), (wall, "wall")):
            if not table[("alone", name)][0]:
                continue
            for c in OFFCPU_ON:
                row("offcpu", "  %s vs --no-offcpu, %s" % (c, what),
                    fmt(ratios(table, c, name, "--no-offcpu")))
        # The scheduler programs' own time (bpf_stats) over the workload's CPU time: what
        # the ratios above cannot resolve on a noisy machine.  bpf_stats adds two clock
        # reads to every run it times; on the C ping-pong, whose switches are nearly all
        # the runs and whose tasks the programs leave after one load, the time per run is
        # that and little else: the floor taken off below.
        for c in OFFCPU_ON:
            raw = [ns / 1e9 / t * 100 for ns, _, t in share[(c, name)]]
            net = [max(0, ns - runs * floor) / 1e9 / t * 100
                   for ns, runs, t in share[(c, name)]]
            row("offcpu", "  %s: BPF time / its CPU (bpf_stats)" % c, med_range(raw, "%.2f") + "%")
            judged = target and c == "off-CPU on"
            row("offcpu", "  %s: ... less bpf_stats' %.0f ns a run" % (c, floor),
                med_range(net, "%.2f") + "%", "< %.1f%%" % target if judged else "",
                statistics.median(net) < target if judged else None)
    last = stats[-1]

    def per(key):
        t, n = int(last["bpf_%s_run_time_ns" % key]), int(last["bpf_%s_run_cnt" % key])
        return "%.0f ns (%d runs)" % (t / n, n) if n else "no runs counted"

    row("offcpu", "BPF cost per sched_switch (all tasks)", per("switch"))
    row("offcpu", "BPF cost per return to user after a switch (rseq)", per("resume"))
    lost = sum(int(v) for k, v in last.items()
               if k.startswith("bpf_offcpu_lost_") and not k.endswith("_ns"))
    row("offcpu", "intervals: kept (kstack reused) / short / lost", "%s (%s) / %s / %d" % (
        last["bpf_offcpu_kept"], last.get("bpf_offcpu_kstack_reused", "?"),
        last["bpf_offcpu_short"], lost))


def bench_offcpu(py):
    """Off-CPU accounting's cost: the same workloads alone, under pyprofd --no-offcpu and
    under pyprofd recording off-CPU time, rounds alternating.  The BPF time of the
    scheduler programs is charged to the tasks that switch (kernel time): CPU ratios.
    bpf_stats, which times the programs, costs every run two clock reads itself: rounds
    0, 2, 4... measure BPF time with it, rounds 1, 3... the ratios without it."""
    path = "/proc/sys/kernel/bpf_stats_enabled"
    try:
        old = open(path).read().strip()
    except OSError:
        old = None
    if not has_django(py):
        row("offcpu", DJANGO, "not run: no django for %s (apt install python3-django)" % py)
    names = [n for n, _ in offcpu_workloads(py)]
    wall = {(c, n): [] for c in OFFCPU_CONFIGS for n in names}
    cpu = {(c, n): [] for c in OFFCPU_CONFIGS for n in names}
    sw = {n: [] for n in names}
    share = {(c, n): [] for c in OFFCPU_ON for n in names}
    stats = []
    try:
        for r in range(max(2, ROUNDS)):
            k = r % len(OFFCPU_CONFIGS)
            order = OFFCPU_CONFIGS[k:] + OFFCPU_CONFIGS[:k]
            timed = r % 2 == 0
            if old is not None:
                open(path, "w").write("1" if timed else "0")
            for c in order:
                offcpu_round(py, c, timed, wall, cpu, sw, stats, share)
    finally:
        if old is not None:
            open(path, "w").write(old)
    offcpu_rows(names, wall, cpu, sw, stats, share)


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return "%s, %d CPUs, %.0f GiB, kernel %s" % (model, NCPU, mem, platform.release())


def bench_push(py):
    """--push's cost: pyprofd's CPU with push on and off, alternated round by round, for
    1, 10 and 50 busy processes; CPU per window and bytes per push (one push per process
    per window, to a receiver in this process on loopback that accepts everything)."""
    import pyproftest
    registered = list(pyproftest._tests)
    from test_push import Receiver
    pyproftest._tests[:] = registered
    window, span = 2, (6.0 if QUICK else 12.0)
    rounds = min(ROUNDS, 3)
    for n in [int(x) for x in os.environ.get("BENCH_PUSH_N", "1,10,50").split(",")]:
        procs = [subprocess.Popen([py, HOTWARM, "600"], stdout=subprocess.PIPE, text=True)
                 for _ in range(n)]
        cpu = {False: [], True: []}
        per_push, pushes = [], 0
        try:
            for p in procs:
                p.stdout.readline()
            with Receiver() as rx:
                for _ in range(rounds):
                    for push in (False, True):
                        extra = ("--window", str(window)) + (("--push", rx.url) if push else ())
                        # Off-CPU off: the push is the difference measured, not the verifier;
                        # at the unit's SCHED_RR, which 50 busy processes do not starve.
                        with TestDaemon(*extra).as_the_unit_runs_it() as d:
                            wait_for(lambda: all_listed(d, procs), timeout=60,
                                     what="%d processes" % n)
                            time.sleep(window + 1)
                            st0 = ctl_status(d)
                            c0, t0 = proc_run_ns(d.proc.pid) / 1e9, time.monotonic()
                            time.sleep(span)
                            c1, t1 = proc_run_ns(d.proc.pid) / 1e9, time.monotonic()
                            st1 = ctl_status(d)
                        cpu[push].append((c1 - c0) / (t1 - t0))
                        if push:
                            ok = int(st1["push_ok"]) - int(st0["push_ok"])
                            b = int(st1["push_bytes"]) - int(st0["push_bytes"])
                            pushes += ok
                            if ok:
                                per_push.append(b / ok)
            windows_per_s = 1.0 / window
            extra_ms = [(on - off) / windows_per_s * 1000
                        for on, off in zip(cpu[True], cpu[False])]
            row("push", "pyprofd CPU, %d processes, push off" % n,
                med_range([c * 100 for c in cpu[False]], "%.2f%%"))
            row("push", "pyprofd CPU, %d processes, push on" % n,
                med_range([c * 100 for c in cpu[True]], "%.2f%%"))
            row("push", "extra CPU per %ds window, %d processes" % (window, n),
                med_range(extra_ms, "%.2f ms"))
            row("push", "bytes per push (%d pushes)" % pushes,
                med_range(per_push, "%.0f") if per_push else "no push")
        finally:
            for p in procs:
                p.kill()
                p.wait()
                p.stdout.close()


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF)")
    py = python()
    print("pyprof benchmark: %s" % machine())
    print("python: %s; rounds: %d (slowdown: %d)%s\n" % (py, ROUNDS, SLOWDOWN_ROUNDS,
                                                        " (quick)" if QUICK else ""))
    print("  %-11s %-46s %-34s %-10s %s" % ("section", "measurement", "median (min-max)", "target", ""))
    only = os.environ.get("BENCH_ONLY", "")
    for name, fn, args in (("slowdown", bench_slowdown, (py,)), ("bpf", bench_bpf_cost, (py,)),
                           ("native", bench_native, (py,)),
                           ("daemon", bench_daemon_cpu, (py,)),
                           ("daemon", bench_daemon_per_sample, (py,)),
                           ("cost", bench_full_cost, (py,)), ("load", bench_snapshot_load, (py,)),
                           ("accuracy", bench_accuracy, (py,)),
                           ("history", bench_history, ()), ("history", bench_window_memory, ()),
                           ("churn", bench_churn, (py,)),
                           ("peers", bench_peers, ()), ("offcpu", bench_offcpu, (py,)),
                           ("push", bench_push, (py,))):
        if only and name not in only.split(","):
            continue
        fn(*args)
    missed = [r for r in rows if r[4] == "MISSED"]
    noisy = [r for r in rows if r[4].startswith("within noise")]
    print("\n%d measurements, %d targets met, %d missed, %d below this machine's noise" %
          (len(rows), sum(1 for r in rows if r[4] == "ok"), len(missed), len(noisy)))


if __name__ == "__main__":
    main()
