# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Stacks sampled while a frame is pushed or popped: a partial walk must say so, and
a complete stack starts at <module>.  (Its own program: with the thread tests in one,
a loaded machine took past the runner's 600 s per program.)"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyproftest import (TREE_MINORS, Daemon, Workload, frame_func, main,  # noqa: E402
                        need_root, py_frames, python_for, test)

PARTIAL = "[python: partial stack]"


def genexpr_test(minor):
    need_root()
    _, python = python_for(minor)
    with Daemon("--rate", "999") as d, Workload(python, "genexpr.py", 120) as w:
        # 20000 samples: 3.12 showed the genexpr at the root in 5 of 12000.
        st = d.wait_samples(w.pid, 20000, match="f (", timeout=120)
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


def make_genexpr_tests():
    for minor in (9, 10, 11, 12, 13) + TREE_MINORS:
        def t(minor=minor):
            genexpr_test(minor)
        t.__name__ = "genexpr_partial_stacks_3_%s" % minor
        test(t)


make_genexpr_tests()


if __name__ == "__main__":
    main()
