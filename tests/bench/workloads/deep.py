# Spins at the bottom of a recursion DEPTH calls deep (plus <module> and main).
import sys
import time


def spin(end):
    x = 0
    while time.monotonic() < end:
        x += 1


def down(n, end):
    if n <= 1:
        return spin(end)
    return down(n - 1, end)


def main(depth, seconds):
    print("ready", flush=True)
    down(depth, time.monotonic() + seconds)


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    main(int(sys.argv[1]), float(sys.argv[2]))
