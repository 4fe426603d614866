//! Law: a thread alone in its interpreter releases and retakes its GIL
//! around a call without steps of its own (docs/MODEL.md, "The GIL of a
//! thread alone"), and that changes nothing: the same run with those
//! steps kept gives the same results, GIL logs, timeline and events.

use crate::common::*;
use gilsim::simulation::{RunOptions, RunOutput, run};

/// The run with the elision, then the run without it.
fn both_ways(s: &gilsim::scenario::Scenario) -> (RunOutput, RunOutput) {
    let options = |keep_gil_steps| RunOptions {
        record_gil: true,
        drain: true,
        trace_window: Some((0, 2_000_000_000)),
        keep_gil_steps,
        ..RunOptions::default()
    };
    let elided = run(s, s.seed, options(false)).unwrap_or_else(|e| panic!("{e:?}"));
    let kept = run(s, s.seed, options(true)).unwrap_or_else(|e| panic!("{e:?}"));
    (elided, kept)
}

/// Asserts the two runs equal but for the elision counter; returns how
/// many GIL steps were elided, and the tasks completed.
fn same_but_elided(s: &gilsim::scenario::Scenario) -> (u64, u64) {
    let (mut elided, kept) = both_ways(s);
    assert_eq!(
        kept.gil_steps_elided, 0,
        "{}: nothing elided when kept",
        s.name
    );
    let n = elided.gil_steps_elided;
    elided.gil_steps_elided = 0;
    assert!(
        elided == kept,
        "{}: the runs with and without the elision differ",
        s.name
    );
    (n, kept.workloads.iter().map(|w| w.tasks_completed).sum())
}

#[test]
fn a_single_threaded_worker_gives_the_same_run_without_its_gil_steps() {
    // Pool workers are processes of one thread each; the parent has three.
    // Free messages (zero-length pipe calls) and costly ones.
    let pool = r#"
name = "alone-pool"
seed = 3
duration = "60s"
[machine]
cores = 2
[python]
pickle_message = "0ns"
pipe_syscall = "0ns"
release_overhead = "0ns"
submit = "0ns"
[[workload]]
name = "mm2"
rate = "1.6/s"
steps = [ { cpu = { exp = "1s" } }, { io = "20ms" }, { cpu_nogil = "1ms" } ]
[workload.run]
model = "processes"
workers = 2
"#;
    let free = same_but_elided(&scenario(pool));
    let costly = same_but_elided(&scenario_with(
        pool,
        &[
            "python.pickle_message=3us",
            "python.pipe_syscall=5us",
            "python.release_overhead=300ns",
            "machine.cores=1",
        ],
    ));
    // Each task at least its worker's pipe read, pipe write, I/O and
    // nogil step: a release and a retake each.
    for (elided, tasks) in [free, costly] {
        assert!(tasks > 50, "{tasks} tasks completed");
        assert!(
            elided >= 8 * tasks,
            "{elided} GIL steps elided for {tasks} tasks"
        );
    }
}

#[test]
fn threads_that_move_between_interpreters_or_share_one_give_the_same_run() {
    // Subinterpreters: worker threads switch into interpreters of their
    // own and back; a sequential program is alone in the main interpreter;
    // a thread pool never is.
    let sub = scenario(
        r#"
name = "alone-sub"
seed = 7
[machine]
cores = 2
[python]
version = "3.14"
[[workload]]
name = "jobs"
tasks = 40
args_bytes = "1KB"
result_bytes = "1KB"
steps = [ { cpu = "10ms" }, { io = "1ms" } ]
[workload.run]
model = "subinterpreters"
workers = 2
"#,
    );
    let (elided, tasks) = same_but_elided(&sub);
    assert_eq!(tasks, 40);
    // Each task's I/O in its interpreter: a release and a retake.
    assert!(elided >= 2 * tasks, "subinterpreters: {elided} elided");
    let sequential = r#"
name = "alone-main"
seed = 5
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 30
steps = [ { cpu = "2ms" }, { io = "5ms" }, { sleep = "1ms" } ]
[workload.run]
model = "sequential"
"#;
    // Each task's I/O and sleep.
    let (elided, tasks) = same_but_elided(&scenario(sequential));
    assert_eq!(tasks, 30);
    assert!(elided >= 4 * tasks, "sequential: {elided} elided");
    let threads = scenario_with(
        sequential,
        &[
            "workload.jobs.run.model=threads",
            "workload.jobs.run.workers=4",
        ],
    );
    assert_eq!(
        same_but_elided(&threads),
        (0, 30),
        "threads share the main GIL"
    );
}
