#!/usr/bin/env bash
# The array's task times under two ways of splitting a sweep into shards:
# each shard's `gilsim run FILE --shard K/N -j1` timed as its own process
# (what one array task does on its own node), the two binaries alternating.
#
#   tools/slurm/measure_shards.sh A_GILSIM B_GILSIM [FILE] [N] [REPS]
#
# README's figures: A = main at 059ad4d (index mod N), B = this branch
# (cost-balanced), FILE = benches/sweep-64.toml, N = 4, REPS = 7.
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2")
file=${3:-benches/sweep-64.toml}; n=${4:-4}; reps=${5:-7}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for rep in $(seq "$reps"); do
    for side in a b; do
        bin=$a; [ "$side" = b ] && bin=$b
        for k in $(seq 0 $((n - 1))); do
            t0=$(date +%s.%N)
            "$bin" run "$file" --shard "$k/$n" --out "$tmp/$side" -q -j1 >/dev/null
            t1=$(date +%s.%N)
            echo "$side $rep $k $t0 $t1"
        done
    done
done >"$tmp/times"
python3 - "$tmp/times" "$n" <<'PY'
import collections, statistics, sys
n = int(sys.argv[2])
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, rep, k, t0, t1 = line.split()
    t[(side, int(k))].append(float(t1) - float(t0))
for side in "ab":
    med = [statistics.median(t[(side, k)]) for k in range(n)]
    runs = len(t[(side, 0)])
    per_run = sorted(max(t[(side, k)][i] for k in range(n)) / min(t[(side, k)][i] for k in range(n)) for i in range(runs))
    print(f"{side}: medians " + " ".join(f"{m:.3f}" for m in med)
          + f" s; ranges " + " ".join(f"{min(t[(side, k)]):.2f}-{max(t[(side, k)]):.2f}" for k in range(n))
          + f"; slowest/fastest of the medians {max(med) / min(med):.2f}, per run {per_run[0]:.2f}-{per_run[-1]:.2f}")
PY
