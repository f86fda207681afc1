# Workloads of test_gil.py:  python gil.py MODE SECONDS
#   two:   two CPU-bound threads, t_one and t_two, take turns with the GIL, while
#          t_nogil hashes in C with the GIL released
#   gc:    the collector's work: gc.collect() over many live objects, with cyclic
#          garbage to free each time, in collect_loop()
#   plain: a CPU loop that allocates nothing, in plain_loop()
import gc
import hashlib
import sys
import threading
import time


def spin(end):
    x = 0
    while time.monotonic() < end:
        x += 1
    return x


def t_one(end):
    spin(end)


def t_two(end):
    spin(end)


def t_nogil(end):
    # hashlib lets go of the GIL for data this large.
    data = b"x" * (4 << 20)
    while time.monotonic() < end:
        hashlib.sha256(data).digest()


class Node:
    def __init__(self):
        self.other = self


def collect_loop(end):
    # Live objects the collector traverses on every full collection.
    keep = [[Node() for _ in range(100)] for _ in range(2000)]
    while time.monotonic() < end:
        for _ in range(200):
            Node()
        gc.collect()
    return len(keep)


def plain_loop(end):
    x = 0
    while time.monotonic() < end:
        x += 1
    return x


def main(mode, duration):
    end = time.monotonic() + duration
    if mode == "two":
        threads = [threading.Thread(target=f, args=(end,)) for f in (t_one, t_two, t_nogil)]
        for t in threads:
            t.start()
        print("ready", flush=True)
        for t in threads:
            t.join()
    elif mode == "gc":
        print("ready", flush=True)
        collect_loop(end)
    else:
        print("ready", flush=True)
        plain_loop(end)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
