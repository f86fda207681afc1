# A hot function whose code object is named with terminal escapes: clear
# screen, newline, tab, an OSC title, DEL and a C1 CSI (U+009B).  Prints
# "ready" when it spins.  argv: seconds to run (default 60).
import sys
import time

NAME = "evil\x1b[2J\n\t\x1b]0;pwned\x07\x9b31m\x7fname"


def spin(n):
    i = 0
    while i < n:
        i += 1
    return i


fields = {"co_name": NAME}
if sys.version_info >= (3, 11):
    fields["co_qualname"] = NAME
spin.__code__ = spin.__code__.replace(**fields)

sys.stdout.write("ready\n")
sys.stdout.flush()
end = time.monotonic() + (float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
while time.monotonic() < end:
    spin(100000)
