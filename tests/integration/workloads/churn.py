# Spins in a new function every 20 ms, each with its own name, so that the
# set of distinct stacks keeps growing for as long as it runs.  Prints
# "ready" when it spins.  argv: seconds to run (default 60).
import sys
import time

SRC = """
def f_%d(until):
    while time.monotonic() < until:
        pass
"""

sys.stdout.write("ready\n")
sys.stdout.flush()
end = time.monotonic() + (float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
keep = []  # alive, so that pyprofd can still name every one
i = 0
while time.monotonic() < end:
    ns = {"time": time}
    exec(SRC % i, ns)
    keep.append(ns["f_%d" % i])
    keep[-1](time.monotonic() + 0.02)
    i += 1
