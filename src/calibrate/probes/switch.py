"""Probe: what two CPU-bound threads see of the GIL.

Two threads sample time.perf_counter_ns in a tight loop for `seconds` at
sys.setswitchinterval(`interval_us`). A gap longer than `gap_ns` in one
thread's samples is time without the GIL (or without a core): runs between
gaps are that thread's slices. Merging both threads' runs in time order, the
hand-off latency is the time from one thread's last sample to the other
thread's first sample after it (python/cpython Python/ceval_gil.c: the drop
request, drop_gil, the waiter's wake-up and take_gil).
"""
import sys
import threading
import time

from gilsim_probe import emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
interval_us = int(opts.get("interval_us", 5000))
seconds = float(opts.get("seconds", 0.5))
gap_ns = int(opts.get("gap_ns", 50_000))
sys.setswitchinterval(interval_us / 1e6)
ns = time.perf_counter_ns
start = threading.Barrier(2)
runs = [[], []]


def sampler(k):
    start.wait()
    first = last = ns()
    end = first + int(seconds * 1e9)
    out = runs[k]
    while last < end:
        now = ns()
        if now - last > gap_ns:
            out.append((first, last))
            first = now
        last = now
    out.append((first, last))


threads = [threading.Thread(target=sampler, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()

merged = sorted([(a, b, k) for k in range(2) for (a, b) in runs[k][1:-1]])
slices = [b - a for (a, b, _) in merged]
handoffs = []
for (a0, b0, k0), (a1, b1, k1) in zip(merged, merged[1:]):
    if k0 != k1 and a1 >= b0:
        handoffs.append(a1 - b0)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


emit({
    "pinned": pinned,
    "pin_error": pin_error,
    "interval_us": interval_us,
    "slices": len(slices),
    "slice_median_ns": median(slices),
    "handoff_median_ns": median(handoffs),
})
