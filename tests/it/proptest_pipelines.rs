//! Property tests over random small pipelines of thread stages, or of
//! asyncio stages on one event loop (a chain or a join, bounded or
//! unbounded queues, pools, per-task threads, consumer coroutines, a batch
//! or an open-loop source): no deadlock, at most one GIL holder, queues never
//! over capacity, every item consumed exactly once, work conserved.

use crate::common::{self, ScenarioBuilder, StepSpec, WorkloadBuilder, step};

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, run};
use gilsim::workload::{Model, Workers};
use proptest::prelude::*;

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0u64..2000).prop_map(|us| Dist::Const(us * US)),
        (1u64..2000).prop_map(|us| Dist::Exp { mean: us * US }),
    ]
}

fn steps() -> impl Strategy<Value = Vec<StepSpec>> {
    prop::collection::vec(
        prop_oneof![
            dist().prop_map(step::cpu),
            dist().prop_map(step::cpu_nogil),
            dist().prop_map(step::io),
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

/// A workload run as `run` says: sequential, threads or coroutines.
fn workload(w: WorkloadBuilder, steps: Vec<StepSpec>, run: (Model, Workers)) -> WorkloadBuilder {
    let w = w.steps(steps);
    match run {
        (Model::Sequential, _) => w.sequential(),
        (Model::Threads, Workers::Fixed(n)) => w.threads(n),
        (Model::Threads, _) => w.per_task_threads(),
        (_, workers) => w.asyncio().workers(workers),
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
                let mut b = ScenarioBuilder::new("prop")
                    .seed(seed)
                    .cores(cores)
                    .python("version", "3.13");
                if free_threaded {
                    b = b.python("build", "free-threaded");
                }
                let source = workload(WorkloadBuilder::new("source"), s0, r0);
                b = if open_loop {
                    b.duration(300 * MS)
                        .workload(source.rate(tasks as f64 * 50.0))
                } else {
                    b.workload(source.tasks(tasks))
                };
                let end = if join {
                    vec!["source", "mid"]
                } else {
                    vec!["mid"]
                };
                let b = b
                    .workload(workload(
                        WorkloadBuilder::new("mid").after(["source"], c1),
                        s1,
                        r1,
                    ))
                    .workload(workload(WorkloadBuilder::new("end").after(end, c2), s2, r2));
                Case {
                    scenario: b.path("prop.toml").build().expect("a valid scenario"),
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
