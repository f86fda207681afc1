#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes a realistic folded profile of this very program to stdout.

Worker threads run real standard-library code (json, re, difflib, hashlib,
textwrap, email, decimal, threading waits) while the main thread samples
every thread's Python stack through sys._current_frames(), as pyprofd would:
root = the process name, then "qualname (file:line)" root first, and for
threads blocked in a wait the kernel frames such a wait shows (made up here:
Python cannot see them, so they are the usual futex / nanosleep paths).

The output is checked in as tests/golden/python.folded; it is NOT
regenerated at test time (timing makes every run differ).  Regenerate with
    python3 tests/golden/sample_self.py > tests/golden/python.folded
only when the golden files are recorded again on purpose.
"""
import collections
import decimal
import difflib
import email.message
import email.policy
import hashlib
import json
import random
import re
import sys
import textwrap
import threading
import time

COMM = "python3"
SAMPLES = 3000
INTERVAL = 0.0005
stop = threading.Event()

# Kernel paths of a thread parked in the interpreter's waits, leaf last.
KERNEL_WAIT = {
    "sleep": ["entry_SYSCALL_64_after_hwframe", "do_syscall_64", "__x64_sys_clock_nanosleep",
              "hrtimer_nanosleep", "do_nanosleep", "schedule"],
    "wait": ["entry_SYSCALL_64_after_hwframe", "do_syscall_64", "__x64_sys_futex", "do_futex",
             "futex_wait", "schedule"],
}


def json_worker(rng):
    while not stop.is_set():
        doc = {"id": rng.randrange(1 << 30), "tags": [str(i) for i in range(rng.randrange(50))],
               "nested": {"a": [1.5, None, True], "b": "x" * rng.randrange(100)}}
        json.loads(json.dumps(doc, sort_keys=True, indent=2))


def regex_worker(rng):
    pat = re.compile(r"(?P<user>\w+)@(?P<host>[\w.]+)\s+(\d{1,3}\.){3}\d{1,3}")
    while not stop.is_set():
        line = " ".join(f"user{rng.randrange(99)}@host{i}.example 10.0.{i}.{rng.randrange(255)}"
                        for i in range(30))
        [m.group("host") for m in pat.finditer(line)]


def diff_worker(rng):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    while not stop.is_set():
        a = [rng.choice(words) for _ in range(200)]
        b = [w if rng.random() < 0.9 else rng.choice(words) for w in a]
        list(difflib.unified_diff(a, b, lineterm=""))
        textwrap.fill(" ".join(a), width=40)


def hash_email_worker(rng):
    while not stop.is_set():
        msg = email.message.EmailMessage(policy=email.policy.default)
        msg["Subject"] = "report %d" % rng.randrange(1000)
        msg["To"] = "a@example.org"
        msg.set_content("body\n" * rng.randrange(1, 40))
        hashlib.sha256(msg.as_bytes()).hexdigest()
        with decimal.localcontext() as ctx:
            ctx.prec = 50
            decimal.Decimal(rng.random()).sqrt()


def sleeper():
    while not stop.is_set():
        time.sleep(0.002)


def waiter(cond):
    with cond:
        while not stop.is_set():
            cond.wait(0.003)


def fold(frame):
    names = []
    while frame is not None:
        code = frame.f_code
        names.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    names.reverse()
    top = frame_leaf_kind(names)
    if top:
        names.extend(k + "_[k]" for k in KERNEL_WAIT[top])
    return ";".join([COMM] + names)


def frame_leaf_kind(names):
    leaf = names[-1] if names else ""
    if leaf.startswith("sleeper "):
        return "sleep"
    if leaf.startswith("Condition.wait ") or leaf.startswith("Event.wait "):
        return "wait"
    return None


def main():
    cond = threading.Condition()
    targets = [(json_worker, (random.Random(1),)), (regex_worker, (random.Random(2),)),
               (diff_worker, (random.Random(3),)), (hash_email_worker, (random.Random(4),)),
               (sleeper, ()), (waiter, (cond,))]
    threads = [threading.Thread(target=t, args=a, name=t.__name__) for t, a in targets]
    for t in threads:
        t.start()
    counts = collections.Counter()
    me = threading.get_ident()
    for _ in range(SAMPLES):
        for tid, frame in sys._current_frames().items():
            if tid != me:
                counts[fold(frame)] += 1
        time.sleep(INTERVAL)
    stop.set()
    for t in threads:
        t.join()
    for line in sorted(counts):
        sys.stdout.write(f"{line} {counts[line]}\n")


if __name__ == "__main__":
    main()
