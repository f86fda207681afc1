# Sleeps; written so that every CPython from 2.7 on runs it.
import sys
import time

sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
