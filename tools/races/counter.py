"""The classic unlocked counter, for real: THREADS threads each update a
shared value N times without a lock; prints the lost updates as JSON.

    python counter.py THREADS N SWITCH_INTERVAL_S [iadd|dict_rmw|dict_rmw_pyhash]

Standard library only; CPython 3.8 and later. The kinds are those of
gilsim's `update` steps (docs/MODEL.md#shared-state).
"""
import json
import sys
import threading
import time

THREADS = int(sys.argv[1])
N = int(sys.argv[2])
sys.setswitchinterval(float(sys.argv[3]))
KIND = sys.argv[4] if len(sys.argv) > 4 else "iadd"

counter = 0


class Key:
    """A key whose hash is Python code: each lookup calls a function."""

    def __init__(self, k):
        self.k = k

    def __hash__(self):
        return hash(self.k)

    def __eq__(self, other):
        return self.k == other.k


table = {"k": 0}
key = Key("k")
keyed = {key: 0}


def iadd(n):
    global counter
    for _ in range(n):
        counter += 1


def dict_rmw(n):
    d = table
    for _ in range(n):
        d["k"] = d["k"] + 1


def dict_rmw_pyhash(n):
    d, k = keyed, key
    for _ in range(n):
        d[k] = d[k] + 1


work = {"iadd": iadd, "dict_rmw": dict_rmw, "dict_rmw_pyhash": dict_rmw_pyhash}[KIND]
threads = [threading.Thread(target=work, args=(N,)) for _ in range(THREADS)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
final = {"iadd": lambda: counter, "dict_rmw": lambda: table["k"], "dict_rmw_pyhash": lambda: keyed[key]}[KIND]()
expected = THREADS * N
print(json.dumps({"final": final, "expected": expected, "lost": expected - final, "wall_s": wall}))
