//! Law: an event set before a waiter arrives lets it pass at once, and
//! `clear_event` resets it so the next waiter blocks until the next `set`.

use crate::common::{self, ScenarioBuilder, WorkloadBuilder, step};

use gilsim::engine::time::MS;
use gilsim::scenario::Scenario;
use gilsim::simulation::RunOutput;

/// Four waiters that reach `wait_event` at 5 ms; a setter that sets the
/// event at 20 ms (after clearing it first when `clear_first`).
fn scenario(initially_set: bool, clear_first: bool) -> Scenario {
    let mut setter = Vec::new();
    if clear_first {
        setter.push(step::clear_event("go"));
    }
    setter.extend([step::sleep(20 * MS), step::set_event("go")]);
    let b = ScenarioBuilder::new("flag")
        .seed(3)
        .cores(4)
        .event("go", initially_set)
        .workload(
            WorkloadBuilder::new("waiters")
                .tasks(4)
                .steps(vec![
                    step::sleep(5 * MS),
                    step::wait_event("go"),
                    step::cpu(MS),
                ])
                .threads(4),
        )
        .workload(
            WorkloadBuilder::new("setter")
                .tasks(1)
                .steps(setter)
                .threads(1),
        );
    common::build(b)
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
    let o = common::simulate(&scenario(true, false));
    // 5 ms of sleep, then 4 ms of Python behind one GIL: well before the set at 20 ms.
    let last = last_ms(&o);
    assert!(last < 12.0, "waiters on a set event finished at {last} ms");
}

#[test]
fn a_clear_event_blocks_waiters_until_the_set() {
    let o = common::simulate(&scenario(false, false));
    let last = last_ms(&o);
    assert!(
        last >= 24.0,
        "waiters finished at {last} ms, before the set at 20 ms + 4 ms"
    );
}

#[test]
fn clear_event_resets_a_set_event() {
    let o = common::simulate(&scenario(true, true));
    let last = last_ms(&o);
    assert!(
        last >= 24.0,
        "waiters passed a cleared event: done at {last} ms"
    );
}
