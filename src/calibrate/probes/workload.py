"""Validation workloads, run for real (one repetition per run).

kind = "cpu_pool":  a ThreadPoolExecutor(workers) maps `tasks` calls of the
                    reference pure-Python loop (`iterations` each).
kind = "hash_pool": the same with hashlib.sha256 over `mib` MiB (GIL released).
kind = "lock_pool": each task runs the loop (`iterations`), then holds one
                    shared threading.Lock across time.sleep(`sleep_s`) and
                    the loop again.
kind = "sem_pool":  each task holds a threading.Semaphore(`capacity`) across
                    time.sleep(`sleep_s`) and the loop.
kind = "process_map": a multiprocessing.Pool(workers) (fork) maps the loop
                    (`iterations`) over `tasks` arguments, each a list of
                    floats whose pickle is about `payload_bytes`, with
                    `chunksize`; the pool's creation is included.
kind = "asyncio_fanout": asyncio.run of `heavy` coroutines running the loop
                    (`heavy_iterations`) at once, then `tasks` coroutines
                    each running the loop (`iterations`), awaiting
                    asyncio.sleep(`sleep_s`) and running the loop again.
Reports the makespan in seconds: from the first submit (pool creation
included, so thread starts count) to the last result.
The convoy workloads are run with convoy.py.
"""
import asyncio
import concurrent.futures
import hashlib
import multiprocessing
import threading
import time

from gilsim_probe import background_cores, busy_ticks, emit, options, pin

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


lock = threading.Lock()
sem = threading.Semaphore(int(opts.get("capacity", 1)))
sleep_s = float(opts.get("sleep_s", 0.001))


def lock_task(_):
    loop(iterations)
    with lock:
        time.sleep(sleep_s)
        loop(iterations)


def sem_task(_):
    with sem:
        time.sleep(sleep_s)
        loop(iterations)


def proc_task(_arg):
    return loop(iterations) & 1


async def coro(n, sleep):
    loop(n)
    if sleep is not None:
        await asyncio.sleep(sleep)
        loop(n)


async def fanout():
    heavy = [asyncio.ensure_future(coro(int(opts.get("heavy_iterations", 0)), None))
             for _ in range(int(opts.get("heavy", 0)))]
    light = [asyncio.ensure_future(coro(iterations, sleep_s)) for _ in range(tasks)]
    await asyncio.gather(*(heavy + light))


def process_map():
    count = max(1, int(opts.get("payload_bytes", 9)) // 9)
    args = [[float(i) for i in range(count)] for _ in range(tasks)]
    ctx = multiprocessing.get_context("fork")
    t = time.perf_counter()
    pool = ctx.Pool(workers)
    pool.map(proc_task, args, int(opts.get("chunksize", 1)))
    elapsed = time.perf_counter() - t
    pool.terminate()
    pool.join()
    return elapsed


ticks0 = busy_ticks(opts.get("cores"))
if kind == "process_map":
    t = time.perf_counter()
    elapsed = process_map()
elif kind == "asyncio_fanout":
    t = time.perf_counter()
    asyncio.run(fanout())
    elapsed = time.perf_counter() - t
else:
    task = {"cpu_pool": cpu_task, "hash_pool": hash_task, "lock_pool": lock_task, "sem_pool": sem_task}[kind]
    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(task, range(tasks)))
    elapsed = time.perf_counter() - t
emit({
    "pinned": pinned,
    "pin_error": pin_error,
    "makespan_s": elapsed,
    "background_cores": background_cores(ticks0, busy_ticks(opts.get("cores")), time.perf_counter() - t),
})
