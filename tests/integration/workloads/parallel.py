# Four threads, each spinning in a function of its own.  Prints, once all four run,
# "ready" and "threads GIL t_alpha=TID t_beta=TID t_delta=TID t_gamma=TID": GIL is 1 when the GIL is
# enabled (always before 3.13), 0 on a free-threaded build running without it; each TID
# is the function's thread id (threading.get_native_id(), in the process's pid namespace).
import sys
import threading
import time


def spin(end):
    x = 0
    while time.monotonic() < end:
        x += 1


def t_alpha(end, tids):
    tids["t_alpha"] = threading.get_native_id()
    spin(end)


def t_beta(end, tids):
    tids["t_beta"] = threading.get_native_id()
    spin(end)


def t_gamma(end, tids):
    tids["t_gamma"] = threading.get_native_id()
    spin(end)


def t_delta(end, tids):
    tids["t_delta"] = threading.get_native_id()
    spin(end)


def main(duration):
    end = time.monotonic() + duration
    tids = {}
    threads = [threading.Thread(target=f, args=(end, tids))
               for f in (t_alpha, t_beta, t_gamma, t_delta)]
    for t in threads:
        t.start()
    while len(tids) < len(threads):
        time.sleep(0.01)
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    print("ready\nthreads %d %s" % (gil, " ".join("%s=%d" % kv for kv in sorted(tids.items()))),
          flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
