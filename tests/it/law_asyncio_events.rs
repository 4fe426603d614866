//! Law: an `asyncio.Event`'s `set` wakes every waiting coroutine, each
//! resuming in a task step of its own, in the order they began waiting; the
//! loop still runs every pass's callbacks in FIFO order, and work is conserved.

use crate::common::*;
use gilsim::python::runtime::{CallbackKind, LoopRecord};

const WAITERS: u64 = 30;

const EVENTS: &str = r#"
name = "aio-events"
seed = 11
[machine]
cores = 2
[events]
go = {}
[[workload]]
name = "waiters"
tasks = 30
steps = [ { wait_event = "go" }, { cpu = "100us" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "setter"
tasks = 1
steps = [ { sleep = "10ms" }, { set_event = "go" } ]
[workload.run]
model = "asyncio"
"#;

#[test]
fn set_wakes_every_coroutine_once_in_waiting_order() {
    let o = simulate_loop(&scenario(EVENTS));
    assert_eq!(row(&o, "waiters").tasks_completed, WAITERS);
    assert_eq!(row(&o, "setter").tasks_completed, 1);
    let log = o.loop_log.as_ref().expect("loop recorded");
    // The waiters are coroutines 0..30 (created first); before 10 ms they all
    // wait, so each step of theirs after it is the resume the set scheduled.
    let resumed: Vec<u64> = log
        .iter()
        .filter_map(|r| match *r {
            LoopRecord::Callback {
                at,
                kind: CallbackKind::Step,
                coro,
                ..
            } if at >= 10_000_000 && coro < WAITERS => Some(coro),
            _ => None,
        })
        .collect();
    let want: Vec<u64> = (0..WAITERS).collect();
    assert_eq!(resumed, want, "one resume each, in the order they waited");
}

#[test]
fn passes_stay_fifo_and_work_is_conserved() {
    for seed in [1u64, 2, 11] {
        let o = simulate_loop(&scenario_with(EVENTS, &[&format!("seed={seed}")]));
        let log = o.loop_log.as_ref().expect("loop recorded");
        let mut last = None;
        for r in log {
            if let LoopRecord::Callback { seq, .. } = *r {
                assert!(
                    last.is_none_or(|l| seq > l),
                    "callback {seq} ran out of FIFO order"
                );
                last = Some(seq);
            }
        }
        let a = o.accounting;
        assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{a:?}");
        assert_eq!(a.step_cpu, WAITERS * 100_000, "{a:?}");
    }
}

#[test]
fn an_event_set_before_the_wait_does_not_suspend() {
    let o = simulate_loop(&scenario_with(EVENTS, &["events.go.set=true"]));
    // Every waiter finishes in its first step, long before the set at 10 ms.
    let w = row(&o, "waiters");
    assert_eq!(w.tasks_completed, WAITERS);
    assert!(w.latency_ms.unwrap()[4] < 8.0, "{:?}", w.latency_ms);
}
