# A big thread pool: N idle threads blocked on an Event and 20 busy ones,
# each spinning in a function of its own (busy_00 .. busy_19), started
# before the idle ones ("first"), among them ("spread") or after ("last").
import sys
import threading
import time

BUSY = 20


def make_busy(i, go):
    # Distinct code objects and names, one per busy thread.
    src = ("def busy_%02d(end):\n"
           "    go.wait()\n"
           "    x = 0\n"
           "    while time.monotonic() < end:\n"
           "        x += 1\n") % i
    ns = {"time": time, "go": go}
    exec(compile(src, __file__, "exec"), ns)
    return ns["busy_%02d" % i]


def main(idle, order, duration):
    # Small stacks: 5000 threads must fit the machine.
    threading.stack_size(256 * 1024)
    end = time.monotonic() + duration
    stop = threading.Event()
    # The busy threads spin once all are started: 20 spinning threads would
    # make every start wait for the GIL.
    go = threading.Event()
    busy = [threading.Thread(target=make_busy(i, go), args=(end,), daemon=True)
            for i in range(BUSY)]
    idlers = [threading.Thread(target=stop.wait, daemon=True) for _ in range(idle)]
    if order == "first":
        threads = busy + idlers
    elif order == "last":
        threads = idlers + busy
    else:
        threads = list(idlers)
        step = max(1, idle // BUSY)
        for i, t in enumerate(busy):
            threads.insert(i * (step + 1), t)
    for t in threads:
        t.start()
    go.set()
    print("ready", flush=True)
    for t in busy:
        t.join()
    stop.set()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
