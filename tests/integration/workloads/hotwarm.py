# Known CPU split: hot() burns 3 units for every 1 unit warm() burns, both under main().
import sys
import time

UNIT = 0.004


def spin(seconds):
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1
    return x


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
