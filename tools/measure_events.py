"""Measures the threading.Event costs behind gilsim's sync defaults and the
herd of scenarios/event-herd.toml (standard library only).

Run: python3 tools/measure_events.py
Prints: Event.set() + clear() without waiters (`sync_call`); set() with 1,
10 and 50 blocked waiters (`sync_wake`: the growth per waiter); and the herd:
50 threads released by one set(), each then running 200 us of Python, with
when the median and the last are done, counted from the set.
"""
import threading
import time


def spin(us):
    end = time.perf_counter() + us / 1e6
    while time.perf_counter() < end:
        pass


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def waiting(k, work_us=0):
    """k threads blocked in ev.wait(); returns (event, threads, done times)."""
    ev = threading.Event()
    done = []

    def waiter():
        ev.wait()
        spin(work_us)
        done.append(time.perf_counter())

    threads = [threading.Thread(target=waiter) for _ in range(k)]
    for t in threads:
        t.start()
    while len(ev._cond._waiters) < k:
        time.sleep(0.001)
    time.sleep(0.01)
    return ev, threads, done


def main():
    ev = threading.Event()
    n = 200_000
    t = time.perf_counter()
    for _ in range(n):
        ev.set()
        ev.clear()
    print(f"set() + clear(), no waiters: {(time.perf_counter() - t) / n * 1e6:.2f} us")
    for k in (1, 10, 50):
        costs = []
        for _ in range(20):
            ev, threads, _ = waiting(k)
            t = time.perf_counter()
            ev.set()
            costs.append(time.perf_counter() - t)
            for th in threads:
                th.join()
        print(f"set() with {k} waiters: median {median(costs) * 1e6:.1f} us")
    runs = []
    for _ in range(15):
        ev, threads, done = waiting(50, 200)
        t0 = time.perf_counter()
        ev.set()
        for th in threads:
            th.join()
        d = sorted(x - t0 for x in done)
        runs.append((d[len(d) // 2], d[-1]))
    print(
        f"herd of 50 (200 us each): median waiter done {median(r[0] for r in runs) * 1e3:.2f} ms, "
        f"last {median(r[1] for r in runs) * 1e3:.2f} ms after the set (medians of 15)"
    )


if __name__ == "__main__":
    main()
