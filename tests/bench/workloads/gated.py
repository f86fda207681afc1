# make bench (peers): mix.py's fixed amount of work, started and ended by the bench, so that a
# profiler attached from outside is known to be sampling before the work begins.  Prints
# "ready", waits for a line on stdin, runs the work, prints "WALL CPU" (seconds: the work's
# wall time and the process's CPU time over it, any time a sampler charges to the process
# included), then exits at the next line or at EOF.
import sys
import time

import mix


def main(units):
    print("ready", flush=True)
    sys.stdin.readline()
    w0, c0 = time.perf_counter(), time.process_time()
    mix.work(units)
    print("%.6f %.6f" % (time.perf_counter() - w0, time.process_time() - c0), flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main(int(sys.argv[1]))
