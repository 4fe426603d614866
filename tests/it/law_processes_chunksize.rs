//! Law: `chunksize = 1` costs more dispatch time per task than a large
//! chunksize: every message pays pickling, a pipe write and read, and
//! unpickling, in the parent's handler threads and in the workers.

use crate::common::*;

const MANY_SMALL: &str = r#"
name = "chunks"
seed = 2
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 4000
steps = [ { cpu = "20us" } ]
[workload.run]
model = "processes"
workers = 4
chunksize = 1
"#;

fn run(chunksize: u32) -> (f64, f64) {
    run_api("pool", chunksize)
}

fn run_api(api: &str, chunksize: u32) -> (f64, f64) {
    let s = scenario_with(
        MANY_SMALL,
        &[
            &format!("workload.jobs.run.chunksize={chunksize}"),
            &format!("workload.jobs.run.api={api}"),
        ],
    );
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
    let (one, one_overhead) = run_api("executor", 1);
    let (large, large_overhead) = run_api("executor", 250);
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
    let s = scenario(&MANY_SMALL.replace("chunksize = 1\n", ""));
    let o = simulate(&s);
    let (large, _) = run(250);
    assert_eq!(o.workloads[0].sim_time_s, large);
}
