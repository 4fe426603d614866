"""K pure-Python threads and nothing else, at a switch interval, for SECS:
the GIL's hand-offs between CPU-bound threads alone (beside.py adds a
sleeper). Prints the threads' ids on stderr.

    perf record -e sched:sched_switch -- taskset -c 0 python3.11 pair.py 2 0.0001 2.0
"""
import sys, threading, time
k=int(sys.argv[1]); sys.setswitchinterval(float(sys.argv[2])); secs=float(sys.argv[3])
stop=False
def spin():
    x=0
    while not stop: x+=1
ts=[threading.Thread(target=spin) for _ in range(k)]
for t in ts: t.start()
time.sleep(secs)
stop=True
for t in ts: t.join()
print([t.native_id for t in ts], file=sys.stderr)
