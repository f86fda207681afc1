# C-heavy work, each kind under its own Python function: for --native, whose native frames
# (hashlib's SHA-256, zlib's deflate, json's C encoder, _sre's matcher) must sit directly above them.
import hashlib
import json
import os
import re
import sys
import zlib

BUF = os.urandom(1 << 20)
# Backtracks exponentially: 2^20 tries of the nested group, ~60 ms of _sre.
PAT = re.compile(r"(a+)+$")
SUBJECT = "a" * 20 + "b"
DOC = {str(i): [i, "x" * 20, {"a": i, "b": [1.5, None, True]}] for i in range(20000)}


def do_sha():
    for _ in range(8):
        hashlib.sha256(BUF).digest()


def do_zlib():
    zlib.compress(BUF[: 1 << 18], 9)


def do_json():
    json.dumps(DOC)


def do_re():
    PAT.match(SUBJECT)


def main():
    print("ready", flush=True)
    while True:
        do_sha()
        do_zlib()
        do_json()
        do_re()


if __name__ == "__main__":
    sys.exit(main())
