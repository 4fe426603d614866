"""Validation: a standard-library server on 127.0.0.1 in a deployment shape,
under an open-loop Poisson load from this process (one run per call).

The parent opens one listening socket (127.0.0.1, an ephemeral port), forks
`workers` worker processes that inherit it (gunicorn's pre-fork model), and
each worker serves it as `per_process` says:

  "threads":    the main thread polls the socket (selectors) and accepts
                whenever it can, submitting each connection to a
                ThreadPoolExecutor(`threads`) (gunicorn's gthread worker);
  "asyncio":    asyncio.start_server on the inherited socket (uvicorn's worker);
  "sequential": accept when idle, handle, repeat (gunicorn's sync worker).

A request is one connection: the client sends a request line, the handler
reads it, runs the reference loop (`n1` iterations), waits `wait_s`
(time.sleep, or asyncio.sleep in a loop) standing for a database, runs the
loop again (`n2`), replies and closes.

The load generator (an asyncio loop in the parent) draws Poisson arrivals
(`rate` per second over `seconds`, seeded, conditioned on their count
`rate` x `seconds`) and opens a connection at each arrival's scheduled time; a request's latency runs from
that scheduled time (not from when it could be sent) to the reply's end,
so a slow server is not hidden by a slow generator. Requests done within
`seconds` of the first arrival count: served rate = their count / `seconds`,
p50 and p99 of their latencies. The rest are abandoned after a grace period.

Also reported: the generator's own CPU per request (this process's
getrusage over the load) and the workers' CPU per request (their rusage
from os.wait4), since the machine's cores are shared between them.
"""
import asyncio
import concurrent.futures
import os
import random
import resource
import selectors
import signal
import socket
import time

from gilsim_probe import background_cores, busy_ticks, emit, options, pin

opts = options()
pinned, pin_error = pin(opts.get("cores"))
workers = int(opts.get("workers", 1))
per_process = opts.get("per_process", "threads")
threads = int(opts.get("threads", 8))
rate = float(opts.get("rate", 100.0))
seconds = float(opts.get("seconds", 2.0))
n1 = int(opts.get("n1", 0))
n2 = int(opts.get("n2", 0))
wait_s = float(opts.get("wait_s", 0.0))
seed = int(opts.get("seed", 1))

REQUEST = b"GET / HTTP/1.0\r\n\r\n"
RESPONSE = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"


def loop(n):
    x = 0
    for i in range(n):
        x += i & 7
    return x


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            break
        data += chunk


def handle(conn):
    try:
        read_request(conn)
        loop(n1)
        if wait_s > 0:
            time.sleep(wait_s)
        loop(n2)
        conn.sendall(RESPONSE)
    except OSError:
        pass
    finally:
        conn.close()


def accept(lsock):
    try:
        conn, _ = lsock.accept()
    except (BlockingIOError, InterruptedError, ConnectionAbortedError):
        return None
    conn.setblocking(True)
    return conn


def serve_threads(lsock):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    while True:
        for _key, _ in sel.select(1.0):
            conn = accept(lsock)
            if conn is not None:
                pool.submit(handle, conn)


def serve_sequential(lsock):
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    while True:
        for _key, _ in sel.select(1.0):
            conn = accept(lsock)
            if conn is not None:
                handle(conn)


def serve_asyncio(lsock):
    async def on_client(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            loop(n1)
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            loop(n2)
            writer.write(RESPONSE)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main():
        await asyncio.start_server(on_client, sock=lsock)
        await asyncio.Event().wait()

    asyncio.run(main())


def worker(lsock, ready_w):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    os.write(ready_w, b"r")
    os.close(ready_w)
    try:
        {"threads": serve_threads, "asyncio": serve_asyncio}.get(per_process, serve_sequential)(lsock)
    finally:
        os._exit(0)


async def one(at, t0, results):
    lp = asyncio.get_running_loop()
    delay = at - lp.time()
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        await writer.drain()
        await reader.read()
        writer.close()
    except OSError:
        return
    done = lp.time()
    if done - t0 <= seconds:
        results.append(done - at)


async def generate():
    lp = asyncio.get_running_loop()
    rng = random.Random(seed)
    t0 = lp.time() + 0.05
    results = []
    # A Poisson process conditioned on its count: rate x seconds arrival
    # times, uniform over the window, in order (so every run offers exactly
    # the rate; the simulation's mean over seeds offers it on average).
    times = sorted(rng.uniform(0.0, seconds) for _ in range(round(rate * seconds)))
    tasks = [asyncio.ensure_future(one(t0 + t, t0, results)) for t in times]
    await asyncio.wait(tasks, timeout=seconds + 2.0)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results, len(tasks)


lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(4096)
lsock.setblocking(False)
port = lsock.getsockname()[1]
ready_r, ready_w = os.pipe()
pids = []
for _ in range(workers):
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        worker(lsock, ready_w)
    pids.append(pid)
os.close(ready_w)
got = 0
while got < workers:
    got += len(os.read(ready_r, workers))
time.sleep(0.2)

before = busy_ticks(opts.get("cores"))
usage0 = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
latencies, sent = asyncio.run(generate())
elapsed = time.perf_counter() - start
usage1 = resource.getrusage(resource.RUSAGE_SELF)
after = busy_ticks(opts.get("cores"))

worker_cpu = 0.0
for pid in pids:
    os.kill(pid, signal.SIGTERM)
for pid in pids:
    _, _, ru = os.wait4(pid, 0)
    worker_cpu += ru.ru_utime + ru.ru_stime
gen_cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)

latencies.sort()


def q(p):
    if not latencies:
        return float("nan")
    return latencies[min(len(latencies) - 1, int(p * len(latencies)))]


# Busy ticks of this process include its workers once waited for; the
# background is what the rest of the machine used meanwhile.
emit(
    {
        "served_per_s": len(latencies) / seconds,
        "p50_ms": q(0.5) * 1e3,
        "p99_ms": q(0.99) * 1e3,
        "sent": sent,
        "done": len(latencies),
        "generator_cpu_per_request_us": gen_cpu / max(sent, 1) * 1e6,
        "worker_cpu_per_request_us": worker_cpu / max(sent, 1) * 1e6,
        "background_cores": background_cores(before, busy_ticks(opts.get("cores")), elapsed),
        "pin_error": pin_error,
    }
)
