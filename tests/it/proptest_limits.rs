//! Property tests of huge batches under the limits: random thread and
//! sequential workloads with batches of up to 2^63 tasks (held as a count
//! until a worker takes one), cut by a short `duration` and an event
//! budget. At most one GIL holder; a batch the window does not exhaust
//! gives the same run whatever its size (the count materialises tasks
//! exactly as one by one would); in a pipeline stage every item a
//! finished task puts is taken at most once, and every task that finishes
//! put exactly one.

use crate::common::{self, ScenarioBuilder, StepSpec, WorkloadBuilder, step};

use gilsim::engine::Budget;
use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::scenario::Scenario;
use gilsim::simulation::{RunOptions, RunOutput, run};
use proptest::prelude::*;

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (1u64..2000).prop_map(|us| Dist::Const(us * US)),
        (1u64..2000).prop_map(|us| Dist::Exp { mean: us * US }),
    ]
}

fn steps() -> impl Strategy<Value = Vec<StepSpec>> {
    prop::collection::vec(
        prop_oneof![
            2 => dist().prop_map(step::cpu),
            1 => dist().prop_map(step::cpu_nogil),
            1 => dist().prop_map(step::io),
            1 => prop::collection::vec(dist().prop_map(step::cpu), 1..3)
                .prop_map(|s| step::lock("l", s)),
        ],
        1..4,
    )
}

/// A random scenario whose first workload has `tasks` tasks.
#[derive(Debug, Clone)]
struct Case {
    cores: u32,
    seed: u64,
    window_ms: u64,
    steps: Vec<StepSpec>,
    /// `None`: sequential.
    workers: Option<u32>,
    /// A stage after the batch: its steps, workers and queue capacity.
    stage: Option<(Vec<StepSpec>, u32, Option<u64>)>,
    free_threaded: bool,
}

impl Case {
    fn scenario(&self, tasks: u64) -> Scenario {
        let mut b = ScenarioBuilder::new("prop")
            .seed(self.seed)
            .cores(self.cores)
            .python("version", "3.13")
            .duration(self.window_ms * MS);
        if self.free_threaded {
            b = b.python("build", "free-threaded");
        }
        let w = WorkloadBuilder::new("batch")
            .steps(self.steps.clone())
            .tasks(tasks);
        b = b.workload(match self.workers {
            Some(n) => w.threads(n),
            None => w.sequential(),
        });
        if let Some((steps, n, capacity)) = &self.stage {
            b = b.workload(
                WorkloadBuilder::new("stage")
                    .after(["batch"], *capacity)
                    .steps(steps.clone())
                    .threads(*n),
            );
        }
        b.path("prop.toml").build().expect("a valid scenario")
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..4,
        any::<u64>(),
        5u64..40,
        steps(),
        prop::option::of(1u32..6),
        prop::option::of((steps(), 1u32..4, prop::option::of(1u64..5))),
        any::<bool>(),
    )
        .prop_map(
            |(cores, seed, window_ms, steps, workers, stage, free_threaded)| Case {
                cores,
                seed,
                window_ms,
                steps,
                workers,
                stage,
                free_threaded,
            },
        )
}

fn huge() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(1_000_000u64),
        Just(1_000_000_000_000),
        Just(u64::MAX / 2),
    ]
}

/// Runs with the GIL recorded, under an event budget no case reaches.
fn simulate(s: &Scenario) -> RunOutput {
    let options = RunOptions {
        record_gil: true,
        budget: Budget {
            max_events: Some(5_000_000),
            deadline: None,
        },
        ..RunOptions::default()
    };
    run(s, s.seed, options).expect("a short window of locks without cycles")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn huge_batches_keep_the_laws(c in case(), tasks in huge()) {
        let o = simulate(&c.scenario(tasks));
        common::assert_single_holder(&o);
        let batch = &o.workloads[0];
        prop_assert!(batch.tasks_completed < tasks, "the window does not exhaust the batch");
        prop_assert_eq!(batch.tasks_in_flight, tasks - batch.tasks_completed);
        if c.stage.is_some() {
            let stage = o.stages[1].expect("the stage's counts");
            // Exactly once: a task finishes right after its one put (the
            // window may cut between the two), and an item is taken once.
            let putting = u64::from(c.workers.unwrap_or(1));
            prop_assert!(batch.tasks_completed <= stage.put);
            prop_assert!(stage.put - batch.tasks_completed <= putting);
            prop_assert!(stage.taken <= stage.put);
            let done = o.workloads[1].tasks_completed;
            prop_assert!(done <= stage.taken);
            prop_assert!(stage.taken - done <= u64::from(c.stage.as_ref().map_or(0, |s| s.1)));
        }
        // A batch just larger than what the window takes runs the same.
        let workers = u64::from(c.workers.unwrap_or(1));
        let small = batch.tasks_completed + workers + 1;
        let s = simulate(&c.scenario(small));
        prop_assert_eq!(s.events, o.events);
        prop_assert_eq!(&s.gil_logs, &o.gil_logs);
        prop_assert_eq!(s.accounting, o.accounting);
        prop_assert_eq!(&s.stages, &o.stages);
        for (a, b) in s.workloads.iter().zip(&o.workloads) {
            let mut a = a.clone();
            a.tasks_in_flight = b.tasks_in_flight;
            prop_assert_eq!(&a, b);
        }
    }
}
