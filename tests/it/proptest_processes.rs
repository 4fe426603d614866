//! Property tests over random small process and subinterpreter scenarios:
//! no panic, no deadlock without a lock cycle, at most one holder of each
//! interpreter's GIL, every task done once, work and bytes conserved, and
//! the same seed giving the same run. Process workloads may wait on a
//! `multiprocessing.Event` that a thread of the parent sets at a random
//! time, and notify a condition.

use crate::common::*;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::workload::{ProcessApi, StartMethod, Transfer, Workers};
use proptest::prelude::*;

fn steps() -> impl Strategy<Value = Vec<StepSpec>> {
    let leaf = prop_oneof![
        (0u64..3000).prop_map(|us| step::cpu(us * US)),
        (1u64..2000).prop_map(|us| step::cpu_held(Dist::Exp { mean: us * US })),
        (0u64..2000).prop_map(|us| step::cpu_nogil(us * US)),
        (1u64..2000).prop_map(|us| step::io(Dist::Exp { mean: us * US })),
        (0u64..500).prop_map(|us| step::lock("l", vec![step::cpu(us * US)])),
        (0u64..500).prop_map(|us| step::semaphore("s", vec![step::io(us * US)])),
    ];
    prop::collection::vec(leaf, 1..4)
}

#[derive(Debug, Clone)]
struct Case {
    scenario: ScenarioBuilder,
    tasks: u64,
    open_loop: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..5,
        steps(),
        1u64..30,
        // Subinterpreters a third of the time, else processes.
        prop_oneof![Just(false), Just(false), Just(true)],
        prop_oneof![Just(ProcessApi::Pool), Just(ProcessApi::Executor)],
        prop_oneof![
            Just(StartMethod::Fork),
            Just(StartMethod::Spawn),
            Just(StartMethod::Forkserver)
        ],
        prop_oneof![Just(None), (1u64..6).prop_map(Some)],
        prop_oneof![Just(Workers::PerTask), (1u32..6).prop_map(Workers::Fixed)],
        (0u64..200_000, 0u64..200_000),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        any::<u64>(),
        prop_oneof![Just(None), (0u64..50_000).prop_map(Some)],
    )
        .prop_map(
            |(
                cores,
                steps,
                tasks,
                sub,
                api,
                method,
                chunks,
                workers,
                bytes,
                flags,
                seed,
                set_at,
            )| {
                let (shm, open_loop, free_threaded) = flags;
                let per_task = workers == Workers::PerTask;
                let open_loop = open_loop && !(per_task && sub);
                let mut b = ScenarioBuilder::new("prop")
                    .seed(seed)
                    .cores(cores)
                    .python("version", "3.14")
                    .semaphore("s", 2);
                if free_threaded {
                    b = b.python("build", "free-threaded");
                }
                if open_loop {
                    b = b.duration(100 * MS);
                }
                // Events on processes only (subinterpreters refuse them).
                let set_at = set_at.filter(|_| !sub);
                let mut steps = steps;
                if set_at.is_some() {
                    steps.insert(0, step::wait_event("go"));
                    steps.push(step::notify_all("c"));
                }
                let w = WorkloadBuilder::new("w")
                    .args_bytes(bytes.0)
                    .result_bytes(bytes.1)
                    .memory(1000)
                    .steps(steps);
                let mut w = if open_loop {
                    w.rate(tasks as f64 * 20.0)
                } else {
                    w.tasks(tasks)
                };
                if sub {
                    // Per-task subinterpreters are not built: a pool of 2.
                    w = w.subinterpreters(match workers {
                        Workers::Fixed(n) => n,
                        _ => 2,
                    });
                } else {
                    w = match workers {
                        Workers::Fixed(n) => w.processes(n),
                        _ => w.per_task_processes(),
                    };
                    w = w.api(api).start_method(method);
                    if let (Some(c), false) = (chunks, per_task) {
                        w = w.chunksize(c);
                    }
                    if shm {
                        w = w.transfer(Transfer::SharedMemory);
                    }
                }
                b = b.workload(w);
                if let Some(us) = set_at {
                    b = b.event("go", false).condition("c").workload(
                        WorkloadBuilder::new("setter")
                            .tasks(1)
                            .steps(vec![step::sleep(us * US), step::set_event("go")])
                            .threads(1),
                    );
                }
                Case {
                    scenario: b,
                    tasks,
                    open_loop,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn random_process_scenarios_keep_the_invariants(c in case()) {
        let s = build(c.scenario.clone());
        let o = simulate(&s);
        assert_single_holder(&o);
        let w = &o.workloads[0];
        let a = o.accounting;
        if !c.open_loop {
            // A run cut at `duration` has charged bursts it has not run yet.
            prop_assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{}", c.scenario.to_toml());
            prop_assert_eq!(w.tasks_completed, c.tasks, "{}", c.scenario.to_toml());
            prop_assert_eq!(w.tasks_in_flight, 0);
            prop_assert_eq!(a.bytes_pickled, a.bytes_unpickled, "{}", c.scenario.to_toml());
        }
        let again = simulate(&s);
        prop_assert_eq!(&again.workloads, &o.workloads, "same seed, same run");
    }

    #[test]
    fn random_process_timelines_keep_their_invariants(c in case()) {
        let s = build(c.scenario.clone());
        let o = simulate_traced(&s, 0, u64::MAX);
        assert_timeline_invariants(&s, &o);
    }
}
