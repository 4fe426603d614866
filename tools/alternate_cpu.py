#!/usr/bin/env python3
"""Runs one scenario with several gilsim binaries in alternation and prints
each binary's CPU seconds (user + system of the child) per run, their
medians, and old / new of the medians and per pair, with the events the
last run of each reported (`events`, `events_in_place` of manifest.json).
For a change of a few per cent on a shared machine, where three pairs of
benches/peers/run.py do not resolve it.

    tools/alternate_cpu.py SCENARIO PAIRS OLD_GILSIM NEW_GILSIM
    EXTRA="--set duration=3000s" tools/alternate_cpu.py benches/peers/asyncflow.toml 7 OLD NEW

Standard library only; each run is `gilsim run SCENARIO --out TMPDIR --quiet`.
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    scenario, pairs, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    extra = os.environ.get("EXTRA", "").split()
    times = {b: [] for b in bins}
    events = {}
    for i in range(pairs):
        for b in bins if i % 2 == 0 else list(reversed(bins)):
            out = tempfile.mkdtemp()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                [b, "run", scenario, "--out", out, "--quiet"] + extra,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[b].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
            with open(os.path.join(out, "manifest.json")) as f:
                m = json.load(f)
            events[b] = (m.get("events"), m.get("events_in_place"))
            shutil.rmtree(out)
    for b in bins:
        t = times[b]
        print(
            f"{b}: median {statistics.median(t):.3f} (min {min(t):.3f} max {max(t):.3f}) events {events[b]}"
        )
    if len(bins) == 2:
        old, new = times[bins[0]], times[bins[1]]
        per_pair = statistics.median(o / n for o, n in zip(old, new))
        print(
            f"old/new of medians {statistics.median(old) / statistics.median(new):.3f}, per-pair median {per_pair:.3f}"
        )


if __name__ == "__main__":
    main()
