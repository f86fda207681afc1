# Two phases: first spins in turn in 300 functions of distinct names (f0 .. f299), then,
# once sent SIGUSR1, only in steady() under main(), until DURATION seconds are over.  When
# the first phase's windows leave the history, the daemon's profile forgets its names and
# renumbers the rest: names it still hands out must stay right.
import signal
import sys
import time

PHASE = [1]


def on_usr1(signum, frame):
    PHASE[0] = 2


def make(i):
    g = {"time": time}
    exec("def f%d(end):\n    while time.thread_time() < end:\n        pass\n" % i, g)
    return g["f%d" % i]


def steady(end):
    while time.thread_time() < end:
        pass


def main(duration):
    funcs = [make(i) for i in range(300)]
    end = time.monotonic() + duration
    signal.signal(signal.SIGUSR1, on_usr1)
    print("ready", flush=True)
    k = 0
    while PHASE[0] == 1 and time.monotonic() < end:
        funcs[k % len(funcs)](time.thread_time() + 0.002)
        k += 1
    while time.monotonic() < end:
        steady(time.thread_time() + 0.002)


if __name__ == "__main__":
    main(float(sys.argv[1]))
