"""Does a fork pool pay for a large parent heap? (a gap gilsim does not model yet)

Times multiprocessing.Pool(2, fork).map over 96 lists of floats (each about
256 KiB pickled) with the arguments built before the Pool (the workers fork
a parent of about 100 MB) and after it, at chunksize 1 and 8; 5 interleaved
repetitions, medians. Standard library only:

    python3 tools/measure_fork_cow.py

On the development machine (2 vCPUs, CPython 3.11, 2026-12-03): before the
fork 0.308 s (chunksize 1) and 0.293 s (8); after it 0.180 s and 0.154 s.
gilsim used to charge fork a fixed start cost, so it predicted the "after"
case (0.17 to 0.18 s) for both. It now models fork's page-table copy of a
large parent (python.fork_ns_per_mib) and the copy-on-write faults when the
parent then pickles those arguments (python.cow_ns_per_mib), per MiB of the
tasks' declared `memory`; procs.py measures both.
"""
import multiprocessing as mp, time, statistics, sys
def loop(n):
    x = 0
    for i in range(n): x += i
    return x
def task(a): return loop(3000) & 1
def run(before, chunks):
    ctx = mp.get_context("fork")
    count = 256*1024//9
    if before:
        args = [[float(i) for i in range(count)] for _ in range(96)]
        t = time.perf_counter(); pool = ctx.Pool(2)
    else:
        pool0 = None
        t0 = time.perf_counter(); pool = ctx.Pool(2); tp = time.perf_counter() - t0
        args = [[float(i) for i in range(count)] for _ in range(96)]
        t = time.perf_counter() - tp
    pool.map(task, args, chunks)
    e = time.perf_counter() - t
    pool.terminate(); pool.join()
    return e
res = {k: [] for k in [(True,1),(False,1),(True,8),(False,8)]}
for r in range(5):
    for k in res:
        res[k].append(run(*k))
for k, v in res.items():
    print("args before fork" if k[0] else "args after fork ", "chunksize", k[1], "median %.3f" % statistics.median(v), sorted(round(x,3) for x in v))
