# A worker of a service (test_select): worker NAME spins in hot_NAME() until its time is up,
# so each process of the service has a hot function of its own.  Any further arguments are
# only there to be seen in its command line.
import sys
import time


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


def hot_a():
    return spin(20000)


def hot_b():
    return spin(20000)


def hot_c():
    return spin(20000)


def main(name, duration):
    hot = {"a": hot_a, "b": hot_b, "c": hot_c}[name]
    end = time.monotonic() + duration
    print("ready", flush=True)
    while time.monotonic() < end:
        hot()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
