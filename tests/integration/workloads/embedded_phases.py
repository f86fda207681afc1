# Run inside tests/helpers/embed: two hot functions, one CPU second each, the first
# right after the interpreter starts.  A profiler that finds the process late misses
# samples of embedded_first: the split between the two says how late.
import sys
import time


def burn(end):
    x = 0
    while time.thread_time() < end:
        x += 1
    return x


def embedded_first(end):
    return burn(end)


def embedded_second(end):
    return burn(end)


print("ready", flush=True)
embedded_first(time.thread_time() + 1.0)
embedded_second(time.thread_time() + 1.0)
sys.stdout.flush()
