#!/usr/bin/env python3
"""Runs scenarios with two gilsim binaries under several `--set` variants
(fewer and more cores, a 1 ms switch interval and time slice, another seed,
free switches, wake-ups and messages)
and reports whether their results.csv agree, ignoring the `events` column.
A wider net than tools/compare_outputs.sh for a change that must move only
event counts: the variants make exact ties (a burst that ends on a slice
boundary, a 1 ms step on 1 ms slices) common.

    tools/compare_variants.py OLD_GILSIM NEW_GILSIM [SCENARIO...]

Default scenarios: scenarios/*.toml and tests/fuzz-seeds/*.toml. Exit 0
when every run both binaries finish agrees.
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile

VARIANTS = [
    [],
    ["--set", "machine.cores=1"],
    ["--set", "machine.cores=3"],
    ["--set", "python.switch_interval=1ms"],
    ["--set", "machine.os_timeslice=1ms"],
    ["--set", "seed=7"],
    # Free switches, wake-ups and messages: dispatches and bursts of zero
    # length, events due at the instant that causes them.
    [
        "--set", "machine.context_switch=0ns",
        "--set", "machine.wakeup_latency=0ns",
        "--set", "machine.wakeup_latency_polling=0ns",
        "--set", "python.release_overhead=0ns",
        "--set", "python.pickle_message=0ns",
        "--set", "python.pipe_syscall=0ns",
        "--set", "python.submit=0ns",
    ],
    [
        "--set", "machine.context_switch=0ns",
        "--set", "python.release_overhead=0ns",
        "--set", "machine.cores=1",
    ],
]


def rows_without_events(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    drop = rows[0].index("events") if rows and "events" in rows[0] else None
    return [[c for i, c in enumerate(r) if i != drop] for r in rows]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = sys.argv[1], sys.argv[2]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = sys.argv[3:] or sorted(
        glob.glob(os.path.join(root, "scenarios", "*.toml"))
        + glob.glob(os.path.join(root, "tests", "fuzz-seeds", "*.toml"))
    )
    compared = differ = 0
    with tempfile.TemporaryDirectory() as work:
        for f in files:
            for variant in VARIANTS:
                codes = []
                for tag, binary in (("old", old), ("new", new)):
                    out = os.path.join(work, tag)
                    subprocess.run(["rm", "-rf", out], check=True)
                    r = subprocess.run(
                        [binary, "run", f, "--out", out, "--quiet"] + variant,
                        capture_output=True,
                        timeout=600,
                    )
                    codes.append(r.returncode)
                if codes[0] != codes[1]:
                    print(f"EXIT CODES DIFFER {codes}: {f} {' '.join(variant)}")
                    differ += 1
                    continue
                if codes[0] != 0:
                    continue
                compared += 1
                a = rows_without_events(os.path.join(work, "old", "results.csv"))
                b = rows_without_events(os.path.join(work, "new", "results.csv"))
                if a != b:
                    print(f"DIFFERS: {f} {' '.join(variant)}")
                    differ += 1
    print(f"{compared} runs compared, {differ} differ")
    sys.exit(1 if differ or not compared else 0)


if __name__ == "__main__":
    main()
