//! One fuzzed scenario, as the command line would treat it: read and
//! validate it (`gilsim check`, with its size and cost), then run its
//! first points under an event budget (`gilsim run --max-events`) and
//! render their `results.csv` rows. Shared by the CI slot and the
//! cargo-fuzz target, which includes this file by path.

use std::path::Path;

use gilsim::engine::Budget;
use gilsim::report::csv as results_csv;
use gilsim::simulation::{RunError, RunOptions, run};

/// Events each run may handle: enough to start every model's threads and
/// finish small batches, few enough for thousands of cases a second.
pub const MAX_EVENTS: u64 = 3_000;

/// Points of a sweep that are run (every point is validated).
pub const POINTS_RUN: usize = 2;

/// A point whose workloads start more threads or hold more tasks than this
/// at once is validated but not run: its first event alone would build
/// them all (up to the limits, seconds and GBs), which the event budget
/// does not bound. `tests/it/limits.rs` runs such cases.
pub const MAX_DEMAND: u64 = 20_000;

/// What became of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Refused with a diagnostic (exit 2).
    Refused,
    /// Every run finished within the budget.
    Ran,
    /// A run reached the budget, or the runtime's own limit (exit 1).
    Stopped,
    /// A run deadlocked (exit 1, with its report).
    Deadlock,
}

/// Reads, checks and runs `text`. Any panic is a bug.
pub fn exercise(text: &str) -> Outcome {
    let study = match gilsim::scenario::parse_study_str(text, Path::new("fuzz.toml"), &[]) {
        Ok(study) => study,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an error without a message");
            return Outcome::Refused;
        }
    };
    let _ = gilsim::commands::size_text(&study);
    let mut outcome = Outcome::Ran;
    for (i, p) in study.points.iter().take(POINTS_RUN).enumerate() {
        let demand: u64 = p
            .scenario
            .workloads
            .iter()
            .map(|w| {
                let d = w.demand();
                d.threads.saturating_add(d.held_tasks)
            })
            .fold(0, u64::saturating_add);
        if demand > MAX_DEMAND {
            continue;
        }
        let options = RunOptions {
            budget: Budget {
                max_events: Some(MAX_EVENTS),
                deadline: None,
            },
            record_gil: i == 0,
            drain: i == 0,
            record_loop: i == 1,
            trace_window: (i == 1).then_some((0, 20_000_000)),
            queue_every_event: false,
            keep_gil_steps: false,
            keep_return_bursts: false,
        };
        match run(&p.scenario, p.scenario.seed, options) {
            Ok(output) => {
                let rows: Vec<results_csv::Row<'_>> = output
                    .workloads
                    .iter()
                    .map(|result| results_csv::Row {
                        point: p.index,
                        replication: 0,
                        seed: output.seed,
                        values: &p.values,
                        result,
                    })
                    .collect();
                let records = results_csv::records(&rows);
                let header = gilsim::results::columns::header(&study.sweep_keys);
                assert!(
                    records.iter().all(|r| r.len() == header.len()),
                    "a results.csv row of the wrong width"
                );
            }
            Err(e @ RunError::Deadlock(_)) => {
                let _ = e.report("fuzz");
                outcome = Outcome::Deadlock;
            }
            Err(e) => {
                let _ = e.report("fuzz");
                if outcome == Outcome::Ran {
                    outcome = Outcome::Stopped;
                }
            }
        }
    }
    outcome
}
