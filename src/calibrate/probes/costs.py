"""Probe: direct costs, one repetition per run.

- cpu_loop_ns: ns per iteration of the reference pure-Python loop
  (`x += i & 7` over `range`), which relates a `cpu` step to real code.
- sha256_mb_s: hashlib.sha256 over a 1 MiB buffer (releases the GIL: a
  `cpu_nogil` step), in MB/s (10^6 bytes).
- thread_start_ns: threading.Thread(...).start(), per thread (threads wait on an event).
- lock_uncontended_ns: one acquire + release of a threading.Lock, loop included.
- lock_contended_ns: the same with two threads hammering one lock.
- sleep_overshoot_ns: how late time.sleep(0.001) returns (median).
- parallel_loop_ns: cpu_loop_ns measured in `parallel` forked processes
  running at once (mean of theirs): above cpu_loop_ns when cores share a
  physical core (SMT siblings on the host) or a memory bus.
- io_call_ns / io_python_ns: one iteration of the convoy probe's I/O loop
  with os.write to a drained pipe, and with a GIL-holding builtin call
  (operator.is_) in its place: the Python part of the loop.
"""
import hashlib
import operator
import os
import threading
import time

from gilsim_probe import emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
scale = float(opts.get("scale", 1.0))
ns = time.perf_counter_ns


def loop(n):
    x = 0
    for i in range(n):
        x += i & 7
    return x


def cpu_loop_ns():
    n = int(1_000_000 * scale)
    t = ns()
    loop(n)
    return (ns() - t) / n


def sha256_mb_s():
    buf = b"\x5a" * (1 << 20)
    k = max(4, int(32 * scale))
    t = ns()
    for _ in range(k):
        hashlib.sha256(buf).digest()
    return k * len(buf) / 1e6 / ((ns() - t) / 1e9)


def thread_start_ns():
    # start() only: each thread then blocks on an event, so no join and no
    # exit is timed; start() still waits for the new thread's `_started`
    # (Lib/threading.py), as a pool's submitter does.
    k = max(20, int(200 * scale))
    go = threading.Event()
    threads = [threading.Thread(target=go.wait) for _ in range(k)]
    t = ns()
    for th in threads:
        th.start()
    elapsed = ns() - t
    go.set()
    for th in threads:
        th.join()
    return elapsed / k


def lock_uncontended_ns():
    lock = threading.Lock()
    k = int(200_000 * scale)
    t = ns()
    for _ in range(k):
        with lock:
            pass
    return (ns() - t) / k


def lock_contended_ns():
    lock = threading.Lock()
    k = int(100_000 * scale)

    def hammer():
        for _ in range(k):
            with lock:
                pass

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    t = ns()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return (ns() - t) / (2 * k)


def parallel_loop_ns(k):
    if not hasattr(os, "fork") or k < 2:
        return None
    n = int(1_000_000 * scale)
    pipes, pids = [], []
    for _ in range(k):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            t = ns()
            loop(n)
            os.write(w, str((ns() - t) / n).encode())
            os._exit(0)
        os.close(w)
        pipes.append(r)
        pids.append(pid)
    xs = []
    for r in pipes:
        data = os.read(r, 64)
        os.close(r)
        if data:
            xs.append(float(data.decode()))
    for pid in pids:
        os.waitpid(pid, 0)
    return sum(xs) / len(xs) if len(xs) == k else None


def sleep_overshoot_ns():
    # time.sleep(1 ms) returns late by the timer slack plus the wake-up
    # latency of an idle core (plus a GIL retake): median over k sleeps.
    k = max(20, int(100 * scale))
    xs = []
    for _ in range(k):
        t = ns()
        time.sleep(0.001)
        xs.append(ns() - t - 1_000_000)
    xs.sort()
    return xs[len(xs) // 2]


def io_loop(call, drain):
    r, w = os.pipe()
    b = b"x"
    k = int(200_000 * scale)
    n = 0
    t = ns()
    while n < k:
        call(w, b)
        n += 1
        if drain and n & 4095 == 0:
            os.read(r, 1 << 20)
        ns()
    elapsed = ns() - t
    os.close(r)
    os.close(w)
    return elapsed / k


emit({
    "pinned": pinned,
    "pin_error": pin_error,
    "cpu_loop_ns": cpu_loop_ns(),
    "parallel_loop_ns": parallel_loop_ns(int(opts.get("parallel", 0))),
    "sha256_mb_s": sha256_mb_s(),
    "thread_start_ns": thread_start_ns(),
    "lock_uncontended_ns": lock_uncontended_ns(),
    "lock_contended_ns": lock_contended_ns(),
    "sleep_overshoot_ns": sleep_overshoot_ns(),
    "io_call_ns": io_loop(os.write, True),
    "io_python_ns": io_loop(operator.is_, False),
})
