#!/usr/bin/env bash
# Records the GIL's hand-offs without uprobes: the futex system calls of
# the interpreter's threads and the scheduler's switches and wake-ups (perf
# tracepoints, which cost far less than uprobes on take_gil/drop_gil and do
# not slow the holder's path enough to change who wins a hand-off).
#
#   tools/gil_trace/record_futex.sh OUT 0,1 2 0.005   # beside.py, 2 CPU threads, 5 ms
#   -> OUT.data, OUT.txt and the requester's share of forced hand-offs (race.py)
set -euo pipefail
out=$1 cpus=$2 k=$3 interval=$4
here=$(cd "$(dirname "$0")" && pwd)
perf record -q -o "$out.data" -e syscalls:sys_enter_futex -e syscalls:sys_exit_futex \
    -e sched:sched_switch -e sched:sched_wakeup -- \
    taskset -c "$cpus" python3.11 "$here/beside.py" "$k" "$interval" 2.0 2> "$out.ids"
perf script -i "$out.data" -F tid,cpu,time,event,trace > "$out.txt" 2>/dev/null
read -r sleeper rate _ < "$out.ids"
cpu_threads=$(sed 's/.*\[\(.*\)\]/\1/; s/ //g' "$out.ids")
echo "sleeper woke $rate times a second"
python3 "$here/race.py" "$out.txt" "$sleeper" "$cpu_threads"
