# Loads the shared library argv[1] and runs Python code until SIGUSR1, then
# calls its C spin() under do_spin() for ever: for --native, whose unwinder must
# name spin's frames from the file mapped though another file took its path
# in between (test_native.py replaces it).
import ctypes
import signal
import sys

lib = ctypes.CDLL(sys.argv[1])
going = False


def on_usr1(sig, frame):
    global going
    going = True
    print("going", flush=True)


def do_python():
    return sum(i * i for i in range(10000))


def do_spin():
    lib.spin(ctypes.c_ulong(1 << 20))


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    print("ready", flush=True)
    while not going:
        do_python()
    while True:
        do_spin()


if __name__ == "__main__":
    sys.exit(main())
