import os, sys, threading, time
k = int(sys.argv[1]); interval = float(sys.argv[2]); secs = float(sys.argv[3])
sys.setswitchinterval(interval)
stop = False
def spin():
    x = 0
    while not stop:
        x += 1
ids = {}
def sleeper():
    ids['sleeper'] = threading.get_native_id()
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < secs:
        time.sleep(0.001)
        n += 1
    ids['rate'] = n / (time.perf_counter() - t0)
ts = [threading.Thread(target=spin) for _ in range(k)]
for t in ts: t.start()
time.sleep(0.05)
s = threading.Thread(target=sleeper); s.start(); s.join()
stop = True
for t in ts: t.join()
print(ids['sleeper'], round(ids['rate'],1), [t.native_id for t in ts], file=sys.stderr)
