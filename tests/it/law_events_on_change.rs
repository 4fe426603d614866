//! Law: a slice end is an event only when it can preempt someone
//! (docs/MODEL.md#the-machine-and-the-os-scheduler): an uncontended core
//! costs no events per slice, a contended one still switches every slice.

use crate::common::*;

fn one_cpu_thread(timeslice: &str) -> String {
    format!(
        r#"
name = "alone"
seed = 5
[machine]
cores = 1
os_timeslice = "{timeslice}"
[python]
version = "3.11"
[[workload]]
name = "jobs"
tasks = 1
steps = [ {{ cpu = "2s" }} ]
[workload.run]
model = "sequential"
"#
    )
}

#[test]
fn an_uncontended_core_has_no_slice_events() {
    let short = simulate(&scenario(&one_cpu_thread("3ms")));
    let long = simulate(&scenario(&one_cpu_thread("10s")));
    assert_eq!(
        short.events, long.events,
        "2 s of CPU alone: {} events with 3 ms slices, {} with 10 s slices",
        short.events, long.events
    );
    assert!(short.events < 20, "{} events for one burst", short.events);
    assert_eq!(
        short.workloads[0].sim_time_s, long.workloads[0].sim_time_s,
        "the slice length changed an uncontended run"
    );
}

#[test]
fn a_contended_core_still_switches_every_slice() {
    let s = scenario(
        r#"
name = "two"
seed = 5
[machine]
cores = 1
[python]
version = "3.13"
build = "free-threaded"
[[workload]]
name = "jobs"
tasks = 2
steps = [ { cpu = "1s" } ]
[workload.run]
model = "threads"
workers = 2
"#,
    );
    let o = simulate(&s);
    let r = &o.workloads[0];
    assert_eq!(r.tasks_completed, 2);
    // Two threads sharing one core: the one behind takes over at the first
    // 3 ms slice end where it is behind, so every one or two slices, and
    // each switch is an event.
    let slices = (r.sim_time_s / 0.003) as u64;
    let switches = r.context_switches;
    assert!(
        (slices / 2 * 9 / 10..=slices + 2).contains(&switches),
        "{switches} context switches in {slices} slices of 3 ms"
    );
    assert!(
        o.events >= switches,
        "{} events for {switches} preemptions",
        o.events
    );
}

/// A run with every event queued and the same run with the events due at
/// once handled where they arise: everything equal but the event count.
fn queued_and_placed(s: &gilsim::scenario::Scenario) -> (u64, u64) {
    use gilsim::simulation::{RunOptions, run};
    let options = |queue_every_event| RunOptions {
        record_gil: true,
        drain: true,
        trace_window: Some((0, 2_000_000_000)),
        queue_every_event,
        ..RunOptions::default()
    };
    let queued = run(s, s.seed, options(true)).unwrap_or_else(|e| panic!("{e:?}"));
    let mut placed = run(s, s.seed, options(false)).unwrap_or_else(|e| panic!("{e:?}"));
    let events = (queued.events, placed.events);
    assert_eq!(queued.events_in_place, 0, "{}: every event queued", s.name);
    assert_eq!(
        placed.events + placed.events_in_place,
        queued.events,
        "{}: the events handled in place are the ones not queued",
        s.name
    );
    placed.events = queued.events;
    placed.events_in_place = 0;
    for (w, q) in placed.workloads.iter_mut().zip(&queued.workloads) {
        w.events = q.events;
    }
    assert!(
        placed == queued,
        "{}: the runs differ beyond the event count",
        s.name
    );
    events
}

#[test]
fn events_due_at_once_change_nothing_but_the_count() {
    // A process pool whose messages cost nothing (every pipe read, write
    // and pickle a zero-length burst), threads with free context switches,
    // an event loop whose callbacks cost nothing.
    let pool = scenario(
        r#"
name = "free-pool"
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
steps = [ { cpu = { exp = "1s" } } ]
[workload.run]
model = "processes"
workers = 2
"#,
    );
    let threads = scenario_with(
        r#"
name = "free-switch"
seed = 4
duration = "2s"
[machine]
cores = 2
[[workload]]
name = "web"
rate = "400/s"
steps = [ { cpu = "300us" }, { io = { exp = "2ms" } }, { cpu = "200us" } ]
[workload.run]
model = "threads"
workers = 6
"#,
        &["machine.context_switch=0ns", "python.release_overhead=0ns"],
    );
    let aio = scenario_with(
        r#"
name = "free-loop"
seed = 5
duration = "2s"
[machine]
cores = 1
[[workload]]
name = "api"
rate = "300/s"
steps = [ { cpu = "1ms" }, { io = "10ms" }, { cpu = "500us" } ]
[workload.run]
model = "asyncio"
"#,
        &["python.loop_callback=0ns", "python.task_step=0ns"],
    );
    // Batches at time 0 on free wake-ups: many events due at the same
    // instants, so that some placed ones have queued ones before them.
    let batch = |model: &str| {
        scenario(&format!(
            r#"
name = "free-batch-{model}"
seed = 6
[machine]
cores = 4
context_switch = "0ns"
wakeup_latency = "0ns"
wakeup_latency_polling = "0ns"
[python]
release_overhead = "0ns"
pickle_message = "0ns"
pipe_syscall = "0ns"
submit = "0ns"
[[workload]]
name = "jobs"
tasks = 40
steps = [ {{ cpu = "1ms" }}, {{ io = "1ms" }}, {{ cpu = "2ms" }} ]
[workload.run]
model = "{model}"
workers = 8
"#
        ))
    };
    let (queued, placed) = queued_and_placed(&pool);
    assert!(
        placed * 2 < queued,
        "free messages: {placed} events handled through their place, {queued} queued"
    );
    for s in [&threads, &aio, &batch("threads"), &batch("processes")] {
        let (queued, placed) = queued_and_placed(s);
        assert!(placed <= queued, "{}: {placed} > {queued}", s.name);
    }
}

#[test]
fn a_loop_at_one_instant_is_still_stopped_by_max_events() {
    // A `forever` thread of zero-length steps never moves the clock: each
    // step's end is due at once. Handled in place without limit, one
    // handler would never return and --max-events could not stop it.
    use gilsim::engine::Budget;
    use gilsim::simulation::{RunError, RunOptions, run};
    let s = scenario(
        r#"
name = "spin-at-one-instant"
seed = 4
duration = "5s"
[machine]
cores = 2
[[workload]]
name = "spinner"
repeat = "forever"
steps = [ { cpu = "0ms" } ]
[workload.run]
model = "threads"
workers = 1
"#,
    );
    let options = RunOptions {
        budget: Budget {
            max_events: Some(10_000),
            deadline: None,
        },
        ..RunOptions::default()
    };
    match run(&s, s.seed, options) {
        Err(RunError::EventLimit { events, at }) => {
            assert_eq!(events, 10_000);
            assert!(at < 1_000_000_000, "the clock moved to {at} ns");
        }
        other => panic!("expected the event limit, got {other:?}"),
    }
}
