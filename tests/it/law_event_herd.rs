//! Law: `set_event` releases every waiter; waiters that need the GIL
//! acquire it one at a time (the thundering herd on one GIL), while on a
//! free-threaded build or in processes (a GIL each) they overlap on cores.

use crate::common;

use gilsim::simulation::RunOutput;

/// 50 threads wait on `go`; a starter sets it at 20 ms (after a sleep, so
/// every waiter is waiting); each waiter then runs 1 ms of Python.
const HERD: &str = r#"
name = "herd"
seed = 7
[machine]
cores = 4
[events]
go = {}
[[workload]]
name = "waiters"
tasks = 50
steps = [ { wait_event = "go" }, { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 50
[[workload]]
name = "starter"
tasks = 1
steps = [ { sleep = "20ms" }, { set_event = "go" } ]
[workload.run]
model = "threads"
workers = 1
"#;

const MS: u64 = 1_000_000;

fn row<'a>(o: &'a RunOutput, name: &str) -> &'a gilsim::results::WorkloadResult {
    o.workloads.iter().find(|w| w.workload == name).unwrap()
}

/// Latency max of a workload, in ns (every task arrived at 0: its last completion).
fn last_done(o: &RunOutput, name: &str) -> u64 {
    (row(o, name).latency_ms.unwrap()[4] * 1e6) as u64
}

/// GIL held time in `[0, before)`, summed over a log.
fn held_before(log: &[(u64, usize, bool)], before: u64) -> u64 {
    let mut since = None;
    let mut held = 0;
    for &(t, _, acquired) in log {
        if acquired {
            since = Some(t);
        } else if let Some(s) = since.take() {
            held += t.min(before).saturating_sub(s.min(before));
        }
    }
    held
}

#[test]
fn threads_take_the_gil_one_at_a_time_after_the_set() {
    let s = common::scenario(HERD);
    let o = common::simulate(&s);
    assert_eq!(
        row(&o, "waiters").tasks_completed,
        50,
        "every waiter released"
    );
    assert_eq!(row(&o, "starter").tasks_completed, 1);
    common::assert_single_holder(&o);
    let a = o.accounting;
    assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{a:?}");
    assert_eq!(a.step_cpu, 50 * MS, "{a:?}");
    let log = o.gil_log.as_ref().unwrap();
    // Nobody ran its 1 ms step before the set: only entering the wait held the GIL.
    assert!(
        held_before(log, 20 * MS) < MS,
        "GIL held {} ns before the set",
        held_before(log, 20 * MS)
    );
    let after: std::collections::BTreeSet<usize> = log
        .iter()
        .filter(|&&(t, _, acquired)| acquired && t >= 20 * MS)
        .map(|&(_, tid, _)| tid)
        .collect();
    assert!(
        after.len() >= 50,
        "{} threads took the GIL after the set",
        after.len()
    );
    // 50 ms of Python behind one GIL, one holder at a time: at least 50 ms after the set.
    let last = last_done(&o, "waiters");
    assert!(last >= 70 * MS, "the last waiter finished at {last} ns");
    assert!(
        last < 80 * MS,
        "the herd took {last} ns: more than its work and hand-offs"
    );
}

#[test]
fn free_threaded_waiters_overlap_on_cores() {
    let s = common::scenario_with(HERD, &["python.build=free-threaded", "python.version=3.14"]);
    let o = common::simulate(&s);
    assert_eq!(row(&o, "waiters").tasks_completed, 50);
    // 50 ms of work (×1.08) on 4 cores: about 14 ms, far below 50 ms in series.
    let herd = last_done(&o, "waiters") - 20 * MS;
    assert!(herd < 25 * MS, "free-threaded herd took {herd} ns");
    assert!(
        herd >= 13 * MS,
        "4 cores cannot do 54 ms of work in {herd} ns"
    );
}

#[test]
fn process_waiters_each_take_their_own_gil_in_parallel() {
    // Processes need time to start: the set comes at 300 ms.
    let s = common::scenario_with(
        HERD,
        &[
            "workload.waiters.run.model=processes",
            "workload.starter.steps=[ { sleep = \"300ms\" }, { set_event = \"go\" } ]",
        ],
    );
    let o = common::simulate(&s);
    assert_eq!(row(&o, "waiters").tasks_completed, 50);
    common::assert_single_holder(&o);
    let a = o.accounting;
    assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{a:?}");
    // Intervals during which each worker interpreter's GIL is held after the set.
    let logs = o.gil_logs.as_ref().unwrap();
    let mut edges: Vec<(u64, i32)> = Vec::new();
    for log in &logs[1..] {
        let mut since = None;
        for &(t, _, acquired) in log {
            if acquired {
                since = Some(t);
            } else if let Some(s) = since.take()
                && s >= 300 * MS
            {
                edges.push((s, 1));
                edges.push((t, -1));
            }
        }
    }
    edges.sort();
    let (mut now, mut most) = (0, 0);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    assert!(
        most >= 3,
        "at most {most} process GILs held at once after the set"
    );
    let herd = last_done(&o, "waiters") - 300 * MS;
    assert!(herd < 30 * MS, "the process herd took {herd} ns");
}

#[test]
fn multiprocessing_set_returns_only_after_every_sleeper_woke() {
    // Lib/multiprocessing/synchronize.py: notify() waits on `_woken_count`
    // for each sleeper it woke, so `set()` returns after every waiter process
    // has run again (with its own GIL); threading's `set()` does not wait.
    // On one core the setter would otherwise finish before any sleeper runs.
    let s = common::scenario_with(
        HERD,
        &[
            "machine.cores=1",
            "workload.waiters.run.model=processes",
            "workload.starter.steps=[ { sleep = \"300ms\" }, { set_event = \"go\" } ]",
        ],
    );
    let o = common::simulate(&s);
    let set_done = last_done(&o, "starter");
    let logs = o.gil_logs.as_ref().unwrap();
    let woke: Vec<u64> = logs[1..]
        .iter()
        .filter_map(|log| {
            log.iter()
                .find(|&&(t, _, acquired)| acquired && t >= 300 * MS)
                .map(|&(t, _, _)| t)
        })
        .collect();
    assert_eq!(
        woke.len(),
        50,
        "every waiter process retook its GIL after the set"
    );
    let last_woke = woke.iter().copied().max().unwrap();
    assert!(
        last_woke <= set_done + 1_000,
        "set() returned at {set_done} ns, before a sleeper woke at {last_woke} ns"
    );
    // With threads, set() returns while the herd still queues for the GIL.
    let t = common::simulate(&common::scenario(HERD));
    assert!(last_done(&t, "starter") + 5 * MS < last_done(&t, "waiters"));
}
