#!/usr/bin/env bash
# Runs every bundled scenario (and every `gilsim compare` example) with two
# gilsim binaries and reports whether their result files are byte-identical.
# Use it to prove a refactoring changed no result:
#
#   tools/compare_outputs.sh OLD_GILSIM NEW_GILSIM
#
# Exit 0 when every results.csv, summary.csv and compare.csv is identical.
# IGNORE_COLUMNS=events (comma-separated names) compares the files without
# those columns, for a change that only moves event counts.
set -euo pipefail
old=${1:?usage: compare_outputs.sh OLD_GILSIM NEW_GILSIM}
new=${2:?usage: compare_outputs.sh OLD_GILSIM NEW_GILSIM}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

checked=0
differ=0
for f in scenarios/*.toml; do
  n=$(basename "$f" .toml)
  "$old" run "$f" --out "$work/old/$n" --quiet >/dev/null 2>&1 || echo "old binary failed on $f"
  "$new" run "$f" --out "$work/new/$n" --quiet >/dev/null 2>&1 || echo "new binary failed on $f"
done
for f in scenarios/compare/*.toml; do
  n=compare-$(basename "$f" .toml)
  "$old" compare "$f" --out "$work/old/$n" --jobs 2 >/dev/null 2>&1 || echo "old binary failed on $f"
  "$new" compare "$f" --out "$work/new/$n" --jobs 2 >/dev/null 2>&1 || echo "new binary failed on $f"
done
while IFS= read -r rel; do
  checked=$((checked + 1))
  if [ -n "${IGNORE_COLUMNS:-}" ]; then
    for side in old new; do
      python3 - "$work/$side/$rel" "$IGNORE_COLUMNS" <<'PY'
import csv, sys
path, drop = sys.argv[1], set(sys.argv[2].split(","))
with open(path, newline="") as f:
    rows = list(csv.reader(f))
keep = [i for i, name in enumerate(rows[0]) if name not in drop] if rows else []
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for row in rows:
        w.writerow([row[i] for i in keep if i < len(row)])
PY
    done
  fi
  if ! cmp -s "$work/old/$rel" "$work/new/$rel"; then
    echo "DIFFERS: $rel"
    differ=$((differ + 1))
  fi
done < <(cd "$work/old" && find . \( -name results.csv -o -name summary.csv -o -name compare.csv \) | sort)
echo "$checked result files compared, $differ differ"
[ "$differ" -eq 0 ] && [ "$checked" -gt 0 ]
