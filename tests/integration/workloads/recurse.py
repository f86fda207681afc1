# A recursive function 100 calls deep spinning at the bottom.
import sys
import time

DEPTH = 100


def bottom(end):
    x = 0
    while time.monotonic() < end:
        x += 1


def rec(n, end):
    if n <= 1:
        return bottom(end)
    return rec(n - 1, end)


def main(duration):
    print("ready", flush=True)
    rec(DEPTH, time.monotonic() + duration)


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
