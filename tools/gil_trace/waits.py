"""Per wait of the sleeper for the GIL (take_gil entry to return): how long,
how many other threads took the GIL meanwhile, how often the sleeper was
woken. Usage: waits.py PERF_SCRIPT_TXT SLEEPER_TID CPU_TIDS (comma-separated)."""
import re,sys,statistics as st
f=sys.argv[1]; S=int(sys.argv[2]); A=[int(x) for x in sys.argv[3].split(',')]
ev=[]
for line in open(f):
    m=re.match(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)',line)
    if not m: continue
    tid,cpu,t,e,rest=int(m[1]),int(m[2]),float(m[3]),m[4],m[5]
    ev.append((t,tid,cpu,e,rest))
waits=[];ahead=[];wakes=[]
i=0
open_=None
for t,tid,cpu,e,rest in ev:
    if tid==S and e.endswith('take_gil'): open_=(t,[],0)
    elif open_ and e.endswith('take_gil__return') and tid!=S: open_[1].append(tid)
    elif open_ and e=='sched:sched_wakeup' and f'pid={S} ' in rest: open_=(open_[0],open_[1],open_[2]+1)
    elif open_ and tid==S and e.endswith('take_gil__return'):
        waits.append((t-open_[0])*1e3); ahead.append(len(open_[1])); wakes.append(open_[2]); open_=None
print('n',len(waits),'wait ms median',round(st.median(waits),2),'mean',round(st.mean(waits),2))
print('other takes during wait: median',st.median(ahead),'dist',sorted(set(ahead))[:10])
print('sleeper wakeups during wait median',st.median(wakes))
import collections
print(collections.Counter(ahead).most_common(6))
print(collections.Counter(wakes).most_common(6))
