"""Validation workloads, run for real (one repetition per run).

kind = "cpu_pool":  a ThreadPoolExecutor(workers) maps `tasks` calls of the
                    reference pure-Python loop (`iterations` each).
kind = "hash_pool": the same with hashlib.sha256 over `mib` MiB (GIL released).
Reports the makespan in seconds: from the first submit (pool creation
included, so thread starts count) to the last result.
The convoy workloads are run with convoy.py.
"""
import concurrent.futures
import hashlib
import time

from gilsim_probe import emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
kind = opts["kind"]
workers = int(opts["workers"])
tasks = int(opts["tasks"])


def loop(n):
    x = 0
    for i in range(n):
        x += i & 7
    return x


iterations = int(opts.get("iterations", 100_000))
buf = b"\x5a" * (int(opts.get("mib", 1)) << 20)


def cpu_task(_):
    return loop(iterations)


def hash_task(_):
    return hashlib.sha256(buf).digest()


task = cpu_task if kind == "cpu_pool" else hash_task
t = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
    list(pool.map(task, range(tasks)))
emit({"pinned": pinned, "pin_error": pin_error, "makespan_s": time.perf_counter() - t})
