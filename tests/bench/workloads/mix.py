# A CPU-bound mix in the spirit of pyperformance: recursion, dict and str work,
# sorting, small-object churn.  Runs a fixed amount of work and prints the wall
# time it took, in seconds.  --threads N runs the same work split over N threads.
import sys
import threading
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def dict_str(n):
    d = {}
    for i in range(n):
        k = "key-%d" % i
        d[k] = k.upper() + str(i * 7)
    total = 0
    for k, v in d.items():
        total += len(v) + len(k.split("-")[1])
    return total + len(",".join(sorted(d)[:100]))


def sort_objs(n):
    rows = [(i * 7919 % 1009, "n%d" % i, float(i) / 3) for i in range(n)]
    rows.sort()
    rows.sort(key=lambda r: r[2], reverse=True)
    return rows[0][0]


def unit():
    return fib(18) + dict_str(3000) + sort_objs(3000)


def work(units):
    for _ in range(units):
        unit()


def main():
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    threads = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--threads" else 1
    start = time.perf_counter()
    if threads == 1:
        work(units)
    else:
        ts = [threading.Thread(target=work, args=(units // threads,)) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    print("%.6f" % (time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main()
