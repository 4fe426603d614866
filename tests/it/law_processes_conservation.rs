//! Law: in process models, work and bytes are conserved and every task
//! completes exactly once; no GIL of any process ever has two holders; a
//! `lock` step is shared across the pool (a `multiprocessing.Lock`).

use crate::common::*;

const PROC: &str = r#"
name = "proc-work"
seed = 8
[machine]
cores = 3
[[workload]]
name = "jobs"
tasks = 90
args_bytes = "20KB"
result_bytes = "100KB"
memory = "1MB"
steps = [ { cpu = "2ms" }, { cpu_held = "300us" }, { cpu_nogil = "500us" }, { io = { exp = "1ms" } } ]
[workload.run]
model = "processes"
workers = 3
chunksize = 4
"#;

#[test]
fn work_and_bytes_are_conserved_and_tasks_complete_once() {
    for sets in [
        vec!["workload.jobs.run.api=pool"],
        vec!["workload.jobs.run.api=executor"],
        vec![
            "workload.jobs.run.api=executor",
            "workload.jobs.run.chunksize=1",
        ],
        vec![
            "workload.jobs.run.workers=per-task",
            "workload.jobs.run.start_method=spawn",
        ],
    ] {
        let toml = if sets.iter().any(|s| s.contains("per-task")) {
            PROC.replace("chunksize = 4\n", "")
        } else {
            PROC.to_string()
        };
        let s = scenario_with(&toml, &sets);
        let o = simulate(&s);
        assert_single_holder(&o);
        let a = o.accounting;
        let w = &o.workloads[0];
        assert_eq!(w.tasks_completed, 90, "{sets:?}");
        assert_eq!(w.tasks_in_flight, 0, "{sets:?}");
        assert_eq!(a.step_cpu, 90 * 2_800_000, "{sets:?}: step CPU");
        assert_eq!(
            a.busy,
            a.step_cpu + a.overhead_cpu + a.switch_cpu,
            "{sets:?}: {a:?}"
        );
        let bytes = 90 * (20_000 + 100_000);
        assert_eq!(a.bytes_pickled, bytes, "{sets:?}: bytes pickled");
        assert_eq!(a.bytes_unpickled, bytes, "{sets:?}: bytes unpickled");
        let logs = o.gil_logs.as_ref().expect("logs");
        assert!(logs.len() >= 4, "{sets:?}: one GIL per process");
    }
}

#[test]
fn peak_rss_counts_processes_threads_and_tasks() {
    let s = scenario(PROC);
    let o = simulate(&s);
    let p = &s.python;
    // The parent and 3 workers; main, 2 handler threads and 3 worker threads.
    let floor = 4 * p.process_rss + 6 * p.thread_rss;
    let peak = (o.workloads[0].peak_rss_mb * 1e6).round() as u64;
    assert!(
        peak >= floor + 1_000_000,
        "peak {peak} below {floor} + one task"
    );
    assert!(
        peak <= floor + 90 * 1_000_000,
        "peak {peak} above every task in flight"
    );
}

#[test]
fn a_lock_is_shared_across_the_pool() {
    // Every task holds one lock for 5 ms: 4 processes serialise on it.
    let s = scenario(
        r#"
name = "mp-lock"
seed = 3
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 40
steps = [ { lock = "shared", steps = [ { cpu = "5ms" } ] } ]
[workload.run]
model = "processes"
workers = 4
chunksize = 1
"#,
    );
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 40);
    assert!(
        o.workloads[0].sim_time_s >= 0.2,
        "{}",
        o.workloads[0].sim_time_s
    );
    assert!(
        o.workloads[0].sim_time_s < 0.3,
        "{}",
        o.workloads[0].sim_time_s
    );
}
