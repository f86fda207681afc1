# Known CPU split: hot() burns 3 units for every 1 unit warm() burns, both under main().
# A unit is a number of loop iterations, not a time: the split stays exact on a loaded
# machine, where a spin on the wall clock that loses the CPU halfway through ends having
# spent little CPU.  The unit varies at random from round to round (the split holds in
# every round): a round of fixed length close to a multiple of the sampling period puts
# every sample at the same point of the round, and a fixed-rate sampler then sees any
# share it likes (0.82 instead of 0.75 was seen at 199 Hz on a machine where a round took
# 2.5 ms).  With random rounds the samples land anywhere and the measured share carries
# plain sampling error: sqrt(0.75 * 0.25 / samples).
#
# The split is 3:1 in iterations; in CPU time it comes out a few tenths of a point under
# 0.75 (per-call costs, caches).  The workload therefore also clocks the thread's CPU time
# in hot() and warm(), and prints "split HOT_NS WARM_NS" when sent SIGUSR1: the reference a
# profiler's share is compared with (make bench).
import random
import signal
import sys
import time

UNIT = 40000
UNITS = [random.randint(UNIT // 2, UNIT * 3 // 2) for _ in range(4096)]
SPENT = [0, 0]   # thread CPU time in hot() and warm(), ns


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


def hot(unit):
    return spin(3 * unit)


def warm(unit):
    return spin(unit)


def main(duration):
    spent = SPENT
    clock = time.thread_time_ns
    end = time.monotonic() + duration
    print("ready", flush=True)
    k = 0
    while time.monotonic() < end:
        unit = UNITS[k % len(UNITS)]
        k += 1
        t0 = clock()
        hot(unit)
        t1 = clock()
        warm(unit)
        spent[0] += t1 - t0
        spent[1] += clock() - t1


if __name__ == "__main__":
    # Set up here, not in main(): the e2e test wants main()'s only callees to be hot and warm.
    signal.signal(signal.SIGUSR1, lambda *_: print("split %d %d" % tuple(SPENT), flush=True))
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
