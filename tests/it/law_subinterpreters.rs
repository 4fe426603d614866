//! Law: subinterpreters (`InterpreterPoolExecutor`, 3.14) scale pure `cpu`
//! work with workers up to the cores, like processes (each worker thread
//! runs its tasks in an interpreter with a GIL of its own), and start
//! cheaper than spawned processes; arguments and results are pickled.

use crate::common::*;

const SUB: &str = r#"
name = "sub"
seed = 7
[machine]
cores = 4
[python]
version = "3.14"
[[workload]]
name = "jobs"
tasks = 160
args_bytes = "1KB"
result_bytes = "1KB"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "subinterpreters"
workers = 1
"#;

fn run(sets: &[&str]) -> gilsim::simulation::RunOutput {
    let s = scenario_with(SUB, sets);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 160);
    o
}

#[test]
fn subinterpreters_scale_with_the_cores() {
    let one = run(&[]).workloads[0].sim_time_s;
    let four = run(&["workload.jobs.run.workers=4"]).workloads[0].sim_time_s;
    let eight = run(&["workload.jobs.run.workers=8"]).workloads[0].sim_time_s;
    let threads = run(&[
        "workload.jobs.run.model=threads",
        "workload.jobs.run.workers=4",
    ]);
    println!(
        "subinterpreters: 1 {one:.4} s, 4 {four:.4} s, 8 {eight:.4} s; threads 4 {:.4} s",
        threads.workloads[0].sim_time_s
    );
    assert!(one / four >= 3.5, "speed-up {}", one / four);
    assert!(
        one / eight <= 4.0,
        "speed-up {} beyond the cores",
        one / eight
    );
    assert!(threads.workloads[0].sim_time_s > 3.0 * four);
}

#[test]
fn subinterpreters_start_cheaper_than_spawned_processes_and_pickle_both_ways() {
    let short = [
        "workload.jobs.run.workers=4",
        "workload.jobs.steps=[{cpu=\"1ms\"}]",
    ];
    let sub = run(&short);
    let mut spawn = short.to_vec();
    spawn.extend(["workload.jobs.run.model=processes"]);
    let s = scenario_with(SUB, &spawn);
    let s = {
        let mut s = s;
        if let gilsim::workload::Model::Processes(run) = &mut s.workloads[0].model {
            run.start_method = gilsim::workload::StartMethod::Spawn;
        }
        s
    };
    let processes = simulate(&s);
    println!(
        "160 tasks of 1 ms: subinterpreters {:.4} s, spawned processes {:.4} s",
        sub.workloads[0].sim_time_s, processes.workloads[0].sim_time_s
    );
    assert!(sub.workloads[0].sim_time_s < processes.workloads[0].sim_time_s);
    let bytes = 160 * (1000 + 1000);
    assert_eq!(sub.accounting.bytes_pickled, bytes);
    assert_eq!(sub.accounting.bytes_unpickled, bytes);
    let a = sub.accounting;
    assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu);
}

#[test]
fn subinterpreter_timelines_keep_their_invariants() {
    let s = scenario_with(
        SUB,
        &["workload.jobs.run.workers=3", "workload.jobs.tasks=12"],
    );
    let o = simulate_traced(&s, 0, u64::MAX);
    assert_timeline_invariants(&s, &o);
    let t = o.timeline.as_ref().expect("timeline");
    assert_eq!(
        t.gils.len(),
        4,
        "the main interpreter and three subinterpreters"
    );
    assert!(t.gils[1..].iter().all(|g| !g.intervals.is_empty()));
}
