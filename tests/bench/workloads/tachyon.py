# make bench (peers): `python3.15 -m profiling.sampling ARGS` (Tachyon), unchanged but for one
# line on stderr, "sampling", when its sampling loop starts: the bench starts the target's
# work then, so neither Tachyon's start-up nor its attach is inside the measured window.
import runpy
import sys

from profiling.sampling import sample

_sample = sample.SampleProfiler.sample


def marked(self, *args, **kwargs):
    print("sampling", file=sys.stderr, flush=True)
    return _sample(self, *args, **kwargs)


sample.SampleProfiler.sample = marked
sys.argv[0] = "profiling.sampling"
runpy.run_module("profiling.sampling", run_name="__main__", alter_sys=True)
