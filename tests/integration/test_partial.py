# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Stacks sampled while a frame is pushed or popped: a partial walk must say so, and
a complete stack starts at <module>.  (Its own program: with the thread tests in one,
a loaded machine took past the runner's 600 s per program.)"""

import contextlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (TREE_MINORS, Daemon, Skip, Workload, frame_func, main,  # noqa: E402
                        need_root, py_frames, python_for, test)

PARTIAL = "[python: partial stack]"


def check_genexpr(d, minor, pid):
    # 20000 samples: 3.12 showed the genexpr at the root in 5 of 12000.
    st = d.wait_samples(pid, 20000, match="f (", timeout=150)
    partial = 0
    for stack, n in st.items():
        frames = [frame_func(f) for f in py_frames(stack)]
        if not frames:
            continue
        if PARTIAL in stack:
            partial += n
            print("  partial: %s" % ";".join(frames))
            continue
        # "<genexpr>", or "f.<locals>.<genexpr>" by its qualified name (3.11+).
        assert not frames[0].endswith("<genexpr>"), \
            "partial stack shown as complete: %r" % stack
        # The workload's stacks (not site's imports at start, run from C).
        if "f" in frames and not stack.split(";")[1].startswith("["):
            assert frames[:2] == ["<module>", "f"], "complete stack not from <module>: %r" \
                % stack
    print("  3.%s: %d of %d samples marked partial, bpf_partial_stack %s" % (
        minor, partial, sum(st.values()), d.status().get("bpf_partial_stack", "?")))


def genexpr_test(minors):
    """Two versions at once, one CPU each: the samples each needs in half the time."""
    need_root()
    pythons = []
    for minor in minors:
        try:
            pythons.append((minor, python_for(minor)[1]))
        except Skip as e:
            print("  skip 3.%s: %s" % (minor, e))
    if not pythons:
        raise Skip("none of 3.%s" % ", 3.".join(str(m) for m in minors))
    with Daemon("--rate", "999") as d, contextlib.ExitStack() as stack:
        loads = [(minor, stack.enter_context(Workload(python, "genexpr.py", 150)))
                 for minor, python in pythons]
        for minor, w in loads:
            check_genexpr(d, minor, w.pid)


def make_genexpr_tests():
    minors = (9, 10, 11, 12, 13) + TREE_MINORS
    for k in range(0, len(minors), 2):
        def t(pair=minors[k:k + 2]):
            genexpr_test(pair)
        t.__name__ = "genexpr_partial_stacks_" + "_and_".join("3_%s" % m for m in minors[k:k + 2])
        test(t)


make_genexpr_tests()


if __name__ == "__main__":
    main()
