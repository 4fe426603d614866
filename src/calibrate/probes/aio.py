"""Probe: asyncio event loop costs, one repetition per run.

On one loop (asyncio.run, Lib/asyncio/base_events.py), `n` times each:
- call_soon_ns: loop.call_soon(cb), per call.
- callback_ns: n callbacks ready in one _run_once pass, from the first
  one's start to the last one's, per callback (Handle._run and a trivial
  body; no poll between them).
- pass_ns: a callback that reschedules itself with call_soon, per pass:
  a poll that does not wait (timeout 0), the pass's bookkeeping, one
  callback and one call_soon.
- sleep0_ns: a Task awaiting asyncio.sleep(0) in a loop, per iteration:
  the same pass, with Task.__step (Lib/asyncio/tasks.py) resuming the
  coroutine in place of the trivial callback.
- create_ns: loop.create_task(coro()) of a coroutine that returns at once,
  per task: the coroutine object, the Task and the call_soon of its first step.
"""
import asyncio
import time

from gilsim_probe import emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
n = int(opts.get("n", 20000))
ns = time.perf_counter_ns


def noop():
    pass


async def nothing():
    return None


async def measure(out):
    loop = asyncio.get_running_loop()

    t = ns()
    for _ in range(n):
        loop.call_soon(noop)
    out["call_soon_ns"] = (ns() - t) / n
    await asyncio.sleep(0)

    stamps = [0, 0]

    def first():
        stamps[0] = ns()

    def last():
        stamps[1] = ns()

    loop.call_soon(first)
    for _ in range(n - 2):
        loop.call_soon(noop)
    loop.call_soon(last)
    await asyncio.sleep(0.001)
    out["callback_ns"] = (stamps[1] - stamps[0]) / (n - 1)

    done = loop.create_future()
    left = [n]

    def chain():
        left[0] -= 1
        if left[0] > 0:
            loop.call_soon(chain)
        else:
            done.set_result(ns())

    t = ns()
    loop.call_soon(chain)
    end = await done
    out["pass_ns"] = (end - t) / n

    t = ns()
    for _ in range(n):
        await asyncio.sleep(0)
    out["sleep0_ns"] = (ns() - t) / n

    t = ns()
    tasks = [loop.create_task(nothing()) for _ in range(n)]
    out["create_ns"] = (ns() - t) / n
    await asyncio.gather(*tasks)


out = {"pinned": pinned, "pin_error": pin_error, "n": n}
asyncio.run(measure(out))
emit(out)
