"""Probe: process costs, one repetition per run (multiprocessing, pickle).

- pickle_ns_per_byte / unpickle_ns_per_byte: pickle.dumps / pickle.loads
  of one list of `floats` floats (highest protocol), repeated, ns per byte.
- stream_pickle_ns_per_byte / stream_unpickle_ns_per_byte: the same as a
  pool moves arguments: the parent ForkingPickler.dumps each of
  `stream_messages` distinct lists (pickles of about `stream_bytes`) and
  send_bytes it to a forked child, which recv_bytes and
  ForkingPickler.loads each (Lib/multiprocessing/connection.py); ns per
  byte of the dumps in the parent and of the loads in the child (fresh
  objects, caches shared with the pipe copy). The lists are built after
  the fork, in private pages, so the copy-on-write faults measured by
  cow_ns_per_mib are not counted here too.
- fork_ns_per_mib: the parent's os.fork() (until it returns in the parent;
  the child os._exit(0) at once, waitpid outside the timing) with about
  `fork_mib` MiB of lists of floats live, minus the same without them,
  per MiB of those objects (sys.getsizeof(list) + count *
  sys.getsizeof(1.0), the unit of a workload's `memory`): the page-table
  copy grows with the parent's memory; fork_mib_objects is that object
  memory, fork_mib_rss the resident memory it added (/proc/self/statm;
  less when freed memory is reused).
- cow_ns_per_mib: ForkingPickler.dumps of lists of floats built before a
  fork whose child stays alive (blocked reading a pipe), minus the same
  for equal lists built after it (private pages), interleaved, per MiB
  of object memory (sys.getsizeof(list) + count * sys.getsizeof(1.0)):
  the reference counts written while pickling fault and copy every
  shared page once.
- dumps_tiny_ns: pickle.dumps of a small int.
- pipe_pair_ns: os.write + os.read of 16 bytes on a pipe, in one process.
- conn_message_ns: Connection.send(int) + Connection.recv() on a
  multiprocessing.Pipe(duplex=False) in one process: two pickling passes,
  one write and two reads (Lib/multiprocessing/connection.py,
  _send_bytes and _recv_bytes), no wake-up.
- rt_<size>_ns: send_bytes(size) + recv_bytes() of a 1-byte reply to a
  forked echo process (a round trip with two wake-ups), for each size.
- start_<method>_parent_ns, start_<method>_total_ns: Process(target=noop)
  .start() alone, and start() + join(), per start method, medians after
  the first iteration, measured by startjoin.py in a fresh interpreter (a
  small program: fork_ns_per_mib adds the parent's memory, and a spawn or
  forkserver child imports the main module again); forkserver_first_ns:
  the first forkserver start (the server's start included).
- submit_ns: ProcessPoolExecutor(2).submit(noop) in the parent, per call
  (the manager thread's wake-up included), workers already started.
- map_<chunksize>_s: multiprocessing.Pool(2, fork).map(noop, range(tasks),
  chunksize), from Pool() to map's return (worker starts included), for
  chunksize 1 and `big_chunk`; multiprocessing.pool is imported before
  (at the top of this probe), so neither includes pool_import_ns.
- pool_import_ns: `import multiprocessing.pool, multiprocessing.queues` in
  a fresh interpreter (sys.executable -c) that has imported
  multiprocessing, as a program has when it calls Pool() for the first
  time: BaseContext.Pool and SimpleQueue import them then
  (Lib/multiprocessing/context.py); median of 7 interpreters (fewer when
  `scale` < 1, at least 3).
"""
import concurrent.futures
import gc
import json
import multiprocessing as mp
import multiprocessing.pool  # noqa: F401 (see map_<chunksize>_s)
import os
import pickle
import subprocess
import sys
import time
from multiprocessing.reduction import ForkingPickler

from gilsim_probe import emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
scale = float(opts.get("scale", 1.0))
floats = int(opts.get("floats", 100000))
sizes = [int(s) for s in opts.get("sizes", [16, 65536, 1 << 20])]
tasks = int(opts.get("tasks", 2000))
big_chunk = int(opts.get("big_chunk", 16))
ns = time.perf_counter_ns


def noop(*_):
    return None


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def per_call(f, k):
    t = ns()
    for _ in range(k):
        f()
    return (ns() - t) / k


def pickling(out):
    obj = [float(i) for i in range(floats)]
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    k = max(3, int(10 * scale))
    d = median([per_call(lambda: pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), 1) for _ in range(k)])
    l = median([per_call(lambda: pickle.loads(data), 1) for _ in range(k)])
    out["pickle_bytes"] = len(data)
    out["pickle_ns_per_byte"] = d / len(data)
    out["unpickle_ns_per_byte"] = l / len(data)
    out["dumps_tiny_ns"] = per_call(lambda: pickle.dumps(12345, protocol=pickle.HIGHEST_PROTOCOL), int(20000 * scale) + 100)


def local_pipes(out):
    k = int(20000 * scale) + 100
    r, w = os.pipe()
    b = b"y" * 16

    def pair():
        os.write(w, b)
        os.read(r, 16)

    out["pipe_pair_ns"] = per_call(pair, k)
    os.close(r)
    os.close(w)
    a, c = mp.Pipe(duplex=False)

    def message():
        c.send(12345)
        a.recv()

    out["conn_message_ns"] = per_call(message, k)
    a.close()
    c.close()


def stream_child(conn):
    loads = 0
    total = 0
    while True:
        b = conn.recv_bytes()
        if not b:
            break
        t = ns()
        x = ForkingPickler.loads(b)
        loads += ns() - t
        total += len(b)
        del x
    conn.send((loads, total))


def stream(out):
    k = int(opts.get("stream_messages", 16))
    count = max(1, int(opts.get("stream_bytes", 262144)) // 9)
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    p = ctx.Process(target=stream_child, args=(b,))
    p.start()
    # Built after the fork: private pages, no copy-on-write in the dumps.
    objs = [[float(i + j) for i in range(count)] for j in range(k)]
    dumps = 0
    total = 0
    for obj in objs:
        t = ns()
        data = ForkingPickler.dumps(obj)
        dumps += ns() - t
        total += len(data)
        a.send_bytes(data)
    a.send_bytes(b"")
    loads, received = a.recv()
    p.join()
    out["stream_pickle_ns_per_byte"] = dumps / total
    out["stream_unpickle_ns_per_byte"] = loads / max(1, received)


def resident():
    """This process's resident memory in bytes, or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def list_bytes(obj):
    return sys.getsizeof(obj) + len(obj) * sys.getsizeof(1.0)


def fork_ns():
    t = ns()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    d = ns() - t
    os.waitpid(pid, 0)
    return d


def fork_memory(out):
    rounds = max(3, int(5 * scale))
    k = max(3, int(5 * scale))
    mib = float(opts.get("fork_mib", 64))
    count = 32768  # 1 MiB of objects per list (24 B per float, 8 B per slot)
    lists = max(1, int(mib * (1 << 20) / (count * 32)))
    slopes, extras = [], []
    for r in range(rounds):
        gc_was = gc.isenabled()
        gc.disable()
        fork_ns()
        small = median([fork_ns() for _ in range(k)])
        rss0 = resident()
        heap = [[float(i + j + r) for i in range(count)] for j in range(lists)]
        rss1 = resident()
        fork_ns()
        big = median([fork_ns() for _ in range(k)])
        objects = sum(list_bytes(x) for x in heap) / float(1 << 20)
        if rss0 is not None and rss1 is not None:
            extras.append((rss1 - rss0) / float(1 << 20))
        del heap
        if gc_was:
            gc.enable()
        slopes.append((big - small) / objects)
    out["fork_ns_per_mib"] = median(slopes)
    out["fork_mib_objects"] = objects
    out["fork_mib_rss"] = median(extras) if extras else None


def cow_child(r):
    os.read(r, 1)
    os._exit(0)


def cow(out):
    rounds = max(3, int(5 * scale))
    lists = int(opts.get("cow_lists", 16))
    count = max(1, int(opts.get("stream_bytes", 262144)) // 9)
    slopes = []
    for rep in range(rounds):
        gc_was = gc.isenabled()
        gc.disable()
        before = [[float(i + j + rep) for i in range(count)] for j in range(lists)]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            cow_child(r)
        os.close(r)
        after = [[float(i + j + rep) for i in range(count)] for j in range(lists)]
        shared = private = 0
        for x, y in zip(before, after):
            t = ns()
            ForkingPickler.dumps(x)
            shared += ns() - t
            t = ns()
            ForkingPickler.dumps(y)
            private += ns() - t
        os.write(w, b"x")
        os.close(w)
        os.waitpid(pid, 0)
        mib = sum(list_bytes(x) for x in before) / float(1 << 20)
        del before, after
        if gc_was:
            gc.enable()
        slopes.append((shared - private) / mib)
    out["cow_ns_per_mib"] = median(slopes)


def echo(conn):
    while True:
        b = conn.recv_bytes()
        if not b:
            return
        conn.send_bytes(b"x")


def round_trips(out):
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    p = ctx.Process(target=echo, args=(b,))
    p.start()
    for size in sizes:
        payload = b"y" * size
        k = max(5, int((200 if size <= 65536 else 20) * scale))

        def one():
            a.send_bytes(payload)
            a.recv_bytes()

        one()
        out["rt_%d_ns" % size] = median([per_call(one, 1) for _ in range(k)])
    a.send_bytes(b"")
    p.join()


def process_starts(out):
    """startjoin.py in a fresh interpreter: a program that starts processes
    one after another is a small parent (a fork's cost grows with the
    parent's memory, fork_ns_per_mib), and a spawn or forkserver child
    imports the main module again, which here would be this probe."""
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [sys.executable, os.path.join(here, "startjoin.py"), json.dumps(dict(opts, calibrate=True))]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out.update(json.loads(r.stdout.strip().splitlines()[-1]))


def submits(out):
    k = max(50, int(500 * scale))
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as ex:
        list(ex.map(noop, range(4)))
        t = ns()
        fs = [ex.submit(noop) for _ in range(k)]
        out["submit_ns"] = (ns() - t) / k
        for f in fs:
            f.result()


IMPORT_POOL = (
    "import multiprocessing, time\n"
    "t = time.perf_counter_ns()\n"
    "import multiprocessing.pool, multiprocessing.queues\n"
    "print(time.perf_counter_ns() - t)\n"
)


def pool_import(out):
    k = max(3, int(7 * scale))
    xs = []
    for _ in range(k):
        r = subprocess.run([sys.executable, "-c", IMPORT_POOL], capture_output=True, text=True, check=True)
        xs.append(int(r.stdout.strip()))
    out["pool_import_ns"] = median(xs)


def pool_maps(out):
    ctx = mp.get_context("fork")
    for chunksize in (1, big_chunk):
        t = time.perf_counter()
        pool = ctx.Pool(2)
        pool.map(noop, range(tasks), chunksize)
        out["map_%d_s" % chunksize] = time.perf_counter() - t
        pool.terminate()
        pool.join()


if __name__ == "__main__":
    out = {"pinned": pinned, "pin_error": pin_error, "tasks": tasks, "big_chunk": big_chunk}
    pickling(out)
    stream(out)
    fork_memory(out)
    cow(out)
    local_pipes(out)
    round_trips(out)
    process_starts(out)
    submits(out)
    pool_maps(out)
    pool_import(out)
    emit(out)
