# make bench: a busy Python thread, DEPTH calls deep, pinned to CPU, that measures the time
# interrupts take from it (gaps.so, see gaps.c).  Reads "SECONDS PERIOD_NS" lines on stdin
# and answers each with "TIMER_LOST_NS TIMER_GAPS SPUN_NS ALL_LOST_NS ALL_GAPS".
import ctypes
import os
import sys


def measure(lib, depth, seconds, period):
    if depth > 1:
        return measure(lib, depth - 1, seconds, period)
    out = (ctypes.c_longlong * 5)()
    # Gaps of 0.5-200 us: longer ones are the thread being scheduled out.
    lib.gaps(ctypes.c_longlong(int(seconds * 1e9)), ctypes.c_longlong(500),
             ctypes.c_longlong(200000), ctypes.c_longlong(period), out)
    return out


def main(so, cpu, depth):
    os.sched_setaffinity(0, {cpu})
    lib = ctypes.CDLL(so)
    print("ready", flush=True)
    for line in sys.stdin:
        seconds, period = line.split()
        print(" ".join(str(v) for v in measure(lib, depth, float(seconds), int(period))),
              flush=True)


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
