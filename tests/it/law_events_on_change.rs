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
