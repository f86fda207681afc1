# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Line number oracle for tests/unit/test-linetable.c (CPython 3.8 to 3.15).

Compiles whole stdlib modules of the running interpreter, plus a synthetic
module with awkward line jumps, and prints for every code object its line
table and the line CPython itself reports for every instruction offset:

    V <sys.hexversion> <version>
    C <co_firstlineno> <len(co_code)> <line table as hex, or ->
    L <line at offset 0> <line at offset 2> ...      (-1: no line)
    E <number of code objects>

An offset that no range of the table covers is printed as R.  Exits non-zero
if CPython's own views of the table disagree: co_lines(), PyCode_Addr2Line()
and (3.11+) the line of co_positions().
"""
import ctypes
import os
import sys

MODULES = [
    "argparse.py",
    "json/decoder.py",
    "email/message.py",
    "http/client.py",
    "typing.py",
]
# More coverage where present (every one exists in 3.8 to 3.13).
OPTIONAL_MODULES = [
    "inspect.py",
    "dataclasses.py",
    "asyncio/base_events.py",
    "tarfile.py",
    "difflib.py",
    "pydoc.py",
]


def synthetic_source():
    """Code that forces rare table entries in every format."""
    parts = []
    # Line jumps of more than 127 lines (3.10: zero-width pairs) and more than
    # 2**12 lines (3.11+: varints of three chunks), forwards and backwards.
    parts.append("def jumps(a):\n    x = (a +" + "\n" * 300 + "    1)\n")
    parts.append("    y = [a,\n" + "\n" * 5000 + "    a]\n")
    parts.append("    for i in range(3):\n        x += i\n" + "\n" * 200 +
                 "        y.append(x)\n    return x, y\n")
    # Columns of 128 and more (3.11+: LONG entries on one line).
    parts.append("def wide(a):\n    return " + "a + " * 60 + "a\n")
    # One line with much more than 254 bytes of code (3.10: split pairs).
    parts.append("def long_line(a):\n    return [" + ", ".join(
        "a.b%d(a)" % i for i in range(200)) + "]\n")
    # A loop spanning many lines: negative line increments in every format.
    parts.append("def loop(n):\n    t = 0\n    while n:\n" +
                 "".join("        t += n * %d\n" % i for i in range(40)) +
                 "        n -= 1\n    return t\n")
    # try/finally/with: 3.10+ no-line ranges, 3.11+ NONE entries.
    parts.append("def guarded(f):\n    try:\n        with f:\n            f.x()\n"
                 "    except (ValueError,\n            KeyError) as e:\n"
                 "        raise RuntimeError(e)\n    finally:\n        f.close()\n")
    # Decorators and multi-line calls: lines going back to the first line.
    parts.append("@staticmethod\n@property\ndef decorated(\n    a,\n    b,\n):\n"
                 "    return g(\n        a,\n        b,\n    )\n")
    parts.append("class K:\n    def m(self):\n        return [i for i in\n"
                 "                self.x\n                if i]\n")
    return "".join(parts)


def code_objects(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, type(code)):
            for sub in code_objects(c):
                yield sub


def addr2line_func():
    f = ctypes.pythonapi.PyCode_Addr2Line
    f.argtypes = [ctypes.py_object, ctypes.c_int]
    f.restype = ctypes.c_int
    return f


def dump(code, addr2line, out):
    nbytes = len(code.co_code)
    if sys.version_info >= (3, 10):
        table = code.co_linetable
        # co_lines() is what tracing, dis and the frame's f_lineno use; its
        # (start, end, line) ranges are byte offsets from 3.10 on.
        lines = ["R"] * (nbytes // 2)
        for start, end, line in code.co_lines():
            for off in range(start, end, 2):
                if off < nbytes:
                    lines[off // 2] = -1 if line is None else line
        for off in range(0, nbytes, 2):
            # PyCode_Addr2Line returns -1 past the end of the table too.
            want = -1 if lines[off // 2] == "R" else lines[off // 2]
            got = addr2line(code, off)
            if got != want:
                sys.exit("oracle disagreement in %s line %d offset %d: "
                         "co_lines %r, PyCode_Addr2Line %d" %
                         (code.co_name, code.co_firstlineno, off,
                          lines[off // 2], got))
        if sys.version_info >= (3, 11):
            # co_positions(): one (line, end line, column, end column) per code unit,
            # the location table read entry by entry; its line must be co_lines()'s.
            for i, pos in enumerate(code.co_positions()):
                want = -1 if lines[i] == "R" else lines[i]
                got = -1 if pos[0] is None else pos[0]
                if got != want:
                    sys.exit("oracle disagreement in %s line %d offset %d: "
                             "co_lines %r, co_positions %r" %
                             (code.co_name, code.co_firstlineno, 2 * i, lines[i], pos))
    else:
        table = code.co_lnotab
        lines = [addr2line(code, off) for off in range(0, nbytes, 2)]
    out.append("C %d %d %s" % (code.co_firstlineno, nbytes,
                               table.hex() if table else "-"))
    out.append("L " + " ".join(str(l) for l in lines))


def main():
    stdlib = os.path.dirname(os.__file__)
    addr2line = addr2line_func()
    out = ["V %d %s" % (sys.hexversion, sys.version.split()[0])]
    ncode = 0
    sources = [("<synthetic>", synthetic_source())]
    for rel in MODULES + OPTIONAL_MODULES:
        path = os.path.join(stdlib, rel)
        if rel in OPTIONAL_MODULES and not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            sources.append((path, f.read()))
    for path, src in sources:
        for code in code_objects(compile(src, path, "exec")):
            dump(code, addr2line, out)
            ncode += 1
    out.append("E %d" % ncode)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
