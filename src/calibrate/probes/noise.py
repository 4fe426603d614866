"""Probe: how busy the machine is, right now.

Sleeps `seconds` (unless `idle` is false) and reports the CPU other processes used meanwhile
(background_cores, from /proc/stat), then times the reference loop
(`x += i & 7` over range) for `seconds` and reports ns per iteration:
against the profile's cpu_loop_ns, a slow-down means competition for
the core (or a slower clock).
"""
import time

from gilsim_probe import background_cores, busy_ticks, emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
seconds = float(opts.get("seconds", 0.5))

idle_background = None
if opts.get("idle", True):
    ticks0 = busy_ticks(opts.get("cores"))
    time.sleep(seconds)
    idle_background = background_cores(ticks0, busy_ticks(opts.get("cores")), seconds)


def timed_loop(seconds):
    # In a function, as costs.py's loop: locals, not module globals.
    n = 0
    block = 20000
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        x = 0
        for i in range(block):
            x += i & 7
        n += block
        t = time.perf_counter()
        if t >= end:
            return (t - t0) * 1e9 / n


loop_ns = timed_loop(seconds)
emit({
    "pinned": pinned,
    "pin_error": pin_error,
    "background_cores": idle_background,
    "cpu_loop_ns": loop_ns,
})
