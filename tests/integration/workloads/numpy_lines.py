# numpy under two lines of one function: for --native, whose samples of each line must
# carry numpy's own native frames, in the shares of time the lines take.  The script
# times each line itself: CPU time (time.thread_time sums), what on-CPU samples count;
# wall time (perf_counter) would count the time another process had the CPU too, on a
# shared machine.  SIGUSR1 prints them, in ns.
import signal
import sys
import time

import numpy

spent = [0.0, 0.0]


def on_usr1(sig, frame):
    print("%d %d" % (spent[0] * 1e9, spent[1] * 1e9), flush=True)


def work():
    t0 = time.thread_time()
    y = numpy.random.rand(2000, 100)  # RAND
    t1 = time.thread_time()
    y.sum()  # SUM
    t2 = time.thread_time()
    spent[0] += t1 - t0
    spent[1] += t2 - t1


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    print("ready", flush=True)
    while True:
        work()


if __name__ == "__main__":
    sys.exit(main())
