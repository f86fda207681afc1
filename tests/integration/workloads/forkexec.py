# A parent whose fork children run Python for a while and then exec a program that is
# not Python (as a service that starts a helper does): pyprofd holds Python samples of
# pids that run no Python by the time their window is pushed.  Prints "child PID" for
# each; the children die with the parent (PR_SET_PDEATHSIG survives the exec).
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1


def child(spin):
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    end = time.monotonic() + spin
    x = 0
    while time.monotonic() < end:
        x += 1
    os.execv("/bin/sleep", ["sleep", "120"])


def main(n, spin):
    print("ready", flush=True)
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            child(spin)
        print("child %d" % pid, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
