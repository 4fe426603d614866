"""Prints the events of the sleeper's GIL waits longer than 9 ms, threads
named S (sleeper) and A, B, ... (CPU threads), times in ms from the wait's
start. Usage: episodes.py PERF_SCRIPT_TXT SLEEPER_TID CPU_TIDS SKIP COUNT."""
import re,sys
S=int(sys.argv[2]); names={int(x):n for x,n in zip(sys.argv[3].split(','),'ABCDEFG')}; names[S]='S'
ev=[]
for line in open(sys.argv[1]):
    m=re.match(r'\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)',line)
    if not m: continue
    ev.append((float(m[3]),int(m[1]),int(m[2]),m[4],m[5]))
starts=[i for i,e in enumerate(ev) if e[1]==S and e[3].endswith('take_gil')]
shown=0
for si in starts[int(sys.argv[4]):]:
    j=si
    while j<len(ev) and not (ev[j][1]==S and ev[j][3].endswith('take_gil__return')): j+=1
    seg=ev[si:j+1]
    if (seg[-1][0]-seg[0][0])>0.009:
        t0=seg[0][0]
        for t,tid,cpu,e,rest in seg:
            name=names.get(tid,str(tid))
            if e.startswith('sched'):
                m=re.search(r'prev_pid=(\d+).*prev_state=(\S+) ==> next_comm=(\S+) next_pid=(\d+)',rest)
                if e=='sched:sched_switch' and m:
                    rest=f"{names.get(int(m[1]),m[1])}({m[2]}) -> {names.get(int(m[4]),m[3])}"
                elif e=='sched:sched_wakeup':
                    m=re.search(r'pid=(\d+)',rest); rest='wake '+names.get(int(m[1]),m[1])
            else: rest=''
            print(f"{(t-t0)*1e3:8.3f} cpu{cpu} {name:>6} {e.split(':')[1]:<18} {rest[:60]}")
        shown+=1
        if shown>=int(sys.argv[5]): break
        print('----')
