# A short-lived program that spends its life importing: 100 generated modules
# whose bodies each burn ~3 ms of CPU at module level.  A module's body is a code
# object that is freed as soon as the import finishes, so a profiler has to name
# it within milliseconds of the sample.
# With --wait it prints "ready" and starts importing when a line comes on stdin.
# Body k starts with k % 5 assignments, so that its loop is at lines 3-4 + k % 5
# and at other instruction offsets than its neighbours': a sample named after
# another body than the one it was taken in shows a line outside that loop.
import os
import shutil
import sys
import tempfile
import time

N = 100
BODY = """import time
{extra}end = time.process_time() + 0.003
while time.process_time() < end:
    pass
"""
SHIFT = 5

sys.dont_write_bytecode = True
where = tempfile.mkdtemp(prefix="pyproftest-imports.")
try:
    for k in range(N):
        with open(os.path.join(where, "pyprof_mod_%d.py" % k), "w") as f:
            f.write(BODY.format(extra="".join("x%d = 0\n" % i for i in range(k % SHIFT))))
    sys.path.insert(0, where)
    if "--wait" in sys.argv[1:]:
        print("ready", flush=True)
        sys.stdin.readline()
    start = time.process_time()
    for k in range(N):
        __import__("pyprof_mod_%d" % k)
        del sys.modules["pyprof_mod_%d" % k]
finally:
    shutil.rmtree(where)
