//! Law: with a large enough payload, processes are slower than threads for
//! the same CPU-bound work (the parent pickles and writes every task's
//! arguments with its one GIL), and the crossover moves as `args_bytes`
//! changes: the bigger the payload, the more work a task needs before
//! processes pay.

use crate::common::*;

const BATCH: &str = r#"
name = "payload"
seed = 11
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 200
args_bytes = "1KB"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 4
"#;

fn makespan(model: &str, cpu: &str, args: &str) -> f64 {
    let s = scenario_with(
        BATCH,
        &[
            &format!("workload.jobs.run.model={model}"),
            &format!("workload.jobs.steps=[{{cpu=\"{cpu}\"}}]"),
            &format!("workload.jobs.args_bytes={args}"),
        ],
    );
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 200);
    o.workloads[0].sim_time_s
}

#[test]
fn a_large_payload_makes_processes_slower_than_threads() {
    let threads = makespan("threads", "1ms", "1KB");
    let small = makespan("processes", "1ms", "1KB");
    let large = makespan("processes", "1ms", "4MB");
    println!("threads {threads:.4} s, processes 1KB {small:.4} s, 4MB {large:.4} s");
    assert!(
        small < threads / 2.0,
        "1KB: processes {small} against threads {threads}"
    );
    assert!(
        large > threads,
        "4MB: processes {large} not slower than threads {threads}"
    );
}

/// The smallest task CPU on a grid at which processes beat threads.
fn crossover(args: &str) -> f64 {
    for us in [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] {
        let cpu = format!("{us}us");
        if makespan("processes", &cpu, args) < makespan("threads", &cpu, args) {
            return f64::from(us);
        }
    }
    f64::INFINITY
}

#[test]
fn the_crossover_moves_with_args_bytes() {
    let small = crossover("10KB");
    let large = crossover("1MB");
    println!("processes beat threads from {small} us per task at 10KB, from {large} us at 1MB");
    assert!(small.is_finite() && large.is_finite());
    assert!(
        large > small,
        "crossover at 1MB ({large} us) not above 10KB ({small} us)"
    );
}
