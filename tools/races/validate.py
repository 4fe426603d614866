"""Lost updates, real against simulated: the unlocked counter of
counter.py on every CPython under pyenv, beside gilsim's prediction.

    python3 tools/races/validate.py [--gilsim target/release/gilsim] [--reps 5]
        [--kinds iadd,dict_rmw_pyhash] [--out output/races-validation]

For each kind, Python version, thread count (2, 4), core count (1, 2; the
real runs are pinned with taskset) and switch interval (5 ms, 0.1 ms): the
real median lost-update fraction with its range over --reps runs (the
configurations interleaved), the simulated median over as many
replications (one update's `cost` set to its real time on one core, the
wall time over the updates), and whether they agree (within a factor of 2, or both below
1 in 10,000). Writes validation.csv under --out and prints a Markdown table.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
UPDATES = {"iadd": 1_000_000, "dict_rmw": 500_000, "dict_rmw_pyhash": 200_000}
INTERVALS = {"5ms": 0.005, "0.1ms": 0.0001}


def pythons():
    root = os.path.expanduser("~/.pyenv/versions")
    found = {}
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= 8:
            exe = os.path.join(root, name, "bin", "python")
            if os.path.exists(exe) and not name.endswith("t"):
                found[f"3.{parts[1]}"] = exe
    return dict(sorted(found.items(), key=lambda kv: int(kv[0].split(".")[1])))


def real_runs(kinds, versions, reps, log):
    """Runs the real matrix, appending each result to `log` (JSON lines).
    Returns the lost-update fractions and, per kind and version, one
    update's time measured on one core (wall time over updates)."""
    out, costs = {}, {}
    total = reps * len(kinds) * len(versions) * 8
    done = 0
    for rep in range(reps):
        for kind in kinds:
            for version, exe in versions.items():
                for threads in (2, 4):
                    for cores in (1, 2):
                        for si_name, si in INTERVALS.items():
                            cpus = "1" if cores == 1 else "0,1"
                            cmd = ["taskset", "-c", cpus, exe, os.path.join(HERE, "counter.py"),
                                   str(threads), str(UPDATES[kind]), str(si), kind]
                            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                            key = (kind, version, threads, cores, si_name)
                            out.setdefault(key, []).append(r["lost"] / r["expected"])
                            if cores == 1:
                                costs.setdefault((kind, version), []).append(r["wall_s"] / r["expected"])
                            log.write(json.dumps({"key": key, **r}) + "\n")
                            log.flush()
                            done += 1
                            print(f"\rreal runs {done}/{total}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return out, costs


SCENARIO = """name = "races-{name}"
seed = 1
replications = {reps}
[machine]
cores = 1
[python]
version = "{version}"
[shared]
counter = 0
[[workload]]
name = "count"
tasks = 2
steps = [ {{ update = "counter", kind = "{kind}", times = {n}, cost = "{cost_ns}ns" }} ]
[workload.run]
model = "threads"
workers = "per-task"
[sweep]
"workload.count.tasks" = [2, 4]
"machine.cores" = [1, 2]
"python.switch_interval" = ["5ms", "0.1ms"]
"""


def simulated(gilsim, kinds, versions, reps, costs, tmp):
    """One gilsim study per kind and version, its update `cost` the one
    measured for real on one core."""
    out = {}
    for kind in kinds:
        for version in versions:
            cost_ns = max(1, round(statistics.median(costs[(kind, version)]) * 1e9))
            name = f"{kind}-{version}".replace("_", "-").replace(".", "-")
            path = os.path.join(tmp, f"{name}.toml")
            with open(path, "w") as f:
                f.write(SCENARIO.format(name=name, kind=kind, reps=reps, n=UPDATES[kind],
                                        version=version, cost_ns=cost_ns))
            done = subprocess.run([gilsim, "run", path, "--out", os.path.join(tmp, name), "--quiet"],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"error: {gilsim} run {path} failed:\n{done.stderr}")
            with open(os.path.join(tmp, name, "results.csv")) as f:
                for r in csv.DictReader(f):
                    key = (kind, version, int(r["workload.count.tasks"]),
                           int(r["machine.cores"]), r["python.switch_interval"])
                    out.setdefault(key, []).append(float(r["lost_update_fraction"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gilsim", default="target/release/gilsim")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--kinds", default="iadd,dict_rmw_pyhash")
    ap.add_argument("--out", default="output/races-validation")
    ap.add_argument("--real", help="reuse the real runs of an earlier real.jsonl instead of running them")
    a = ap.parse_args()
    kinds = a.kinds.split(",")
    versions = pythons()
    if not versions:
        sys.exit("error: no CPython 3.8 or later under ~/.pyenv/versions")
    os.makedirs(a.out, exist_ok=True)
    if a.real:
        real, costs = {}, {}
        with open(a.real) as f:
            for line in f:
                r = json.loads(line)
                key = tuple(r["key"])
                if key[0] in kinds:
                    real.setdefault(key, []).append(r["lost"] / r["expected"])
                    if key[3] == 1:
                        costs.setdefault(key[:2], []).append(r["wall_s"] / r["expected"])
    else:
        with open(os.path.join(a.out, "real.jsonl"), "w") as log:
            real, costs = real_runs(kinds, versions, a.reps, log)
    with tempfile.TemporaryDirectory() as tmp:
        sim = simulated(a.gilsim, kinds, list(versions), a.reps, costs, tmp)
    rows = []
    for key in real:
        rm, sm = statistics.median(real[key]), statistics.median(sim[key])
        agree = (rm < 1e-4 and sm < 1e-4) or (rm > 0 and 0.5 <= sm / rm <= 2)
        rows.append([*key, rm, min(real[key]), max(real[key]), sm, agree])
    with open(os.path.join(a.out, "validation.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "version", "threads", "cores", "switch_interval", "real_median",
                    "real_min", "real_max", "simulated_median", "agree"])
        w.writerows(rows)
    print("| kind | version | threads | cores | interval | real median [min–max] | simulated | agree |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for k, v, t, c, si, rm, lo, hi, sm, ok in rows:
        print(f"| {k} | {v} | {t} | {c} | {si} | {rm:.3f} [{lo:.3f}–{hi:.3f}] | {sm:.3f} | {'yes' if ok else 'NO'} |")
    ratios = [(r[8] / r[5], r[:5]) for r in rows if r[5] > 0 and r[8] > 0]
    if ratios:
        lo, hi = min(ratios), max(ratios)
        print(f"\nsimulated / real median: from {lo[0]:.2f} ({lo[1]}) to {hi[0]:.2f} ({hi[1]})", file=sys.stderr)
    bad = sum(1 for r in rows if not r[-1])
    print(f"\n{len(rows) - bad} of {len(rows)} configurations agree", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
