# Calls time.monotonic() for ever: most samples are in the vDSO's
# clock_gettime, for --native, whose unwinder must get out of it.
import sys
import time


def do_clock():
    while True:
        time.monotonic()


def main():
    print("ready", flush=True)
    do_clock()


if __name__ == "__main__":
    sys.exit(main())
