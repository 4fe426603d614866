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
