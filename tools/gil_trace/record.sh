#!/usr/bin/env bash
# Records which thread takes CPython's GIL when, in a real run: uprobes on
# take_gil (entry and return) and drop_gil in libpython, with the
# scheduler's switches and wake-ups (perf, as root).
#
#   tools/gil_trace/record.sh OUT.data CPUS -- PYTHON SCRIPT ARGS...
#   tools/gil_trace/record.sh b2.data 0,1 -- python3.11 tools/gil_trace/beside.py 2 0.005 1.0
#   perf script -i b2.data -F tid,cpu,time,event,trace > b2.txt
#   python3 tools/gil_trace/waits.py b2.txt SLEEPER_TID CPU_TID,CPU_TID
#
# beside.py prints the sleeper's and the CPU threads' native ids on stderr.
# The interpreter must be a shared build with symbols (pyenv's are):
# take_gil and drop_gil are static functions of Python/ceval_gil.c.
set -euo pipefail
out=$1 cpus=$2
shift 2
[ "${1:-}" = "--" ] && shift
python=$1
lib=$("$python" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY")))')
perf probe -d 'probe_libpython*:*' >/dev/null 2>&1 || true
perf probe -q -x "$lib" take_gil
perf probe -q -x "$lib" 'take_gil%return'
perf probe -q -x "$lib" drop_gil
group=$(perf probe -l 2>/dev/null | awk -F: '/take_gil /{print $1; exit}' | tr -d ' ')
perf record -q -o "$out" -e "$group:take_gil" -e "$group:take_gil__return" -e "$group:drop_gil" \
    -e sched:sched_switch -e sched:sched_wakeup -- taskset -c "$cpus" "$@"
