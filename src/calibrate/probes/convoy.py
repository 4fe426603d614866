"""Probe: the convoy effect (bpo-7946).

An I/O thread loops over os.write(w, b"x") to a pipe it drains itself
every 4096 writes (a GIL-releasing call that does not wait), beside
`cpu_threads` threads running pure Python, at sys.setswitchinterval
(`interval_us`), pinned to `cores`. Reports the I/O thread's calls per
second over [warmup, warmup + seconds]. With cpu_threads = 0 it is the
baseline: the I/O thread alone. With `sleep_s` > 0 the I/O thread sleeps
(time.sleep(sleep_s)) instead of writing: a thread that wakes beside the
CPU-bound ones and must win the GIL back each time. `background_cores` is the CPU other
processes used meanwhile on the pinned cores (all cores when not pinned;
from /proc/stat), in cores: a busy host hides the convoy.
"""
import os
import sys
import threading
import time

from gilsim_probe import background_cores, busy_ticks, emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
interval_us = int(opts.get("interval_us", 5000))
seconds = float(opts.get("seconds", 1.0))
warmup = float(opts.get("warmup", 0.1))
cpu_threads = int(opts.get("cpu_threads", 1))
sleep_s = float(opts.get("sleep_s", 0.0))
sys.setswitchinterval(interval_us / 1e6)
ns = time.perf_counter_ns
stop = False
result = {}


def spin():
    x = 0
    while not stop:
        x += 1


def io():
    r, w = os.pipe()
    b = b"x"
    n = 0
    t0 = ns()
    t_start = t0 + int(warmup * 1e9)
    t_end = t_start + int(seconds * 1e9)
    n_start = None
    t = t0
    while t < t_end:
        if sleep_s > 0:
            time.sleep(sleep_s)
            n += 1
        else:
            os.write(w, b)
            n += 1
            if n & 4095 == 0:
                os.read(r, 1 << 20)
        t = ns()
        if n_start is None and t >= t_start:
            n_start, t_start = n, t
    os.close(r)
    os.close(w)
    ops = n - (n_start or 0)
    result["ops"] = ops
    result["rate_per_s"] = ops / ((t - t_start) / 1e9)


ticks0 = busy_ticks(opts.get("cores"))
wall0 = time.perf_counter()
cpus = [threading.Thread(target=spin) for _ in range(cpu_threads)]
for t in cpus:
    t.start()
io_thread = threading.Thread(target=io)
io_thread.start()
io_thread.join()
stop = True
for t in cpus:
    t.join()
background = background_cores(ticks0, busy_ticks(opts.get("cores")), time.perf_counter() - wall0)
emit({
    "background_cores": background,
    "pinned": pinned,
    "pin_error": pin_error,
    "interval_us": interval_us,
    "cpu_threads": cpu_threads,
    "ops": result["ops"],
    "rate_per_s": result["rate_per_s"],
})
