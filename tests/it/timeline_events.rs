//! Timelines of the event herd: a thread blocked in `wait_event` shows as
//! "waiting on lock" until the set, then waits for the GIL, then runs; the
//! recording keeps the timeline invariants and changes no result.

use crate::common;

use gilsim::results::timeline::ThreadState;

const HERD: &str = r#"
name = "herd-timeline"
seed = 4
[machine]
cores = 4
[events]
go = {}
[[workload]]
name = "starter"
tasks = 1
steps = [ { sleep = "10ms" }, { set_event = "go" } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "waiters"
tasks = 10
steps = [ { wait_event = "go" }, { cpu = "500us" } ]
[workload.run]
model = "threads"
workers = 10
"#;

const MS: u64 = 1_000_000;

#[test]
fn waiters_wait_on_the_event_then_for_the_gil_then_run() {
    let s = common::scenario(HERD);
    let traced = common::simulate_traced(&s, 0, 40 * MS);
    common::assert_timeline_invariants(&s, &traced);
    assert_eq!(
        traced.workloads,
        common::simulate(&s).workloads,
        "recording changed results"
    );
    let t = traced.timeline.as_ref().unwrap();
    let waiters: Vec<_> = t
        .threads
        .iter()
        .filter(|l| l.label.starts_with("waiters/"))
        .collect();
    assert_eq!(waiters.len(), 10);
    let mut waited_for_gil = 0;
    for lane in waiters {
        let state_at = |at: u64| {
            lane.intervals
                .iter()
                .find(|i| i.start <= at && at < i.end)
                .map(|i| i.what)
        };
        assert_eq!(
            state_at(5 * MS),
            Some(ThreadState::WaitingLock),
            "{}",
            lane.label
        );
        let first_run = lane
            .intervals
            .iter()
            .filter(|i| i.what == ThreadState::Running && i.end - i.start >= 400_000)
            .map(|i| i.start)
            .next()
            .unwrap_or_else(|| panic!("{} never ran its step", lane.label));
        assert!(
            first_run >= 10 * MS,
            "{} ran at {first_run}, before the set",
            lane.label
        );
        if lane
            .intervals
            .iter()
            .any(|i| i.what == ThreadState::WaitingGil && i.start >= 10 * MS)
        {
            waited_for_gil += 1;
        }
    }
    // One waiter may find the GIL free; the rest queue for it.
    assert!(
        waited_for_gil >= 9,
        "{waited_for_gil} waiters waited for the GIL after the set"
    );
}
