//! Law: `chunksize = 1` costs more dispatch time per task than a large
//! chunksize: every message pays pickling, a pipe write and read, and
//! unpickling, in the parent's handler threads and in the workers.

use crate::common::*;

use gilsim::engine::time::US;
use gilsim::workload::ProcessApi;

/// 4000 tasks of 20 µs on a pool of 4 processes on 4 cores, through
/// `api`, `chunksize` tasks per message (`None`: the API's default).
fn many_small(api: ProcessApi, chunksize: Option<u64>) -> ScenarioBuilder {
    let mut jobs = WorkloadBuilder::new("jobs")
        .tasks(4000)
        .steps(vec![step::cpu(20 * US)])
        .processes(4)
        .api(api);
    if let Some(c) = chunksize {
        jobs = jobs.chunksize(c);
    }
    ScenarioBuilder::new("chunks")
        .seed(2)
        .cores(4)
        .workload(jobs)
}

fn run(chunksize: u64) -> (f64, f64) {
    run_api(ProcessApi::Pool, chunksize)
}

fn run_api(api: ProcessApi, chunksize: u64) -> (f64, f64) {
    let s = build(many_small(api, Some(chunksize)));
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 4000);
    let per_task_overhead = o.accounting.overhead_cpu as f64 / 4000.0;
    (o.workloads[0].sim_time_s, per_task_overhead)
}

#[test]
fn chunksize_one_costs_more_per_task_than_a_large_chunksize() {
    let (one, one_overhead) = run(1);
    let (large, large_overhead) = run(250);
    println!(
        "chunksize 1: {one:.4} s, {one_overhead:.0} ns overhead per task; \
         chunksize 250: {large:.4} s, {large_overhead:.0} ns"
    );
    assert!(one > 2.0 * large, "makespan {one} against {large}");
    assert!(
        one_overhead > 5.0 * large_overhead,
        "overhead per task {one_overhead} against {large_overhead}"
    );
}

#[test]
fn the_executor_pays_per_call_too() {
    let (one, one_overhead) = run_api(ProcessApi::Executor, 1);
    let (large, large_overhead) = run_api(ProcessApi::Executor, 250);
    println!(
        "executor chunksize 1: {one:.4} s, {one_overhead:.0} ns per task; \
         250: {large:.4} s, {large_overhead:.0} ns"
    );
    assert!(one > 2.0 * large, "makespan {one} against {large}");
    assert!(one_overhead > 5.0 * large_overhead);
}

#[test]
fn the_default_chunksize_is_pools() {
    // ceil(4000 / (4 × 4)) = 250: the same run as chunksize = 250.
    let s = build(many_small(ProcessApi::Pool, None));
    let o = simulate(&s);
    let (large, _) = run(250);
    assert_eq!(o.workloads[0].sim_time_s, large);
}
