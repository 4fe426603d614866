"""Measures the IPC costs behind gilsim's process defaults (standard library only).

Run: python3 tools/measure_ipc.py [--shm]
Prints medians for: pickle.dumps / pickle.loads of a list of floats (per byte
of pickle), Connection.send_bytes -> recv_bytes between two processes (per
message and per byte, by message size), Process start + join by start
method, and multiprocessing.shared_memory create + copy and attach (only
these with --shm).
"""
import multiprocessing as mp
import pickle
import statistics
import time


def med(f, n):
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        xs.append(time.perf_counter() - t)
    return statistics.median(xs)


def pickling():
    for count in (1, 1000, 100_000):
        obj = [float(i) for i in range(count)]
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        n = 2000 if count < 1000 else (200 if count < 100_000 else 20)
        d = med(lambda: pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), n)
        l = med(lambda: pickle.loads(data), n)
        print(f"pickle {len(data):>9} B: dumps {d*1e6:9.2f} us ({len(data)/d/1e6:7.1f} MB/s)"
              f"  loads {l*1e6:9.2f} us ({len(data)/l/1e6:7.1f} MB/s)")


def echo(conn):
    while True:
        b = conn.recv_bytes()
        if not b:
            return
        conn.send_bytes(b"x")


def pipe():
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b,))
    p.start()
    for size in (16, 4096, 65536, 1 << 20, 16 << 20):
        payload = b"y" * size
        n = 400 if size <= 65536 else (40 if size <= 1 << 20 else 8)

        def one():
            a.send_bytes(payload)
            a.recv_bytes()
        one()
        t = med(one, n)
        print(f"pipe {size:>9} B: round trip {t*1e6:10.1f} us ({size/t/1e6:8.1f} MB/s)")
    a.send_bytes(b"")
    p.join()


def nothing():
    pass


def starts():
    for method in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(method)
        if method == "forkserver":
            t = time.perf_counter()
            ctx.Process(target=nothing).start()
            print(f"forkserver first start (server start included) {(time.perf_counter()-t)*1e3:.2f} ms")
        def one():
            p = ctx.Process(target=nothing)
            p.start()
            p.join()
        parent = []
        def launch_only():
            p = ctx.Process(target=nothing)
            t = time.perf_counter()
            p.start()
            parent.append(time.perf_counter() - t)
            p.join()
        t = med(one, 15)
        for _ in range(15):
            launch_only()
        print(f"{method:10} start+join {t*1e3:8.2f} ms  parent's start() {statistics.median(parent)*1e3:8.3f} ms")




def shared_memory():
    """multiprocessing.shared_memory: create + copy in, attach + close, by size."""
    from multiprocessing import shared_memory as sm
    for size in (1024, 1 << 20, 16 << 20):
        payload = b"z" * size

        def create():
            block = sm.SharedMemory(create=True, size=size)
            block.buf[:size] = payload
            block.close()
            block.unlink()

        block = sm.SharedMemory(create=True, size=size)

        def attach():
            other = sm.SharedMemory(name=block.name)
            other.close()
        n = 200 if size <= 1 << 20 else 20
        c = med(create, n)
        a = med(attach, n)
        block.close()
        block.unlink()
        print(f"shared_memory {size:>9} B: create+copy+unlink {c*1e6:9.1f} us, attach+close {a*1e6:7.1f} us")


if __name__ == "__main__":
    import sys
    if "--shm" not in sys.argv:
        pickling()
        pipe()
        starts()
    shared_memory()
