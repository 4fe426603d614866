"""Run lengths of the given threads from `perf script` output with
sched_switch events, by how each run ended (R: preempted, S: blocked).

    python3 tools/gil_trace/runs.py OUT.txt TID1,TID2
"""
import re,sys,collections
f=sys.argv[1]; ids=[int(x) for x in sys.argv[2].split(',')]
sw=re.compile(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch: prev_comm=.* prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=.* next_pid=(\d+)')
run={};segs=collections.defaultdict(list)
for line in open(f):
    m=sw.match(line)
    if not m: continue
    _,cpu,t,prev,st,nxt=m.groups(); t=float(t)*1e6; prev=int(prev); nxt=int(nxt)
    if cpu in run:
        tid,s=run[cpu]
        if tid in ids: segs[(tid,st[0])].append(t-s)
    run[cpu]=(nxt,t)
def q(v,p): v=sorted(v); return v[min(len(v)-1,int(p*len(v)))]
allr=[]
for k,v in sorted(segs.items()):
    allr+=v; print(k,'n=%d p50=%.0f p90=%.0f total=%.0f ms'%(len(v),q(v,.5),q(v,.9),sum(v)/1000))
print('all runs n=%d p50=%.0f p90=%.0f'%(len(allr),q(allr,.5),q(allr,.9)))
