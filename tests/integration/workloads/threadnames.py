# Named threads: N idle ones ("idle-<i>") blocked on an Event and 20 busy
# ones ("busy-<k>"), each spinning in a function of its own (spin_<k>), for
# tests/integration/test_threadnames.py.  Prints "ready"; on SIGUSR1 renames
# busy-0 to "renamed-0" and prints "renamed".
import signal
import sys
import threading
import time

BUSY = 20


def make_spin(k, go):
    # Distinct code objects and names, one per busy thread.
    src = ("def spin_%d(end):\n"
           "    go.wait()\n"
           "    x = 0\n"
           "    while time.monotonic() < end:\n"
           "        x += 1\n") % k
    ns = {"time": time, "go": go}
    exec(compile(src, __file__, "exec"), ns)
    return ns["spin_%d" % k]


def main(idle, duration):
    # Small stacks: 1000 threads must fit the machine.
    threading.stack_size(256 * 1024)
    end = time.monotonic() + duration
    stop = threading.Event()
    go = threading.Event()
    busy = [threading.Thread(target=make_spin(k, go), args=(end,), name="busy-%d" % k,
                             daemon=True) for k in range(BUSY)]
    idlers = [threading.Thread(target=stop.wait, name="idle-%d" % i, daemon=True)
              for i in range(idle)]

    def rename(signum, frame):
        busy[0].name = "renamed-0"
        print("renamed", flush=True)
    signal.signal(signal.SIGUSR1, rename)
    for t in idlers + busy:
        t.start()
    go.set()
    print("ready", flush=True)
    # Sleeps, not a join: the handler runs between them on every version.
    while time.monotonic() < end:
        time.sleep(0.05)
    for t in busy:
        t.join()
    stop.set()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
