//! The recorded timeline keeps its invariants (see
//! `common::assert_timeline_invariants`) on every shipped scenario, on
//! windows that cut runs anywhere, and on random small thread scenarios.

use crate::common::*;

use std::fs;
use std::path::Path;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::results::timeline::ThreadState;
use gilsim::scenario::{Scenario, parse_str};
use gilsim::workload::Workers;
use proptest::prelude::*;

fn shipped() -> Vec<Scenario> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = fs::read_to_string(p).unwrap();
            parse_str(&text, p, &[]).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

#[test]
fn shipped_scenarios_over_their_statistics_window() {
    for s in shipped() {
        let o = simulate_traced(&s, s.window.warmup, u64::MAX);
        assert_timeline_invariants(&s, &o);
        let t = o.timeline.as_ref().unwrap();
        assert!(!t.threads.is_empty(), "{}: no lanes", s.name);
        assert!(
            t.threads.iter().all(|l| !l.intervals.is_empty()),
            "{}",
            s.name
        );
    }
}

#[test]
fn shipped_scenarios_over_short_windows() {
    for s in shipped() {
        for (start, len) in [(0, MS), (3 * MS + 7, 20 * MS), (150 * MS, 2 * MS), (0, 0)] {
            let o = simulate_traced(&s, start, start + len);
            assert_timeline_invariants(&s, &o);
            let t = o.timeline.as_ref().unwrap();
            assert_eq!(
                (t.start, t.end),
                (start, (start + len).min(o.end).max(start))
            );
            if len == 0 {
                assert!(t.threads.iter().all(|l| l.intervals.is_empty()));
            }
        }
    }
}

#[test]
fn a_window_after_the_run_is_empty() {
    let s = shipped()
        .into_iter()
        .find(|s| s.name == "free-threaded")
        .unwrap();
    let o = simulate_traced(&s, 3_600_000 * MS, 3_600_001 * MS);
    let t = o.timeline.unwrap();
    assert!(t.threads.is_empty() && t.marks.is_empty());
    assert!(t.cores.iter().all(|c| c.intervals.is_empty()));
}

#[test]
fn per_task_threads_get_one_lane_each_even_in_reused_slots() {
    let s = scenario(
        r#"
name = "per-task"
seed = 3
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 12
steps = [ { cpu = "200us" }, { io = "1ms" } ]
[workload.run]
model = "threads"
workers = "per-task"
"#,
    );
    let o = simulate_traced(&s, 0, u64::MAX);
    assert_timeline_invariants(&s, &o);
    let t = o.timeline.unwrap();
    let labels: Vec<&str> = t.threads.iter().map(|l| l.label.as_str()).collect();
    let expected: Vec<String> = (0..12).map(|i| format!("jobs/{i}")).collect();
    assert_eq!(labels, expected);
    for lane in &t.threads {
        // Born waiting for a core, ends running (its last step's return cost and exit).
        assert_eq!(
            lane.intervals.first().unwrap().what,
            ThreadState::WaitingCore
        );
        assert!(
            lane.intervals
                .iter()
                .any(|iv| iv.what == ThreadState::Blocked)
        );
    }
}

#[test]
fn pool_workers_idle_and_wait_on_locks() {
    let s = scenario(
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
    let o = simulate_traced(&s, 0, u64::MAX);
    assert_timeline_invariants(&s, &o);
    let t = o.timeline.unwrap();
    let has = |st: ThreadState| {
        t.threads
            .iter()
            .any(|l| l.intervals.iter().any(|iv| iv.what == st))
    };
    for st in [
        ThreadState::Idle,
        ThreadState::WaitingLock,
        ThreadState::RunningNogil,
        ThreadState::Running,
        ThreadState::WaitingCore,
    ] {
        assert!(has(st), "no {st:?} interval");
    }
}

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0u64..3000).prop_map(|us| Dist::Const(us * US)),
        (1u64..2000).prop_map(|us| Dist::Exp { mean: us * US }),
    ]
}

fn step() -> impl Strategy<Value = StepSpec> {
    let leaf = prop_oneof![
        dist().prop_map(step::cpu),
        dist().prop_map(step::cpu_held),
        dist().prop_map(step::cpu_nogil),
        dist().prop_map(step::io),
        dist().prop_map(step::sleep),
    ];
    prop_oneof![
        3 => leaf.clone(),
        1 => prop::collection::vec(leaf.clone(), 1..3).prop_map(|steps| step::lock("l", steps)),
        1 => prop::collection::vec(leaf, 1..3).prop_map(|steps| step::semaphore("s", steps)),
    ]
}

prop_compose! {
    fn traced_scenario()(
        cores in 1u32..4,
        steps in prop::collection::vec(step(), 1..4),
        tasks in 1u64..20,
        workers in prop_oneof![Just(Workers::PerTask), (1u32..6).prop_map(Workers::Fixed)],
        interval in prop_oneof![Just(100u64), Just(1000), Just(5000)],
        free_threaded in any::<bool>(),
        open_loop in any::<bool>(),
        seed in any::<u64>(),
        start in 0u64..30_000,
        len in 0u64..200_000,
    ) -> (Scenario, u64, u64) {
        let mut b = ScenarioBuilder::new("prop")
            .seed(seed)
            .cores(cores)
            .python("version", "3.13")
            .switch_interval(interval * US)
            .python("gil_handoff", "fifo")
            .semaphore("s", 2);
        if free_threaded {
            b = b.python("build", "free-threaded");
        }
        let w = WorkloadBuilder::new("w").steps(steps);
        let w = match workers {
            Workers::Fixed(n) => w.threads(n),
            _ => w.per_task_threads(),
        };
        let b = if open_loop {
            b.duration(100 * MS).workload(w.rate(tasks as f64 * 100.0))
        } else {
            b.workload(w.tasks(tasks))
        };
        let s = b.path("prop.toml").build().expect("a valid scenario");
        (s, start * US, (start + len) * US)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_keep_the_timeline_invariants((s, start, end) in traced_scenario()) {
        let o = simulate_traced(&s, start, end);
        assert_timeline_invariants(&s, &o);
        let whole = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &whole);
    }
}
