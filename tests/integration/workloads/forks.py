# A parent that forks children (as multiprocessing's fork start method does); each
# child spins in child_work() until the deadline.
import os
import sys
import time


def child_work(end):
    x = 0
    while time.monotonic() < end:
        x += 1
    os._exit(0)


def main(duration):
    end = time.monotonic() + duration
    kids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            child_work(end)
        kids.append(pid)
    print("ready " + " ".join(str(k) for k in kids), flush=True)
    for k in kids:
        os.waitpid(k, 0)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
