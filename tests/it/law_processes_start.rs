//! Law: per-task `spawn` processes are slower than a pool for short tasks
//! (each pays a fresh interpreter's start), and start methods differ by
//! their start cost: fork < forkserver < spawn for one process per task.

use crate::common::*;

use gilsim::engine::time::MS;
use gilsim::scenario::builder::Value;
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

/// `repeat = "forever"` on `workers = "per-task"`: `p = Process(...);
/// p.start(); p.join()` in a loop, one child at a time. Each iteration
/// costs the parent's start, the child's start-up, its task and its result
/// message, so the loop runs at most `1 / (start_parent + start_child)` a
/// second and never has two children at once.
#[test]
fn a_start_join_loop_runs_one_child_at_a_time() {
    for (method, parent_ms, child_ms) in [
        (StartMethod::Fork, 0.8, 2.5),
        (StartMethod::Spawn, 0.76, 30.0),
    ] {
        let jobs = WorkloadBuilder::new("loop")
            .forever()
            .steps(vec![step::cpu(MS)])
            .per_task_processes()
            .start_method(method);
        let name = method.name();
        let ns = |ms: f64| Value::duration((ms * 1e6) as u64);
        let s = build(
            ScenarioBuilder::new("start-join")
                .seed(2)
                .cores(4)
                .duration(2_000 * MS)
                .python(&format!("{name}_start_parent"), ns(parent_ms))
                .python(&format!("{name}_start"), ns(child_ms))
                .workload(jobs),
        );
        let o = simulate(&s);
        let w = &o.workloads[0];
        let per_iteration_ms = 1_000.0 / w.throughput_per_s;
        let floor = parent_ms + child_ms + 1.0;
        assert!(
            per_iteration_ms >= floor && per_iteration_ms < floor * 1.15,
            "{name}: {per_iteration_ms:.2} ms per start + join, floor {floor:.2} ms"
        );
        // One child at a time: the cores are mostly idle.
        assert!(
            w.cpu_utilization < 0.5,
            "{name}: utilization {:.2}",
            w.cpu_utilization
        );
    }
}
