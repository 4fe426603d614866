//! Law: an event set before a waiter arrives lets it pass at once, and
//! `clear_event` resets it so the next waiter blocks until the next `set`.

use crate::common;

use gilsim::simulation::RunOutput;

/// Four waiters that reach `wait_event` at 5 ms; a setter that sets the
/// event at 20 ms (after `PREFIX`, which may clear it first).
fn scenario(initially_set: bool, prefix: &str) -> String {
    format!(
        r#"
name = "flag"
seed = 3
[machine]
cores = 4
[events]
go = {{ set = {initially_set} }}
[[workload]]
name = "waiters"
tasks = 4
steps = [ {{ sleep = "5ms" }}, {{ wait_event = "go" }}, {{ cpu = "1ms" }} ]
[workload.run]
model = "threads"
workers = 4
[[workload]]
name = "setter"
tasks = 1
steps = [ {prefix}{{ sleep = "20ms" }}, {{ set_event = "go" }} ]
[workload.run]
model = "threads"
workers = 1
"#
    )
}

/// The last waiter's completion, in ms.
fn last_ms(o: &RunOutput) -> f64 {
    let w = o
        .workloads
        .iter()
        .find(|w| w.workload == "waiters")
        .unwrap();
    assert_eq!(w.tasks_completed, 4);
    w.latency_ms.unwrap()[4]
}

#[test]
fn a_set_event_lets_waiters_pass_at_once() {
    let o = common::simulate(&common::scenario(&scenario(true, "")));
    // 5 ms of sleep, then 4 ms of Python behind one GIL: well before the set at 20 ms.
    let last = last_ms(&o);
    assert!(last < 12.0, "waiters on a set event finished at {last} ms");
}

#[test]
fn a_clear_event_blocks_waiters_until_the_set() {
    let o = common::simulate(&common::scenario(&scenario(false, "")));
    let last = last_ms(&o);
    assert!(
        last >= 24.0,
        "waiters finished at {last} ms, before the set at 20 ms + 4 ms"
    );
}

#[test]
fn clear_event_resets_a_set_event() {
    let o = common::simulate(&common::scenario(&scenario(
        true,
        "{ clear_event = \"go\" }, ",
    )));
    let last = last_ms(&o);
    assert!(
        last >= 24.0,
        "waiters passed a cleared event: done at {last} ms"
    );
}
