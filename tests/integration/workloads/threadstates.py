# Threads in known states for `pyprofctl dump`: two spinning (contending for the GIL
# on a GIL build: one holds it, the other waits for it), one in time.sleep, one in
# recv on a socketpair whose peer never writes, one in acquire() of a Lock the main
# thread holds while it waits on an event nobody sets.  SIGUSR1 starts one more
# sleeper, late_sleeper: it blocks after pyprofd profiles the process, so its time
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
    time.sleep(3600)


def start_late(signum, frame):
    threading.Thread(target=late_sleeper, daemon=True).start()
    print("late", flush=True)


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
    signal.signal(signal.SIGUSR1, start_late)
    for target, args in ((spin, ()), (spin, ()), (sleeper, ()), (receiver, (a,)),
                         (waiter, (lock,))):
        threading.Thread(target=target, args=args, daemon=True).start()
    print("ready", flush=True)
    hold_and_wait(threading.Event())
    b.close()


if __name__ == "__main__":
    main()
