# Threads that wait, for the off-CPU tests.  argv: mode, seconds to run (default 60).
#   sleep: a thread sleeps SLEEP s, then computes for 20 ms, over and over.
#   lock:  a holder takes a lock and sleeps 1 s holding it; a waiter blocks in acquire().
#   recv:  a thread blocks in recv() on a TCP peer silent for 1 s, then sending a byte
#          (an interval is recorded when it ends: the thread must wake up).
#   naps:  a thread takes naps of NAP s for NAPS_FOR s, prints "napped S" (the seconds
#          its naps took by its own clock), then computes.
#   twowaits: a thread waits WAIT s in poll(), then WAIT s in select(), over and over.
#   long:  a thread reads a pipe (pyprofd is started meanwhile) that SIGUSR1 writes to,
#          prints "woken",
#          then computes.
#   late:  threads nap_early_0..2 nap from the start; on SIGUSR1 it starts threads
#          nap_late_0..1 and forks a child whose main thread naps in nap_forked (for
#          NAPS_FOR x 10 s at most), and prints "started CHILD-PID".
# Each marker line below is looked for by its function name and line in the tests.
# Prints "ready" once the waiting thread runs.
import os
import select
import signal
import socket
import sys
import threading
import time

SLEEP = 2.0
NAP = 0.002
NAPS_FOR = 3.0
WAIT = 0.05


def compute(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def sleeper(stop):
    while not stop.is_set():
        time.sleep(SLEEP)  # line: sleep
        compute(0.02)


def long_sleeper(stop, woken):
    os.read(woken, 1)  # line: long
    sys.stdout.write("woken\n")
    sys.stdout.flush()
    while not stop.is_set():
        compute(0.02)


def napper(stop):
    napped, end = 0.0, time.monotonic() + NAPS_FOR
    while time.monotonic() < end:
        t0 = time.monotonic()
        time.sleep(NAP)  # line: nap
        napped += time.monotonic() - t0
    sys.stdout.write("napped %.6f\n" % napped)
    sys.stdout.flush()
    while not stop.is_set():
        compute(0.02)


def nap_early_0(stop):
    while not stop.is_set():
        time.sleep(0.3)  # line: early_0


def nap_early_1(stop):
    while not stop.is_set():
        time.sleep(0.3)  # line: early_1


def nap_early_2(stop):
    while not stop.is_set():
        time.sleep(0.3)  # line: early_2


def nap_late_0(stop):
    while not stop.is_set():
        time.sleep(0.3)  # line: late_0


def nap_late_1(stop):
    while not stop.is_set():
        time.sleep(0.3)  # line: late_1


def nap_forked(parent):
    end = time.monotonic() + NAPS_FOR * 10
    while time.monotonic() < end and os.getppid() == parent:
        time.sleep(0.3)  # line: forked


def start_late(stop, threads):
    """SIGUSR1: the threads and the child made after pyprofd profiles the process."""
    def handler(signum, frame):
        late = [threading.Thread(target=f, args=(stop,)) for f in (nap_late_0, nap_late_1)]
        for t in late:
            t.start()
        threads.extend(late)
        parent = os.getpid()
        child = os.fork()
        if child == 0:
            nap_forked(parent)
            os._exit(0)
        threads.append(child)
        sys.stdout.write("started %d\n" % child)
        sys.stdout.flush()
    signal.signal(signal.SIGUSR1, handler)


def two_waits(stop):
    """Two ways of waiting, in turn, on a pipe no one writes to."""
    r, w = os.pipe()
    p = select.poll()
    p.register(r, select.POLLIN)
    while not stop.is_set():
        p.poll(WAIT * 1000)  # line: poll
        select.select([r], [], [], WAIT)  # line: select
    os.close(r)
    os.close(w)


def holder(lock, stop):
    while not stop.is_set():
        with lock:
            time.sleep(1.0)
        time.sleep(0.001)


def waiter(lock, stop):
    while not stop.is_set():
        lock.acquire()  # line: acquire
        lock.release()
        time.sleep(0.001)


def receiver(sock):
    while sock.recv(1):  # line: recv
        pass


def sender(sock, stop):
    while not stop.wait(1.0):
        sock.sendall(b"x")


def main():
    mode = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    stop = threading.Event()
    keep = []
    if mode == "sleep":
        threads = [threading.Thread(target=sleeper, args=(stop,))]
    elif mode == "naps":
        threads = [threading.Thread(target=napper, args=(stop,))]
    elif mode == "lock":
        lock = threading.Lock()
        threads = [threading.Thread(target=holder, args=(lock, stop)),
                   threading.Thread(target=waiter, args=(lock, stop))]
    elif mode == "recv":
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        keep = [server, client, peer]
        threads = [threading.Thread(target=receiver, args=(client,), daemon=True),
                   threading.Thread(target=sender, args=(peer, stop))]
    elif mode == "long":
        woken, wake = os.pipe()
        threads = [threading.Thread(target=long_sleeper, args=(stop, woken))]
        signal.signal(signal.SIGUSR1, lambda signum, frame: os.write(wake, b"x"))
    elif mode == "twowaits":
        threads = [threading.Thread(target=two_waits, args=(stop,))]
    elif mode == "late":
        threads = [threading.Thread(target=f, args=(stop,))
                   for f in (nap_early_0, nap_early_1, nap_early_2)]
        start_late(stop, keep)
    else:
        raise SystemExit("unknown mode " + mode)
    for t in threads:
        t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        if not t.daemon:
            t.join()
    for k in keep:
        if isinstance(k, threading.Thread):
            k.join()
        elif isinstance(k, int):
            os.kill(k, signal.SIGKILL)
            os.waitpid(k, 0)
        else:
            k.close()


main()
