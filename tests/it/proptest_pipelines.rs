//! Property tests over random small pipelines of thread stages, or of
//! asyncio stages on one event loop (a chain or a join, bounded or
//! unbounded queues, pools, per-task threads, consumer coroutines, a batch
//! or an open-loop source): no deadlock, at most one GIL holder, queues never
//! over capacity, every item consumed exactly once, work conserved.

use crate::common;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::machine::MachineConfig;
use gilsim::python::{Build, PyVersion, PythonConfig};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, run};
use gilsim::workload::{Arrival, Model, RunWindow, StageChannel, Step, Workers, Workload};
use proptest::prelude::*;

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0u64..2000).prop_map(|us| Dist::Const(us * US)),
        (1u64..2000).prop_map(|us| Dist::Exp { mean: us * US }),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            dist().prop_map(Step::Cpu),
            dist().prop_map(Step::CpuNogil),
            dist().prop_map(Step::Io),
        ],
        1..3,
    )
}

fn workers() -> impl Strategy<Value = (Model, Workers)> {
    prop_oneof![
        Just((Model::Sequential, Workers::Fixed(1))),
        (1u32..5).prop_map(|n| (Model::Threads, Workers::Fixed(n))),
        Just((Model::Threads, Workers::PerTask)),
    ]
}

fn workload(name: &str, arrival: Arrival, steps: Vec<Step>, run: (Model, Workers)) -> Workload {
    Workload {
        name: name.into(),
        arrival,
        steps,
        model: run.0,
        workers: run.1,
        memory_bytes: 0,
    }
}

#[derive(Debug, Clone)]
struct Case {
    scenario: Scenario,
    tasks: Option<u64>,
    capacities: Vec<Option<u64>>,
    join: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            1u32..4,
            any::<u64>(),
            any::<bool>(),
            any::<bool>(),
            1u64..30,
        ),
        (steps(), steps(), steps()),
        (workers(), workers(), workers()),
        (
            prop::option::of(1u64..4),
            prop::option::of(1u64..4),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (cores, seed, open_loop, free_threaded, tasks),
                (s0, s1, s2),
                (r0, r1, r2),
                (c1, c2, join, aio),
            )| {
                // Every workload on the one event loop: asyncio.Queue stages,
                // `workers` consumers (or a semaphore at the source).
                let on_loop = |r: (Model, Workers)| match (aio, r) {
                    (false, r) => r,
                    (true, (_, Workers::Fixed(n))) => (Model::Asyncio, Workers::Fixed(n)),
                    (true, _) => (Model::Asyncio, Workers::Unlimited),
                };
                let (r0, r1, r2) = (on_loop(r0), on_loop(r1), on_loop(r2));
                let channel = if aio {
                    StageChannel::AsyncioQueue
                } else {
                    StageChannel::Queue
                };
                let build = if free_threaded {
                    Build::FreeThreaded
                } else {
                    Build::Gil
                };
                let python = PythonConfig::defaults(
                    PyVersion {
                        major: 3,
                        minor: 13,
                    },
                    build,
                );
                let source = if open_loop {
                    Arrival::Rate(tasks as f64 * 50.0)
                } else {
                    Arrival::Batch(tasks)
                };
                let end_upstream = if join { vec![0, 1] } else { vec![1] };
                let scenario = Scenario {
                    path: "prop.toml".into(),
                    name: "prop".into(),
                    description: String::new(),
                    seed,
                    window: RunWindow {
                        duration: open_loop.then_some(300 * MS),
                        warmup: 0,
                    },
                    replications: 1,
                    machine: MachineConfig {
                        cores,
                        ..MachineConfig::default()
                    },
                    python,
                    semaphores: Vec::new(),
                    locks: Vec::new(),
                    syncs: Vec::new(),
                    workloads: vec![
                        workload("source", source, s0, r0),
                        workload(
                            "mid",
                            Arrival::After {
                                upstream: vec![0],
                                capacity: c1,
                                channel,
                                item_bytes: 0,
                            },
                            s1,
                            r1,
                        ),
                        workload(
                            "end",
                            Arrival::After {
                                upstream: end_upstream,
                                capacity: c2,
                                channel,
                                item_bytes: 0,
                            },
                            s2,
                            r2,
                        ),
                    ],
                };
                Case {
                    scenario,
                    tasks: (!open_loop).then_some(tasks),
                    capacities: vec![None, c1, c2],
                    join,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_pipelines_keep_the_invariants(c in case()) {
        let s = &c.scenario;
        let o = run(s, s.seed, RunOptions { record_gil: true, drain: true, ..RunOptions::default() })
            .expect("queues alone never deadlock");
        common::assert_single_holder(&o);
        for (i, cap) in c.capacities.iter().enumerate() {
            if let (Some(cap), Some(counts)) = (cap, o.stages[i]) {
                prop_assert!(counts.most_held <= *cap, "stage {i}: {counts:?} over {cap}");
            }
        }
        let mid = o.stages[1].expect("mid is a stage");
        let end = o.stages[2].expect("end is a stage");
        prop_assert!(mid.taken <= mid.put);
        if let Some(n) = c.tasks {
            for w in &o.workloads {
                prop_assert_eq!(w.tasks_completed, n, "{}", w.workload);
                prop_assert_eq!(w.tasks_in_flight, 0);
            }
            prop_assert_eq!((mid.put, mid.taken), (n, n));
            let end_put = if c.join { 2 * n } else { n };
            prop_assert_eq!((end.put, end.taken), (end_put, n));
            let a = o.accounting;
            prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu);
        }
    }
}
