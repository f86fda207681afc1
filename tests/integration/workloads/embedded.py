# Run inside tests/helpers/embed: a hot function in an embedded interpreter.
import os
import sys
import time


def embedded_hot(end):
    x = 0
    while time.monotonic() < end:
        x += 1
    return x


print("ready", flush=True)
embedded_hot(time.monotonic() + float(os.environ.get("PYPROF_DURATION", "30")))
sys.stdout.flush()
