//! Property tests over random small thread scenarios: no panic, no
//! deadlock without a lock cycle, at most one GIL holder, every task done
//! once, and work conserved to the nanosecond. Steps include waits on an
//! event that a second workload sets (and nothing clears), sets, and
//! notifies of a condition nobody waits on.

use crate::common::{self, ScenarioBuilder, StepSpec, WorkloadBuilder, step};

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, run};
use gilsim::workload::{Arrival, Workers};
use proptest::prelude::*;

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0u64..3000).prop_map(|us| Dist::Const(us * US)),
        (1u64..2000).prop_map(|us| Dist::Exp { mean: us * US }),
        (1u64..2000, 0.0f64..1.5).prop_map(|(us, sigma)| Dist::LogNormal {
            median: us * US,
            sigma
        }),
    ]
}

fn leaf() -> impl Strategy<Value = StepSpec> {
    prop_oneof![
        dist().prop_map(step::cpu),
        dist().prop_map(step::cpu_held),
        dist().prop_map(step::cpu_nogil),
        dist().prop_map(step::io),
        dist().prop_map(step::sleep),
    ]
}

fn step() -> impl Strategy<Value = StepSpec> {
    prop_oneof![
        3 => leaf(),
        1 => prop::collection::vec(leaf(), 1..3).prop_map(|steps| step::lock("l", steps)),
        1 => prop::collection::vec(leaf(), 1..3).prop_map(|steps| step::semaphore("s", steps)),
        1 => Just(step::wait_event("go")),
        1 => Just(step::set_event("go")),
        1 => prop_oneof![Just(None), (1u32..3).prop_map(Some)]
            .prop_map(|n| StepSpec::Notify { condition: "ready".into(), n }),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        1u32..5,
        prop::collection::vec(step(), 1..5),
        1u64..25,
        prop_oneof![Just(Workers::PerTask), (1u32..7).prop_map(Workers::Fixed)],
        1u32..4,
        prop_oneof![Just(100u64), Just(1000), Just(5000)],
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
        any::<bool>(),
        dist(),
    )
        .prop_map(
            |(
                cores,
                steps,
                tasks,
                workers,
                capacity,
                interval,
                random,
                free_threaded,
                seed,
                open_loop,
                setter_sleep,
            )| {
                let mut b = ScenarioBuilder::new("prop")
                    .seed(seed)
                    .cores(cores)
                    .python("version", "3.13")
                    .switch_interval(interval * US)
                    .python("gil_handoff", if random { "random" } else { "fifo" })
                    .semaphore("s", capacity)
                    .event("go", false)
                    .condition("ready");
                if free_threaded {
                    b = b.python("build", "free-threaded");
                }
                let w = WorkloadBuilder::new("w").steps(steps).memory(1000);
                let w = match workers {
                    Workers::Fixed(n) => w.threads(n),
                    _ => w.per_task_threads(),
                };
                b = if open_loop {
                    // An open-loop workload needs an end, as the parser demands.
                    b.duration(200 * MS).workload(w.rate(tasks as f64 * 100.0))
                } else {
                    b.workload(w.tasks(tasks))
                };
                let b = b.workload(
                    WorkloadBuilder::new("setter")
                        .tasks(1)
                        .steps(vec![step::sleep(setter_sleep), step::set_event("go")])
                        .threads(1),
                );
                b.path("prop.toml").build().expect("a valid scenario")
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_thread_scenarios_keep_the_invariants(s in scenario()) {
        let o = run(&s, s.seed, RunOptions { record_gil: true, drain: true, ..RunOptions::default() }).expect("no lock cycle, so no deadlock");
        common::assert_single_holder(&o);
        if let Arrival::Batch(n) = s.workloads[0].arrival {
            prop_assert_eq!(o.workloads[0].tasks_completed, n);
            prop_assert_eq!(o.workloads[0].tasks_in_flight, 0);
            let a = o.accounting;
            prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu);
        }
        prop_assert!(o.semaphore_max_holders[0] <= s.semaphores[0].capacity);
    }
}
