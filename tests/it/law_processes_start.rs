//! Law: per-task `spawn` processes are slower than a pool for short tasks
//! (each pays a fresh interpreter's start), and start methods differ by
//! their start cost: fork < forkserver < spawn for one process per task.

use crate::common::*;

use gilsim::engine::time::MS;
use gilsim::workload::StartMethod;

/// 40 tasks of 2 ms of Python on 4 cores, on a pool of 4 processes or one
/// process per task, started by `start` (`None`: the version's default).
fn short(per_task: bool, start: Option<StartMethod>) -> WorkloadBuilder {
    let jobs = WorkloadBuilder::new("jobs")
        .tasks(40)
        .steps(vec![step::cpu(2 * MS)]);
    let jobs = if per_task {
        jobs.per_task_processes()
    } else {
        jobs.processes(4)
    };
    match start {
        Some(m) => jobs.start_method(m),
        None => jobs,
    }
}

/// `jobs` on 4 cores, seed 4.
fn scenario_of(jobs: WorkloadBuilder) -> ScenarioBuilder {
    ScenarioBuilder::new("start")
        .seed(4)
        .cores(4)
        .workload(jobs)
}

fn makespan(per_task: bool, start: StartMethod) -> f64 {
    let s = build(scenario_of(short(per_task, Some(start))));
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 40);
    o.workloads[0].sim_time_s
}

#[test]
fn per_task_spawn_is_slower_than_a_pool_for_short_tasks() {
    let pool = makespan(false, StartMethod::Spawn);
    let per_task = makespan(true, StartMethod::Spawn);
    println!("spawn pool {pool:.4} s, per-task {per_task:.4} s");
    assert!(
        per_task > 3.0 * pool,
        "per-task {per_task} against pool {pool}"
    );
}

#[test]
fn start_methods_order_by_cost_per_task() {
    let per = |m: StartMethod| makespan(true, m);
    let (fork, forkserver, spawn) = (
        per(StartMethod::Fork),
        per(StartMethod::Forkserver),
        per(StartMethod::Spawn),
    );
    println!("per-task: fork {fork:.4} s, forkserver {forkserver:.4} s, spawn {spawn:.4} s");
    assert!(fork < forkserver && forkserver < spawn);
}

#[test]
fn the_default_start_method_follows_the_version() {
    let s = build(scenario_of(short(false, Some(StartMethod::Spawn))));
    let fork = build(scenario_of(short(false, Some(StartMethod::Fork))));
    let old = build(scenario_of(short(false, None)));
    assert_eq!(
        old.workloads[0].model, fork.workloads[0].model,
        "3.11 forks"
    );
    let new = build(scenario_of(short(false, None)).python("version", "3.14"));
    let forkserver = build(scenario_of(short(false, Some(StartMethod::Forkserver))));
    assert_eq!(
        new.workloads[0].model, forkserver.workloads[0].model,
        "3.14 uses the forkserver"
    );
    assert_ne!(s.workloads[0].model, fork.workloads[0].model);
}
