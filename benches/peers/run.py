#!/usr/bin/env python3
"""gilsim against its peers, side by side (see README.md beside this file).

Runs each pair alternately (gilsim, peer, gilsim, peer, ...) and prints,
for each pair, both tools' median wall times with their spread (min-max),
the ratio peer / gilsim, the events gilsim simulated (and per customer), the
peak RSS of each process, and the answer each tool gives:

  mm4        mm4-processes.toml (M/M/4 on a process pool of 4) against
             SimPy's plain M/M/4 (simpy_mm4.py): the mean sojourn of both,
             against Erlang C.
  asyncflow  asyncflow.toml (one event loop, 300 requests/s) against
             AsyncFlow (asyncflow_peer.py): the mean latency of both.
  memory     asyncflow.toml at 150 s, 300 s and 600 s simulated (or
             --memory-durations): gilsim's peak RSS should not grow with
             simulated time (--memory-peer: AsyncFlow's too).

Standard library only. The peers run from the venvs that setup.sh makes.
gilsim is $GILSIM_BIN if set (or --gilsim), else the release build of this
checkout ($CARGO_TARGET_DIR or target/, built with cargo if missing).

Usage: python3 benches/peers/run.py [--pairs N] [--only mm4,asyncflow,memory]
           [--customers N] [--memory-durations 150,300,600] [--memory-reps N]
           [--memory-peer] [--gilsim PATH] [--json FILE]
"""

import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from math import factorial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

LAMBDA, MU, SERVERS = 3.2, 1.0, 4  # must match mm4-processes.toml and simpy_mm4.py


def erlang_c_sojourn_ms(lam, mu, c):
    """Mean time in system of an M/M/c queue (Erlang C), in ms."""
    a = lam / mu
    rho = a / c
    top = a**c / factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / factorial(k) for k in range(c)) + top)
    return 1000 * (p_wait / (c * mu - lam) + 1 / mu)


def gilsim_binary():
    explicit = os.environ.get("GILSIM_BIN")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            sys.exit(f"error: GILSIM_BIN={explicit} is not a file")
        return path
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    path = target / "release" / "gilsim"
    if not path.is_file():
        print(f"{path} is missing: cargo build --release --locked", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, check=True)
    return path


def venv_python(var, name):
    path = Path(os.environ.get(var, HERE / name / "bin" / "python"))
    if not path.is_file():
        sys.exit(f"error: {path} is missing: run benches/peers/setup.sh first (or set {var})")
    return path


GNU_TIME = Path("/usr/bin/time")


def timed(cmd):
    """Runs cmd; returns (wall s, CPU s, peak RSS in MiB, stdout). Exits on failure.

    CPU seconds are user + system time of the process and its children
    (wait4): unlike wall time, they leave out the time spent waiting for a
    core behind other processes, so they move less on a busy machine.

    The peak RSS comes from GNU time (/usr/bin/time -f %M) when it is
    installed: Linux carries a process's peak RSS across exec, so the
    rusage of a child forked from this Python would count this script's own
    RSS too (about 25 MB); GNU time is a small process, well below it.
    Without GNU time it is the child's rusage, with that caveat."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w+", suffix=".rss") as rss_file:
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd] if GNU_TIME.is_file() else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"error: {' '.join(map(str, cmd))} exited {proc.returncode}:\n{err.read()}")
        rss_kib = usage.ru_maxrss  # KiB on Linux
        if GNU_TIME.is_file():
            rss_file.seek(0)
            rss_kib = int(rss_file.read().split()[-1])
        cpu = usage.ru_utime + usage.ru_stime
        return wall, cpu, rss_kib / 1024, out.read()


def run_gilsim(binary, scenario, work, tag, sets=()):
    out_dir = Path(work) / tag
    cmd = [binary, "run", HERE / scenario, "--out", out_dir, "--quiet"]
    for s in sets:
        cmd += ["--set", s]
    wall, cpu, rss, _ = timed(cmd)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    with open(out_dir / "results.csv", newline="") as f:
        row = next(csv.DictReader(f))
    tasks = int(row["tasks_completed"])
    events = int(manifest["events"])
    # Rates and counts that newer manifests carry (top level or under "speed").
    flat = {**manifest, **(manifest.get("speed") or {})}
    extra = {k: v for k, v in flat.items()
             if ("per_" in k or k in ("stale_events", "events_in_place")) and isinstance(v, (int, float))}
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "run_s": float(manifest["wall_time_s"]),
        "rss_mb": rss,
        "customers": tasks,
        "events": events,
        "events_per_customer": events / tasks,
        "mean_ms": float(row["latency_mean_ms"]),
        "manifest_rates": extra,
    }


def run_peer(python, script, args):
    wall, cpu, rss, out = timed([python, HERE / script, *args])
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall_s=wall, cpu_s=cpu, rss_mb=rss)
    return result


def spread(values, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def load():
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


def pair(name, pairs, gilsim_once, peer_once, peer_name, describe):
    print(f"\n== {name}: {pairs} alternating pairs (gilsim, {peer_name}, ...); load average (1/5 min) {load()}")
    runs = {"gilsim": [], peer_name: []}
    for i in range(pairs):
        runs["gilsim"].append(gilsim_once(i))
        runs[peer_name].append(peer_once(i))
        g, p = runs["gilsim"][-1], runs[peer_name][-1]
        p["load_after"] = load()
        print(f"   pair {i + 1}: gilsim {g['wall_s']:.2f} s (CPU {g['cpu_s']:.2f}), "
              f"{peer_name} {p['wall_s']:.2f} s (CPU {p['cpu_s']:.2f}), load {p['load_after']}")
    g, p = runs["gilsim"], runs[peer_name]
    gw = [r["wall_s"] for r in g]
    pw = [r["wall_s"] for r in p]
    ratios = [b / a for a, b in zip(gw, pw)]
    cpu_ratios = [b["cpu_s"] / a["cpu_s"] for a, b in zip(g, p)]
    print(f"   {'':10} {'wall s, median (min-max)':>26} {'CPU s (user+sys)':>22} {'in-run s':>22} {'peak RSS MiB':>13}")
    for label, rs in (("gilsim", g), (peer_name, p)):
        print(f"   {label:10} {spread([r['wall_s'] for r in rs]):>26} {spread([r['cpu_s'] for r in rs]):>22} "
              f"{spread([r['run_s'] for r in rs]):>22} {statistics.median(r['rss_mb'] for r in rs):>13.1f}")
    med = statistics.median
    print(f"   ratio {peer_name} / gilsim, of the medians: wall {med(pw) / med(gw):.2f} "
          f"(per pair {min(ratios):.2f}-{max(ratios):.2f}), CPU {med(r['cpu_s'] for r in p) / med(r['cpu_s'] for r in g):.2f} "
          f"(per pair {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}), "
          f"in-run {med(r['run_s'] for r in p) / med(r['run_s'] for r in g):.2f}")
    print(f"   {peer_name} {p[-1]['version']} on CPython {p[-1]['python']}")
    last = g[-1]
    print(f"   gilsim events: {last['events']:,} for {last['customers']:,} customers completed = "
          f"{last['events_per_customer']:.1f} events per customer")
    for key, value in last["manifest_rates"].items():
        print(f"   manifest {key}: {value:,.1f}")
    describe(g[-1], p[-1])
    return {
        "gilsim": g,
        peer_name: p,
        "wall_ratio_of_medians": med(pw) / med(gw),
        "cpu_ratio_of_medians": med(r["cpu_s"] for r in p) / med(r["cpu_s"] for r in g),
    }


def main():
    ap = argparse.ArgumentParser(description="gilsim against SimPy and AsyncFlow, run alternately")
    ap.add_argument("--pairs", type=int, default=3, help="alternating pairs per comparison (default 3)")
    ap.add_argument("--only", default="mm4,asyncflow,memory", help="comma-separated: mm4, asyncflow, memory")
    ap.add_argument("--customers", type=int, default=320_000, help="SimPy's M/M/4 customers (default 320000)")
    ap.add_argument("--memory-reps", type=int, default=3, help="gilsim runs per duration in the memory check")
    ap.add_argument("--memory-durations", default="150,300,600",
                    help="simulated seconds of the memory check (default 150,300,600)")
    ap.add_argument("--memory-peer", action="store_true", help="also run AsyncFlow at those durations")
    ap.add_argument("--gilsim", help="the gilsim binary (overrides GILSIM_BIN)")
    ap.add_argument("--json", help="write every measurement to this file")
    args = ap.parse_args()
    if args.gilsim:
        os.environ["GILSIM_BIN"] = args.gilsim
    only = set(args.only.split(","))
    unknown = only - {"mm4", "asyncflow", "memory"}
    if unknown or args.pairs < 1:
        ap.error(f"unknown --only {sorted(unknown)}" if unknown else "--pairs must be at least 1")
    try:
        durations = [int(d) for d in args.memory_durations.split(",")]
    except ValueError:
        ap.error(f"--memory-durations takes whole seconds separated by commas, not {args.memory_durations!r}")
    if len(durations) < 2 or min(durations) < 1:
        ap.error("--memory-durations needs at least two durations of at least 1 s")

    binary = gilsim_binary()
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:12]
    mtime = datetime.datetime.fromtimestamp(binary.stat().st_mtime, datetime.timezone.utc)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}",
        "gilsim": f"{binary} (sha256 {digest}, built {mtime:%Y-%m-%d %H:%M} UTC)",
        "load_before": load(),
    }
    for k, v in report.items():
        print(f"{k}: {v}")

    with tempfile.TemporaryDirectory(prefix="gilsim-peers-") as work:
        if "mm4" in only:
            simpy_py = venv_python("SIMPY_PYTHON", ".venv-simpy")
            erlang = erlang_c_sojourn_ms(LAMBDA, MU, SERVERS)

            def describe(g, p):
                for label, r, n in (("gilsim", g, g["customers"]), ("simpy", p, p["customers"])):
                    mean = r["mean_ms"] if label == "gilsim" else r["mean_sojourn_ms"]
                    print(f"   {label} mean sojourn: {mean:,.1f} ms over {n:,} customers, "
                          f"{100 * (mean / erlang - 1):+.2f}% against Erlang C's {erlang:,.1f} ms")

            report["mm4"] = pair(
                "M/M/4, rho 0.8: gilsim on a process pool of 4 against SimPy's M/M/4", args.pairs,
                lambda i: run_gilsim(binary, "mm4-processes.toml", work, f"mm4-{i}"),
                lambda i: run_peer(simpy_py, "simpy_mm4.py", ["--customers", str(args.customers)]),
                "simpy", describe)
            report["mm4"]["erlang_c_ms"] = erlang

        if "asyncflow" in only:
            af_py = venv_python("ASYNCFLOW_PYTHON", ".venv-asyncflow")

            def describe(g, p):
                print(f"   gilsim mean latency: {g['mean_ms']:.2f} ms over {g['customers']:,} requests")
                print(f"   asyncflow mean latency: {p['mean_latency_ms']:.2f} ms over {p['requests']:,} requests")

            report["asyncflow"] = pair(
                "AsyncFlow's scenario: one event loop, 300 requests/s, 600 s", args.pairs,
                lambda i: run_gilsim(binary, "asyncflow.toml", work, f"asyncflow-{i}"),
                lambda i: run_peer(af_py, "asyncflow_peer.py", []),
                "asyncflow", describe)

        if "memory" in only:
            print(f"\n== memory against simulated time: asyncflow.toml, {args.memory_reps} run(s) per duration; "
                  f"load {load()}")
            report["memory"] = {}
            for seconds in durations:
                rs = [run_gilsim(binary, "asyncflow.toml", work, f"mem-{seconds}-{i}", [f"duration={seconds}s"])
                      for i in range(args.memory_reps)]
                report["memory"][seconds] = rs
                print(f"   gilsim {seconds:>4} s simulated: peak RSS {spread([r['rss_mb'] for r in rs], '{:.1f}')} MiB, "
                      f"{rs[0]['events']:,} events, wall {spread([r['wall_s'] for r in rs])} s")
            rss = {s: statistics.median(r["rss_mb"] for r in rs) for s, rs in report["memory"].items()}
            lo, hi = min(durations), max(durations)
            print(f"   peak RSS {hi} s / {lo} s: {rss[hi] / rss[lo]:.2f} (flat is 1.00; simulated time x{hi / lo:g})")
            if args.memory_peer:
                af_py = venv_python("ASYNCFLOW_PYTHON", ".venv-asyncflow")
                report["memory_peer"] = {}
                for seconds in durations:
                    r = run_peer(af_py, "asyncflow_peer.py", ["--duration", str(seconds)])
                    report["memory_peer"][seconds] = r
                    print(f"   asyncflow {seconds:>4} s simulated: peak RSS {r['rss_mb']:.1f} MiB, wall {r['wall_s']:.2f} s")

    report["load_after"] = load()
    print(f"\nload average after: {report['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"measurements: {args.json}")


if __name__ == "__main__":
    main()
