"""Who takes the GIL at a forced hand-off, from futex system calls.

Reads `perf script` output of record_futex.sh. The GIL's futex words are
found by their use: the condition variable `gil->cond` is the address the
threads wait on with FUTEX_WAIT_BITSET and a timeout (its two group words,
`__g_signals[0..1]`), `gil->switch_cond` the one a forced dropper waits on
without a timeout, so a FUTEX_WAKE on it is a taker ending a forced drop
(`COND_SIGNAL(gil->switch_cond)` in take_gil, python/cpython
Python/ceval_gil.h). A timed wait that ends in ETIMEDOUT with no forced
take during it is a drop request (take_gil's `switch_number` check). Each
forced take is matched to the latest request before it (within 1 ms): the
requester won when it is the taker.

    python3 race.py OUT.txt SLEEPER_TID CPU_TID,CPU_TID
"""
import bisect
import collections
import re
import sys

sleeper, cpu_threads = sys.argv[2], sys.argv[3].split(",")
names = {sleeper: "sleeper", **{t: f"cpu{i}" for i, t in enumerate(cpu_threads)}}
pending, waits, wakes = {}, [], []
for line in open(sys.argv[1]):
    m = re.match(r"\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)", line)
    if not m or m.group(1) not in names:
        continue
    tid, _, t, event, rest = m.groups()
    t = float(t)
    if event.endswith("enter_futex"):
        addr = re.search(r"uaddr: (0x[0-9a-f]+)", rest).group(1)
        op = int(re.search(r"op: (0x[0-9a-f]+)", rest).group(1), 16) & 0x7F
        pending[tid] = (t, addr, op)
    elif event.endswith("exit_futex") and tid in pending:
        t0, addr, op = pending.pop(tid)
        ret = int(rest.strip().split()[-1], 0)
        ret = ret - (1 << 64) if ret >= 1 << 63 else ret
        if op == 9:  # FUTEX_WAIT_BITSET: a condition variable's wait
            waits.append((t0, t, names[tid], addr, ret))
        elif op == 1 and ret >= 1:
            wakes.append((t0, names[tid], addr))

# gil->cond's words are the condition variable words some wait on timed
# out; switch_cond's are the others (a forced dropper waits without a
# timeout). The mutexes are FUTEX_WAIT, not condition variable waits.
cond_words = {w[3] for w in waits if w[4] == -110}
switch_words = {w[3] for w in waits} - cond_words
takes = sorted((t, who) for t, who, addr in wakes if addr in switch_words)
take_times = [t for t, _ in takes]
requests = []
for t0, t1, who, addr, ret in waits:
    if ret != -110:
        continue
    i = bisect.bisect_left(take_times, t0)
    if i < len(take_times) and take_times[i] <= t1:
        continue  # the GIL changed hands during the wait: no request
    requests.append((t1, who))
requests.sort()
request_times = [t for t, _ in requests]
won = lost = 0
for t, taker in takes:
    i = bisect.bisect_right(request_times, t) - 1
    if i < 0 or t - request_times[i] > 1e-3:
        continue
    if requests[i][1] == taker:
        won += 1
    else:
        lost += 1
print(f"forced hand-offs with a requester: {won + lost}; the requester took {won} ({won / max(won + lost, 1):.2f})")
