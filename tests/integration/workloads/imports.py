# A short-lived program that spends its life importing: 100 generated modules
# whose bodies each burn ~3 ms of CPU at module level.  A module's body is a code
# object that is freed as soon as the import finishes, so a profiler has to name
# it within milliseconds of the sample.
import os
import shutil
import sys
import tempfile
import time

N = 100
BODY = """import time
end = time.process_time() + 0.003
while time.process_time() < end:
    pass
"""

sys.dont_write_bytecode = True
where = tempfile.mkdtemp(prefix="pyproftest-imports.")
try:
    for k in range(N):
        with open(os.path.join(where, "pyprof_mod_%d.py" % k), "w") as f:
            f.write(BODY)
    sys.path.insert(0, where)
    start = time.process_time()
    for k in range(N):
        __import__("pyprof_mod_%d" % k)
        del sys.modules["pyprof_mod_%d" % k]
finally:
    shutil.rmtree(where)
