#!/usr/bin/env bash
# Runs a sweep as a Slurm job array on a single-node Slurm cluster started
# here, merges the shards, and compares the merged files byte for byte with
# an unsharded run.
#
#   tools/slurm/test.sh                       # builds gilsim (cargo build --release)
#   GILSIM_BIN=target/release/gilsim tools/slurm/test.sh
#
# Needs root when slurm-wlm and munge are missing (installs them with
# apt-get), and to run slurmd. Starts munged, slurmctld and slurmd directly
# (no systemd) with their own config, key, socket, ports, state, logs and pid
# files under $GILSIM_SLURM_DIR (default ${TMPDIR:-/tmp}/gilsim-slurm-test),
# and stops them on exit by those pid files. Daemons left by a killed
# earlier run (pid files in that folder, checked against the process name)
# are stopped first. Nothing under /etc is changed.
#
# Environment: GILSIM_BIN, GILSIM_SLURM_DIR, GILSIM_SLURM_SCENARIO (default
# scenarios/convoy.toml), GILSIM_SLURM_SET (one --set for every run, default
# replications=2, so that summary.csv is compared too), GILSIM_SLURM_SHARDS (default 3),
# GILSIM_SLURM_PORT (slurmctld's; slurmd uses the next; default 16817).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
started=$(date +%s)

say() { echo "slurm test: $*"; }
trap 'echo "slurm test: FAILED: stopped by a signal (a time limit?)" >&2; exit 143' TERM INT
fail() { echo "slurm test: FAILED: $*" >&2; exit 1; }

base=${GILSIM_SLURM_DIR:-${TMPDIR:-/tmp}/gilsim-slurm-test}
scenario=${GILSIM_SLURM_SCENARIO:-scenarios/convoy.toml}
shards=${GILSIM_SLURM_SHARDS:-3}
set_arg=${GILSIM_SLURM_SET-replications=2}
sets=()
[ -n "$set_arg" ] && sets=(--set "$set_arg")
port=${GILSIM_SLURM_PORT:-16817}

# --- Slurm and munge ---------------------------------------------------------
need=()
for c in sbatch slurmctld slurmd scontrol sinfo; do command -v "$c" >/dev/null || need=(slurm-wlm); done
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || fail "${need[*]} missing and not root: install them (apt-get install slurm-wlm munge) or run as root"
    command -v apt-get >/dev/null || fail "${need[*]} missing and there is no apt-get: install Slurm and munge another way"
    say "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt=(apt-get -y -q -o DPkg::Lock::Timeout=30)
    if ! timeout 80 "${apt[@]}" install slurm-wlm munge >"$base.apt.log" 2>&1; then
        timeout 40 "${apt[@]}" update >>"$base.apt.log" 2>&1 || true
        timeout 80 "${apt[@]}" install slurm-wlm munge >>"$base.apt.log" 2>&1 \
            || { tail -20 "$base.apt.log" >&2; fail "apt-get install slurm-wlm munge failed (log: $base.apt.log)"; }
    fi
fi
[ "$(id -u)" = 0 ] || fail "slurmd runs jobs as their user and needs root here: run as root"

# --- stop what an earlier run left, then start afresh -----------------------
# stop NAME PIDFILE: kills the process in PIDFILE if it is NAME.
stop() {
    local name=$1 file=$2 pid
    [ -s "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null) || return 0
    if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do [ -d /proc/"$pid" ] || break; sleep 0.1; done
        [ -d /proc/"$pid" ] && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}
stop_all() {
    stop slurmd "$base/run/slurmd.pid"
    stop slurmctld "$base/run/slurmctld.pid"
    stop munged "$base/run/munged.pid"
}
stop_all
rm -rf "$base/state" "$base/spool" "$base/log" "$base/out"
mkdir -p "$base/run" "$base/state" "$base/spool" "$base/log" "$base/munge" "$base/out"
chmod 700 "$base/munge"
trap 'stop_all' EXIT

host=$(hostname -s)
cpus=$(nproc)
if [ ! -s "$base/munge/munge.key" ]; then
    dd if=/dev/urandom of="$base/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$base/munge/munge.key"
socket=$base/munge/munge.socket
munged --force --socket="$socket" --key-file="$base/munge/munge.key" \
    --pid-file="$base/run/munged.pid" --log-file="$base/log/munged.log" \
    --seed-file="$base/munge/munged.seed" \
    || fail "munged did not start (log: $base/log/munged.log)"

export SLURM_CONF=$base/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=gilsimtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool
SlurmctldPidFile=$base/run/slurmctld.pid
SlurmdPidFile=$base/run/slurmd.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=gilsim Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -i || fail "slurmctld did not start (log: $base/log/slurmctld.log)"
slurmd || fail "slurmd did not start (log: $base/log/slurmd.log)"
say "waiting for node $host ($cpus CPUs)"
for _ in $(seq 60); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in idle*|mix*|alloc*) break ;; esac
    sleep 0.5
done
case "$state" in
    idle*|mix*|alloc*) ;;
    *) tail -5 "$base/log/slurmctld.log" "$base/log/slurmd.log" >&2 || true
       fail "node $host is '${state:-unknown}', not idle, after 30 s" ;;
esac

# --- gilsim ------------------------------------------------------------------
if [ -n "${GILSIM_BIN:-}" ]; then
    gilsim=$(realpath "$GILSIM_BIN")
else
    say "building gilsim"
    cargo build --release --locked --quiet
    gilsim=$(realpath "${CARGO_TARGET_DIR:-target}/release/gilsim")
fi
[ -x "$gilsim" ] || fail "no gilsim at $gilsim"

out=$base/out/sharded
"$gilsim" slurm "$scenario" "${sets[@]}" --shards "$shards" --out "$out" --sbatch-option=--time=00:05:00 >"$base/out/slurm.txt"
cat "$base/out/slurm.txt"
array=$(timeout 30 sbatch --parsable "$out/slurm/array.sbatch") || fail "sbatch of the array failed"
array=${array%%;*}
say "array job $array submitted; merge waits on it (sbatch --wait)"
if ! timeout 120 sbatch --wait --dependency=afterok:"$array" "$out/slurm/merge.sbatch"; then
    tail -n 20 "$out"/slurm/logs/*.out >&2 2>/dev/null || true
    fail "the array or the merge job failed or timed out (logs: $out/slurm/logs)"
fi
for k in $(seq 0 $((shards - 1))); do
    [ -s "$out/shard-$k-of-$shards/results.csv" ] || fail "shard $k/$shards wrote no results.csv"
done

"$gilsim" run "$scenario" "${sets[@]}" --out "$base/out/whole" --quiet >/dev/null
# Every file the merge wrote (results.csv, summary.csv, the charts) against the unsharded run's.
compared=()
for f in "$out"/*; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    [ -e "$base/out/whole/$name" ] || fail "the merge wrote $name, the unsharded run did not"
    cmp "$base/out/whole/$name" "$f" || fail "$name of the merged shards differs from the unsharded run's"
    compared+=("$name")
done
for need in results.csv summary.csv; do
    case " ${compared[*]} " in *" $need "*) ;; *) [ "$need" = summary.csv ] && [ ! -e "$base/out/whole/summary.csv" ] || fail "the merge wrote no $need" ;; esac
done
say "ok: $shards array tasks of $scenario merged; ${#compared[@]} files equal to the unsharded run's byte for byte (${compared[*]}) ($(($(date +%s) - started)) s)"
