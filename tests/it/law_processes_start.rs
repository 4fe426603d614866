//! Law: per-task `spawn` processes are slower than a pool for short tasks
//! (each pays a fresh interpreter's start), and start methods differ by
//! their start cost: fork < forkserver < spawn for one process per task.

use crate::common::*;

const SHORT: &str = r#"
name = "start"
seed = 4
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 40
steps = [ { cpu = "2ms" } ]
[workload.run]
model = "processes"
workers = 4
start_method = "spawn"
"#;

fn makespan(sets: &[&str]) -> f64 {
    let s = scenario_with(SHORT, sets);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 40);
    o.workloads[0].sim_time_s
}

#[test]
fn per_task_spawn_is_slower_than_a_pool_for_short_tasks() {
    let pool = makespan(&[]);
    let per_task = makespan(&["workload.jobs.run.workers=per-task"]);
    println!("spawn pool {pool:.4} s, per-task {per_task:.4} s");
    assert!(
        per_task > 3.0 * pool,
        "per-task {per_task} against pool {pool}"
    );
}

#[test]
fn start_methods_order_by_cost_per_task() {
    let per = |m: &str| {
        makespan(&[
            "workload.jobs.run.workers=per-task",
            &format!("workload.jobs.run.start_method={m}"),
        ])
    };
    let (fork, forkserver, spawn) = (per("fork"), per("forkserver"), per("spawn"));
    println!("per-task: fork {fork:.4} s, forkserver {forkserver:.4} s, spawn {spawn:.4} s");
    assert!(fork < forkserver && forkserver < spawn);
}

#[test]
fn the_default_start_method_follows_the_version() {
    let s = scenario(SHORT);
    let fork = scenario_with(SHORT, &["workload.jobs.run.start_method=fork"]);
    let old = scenario(&SHORT.replace("start_method = \"spawn\"\n", ""));
    assert_eq!(
        old.workloads[0].model, fork.workloads[0].model,
        "3.11 forks"
    );
    let new = scenario(
        &SHORT
            .replace("start_method = \"spawn\"\n", "")
            .replace("[machine]", "[python]\nversion = \"3.14\"\n[machine]"),
    );
    let forkserver = scenario_with(SHORT, &["workload.jobs.run.start_method=forkserver"]);
    assert_eq!(
        new.workloads[0].model, forkserver.workloads[0].model,
        "3.14 uses the forkserver"
    );
    assert_ne!(s.workloads[0].model, fork.workloads[0].model);
}
