# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A program that switches its hot function: before_switch() burns the CPU for the first
# SWITCH_S seconds (argv[1], wall clock), then after_switch() until TOTAL_S (argv[2],
# default 600) from the start.  Prints "ready", then at the switch
# "switch UNIX_SECONDS ISO8601" (the wall-clock time of the switch, UTC), for tests that
# diff the two halves by time range.  SWITCH_S 0 is a process that is only after_switch(),
# a large one only before_switch(): two processes with different known hot functions.
import datetime
import sys
import time


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


def before_switch(until):
    while time.monotonic() < until:
        spin(20000)


def after_switch(until):
    while time.monotonic() < until:
        spin(20000)


def main(switch_s, total_s):
    start = time.monotonic()
    print("ready", flush=True)
    before_switch(start + switch_s)
    now = time.time()
    iso = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat()
    print("switch %.6f %s" % (now, iso), flush=True)
    after_switch(start + total_s)


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 600.0)
