# Four threads, each spinning in a function of its own.
import sys
import threading
import time


def spin(end):
    x = 0
    while time.monotonic() < end:
        x += 1


def t_alpha(end):
    spin(end)


def t_beta(end):
    spin(end)


def t_gamma(end):
    spin(end)


def t_delta(end):
    spin(end)


def main(duration):
    end = time.monotonic() + duration
    threads = [threading.Thread(target=f, args=(end,)) for f in (t_alpha, t_beta, t_gamma, t_delta)]
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
