# Calls the C++ library argv[1] (tests/helpers/cxxspin.cpp) through ctypes under do_cxx:
# for --native, whose frame for its C++ method must be demangled.
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.cxx_spin.argtypes = [ctypes.c_ulong]
lib.cxx_spin.restype = ctypes.c_ulong


def do_cxx():
    lib.cxx_spin(1 << 20)


def main():
    print("ready", flush=True)
    while True:
        do_cxx()


if __name__ == "__main__":
    sys.exit(main())
