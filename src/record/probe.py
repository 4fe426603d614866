"""gilsim record's probe (standard library only, CPython 3.8 to 3.14).

Reads one JSON object of options from argv[1] and prints one JSON object on
stdout. mode "record": imports MODULE from `path`, builds the items, calls
FUNCTION(item) for each, one after another, after one unrecorded warm-up
call, and measures each call in four passes (so that no instrument
inflates another's figures):

1. clean: wall time (perf_counter_ns), thread CPU (thread_time_ns) and,
   on Linux, the time blocked: wall - CPU - the time runnable but not
   running (schedstat); three clean passes (before, between and after the
   instrumented ones), each call's median kept;
2. profiled: sys.setprofile c_call/c_return times of every C call of 50 us
   or more made directly by the function's Python code, with the thread CPU
   it used, and a helper thread ("knocker") that wakes every 0.5 ms and
   needs the GIL to record that it ran: a C call during which it ran let
   the GIL go (the helper cannot run Python while a C call holds it);
3. contended: the same C calls beside a thread that always wants the
   GIL, at switch intervals of 20 and 60 ms: a call that let the GIL go
   waits one interval more each time it takes it back, which counts its
   retakes (the difference between the two cancels the machine's delays);
4. sizes: the pickled size of the item and of the result and the time of
   their dumps and loads (ForkingPickler, as multiprocessing sends them,
   each once), the peak memory the
   call allocated (tracemalloc), and the bytes pickling the item writes in
   the sender (every object's reference count: small objects whole, one
   page of a large buffer, the header of a container).

mode "check": runs FUNCTION over the items for real in a plain loop,
ThreadPoolExecutor(N) and ProcessPoolExecutor(N) (fork where available),
`reps` times, interleaved, and reports each makespan (from the executor's
creation to the last result) and the CPU other processes used meanwhile
(gilsim_probe.background_cores, from /proc/stat).

A user error (the module does not import, a function is missing, a call
raises) is reported as {"error": KIND, "message": ...} with exit 0; the
user's own prints go to stderr.
"""
import json
import os
import sys
import threading
import time
import traceback

opts = {}
real_stdout = sys.stdout
func = None
items_func = None
items = []

MIN_C_CALL_NS = 50_000
KNOCK_S = 0.0005


def emit(obj):
    real_stdout.write(json.dumps(obj) + "\n")
    real_stdout.flush()
    sys.exit(0)


def fail(kind, message):
    emit({"error": kind, "message": message})


def exception_text(e):
    lines = traceback.format_exception_only(type(e), e)
    return "".join(lines).strip()


def user_frames(e):
    """The traceback of `e` without this probe's frames."""
    tb = traceback.extract_tb(e.__traceback__)
    here = os.path.abspath(__file__)
    kept = [f for f in tb if os.path.abspath(f.filename) != here]
    return "".join(traceback.format_list(kept[-6:])).rstrip()


def resolve(spec, what):
    module_name, _, attr = spec.partition(":")
    try:
        __import__(module_name)
        module = sys.modules[module_name]
    except BaseException as e:  # noqa: B036 (a module may raise anything, SystemExit included)
        fail("import", "cannot import module `%s` (for %s `%s`) from %s: %s\n%s"
             % (module_name, what, spec, opts["path"], exception_text(e), user_frames(e)))
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            fail("missing", "module `%s` (%s) has no %s `%s`"
                 % (module_name, getattr(module, "__file__", "?"), what, attr))
        obj = getattr(obj, part)
    if not callable(obj):
        fail("missing", "%s `%s` is not callable (it is a %s)" % (what, spec, type(obj).__name__))
    return obj




def build_items():
    import itertools
    import tracemalloc
    limit = opts.get("limit")
    tracemalloc.start()
    try:
        produced = items_func()
        it = iter(produced)
        items = list(it if limit is None else itertools.islice(it, int(limit)))
    except BaseException as e:  # noqa: B036
        fail("items", "the items function `%s` raised %s\n%s"
             % (opts["items"], exception_text(e), user_frames(e)))
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if not items:
        fail("items", "the items function `%s` returned no items" % opts["items"])
    return items, held


def call(item, index):
    try:
        return func(item)
    except BaseException as e:  # noqa: B036
        fail("call", "`%s` raised on item %d (of %d): %s\n%s"
             % (opts["function"], index, len(items), exception_text(e), user_frames(e)))


def pickling(obj):
    """(pickled size, dumps ns, loads ns) with ForkingPickler, as
    multiprocessing sends it, each object once (as a pool pickles it: its
    first pickling, not a repeated one that finds it in the caches); None
    when it does not pickle."""
    import pickle
    from multiprocessing.reduction import ForkingPickler
    now = time.perf_counter_ns
    try:
        t0 = now()
        data = ForkingPickler.dumps(obj)
        t1 = now()
    except Exception:
        return None
    pickle.loads(data)
    t2 = now()
    return len(data), t1 - t0, t2 - t1


def written_by_pickling(obj):
    """Bytes whose pages pickling `obj` writes: each object's reference count."""
    seen = set()
    stack = [obj]
    total = 0
    atoms = (bytes, bytearray, str, int, float, complex, bool, type(None))
    while stack and len(seen) < 2_000_000:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        size = sys.getsizeof(o, 64)
        if isinstance(o, atoms):
            total += min(size, 4096)
            continue
        total += 64
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif hasattr(o, "__dict__"):
            stack.append(o.__dict__)
    return total


class Knocker(threading.Thread):
    """Wakes every KNOCK_S and records when it got the GIL back."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ticks = []
        self.stop = False

    def run(self):
        now = time.perf_counter_ns
        append = self.ticks.append
        while not self.stop:
            time.sleep(KNOCK_S)
            append(now())


def profiled_pass(items):
    """Every call's long C calls: (start, end, cpu, name), and the knocker's ticks."""
    now = time.perf_counter_ns
    cpu = time.thread_time_ns
    calls = []
    stack = []
    events = []
    counts = {}

    def hook(frame, event, arg):
        if event == "c_call":
            stack.append([now(), cpu(), arg, False])
        elif event == "c_return" or event == "c_exception":
            if stack:
                t0, c0, fn, inner = stack.pop()
                t1 = now()
                if not stack and not inner:
                    name = c_name(fn)
                    counts[name] = counts.get(name, 0) + 1
                    if t1 - t0 >= MIN_C_CALL_NS:
                        events.append((t0, t1, c0, cpu(), name))
        elif event == "call" and stack:
            for s in stack:
                s[3] = True

    knocker = Knocker()
    knocker.start()
    time.sleep(0.02)
    for i, item in enumerate(items):
        del events[:]
        t0 = now()
        c0 = cpu()
        sys.setprofile(hook)
        try:
            call(item, i)
        finally:
            sys.setprofile(None)
        t1 = now()
        calls.append({"start": t0, "end": t1, "cpu_start": c0, "cpu_end": cpu(), "c_calls": list(events)})
        del stack[:]
    time.sleep(0.005)
    knocker.stop = True
    knocker.join()
    return calls, knocker.ticks, counts


RETAKE_INTERVALS_S = (0.02, 0.06)


class Hog(threading.Thread):
    """Runs Python without pause: it always wants the GIL."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False

    def run(self):
        n = 0
        while not self.stop:
            n += 1


def contended_pass(items, switch_interval):
    """Each call beside a thread that always wants the GIL, at this switch
    interval: a C call that let the GIL go waits one interval (and the
    machine's wake-up delays) each time it takes the GIL back (at its
    return, and in the middle for a call that retakes it, as zlib.compress
    does each time its output buffer grows, Modules/zlibmodule.c); two
    intervals tell the retakes from the delays. Per call, for each long C
    call in order: [name, wall ns, CPU ns]."""
    now = time.perf_counter_ns
    cpu = time.thread_time_ns
    stack = []
    events = []

    def hook(frame, event, arg):
        if event == "c_call":
            stack.append([now(), cpu(), arg, False])
        elif event == "c_return" or event == "c_exception":
            if stack:
                t0, c0, fn, inner = stack.pop()
                t1 = now()
                if not stack and not inner and t1 - t0 >= MIN_C_CALL_NS:
                    events.append([c_name(fn), t1 - t0, cpu() - c0])
        elif event == "call" and stack:
            for s in stack:
                s[3] = True

    interval = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    hog = Hog()
    hog.start()
    out = []
    try:
        for i, item in enumerate(items):
            del events[:]
            sys.setprofile(hook)
            try:
                call(item, i)
            finally:
                sys.setprofile(None)
            out.append(list(events))
            del stack[:]
    finally:
        hog.stop = True
        hog.join()
        sys.setswitchinterval(interval)
    return out


def c_name(fn):
    module = getattr(fn, "__module__", None)
    owner = getattr(fn, "__self__", None)
    if module is None and owner is not None and not isinstance(owner, type(sys)):
        module = type(owner).__name__
    elif module is None and owner is not None:
        module = owner.__name__
    return "%s.%s" % (module or "?", getattr(fn, "__qualname__", getattr(fn, "__name__", "?")))


def run_delay():
    """This thread's time runnable but not running, ns (Linux
    /proc/thread-self/schedstat), or None: what tells a call preempted by
    other processes from a call that waited."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None


def knock_period():
    """The knocker's tick spacing with the GIL free (the main thread asleep)."""
    k = Knocker()
    k.start()
    time.sleep(0.1)
    k.stop = True
    k.join()
    gaps = sorted(b - a for a, b in zip(k.ticks, k.ticks[1:]))
    return gaps[len(gaps) // 2] if gaps else int(KNOCK_S * 1e9)


def clean_pass(items):
    """Each call's (wall, thread CPU, blocked), ns, with no instrument.

    record() makes three such passes, one before, one between and one after
    the instrumented passes, and keeps for each call the pass with its
    median wall time: a burst of load from other processes (seconds long on
    a shared host) then moves one pass, not the steps."""
    now = time.perf_counter_ns
    cpu = time.thread_time_ns
    out = []
    for i, item in enumerate(items):
        d0 = run_delay()
        t0 = now()
        c0 = cpu()
        call(item, i)
        t1 = now()
        c1 = cpu()
        d1 = run_delay()
        blocked = None if d0 is None or d1 is None else max(0, (t1 - t0) - (c1 - c0) - (d1 - d0))
        out.append((t1 - t0, c1 - c0, blocked))
    return out


def record():
    import platform
    import tracemalloc
    global items
    items, held = build_items()
    n = len(items)
    warm = time.perf_counter_ns()
    call(items[0], 0)
    warm = time.perf_counter_ns() - warm
    # 1. clean, three times spread over the recording (see clean_pass)
    passes = [clean_pass(items)]
    # 2. profiled, with the knocker
    period = knock_period()
    profiled, ticks, counts = profiled_pass(items)
    passes.append(clean_pass(items))
    contended = [contended_pass(items, i) for i in RETAKE_INTERVALS_S]
    passes.append(clean_pass(items))
    clean = [sorted(calls, key=lambda c: c[0])[len(calls) // 2] for calls in zip(*passes)]
    # 3. sizes and memory
    sizes = []
    for i, item in enumerate(items):
        tracemalloc.start()
        result = call(item, i)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        args = pickling(item)
        res = pickling(result)
        sizes.append({
            "args_bytes": args and args[0],
            "args_dumps_ns": args and args[1],
            "args_loads_ns": args and args[2],
            "result_bytes": res and res[0],
            "result_dumps_ns": res and res[1],
            "result_loads_ns": res and res[2],
            "peak_alloc": peak,
            "written": written_by_pickling(item),
        })
    out = []
    for (wall, c, blocked), p, r, r2, s in zip(clean, profiled, contended[0], contended[1], sizes):
        row = {"wall": wall, "thread_cpu": c, "blocked": blocked, "retakes": r, "retakes_long": r2}
        row.update(p)
        row.update(s)
        out.append(row)
    emit({
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "free_threaded": bool(getattr(sys, "_is_gil_enabled", lambda: True)() is False),
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "items": n,
        "items_held_bytes": held,
        "warmup_ns": warm,
        "clean_pass_totals_ns": [sum(c[0] for c in p) for p in passes],
        "knock_period_ns": period,
        "retake_intervals_ns": [int(i * 1e9) for i in RETAKE_INTERVALS_S],
        "tiny_pickle": pickling(None),
        "ticks": ticks,
        "c_call_counts": counts,
        "calls": out,
    })


class Sequential:
    """A plain loop, with an executor's map and shutdown."""

    def map(self, f, items):
        return [f(x) for x in items]

    def shutdown(self, wait=True):
        pass


def check():
    global items
    from gilsim_probe import background_cores, busy_ticks
    import concurrent.futures as cf
    import concurrent.futures.process  # noqa: F401 (imported before the first timed pool, not inside it)
    import concurrent.futures.thread  # noqa: F401
    import multiprocessing
    import itertools
    limit = opts.get("limit")
    try:
        it = iter(items_func())
        items = list(it if limit is None else itertools.islice(it, int(limit)))
    except BaseException as e:  # noqa: B036
        fail("items", "the items function `%s` raised %s" % (opts["items"], exception_text(e)))
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods else multiprocessing.get_start_method()
    ctx = multiprocessing.get_context(method)
    call(items[0], 0)
    runs = []
    for rep in range(int(opts["reps"])):
        for kind in opts["kinds"]:
            for n in (opts["workers"] if kind != "sequential" else [1]):
                ticks0 = busy_ticks()
                t0 = time.perf_counter()
                if kind == "threads":
                    ex = cf.ThreadPoolExecutor(max_workers=n)
                elif kind == "processes":
                    ex = cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx)
                else:
                    ex = Sequential()
                try:
                    list(ex.map(func, items))
                except BaseException as e:  # noqa: B036
                    fail("call", "`%s` raised in a %s pool of %d: %s"
                         % (opts["function"], kind, n, exception_text(e)))
                elapsed = time.perf_counter() - t0
                ex.shutdown(wait=True)
                others = background_cores(ticks0, busy_ticks(), time.perf_counter() - t0)
                runs.append({"kind": kind, "workers": n, "rep": rep, "makespan_s": elapsed,
                             "background_cores": others})
    emit({"start_method": method, "items": len(items), "runs": runs})


def main():
    global opts, real_stdout, func, items_func
    opts = json.loads(sys.argv[1])
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    sys.path.insert(0, os.path.abspath(opts["path"]))
    func = resolve(opts["function"], "function")
    items_func = resolve(opts["items"], "items function")
    if opts["mode"] == "record":
        record()
    else:
        check()


if __name__ == "__main__":
    main()
