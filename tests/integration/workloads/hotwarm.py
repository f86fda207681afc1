# Known CPU split: hot() burns 3 units for every 1 unit warm() burns, both under main().
# A unit is a fixed number of loop iterations, not a time: the split stays exact on a
# loaded machine, where a spin on the wall clock that loses the CPU halfway through
# ends having spent little CPU.
import sys
import time

UNIT = 40000


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


def hot():
    return spin(3 * UNIT)


def warm():
    return spin(UNIT)


def main(duration):
    end = time.monotonic() + duration
    print("ready", flush=True)
    while time.monotonic() < end:
        hot()
        warm()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
