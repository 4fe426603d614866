"""Per-thread run segments and run-queue waits from a record_futex.sh trace.

    python3 tools/gil_trace/segments.py OUT.txt SLEEPER CPU1,CPU2 [START_S]

For the sleeper (S) and each CPU-bound thread (C0, C1, ...): how long it
ran each time it was on a core, split by how it left (R: preempted, S:
blocked), and how long it waited between its wake-up and its next run.
With START_S (a perf timestamp in seconds), it also lists the 30 ms of
segments from there: who ran, for how long, and how each run ended.
"""
import collections
import re
import sys

f, sleeper, cpus = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3].split(',')]
names = {sleeper: 'S', **{c: 'C%d' % i for i, c in enumerate(cpus)}}
sw = re.compile(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch: prev_comm=.* prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)')
wk = re.compile(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_wakeup: comm=.* pid=(\d+)')
run = {}  # cpu -> (tid, start)
segs = []
wakes = []
last_wake = {}
waits = collections.defaultdict(list)
for line in open(f):
    m = sw.match(line)
    if m:
        _, cpu, t, prev, st, nxt = m.groups(); t = float(t) * 1e6; prev = int(prev); nxt = int(nxt)
        if cpu in run:
            tid, s = run[cpu]
            segs.append((names.get(tid, 'o'), s, t, st))
        run[cpu] = (nxt, t)
        if nxt in last_wake:
            waits[names.get(nxt, 'o')].append(t - last_wake.pop(nxt))
        continue
    m = wk.match(line)
    if m:
        _, cpu, t, pid = m.groups(); pid = int(pid)
        last_wake[pid] = float(t) * 1e6
segs = [s for s in segs if s[0] != 'o']
def q(v, p):
    v = sorted(v); return v[int(p * (len(v) - 1))] if v else float('nan')
by = collections.defaultdict(list)
for n, s, e, st in segs:
    by[(n, st)].append(e - s)
for k in sorted(by):
    v = by[k]
    print(k, 'n=%d p10=%.0f p50=%.0f p90=%.0f us total=%.0f ms' % (len(v), q(v, .1), q(v, .5), q(v, .9), sum(v) / 1e3))
for k in sorted(waits):
    v = waits[k]
    print('runqueue wait', k, 'n=%d p10=%.0f p50=%.0f p90=%.0f us' % (len(v), q(v, .1), q(v, .5), q(v, .9)))
if len(sys.argv) > 4:
    a = float(sys.argv[4]) * 1e6
    for n, s, e, st in segs:
        if a <= s <= a + 30000:
            print('%s %10.0f %7.0f %s' % (n, s - a, e - s, st))
