"""The same pure-Python loop (20 million iterations) on 1 thread, and split over
2 and 4 threads, at switch intervals of 5 and 1 ms: the medians of 3
interleaved runs and their ratios. Pin it (taskset -c 0 or 0,1) to compare 1
and 2 cores: a hand-off of the GIL between cores costs time gilsim does not
model yet (issue 18)."""
import sys, threading, time
N = 20_000_000
def work(n):
    x = 0
    for i in range(n):
        x += i
def run(k):
    ts = [threading.Thread(target=work, args=(N // k,)) for _ in range(k)]
    t = time.perf_counter()
    for th in ts: th.start()
    for th in ts: th.join()
    return time.perf_counter() - t
for interval in (0.005, 0.001):
    sys.setswitchinterval(interval)
    r = {1: [], 2: [], 4: []}
    for _ in range(3):
        for k in (1, 2, 4):
            r[k].append(run(k))
    med = {k: sorted(v)[1] for k, v in r.items()}
    print(f"interval {interval*1e3:.0f} ms: 1 thread {med[1]:.3f} s, 2 threads {med[2]:.3f} s ({med[2]/med[1]:.2f}x), 4 threads {med[4]:.3f} s ({med[4]/med[1]:.2f}x)")
