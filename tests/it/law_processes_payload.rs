//! Law: with a large enough payload, processes are slower than threads for
//! the same CPU-bound work (the parent pickles and writes every task's
//! arguments with its one GIL), and the crossover moves as `args_bytes`
//! changes: the bigger the payload, the more work a task needs before
//! processes pay.

use crate::common::*;

use gilsim::engine::time::{MS, Nanos, US};

/// The makespan of 200 tasks of `cpu` whose arguments pickle to
/// `args_bytes`, on 4 threads or 4 processes (`model`) and 4 cores.
fn makespan(model: &str, cpu: Nanos, args_bytes: u64) -> f64 {
    let jobs = WorkloadBuilder::new("jobs")
        .tasks(200)
        .args_bytes(args_bytes)
        .steps(vec![step::cpu(cpu)]);
    let b = ScenarioBuilder::new("payload")
        .seed(11)
        .cores(4)
        .workload(on_model(jobs, model, 4));
    let s = build(b);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 200);
    o.workloads[0].sim_time_s
}

#[test]
fn a_large_payload_makes_processes_slower_than_threads() {
    let threads = makespan("threads", MS, 1_000);
    let small = makespan("processes", MS, 1_000);
    let large = makespan("processes", MS, 4_000_000);
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
fn crossover(args_bytes: u64) -> f64 {
    for us in [50u32, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] {
        let cpu = u64::from(us) * US;
        if makespan("processes", cpu, args_bytes) < makespan("threads", cpu, args_bytes) {
            return f64::from(us);
        }
    }
    f64::INFINITY
}

#[test]
fn the_crossover_moves_with_args_bytes() {
    let small = crossover(10_000);
    let large = crossover(1_000_000);
    println!("processes beat threads from {small} us per task at 10KB, from {large} us at 1MB");
    assert!(small.is_finite() && large.is_finite());
    assert!(
        large > small,
        "crossover at 1MB ({large} us) not above 10KB ({small} us)"
    );
}
