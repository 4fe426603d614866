//! Property tests over random three-stage chains whose stages run on
//! threads or processes, linked by `queue.Queue`, `multiprocessing.Queue`
//! or `Pipe` (bounded or not, payloads of any size, a batch or an
//! open-loop source): no deadlock, at most one holder per GIL, queues never
//! over capacity, every item consumed exactly once, bytes conserved, work
//! conserved.

use crate::common;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::machine::MachineConfig;
use gilsim::python::{Build, PyVersion, PythonConfig};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, run};
use gilsim::workload::{
    Arrival, Model, ProcessApi, ProcessRun, RunWindow, StageChannel, StartMethod, Step, Transfer,
    Workers, Workload,
};
use proptest::prelude::*;

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            (0u64..1500).prop_map(|us| Step::Cpu(Dist::Const(us * US))),
            (1u64..1500).prop_map(|us| Step::Io(Dist::Exp { mean: us * US })),
        ],
        1..3,
    )
}

fn processes(start_method: StartMethod) -> Model {
    Model::Processes(ProcessRun {
        api: ProcessApi::Pool,
        chunksize: None,
        start_method,
        args_bytes: 0,
        result_bytes: 0,
        transfer: Transfer::Pickle,
    })
}

/// A workload's model and workers: threads, or processes by start method.
fn run_of() -> impl Strategy<Value = (Model, Workers)> {
    prop_oneof![
        (1u32..4).prop_map(|n| (Model::Threads, Workers::Fixed(n))),
        (1u32..4).prop_map(|n| (processes(StartMethod::Fork), Workers::Fixed(n))),
        (1u32..3).prop_map(|n| (processes(StartMethod::Spawn), Workers::Fixed(n))),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    scenario: Scenario,
    tasks: Option<u64>,
    capacities: Vec<Option<u64>>,
    /// Bytes pickled per item into each stage (0 for a `queue.Queue`).
    pickled: [u64; 2],
}

fn case() -> impl Strategy<Value = Case> {
    (
        (1u32..5, any::<u64>(), any::<bool>(), 1u64..25),
        (steps(), steps(), steps()),
        (run_of(), run_of(), run_of()),
        (
            prop::option::of(1u64..4),
            prop::option::of(1u64..4),
            any::<[bool; 2]>(),
            prop::sample::select(vec![0u64, 512, 40_000, 200_000]),
        ),
    )
        .prop_map(
            |(
                (cores, seed, open_loop, tasks),
                (s0, s1, s2),
                (r0, r1, r2),
                (c1, c2, pipes, bytes),
            )| {
                let python = PythonConfig::defaults(
                    PyVersion {
                        major: 3,
                        minor: 12,
                    },
                    Build::Gil,
                );
                let runs = [r0, r1, r2];
                let is_proc = |m: &Model| matches!(m, Model::Processes(_));
                let mut pickled = [0; 2];
                let mut capacities = vec![None];
                let mut stages = Vec::new();
                for (i, (cap, pipe)) in [(c1, pipes[0]), (c2, pipes[1])].into_iter().enumerate() {
                    let crosses = is_proc(&runs[i].0) || is_proc(&runs[i + 1].0);
                    let channel = match (crosses, pipe) {
                        (_, true) => StageChannel::Pipe,
                        (true, false) => StageChannel::MpQueue,
                        (false, false) => StageChannel::Queue,
                    };
                    if channel != StageChannel::Queue {
                        pickled[i] = bytes;
                    }
                    let capacity = match channel {
                        StageChannel::Pipe => Some((64 * 1024 / bytes.max(1)).max(1)),
                        _ => cap,
                    };
                    capacities.push(capacity);
                    stages.push(Arrival::After {
                        upstream: vec![i],
                        capacity: if channel == StageChannel::Pipe {
                            None
                        } else {
                            cap
                        },
                        channel,
                        item_bytes: bytes,
                    });
                }
                let source = if open_loop {
                    Arrival::Rate(tasks as f64 * 40.0)
                } else {
                    Arrival::Batch(tasks)
                };
                let arrivals = [source, stages[0].clone(), stages[1].clone()];
                let workloads = ["source", "mid", "end"]
                    .iter()
                    .zip(arrivals)
                    .zip([s0, s1, s2])
                    .zip(runs)
                    .map(|(((name, arrival), steps), (model, workers))| Workload {
                        name: (*name).into(),
                        arrival,
                        steps,
                        model,
                        workers,
                        memory_bytes: 0,
                    })
                    .collect();
                let scenario = Scenario {
                    path: "prop.toml".into(),
                    name: "prop".into(),
                    description: String::new(),
                    seed,
                    window: RunWindow {
                        duration: open_loop.then_some(400 * MS),
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
                    shared: Vec::new(),
                    workloads,
                };
                Case {
                    scenario,
                    tasks: (!open_loop).then_some(tasks),
                    capacities,
                    pickled,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn random_process_pipelines_keep_the_invariants(c in case()) {
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
        prop_assert!(mid.taken <= mid.put && end.taken <= end.put);
        if let Some(n) = c.tasks {
            for w in &o.workloads {
                prop_assert_eq!(w.tasks_completed, n, "{}", w.workload);
                prop_assert_eq!(w.tasks_in_flight, 0);
            }
            prop_assert_eq!((mid.put, mid.taken), (n, n));
            prop_assert_eq!((end.put, end.taken), (n, n));
            let a = o.accounting;
            prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu);
            // A source on processes pickles its arguments and results too
            // (zero bytes here): only the stage items carry bytes.
            let bytes = n * (c.pickled[0] + c.pickled[1]);
            prop_assert_eq!(a.bytes_pickled, bytes);
            prop_assert_eq!(a.bytes_unpickled, bytes);
        }
    }
}
