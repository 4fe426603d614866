//! Law: in a program of one thread, a GIL-releasing call and its return
//! cost run as one burst (docs/MODEL.md, "A program of one thread"), and
//! that changes nothing but the events: the same run with a burst for each
//! gives the same results, GIL logs and loop log, with one event more per
//! merged call.

use crate::common::*;
use gilsim::simulation::{RunOptions, RunOutput, run};

/// Runs `s` with the return bursts merged and kept; asserts the two equal
/// but for the events, one event apart per merged call. Returns the calls
/// merged.
fn merged_and_kept(s: &gilsim::scenario::Scenario) -> u64 {
    let options = |keep_return_bursts| RunOptions {
        record_gil: true,
        record_loop: true,
        drain: true,
        keep_return_bursts,
        ..RunOptions::default()
    };
    let mut merged: RunOutput = run(s, s.seed, options(false)).unwrap_or_else(|e| panic!("{e:?}"));
    let kept = run(s, s.seed, options(true)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        kept.returns_merged, 0,
        "{}: nothing merged when kept",
        s.name
    );
    let n = merged.returns_merged;
    assert_eq!(
        kept.events + kept.events_in_place,
        merged.events + merged.events_in_place + n,
        "{}: one event fewer per merged call",
        s.name
    );
    merged.returns_merged = 0;
    merged.events = kept.events;
    merged.events_in_place = kept.events_in_place;
    for (m, k) in merged.workloads.iter_mut().zip(&kept.workloads) {
        m.events = k.events;
    }
    assert!(
        merged == kept,
        "{}: the runs differ beyond the events",
        s.name
    );
    n
}

#[test]
fn an_event_loop_alone_runs_each_poll_and_its_return_as_one_burst() {
    // AsyncFlow's scenario, shorter: every `_run_once` pass with callbacks
    // ready polls with timeout 0, a GIL-releasing call of `loop_poll`.
    let s = scenario(
        r#"
name = "one-loop"
seed = 1
duration = "5s"
warmup = "1s"
[machine]
cores = 1
[[workload]]
name = "requests"
rate = "300/s"
steps = [ { cpu = "2ms" }, { io = "20ms" }, { cpu = "1ms" } ]
[workload.run]
model = "asyncio"
"#,
    );
    let n = merged_and_kept(&s);
    assert!(n > 1000, "{n} polls merged in 5 s at 300/s");
}

#[test]
fn a_sequential_program_merges_its_nogil_steps_and_a_second_workload_stops_it() {
    let one = r#"
name = "one-thread"
seed = 2
[machine]
cores = 2
[python]
release_overhead = { lognormal = { median = "300ns", sigma = 0.5 } }
[[workload]]
name = "jobs"
tasks = 50
steps = [ { cpu = "1ms" }, { cpu_nogil = { exp = "2ms" } }, { io = "1ms" } ]
[workload.run]
model = "sequential"
"#;
    // One merged call per task: its cpu_nogil step (the I/O is a wait,
    // not a burst). The last task's may end the run first.
    let n = merged_and_kept(&scenario(one));
    assert!((49..=50).contains(&n), "{n} calls merged for 50 tasks");
    let free = merged_and_kept(&scenario_with(one, &["python.release_overhead=0ns"]));
    assert!(
        (49..=50).contains(&free),
        "{free} calls merged, free returns"
    );
    let two = format!(
        "{one}\n[[workload]]\nname = \"other\"\ntasks = 5\nsteps = [ {{ cpu_nogil = \"1ms\" }} ]\n[workload.run]\nmodel = \"sequential\"\n"
    );
    assert_eq!(
        merged_and_kept(&scenario(&two)),
        0,
        "two threads: none merged"
    );
}

#[test]
fn a_thread_pool_that_starts_its_workers_on_arrivals_merges_nothing() {
    // Its first worker runs alone until the next arrival starts a second,
    // whose start-up draws from the same stream as the first's return cost.
    let pool = scenario(
        r#"
name = "pool"
seed = 5
duration = "300ms"
[machine]
cores = 2
[[workload]]
name = "req"
rate = "300/s"
steps = [ { cpu = "100us" }, { lock = "l", steps = [ { cpu_nogil = "2ms" } ] } ]
[workload.run]
model = "threads"
workers = 4
"#,
    );
    assert_eq!(merged_and_kept(&pool), 0);
}
