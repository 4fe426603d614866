"""Shared helpers of the gilsim probes (standard library only).

Each probe reads one JSON object of options from argv[1], prints exactly one
JSON object on stdout, and exits 0; anything else is a probe failure.
"""
import json
import os
import sys


def options():
    """The probe's options: {"cores": [0, 1] or null, ...}."""
    return json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def pin(cores):
    """Pins this process (and threads created afterwards) to `cores`.

    Returns (pinned, error): error is the OS's refusal, or "" on success.
    """
    if not cores:
        return False, ""
    if not hasattr(os, "sched_setaffinity"):
        return False, "os.sched_setaffinity is not available on this platform"
    try:
        os.sched_setaffinity(0, set(cores))
        return True, ""
    except OSError as e:
        return False, str(e)


def emit(obj):
    """Prints the probe's result."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def busy_ticks(cpus=None):
    """(busy clock ticks, this process's ticks, ticks per s) or None.

    Busy = user + nice + system + irq + softirq + steal from /proc/stat,
    over the CPUs in `cpus` (the probe's pinned CPUs: work elsewhere does
    not compete with it) or the whole machine when `cpus` is empty. This
    process's ticks include its children that have been waited for (a
    pool's workers after join). The difference over a probe, minus this
    process's own CPU time, is what other work used meanwhile on those
    CPUs (in cores, once divided by the elapsed ticks).
    """
    try:
        wanted = ["cpu%d" % c for c in cpus] if cpus else ["cpu"]
        busy = 0
        found = 0
        with open("/proc/stat") as f:
            for line in f:
                fields = line.split()
                if not fields or fields[0] not in wanted:
                    continue
                v = [int(x) for x in fields[1:]]
                busy += v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
                found += 1
        if found != len(wanted):
            return None
        t = os.times()
        hz = os.sysconf("SC_CLK_TCK")
        own = t.user + t.system + t.children_user + t.children_system
        return busy, own * hz, hz
    except (OSError, ValueError, IndexError):
        return None


def background_cores(before, after, seconds):
    """Cores' worth of CPU that other processes used between two busy_ticks()."""
    if before is None or after is None or seconds <= 0:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, others / after[2] / seconds)
