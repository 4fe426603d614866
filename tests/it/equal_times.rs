//! What happens at equal simulated times. The event queue breaks ties by
//! insertion order, and a thread's zero-time actions run in one handler, so:
//!
//! - a lock released and re-acquired by the same thread in the same instant
//!   stays with that thread: the waiter the release woke re-checks only once
//!   it runs (after its wake-up latency), finds the lock taken and waits
//!   again. `threading.Lock` is not fair; a loop around `with lock:` with
//!   nothing outside it starves the other threads.
//! - with real work outside the lock, the woken waiter gets its turn.

use crate::common::*;

use gilsim::engine::time::{MS, US};

/// Two threads each looping `outside` then 100 µs under lock `l`.
fn lock_loop(outside: Vec<StepSpec>) -> gilsim::simulation::RunOutput {
    let mut steps = outside;
    steps.push(step::lock("l", vec![step::cpu_nogil(100 * US)]));
    let looping = |name: &str| {
        WorkloadBuilder::new(name)
            .forever()
            .steps(steps.clone())
            .threads(1)
    };
    let b = ScenarioBuilder::new("equal-times")
        .seed(4)
        .duration(200 * MS)
        .cores(2)
        .workload(looping("first"))
        .workload(looping("second"));
    simulate(&build(b))
}

#[test]
fn release_and_reacquire_in_one_instant_keeps_the_lock() {
    let o = lock_loop(Vec::new());
    let done: Vec<u64> = o.workloads.iter().map(|w| w.tasks_completed).collect();
    // One thread holds the lock in every iteration; the other never gets it
    // once the first has looped (it may have won the very first acquire).
    assert!(done.iter().any(|&d| d <= 1), "completions {done:?}");
    assert!(done.iter().any(|&d| d > 1000), "completions {done:?}");
}

#[test]
fn work_outside_the_lock_lets_the_woken_waiter_in() {
    let o = lock_loop(vec![step::cpu_nogil(200 * US)]);
    for w in &o.workloads {
        assert!(
            w.tasks_completed > 100,
            "{} completed {}",
            w.workload,
            w.tasks_completed
        );
    }
}
