//! Property tests over random small thread scenarios: no panic, no
//! deadlock without a lock cycle, at most one GIL holder, every task done
//! once, and work conserved to the nanosecond. Steps include waits on an
//! event that a second workload sets (and nothing clears), sets, and
//! notifies of a condition nobody waits on.

use crate::common;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::machine::MachineConfig;
use gilsim::python::{Build, Handoff, PyVersion, PythonConfig};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, run};
use gilsim::workload::{Arrival, Model, RunWindow, Step, Workers, Workload};
use gilsim::workload::{SemaphoreDef, SyncDef};
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

fn leaf() -> impl Strategy<Value = Step> {
    prop_oneof![
        dist().prop_map(Step::Cpu),
        dist().prop_map(Step::CpuHeld),
        dist().prop_map(Step::CpuNogil),
        dist().prop_map(Step::Io),
        dist().prop_map(Step::Sleep),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => leaf(),
        1 => prop::collection::vec(leaf(), 1..3).prop_map(|steps| Step::Lock { lock: 0, steps }),
        1 => prop::collection::vec(leaf(), 1..3).prop_map(|steps| Step::Semaphore { semaphore: 0, steps }),
        1 => Just(Step::WaitEvent(0)),
        1 => Just(Step::SetEvent(0)),
        1 => prop_oneof![Just(None), (1u32..3).prop_map(Some)]
            .prop_map(|n| Step::Notify { condition: 1, n }),
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
                let build = if free_threaded {
                    Build::FreeThreaded
                } else {
                    Build::Gil
                };
                let mut python = PythonConfig::defaults(
                    PyVersion {
                        major: 3,
                        minor: 13,
                    },
                    build,
                );
                python.switch_interval_us = interval;
                python.gil_handoff = if random {
                    Handoff::Random
                } else {
                    Handoff::Fifo
                };
                Scenario {
                    path: "prop.toml".into(),
                    name: "prop".into(),
                    description: String::new(),
                    seed,
                    window: RunWindow {
                        // An open-loop workload needs an end, as the parser demands.
                        duration: open_loop.then_some(200 * MS),
                        warmup: 0,
                    },
                    replications: 1,
                    machine: MachineConfig {
                        cores,
                        ..MachineConfig::default()
                    },
                    python,
                    semaphores: vec![SemaphoreDef {
                        name: "s".into(),
                        capacity,
                    }],
                    locks: vec!["l".into()],
                    syncs: vec![
                        SyncDef {
                            name: "go".into(),
                            event: Some(false),
                        },
                        SyncDef {
                            name: "ready".into(),
                            event: None,
                        },
                    ],
                    workloads: vec![
                        Workload {
                            name: "w".into(),
                            arrival: if open_loop {
                                Arrival::Rate(tasks as f64 * 100.0)
                            } else {
                                Arrival::Batch(tasks)
                            },
                            steps,
                            model: Model::Threads,
                            workers,
                            memory_bytes: 1000,
                        },
                        Workload {
                            name: "setter".into(),
                            arrival: Arrival::Batch(1),
                            steps: vec![Step::Sleep(setter_sleep), Step::SetEvent(0)],
                            model: Model::Threads,
                            workers: Workers::Fixed(1),
                            memory_bytes: 0,
                        },
                    ],
                }
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
