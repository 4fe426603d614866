"""Process starts from a small program: a loop of
`multiprocessing.Process(target=noop).start()` and `join()`, one process
at a time. A spawn or forkserver child imports the main module again (as
`__mp_main__`), so this one imports almost nothing and runs only as the
main program.

Validation (`method`, `tasks`): the loop with one start method; reports
`first_ms` (the first iteration: with forkserver it also starts the
server), `median_ms` (the median of the later ones) and the CPU other
processes used.

Calibration (`calibrate`: true, run by procs.py): per start method, the
medians over `starts` iterations after the first of start() alone
(start_<method>_parent_ns) and of start() + join()
(start_<method>_total_ns), and forkserver_first_ns, the first forkserver
iteration.
"""
import multiprocessing
import time


def noop():
    pass


def loop(ctx, n):
    """(start() alone, start() + join()) of each of `n` iterations, ns."""
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        p = ctx.Process(target=noop)
        p.start()
        started = time.perf_counter_ns() - t
        p.join()
        out.append((started, time.perf_counter_ns() - t))
    return out


def calibrate(opts, emit):
    found = {}
    n = max(5, int(opts.get("starts", 5))) + 1
    for method in ("fork", "spawn", "forkserver"):
        if method not in multiprocessing.get_all_start_methods():
            continue
        runs = loop(multiprocessing.get_context(method), n)
        if method == "forkserver":
            found["forkserver_first_ns"] = runs[0][1]
        later = runs[1:]
        found["start_%s_parent_ns" % method] = sorted(r[0] for r in later)[len(later) // 2]
        found["start_%s_total_ns" % method] = sorted(r[1] for r in later)[len(later) // 2]
    emit(found)


def main():
    from gilsim_probe import background_cores, busy_ticks, emit, options, pin

    opts = options()
    if opts.get("calibrate"):
        pin(opts.get("cores"))
        calibrate(opts, emit)
        return
    pinned, pin_error = pin(opts.get("cores"))
    ctx = multiprocessing.get_context(opts["method"])
    n = max(2, int(opts["tasks"]))
    ticks0 = busy_ticks(opts.get("cores"))
    t0 = time.perf_counter()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        times.append(time.perf_counter() - t)
    later = sorted(times[1:])
    emit({
        "pinned": pinned,
        "pin_error": pin_error,
        "first_ms": times[0] * 1e3,
        "median_ms": later[len(later) // 2] * 1e3,
        "background_cores": background_cores(ticks0, busy_ticks(opts.get("cores")), time.perf_counter() - t0),
    })


if __name__ == "__main__":
    main()
