# Two threads hand a token back and forth over pipes: every hand-over blocks one
# thread and wakes the other, a context switch each way.  argv: hand-overs, us of
# Python work per hand-over (paces the switch rate).  Prints "wall-seconds switches".
import os
import resource
import sys
import threading
import time

N = int(sys.argv[1])
WORK = float(sys.argv[2]) / 1e6


def work():
    end = time.perf_counter() + WORK
    while time.perf_counter() < end:
        pass


def side(rd, wr, first):
    if first:
        os.write(wr, b"x")
    for _ in range(N // 2):
        os.read(rd, 1)
        work()
        os.write(wr, b"x")
    count_switches()


SWITCHES = []


def count_switches():
    """Adds the calling thread's context switches (it ends right after)."""
    ru = resource.getrusage(resource.RUSAGE_THREAD)
    SWITCHES.append(ru.ru_nvcsw + ru.ru_nivcsw)


a_r, a_w = os.pipe()
b_r, b_w = os.pipe()
time.sleep(1.0)  # for pyprofd to profile the process: not timed
t0 = time.monotonic()
ts = [threading.Thread(target=side, args=(a_r, b_w, True)),
      threading.Thread(target=side, args=(b_r, a_w, False))]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("%.6f %d" % (time.monotonic() - t0, sum(SWITCHES)))
