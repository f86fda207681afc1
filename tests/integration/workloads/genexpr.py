# A generator expression in a tight loop, in f() called from <module>: every
# sum() resumes the generator from C, pushing and popping its frame.
import sys
import time

print("ready", flush=True)
end = time.monotonic() + (float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)


def f(n):
    while time.monotonic() < end:
        sum(i * i for i in range(n))


f(20)
