# Threads in known states for `pyprofctl dump`: two spinning (contending for the GIL
# on a GIL build: one holds it, the other waits for it), one in time.sleep, one in
# recv on a socketpair whose peer never writes, one in acquire() of a Lock the main
# thread holds while it waits on an event nobody sets.  late_sleeper waits for
# SIGUSR1, then sleeps: it blocks after pyprofd profiles the process, so its time
# off the CPU is known.
import signal
import socket
import threading
import time


def spin():
    n = 0
    while True:
        n += 1


def sleeper():
    time.sleep(3600)


def late_sleeper():
    # Not a handler: only the main thread runs those, and it waits in a lock.
    signal.sigwait([signal.SIGUSR1])
    print("late", flush=True)
    time.sleep(3600)


def receiver(sock):
    sock.recv(1)


def waiter(lock):
    lock.acquire()


def hold_and_wait(event):
    event.wait()


def main():
    lock = threading.Lock()
    lock.acquire()
    a, b = socket.socketpair()
    # Blocked in every thread: the signal goes to late_sleeper's sigwait().
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    for target, args in ((spin, ()), (spin, ()), (sleeper, ()), (receiver, (a,)),
                         (waiter, (lock,)), (late_sleeper, ())):
        threading.Thread(target=target, args=args, daemon=True).start()
    print("ready", flush=True)
    hold_and_wait(threading.Event())
    b.close()


if __name__ == "__main__":
    main()
