//! The convoy seen in a timeline (docs/MODEL.md#the-convoy-effect, bpo-7946): on two cores the
//! I/O thread's long waits for the GIL last one switch interval plus timer
//! slack, and each ends with the drop request it sets on the CPU thread; on
//! one core long waits are rare against the calls the I/O thread makes.

use crate::common::*;

use gilsim::engine::time::{MS, US};
use gilsim::results::timeline::{MarkKind, ThreadState, Timeline};

const CONVOY: &str = include_str!("../../scenarios/convoy.toml");

/// A 100 ms window after the 100 ms warm-up.
const WINDOW: (u64, u64) = (100 * MS, 200 * MS);

fn traced(sets: &[&str]) -> Timeline {
    let s = scenario_with(CONVOY, sets);
    let o = simulate_traced(&s, WINDOW.0, WINDOW.1);
    assert_timeline_invariants(&s, &o);
    o.timeline.expect("a timeline")
}

fn io_lane(t: &Timeline) -> &gilsim::results::timeline::ThreadLane {
    t.threads
        .iter()
        .find(|l| l.label == "io/0")
        .expect("an io/0 lane")
}

/// The io thread's waits for the GIL longer than 1 ms, as `(start, end)`,
/// leaving out the ones the window cuts.
fn long_gil_waits(t: &Timeline) -> Vec<(u64, u64)> {
    io_lane(t)
        .intervals
        .iter()
        .filter(|iv| iv.what == ThreadState::WaitingGil && iv.end - iv.start > MS)
        .filter(|iv| iv.start > t.start && iv.end < t.end)
        .map(|iv| (iv.start, iv.end))
        .collect()
}

/// How many times the io thread ran Python: one per call it makes.
fn io_runs(t: &Timeline) -> usize {
    io_lane(t)
        .intervals
        .iter()
        .filter(|iv| iv.what == ThreadState::Running)
        .count()
}

#[test]
fn on_two_cores_long_gil_waits_last_one_switch_interval() {
    let t = traced(&[]);
    let waits = long_gil_waits(&t);
    assert!(waits.len() >= 10, "only {} long waits", waits.len());
    let mut lengths: Vec<u64> = waits.iter().map(|(s, e)| e - s).collect();
    lengths.sort_unstable();
    let median = lengths[lengths.len() / 2];
    eprintln!(
        "2 cores: {} long GIL waits, median {median} ns, {} io runs, {} drop requests",
        lengths.len(),
        io_runs(&t),
        t.marks.len()
    );
    assert!(
        (4_900 * US..=5_600 * US).contains(&median),
        "median long GIL wait {median} ns, not one 5 ms interval plus slack"
    );
    // Each long wait times out, and the io thread, once on a core, sets the drop request.
    let io = io_lane(&t).tid;
    for (_, end) in &waits {
        assert!(
            t.marks.iter().any(|m| m.kind == MarkKind::DropRequest
                && m.tid == io
                && (*end..*end + MS).contains(&m.at)),
            "no drop request by io/0 right after the wait ending at {end}"
        );
    }
    assert!(
        io_runs(&t) < 10 * waits.len(),
        "the io thread should make a handful of calls per interval"
    );
}

#[test]
fn on_one_core_long_gil_waits_are_rare() {
    let t = traced(&["machine.cores=1"]);
    let waits = long_gil_waits(&t).len();
    let runs = io_runs(&t);
    eprintln!(
        "1 core: {waits} long GIL waits, {runs} io runs, {} drop requests",
        t.marks.len()
    );
    // The io thread keeps the GIL between its calls; it waits a whole
    // interval only when the CPU thread got the GIL by a forced switch.
    assert!(runs > 1000, "the io thread made only {runs} calls");
    assert!(
        waits * 200 < runs,
        "{waits} long waits for {runs} calls on one core"
    );
}
