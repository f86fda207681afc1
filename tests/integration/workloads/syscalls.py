# Time spent in the kernel: reads from /dev/zero.
import os
import sys
import time


def read_loop(fd, end):
    n = 0
    while time.monotonic() < end:
        n += len(os.read(fd, 1 << 20))
    return n


def main(duration):
    fd = os.open("/dev/zero", os.O_RDONLY)
    print("ready", flush=True)
    read_loop(fd, time.monotonic() + duration)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
