//! Property tests over random small asyncio scenarios (an event loop, maybe
//! a thread workload beside it): no panic, no deadlock without a lock taken
//! twice, at most one GIL holder, every task done once, work conserved,
//! timers never early, each pass runs exactly its ready callbacks in FIFO
//! order, the same seed giving the same run, and timelines that keep their
//! invariants. Steps include waits on an `asyncio.Event` that a last
//! workload sets (nothing clears it), sets, and notifies of a condition.

use crate::common::*;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::python::runtime::LoopRecord;
use gilsim::workload::Workers;
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = StepSpec> {
    prop_oneof![
        (0u64..2000).prop_map(|us| step::cpu(us * US)),
        (1u64..1000).prop_map(|us| step::cpu_held(Dist::Exp { mean: us * US })),
        (0u64..1000).prop_map(|us| step::cpu_nogil(us * US)),
        (1u64..3000).prop_map(|us| step::io(Dist::Exp { mean: us * US })),
        (0u64..3000).prop_map(|us| step::sleep(us * US)),
        (1u64..500).prop_map(|us| step::blocking_io(us * US)),
        (0u64..500).prop_map(|us| step::lock("l", vec![step::sleep(us * US)])),
        (0u64..500).prop_map(|us| step::semaphore("s", vec![step::io(us * US)])),
        (0u64..1000, 0u64..1000)
            .prop_map(|(a, b)| step::to_thread(vec![step::cpu(a * US), step::cpu_nogil(b * US)])),
        Just(step::wait_event("go")),
        Just(step::set_event("go")),
        Just(step::notify_all("c")),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    scenario: ScenarioBuilder,
    tasks: u64,
    threads: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..5,
        prop::collection::vec(leaf(), 1..5),
        1u64..60,
        prop_oneof![Just(None), (1u32..8).prop_map(Some)],
        (any::<bool>(), any::<bool>()),
        any::<u64>(),
        0u64..5000,
    )
        .prop_map(
            |(cores, steps, tasks, workers, (threads, free), seed, set_at)| {
                let mut b = ScenarioBuilder::new("prop").seed(seed).cores(cores);
                b = if free {
                    b.python("version", "3.14").python("build", "free-threaded")
                } else {
                    b.python("version", "3.12")
                };
                let mut w = WorkloadBuilder::new("w")
                    .tasks(tasks)
                    .memory(1000)
                    .steps(steps)
                    .asyncio();
                if let Some(n) = workers {
                    w = w.workers(Workers::Fixed(n));
                }
                b = b
                    .semaphore("s", 2)
                    .event("go", false)
                    .condition("c")
                    .workload(w);
                if threads {
                    b = b.workload(
                        WorkloadBuilder::new("bg")
                            .tasks(5)
                            .steps(vec![step::cpu(2 * MS), step::io(MS)])
                            .threads(2),
                    );
                }
                let b = b.workload(
                    WorkloadBuilder::new("setter")
                        .tasks(1)
                        .steps(vec![step::sleep(set_at * US), step::set_event("go")])
                        .asyncio(),
                );
                Case {
                    scenario: b,
                    tasks,
                    threads,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn random_asyncio_scenarios_keep_the_invariants(c in case()) {
        let s = build(c.scenario.clone());
        let o = simulate_loop(&s);
        assert_single_holder(&o);
        let a = o.accounting;
        prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{}", c.scenario.to_toml());
        prop_assert_eq!(o.workloads[0].tasks_completed, c.tasks, "{}", c.scenario.to_toml());
        prop_assert_eq!(o.workloads[0].tasks_in_flight, 0);
        if c.threads {
            prop_assert_eq!(o.workloads[1].tasks_completed, 5);
        }
        let log = o.loop_log.as_ref().expect("loop recorded");
        let mut next_seq = 0u64;
        let mut left = 0usize;
        for r in log {
            match *r {
                LoopRecord::Timer { deadline, at } => prop_assert!(at >= deadline),
                LoopRecord::Pass { ntodo, ready_below, .. } => {
                    prop_assert_eq!(left, 0, "the previous pass ran all its callbacks");
                    prop_assert_eq!(next_seq + ntodo as u64, ready_below);
                    left = ntodo;
                }
                LoopRecord::Callback { seq, .. } => {
                    prop_assert!(left > 0, "a callback outside its pass");
                    prop_assert_eq!(seq, next_seq, "FIFO");
                    next_seq += 1;
                    left -= 1;
                }
                LoopRecord::Blocking { .. } => {}
            }
        }
        let again = simulate_loop(&s);
        prop_assert_eq!(&again.workloads, &o.workloads, "same seed, same run");
    }

    #[test]
    fn random_asyncio_timelines_keep_their_invariants(c in case()) {
        let s = build(c.scenario.clone());
        let o = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &o);
    }
}
