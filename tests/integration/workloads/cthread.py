# Loads the shared library argv[1] and starts its C-only thread (spinning in
# cthread_spin_forever, no Python state) while the main thread sleeps: for
# --native, which shows that thread's native stack.
import ctypes
import sys
import time

lib = ctypes.CDLL(sys.argv[1])


def main():
    if lib.cthread_start() != 0:
        print("pthread_create failed", flush=True)
        return 1
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
