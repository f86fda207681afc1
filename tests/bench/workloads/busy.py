# make bench: THREADS threads that stay runnable for SECONDS: each hashes 1 MiB at a time
# (hashlib lets go of the GIL), under a few Python frames.
import hashlib
import sys
import threading
import time

BUF = b"x" * (1 << 20)


def hash_loop(end):
    while time.monotonic() < end:
        hashlib.sha256(BUF).digest()


def worker(end):
    hash_loop(end)


def main(threads, seconds):
    end = time.monotonic() + seconds
    ts = [threading.Thread(target=worker, args=(end,)) for _ in range(threads)]
    for t in ts:
        t.start()
    print("ready", flush=True)
    for t in ts:
        t.join()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
