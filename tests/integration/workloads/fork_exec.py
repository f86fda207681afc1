# A fork child that runs Python code of its parent's, then execs a new interpreter:
#   fork_exec.py parent SECONDS TAG   spins in parent_work() until a line comes on stdin,
#                                     then forks; the child runs prefork_work() for
#                                     SECONDS and execs "fork_exec.py child TAG"; the
#                                     parent prints "child PID" and waits for it
#   fork_exec.py child TAG            prints "ready", then spins in exec_work()
import os
import select
import sys
import time


def parent_work():
    x = 0
    while not select.select([sys.stdin], [], [], 0)[0]:
        for _ in range(10000):
            x += 1
    sys.stdin.readline()


def prefork_work(seconds, tag):
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "child", tag])


def exec_work():
    end = time.monotonic() + 120
    x = 0
    while time.monotonic() < end:
        x += 1


def main():
    if sys.argv[1] == "child":
        print("ready", flush=True)
        exec_work()
        return
    seconds, tag = float(sys.argv[2]), sys.argv[3]
    print("ready", flush=True)
    parent_work()
    pid = os.fork()
    if pid == 0:
        prefork_work(seconds, tag)
    print("child %d" % pid, flush=True)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
