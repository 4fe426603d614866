//! What cannot fit, refused before anything runs: a validated point that
//! asks for more threads and processes than Linux runs, or more tasks held
//! one by one than gilsim holds ([`crate::workload::limits`]), and a study
//! of more runs than it keeps. Each error names the key that asks for it,
//! at its line (in the file, a `[sweep]` list or a `--set`), with the
//! estimate and the limit.

use super::Scenario;
use super::diagnostic::{Diag, Span};
use super::document::{Node, Table, Value};
use crate::workload::limits::{MAX_HELD_TASKS, MAX_RUNS, MAX_THREADS};
use crate::workload::{Arrival, Workers};

/// Refuses a point whose workloads ask for more than a run holds.
/// `doc` is the point's document (its sweep values and `--set` in place).
pub(super) fn check_point(scenario: &Scenario, doc: &Table) -> Result<(), Diag> {
    let demands: Vec<_> = scenario.workloads.iter().map(|w| w.demand()).collect();
    // The program's main thread, then each workload's.
    let threads = demands
        .iter()
        .map(|d| d.threads)
        .fold(1u64, u64::saturating_add);
    if threads > MAX_THREADS {
        let (i, d) = largest(&demands, |d| d.threads);
        let w = &scenario.workloads[i];
        let (key, node) = if d.threads_from_workers {
            ("run.workers", workload_value(doc, i, &["run", "workers"]))
        } else {
            ("tasks", workload_value(doc, i, &["tasks"]))
        };
        let rss = scenario.python.thread_rss;
        let label = match w.workers {
            Workers::PerTask => "a thread or process per task, all at once",
            _ => "threads and processes started at once",
        };
        return Err(Diag::new(
            format!(
                "the program would run {threads} threads and processes at once, more than Linux runs ({MAX_THREADS})"
            ),
            &node.map_or_else(|| whole_workload(doc, i), |n| n.span.clone()),
            format!(
                "{label}: {} of them, {} MB at python.thread_rss",
                d.threads,
                d.threads.saturating_mul(rss) / 1_000_000
            ),
        )
        .key(format!("workload.{}.{key}", w.name))
        .note(format!(
            "every thread and process takes a pid, and Linux has at most {MAX_THREADS} (PID_MAX_LIMIT)"
        ))
        .help("use fewer workers, or a batch that a pool takes a few at a time"));
    }
    let held = demands
        .iter()
        .map(|d| d.held_tasks)
        .fold(0u64, u64::saturating_add);
    if held > MAX_HELD_TASKS {
        let (i, d) = largest(&demands, |d| d.held_tasks);
        let w = &scenario.workloads[i];
        let (key, node) = match w.arrival {
            Arrival::Batch(_) => ("tasks", workload_value(doc, i, &["tasks"])),
            _ => ("run.workers", workload_value(doc, i, &["run", "workers"])),
        };
        let how = if w.model.coroutines() {
            "a coroutine and its Task each, created up front"
        } else {
            "handed to the pool up front (Pool.map's list, a Future per submit)"
        };
        return Err(Diag::new(
            format!(
                "the program would hold {held} tasks one by one, more than gilsim holds in a run ({MAX_HELD_TASKS})"
            ),
            &node.map_or_else(|| whole_workload(doc, i), |n| n.span.clone()),
            format!("{} tasks {how}", d.held_tasks),
        )
        .key(format!("workload.{}.{key}", w.name))
        .help("split the batch, or run it on a thread pool, which takes its tasks as its workers get to them"));
    }
    Ok(())
}

/// Refuses a study of more than [`MAX_RUNS`] runs. `runs` counts them up to
/// and including point `point`, whose document is `doc`.
pub(super) fn check_runs(runs: u64, points: usize, doc: &Table) -> Result<(), Diag> {
    if runs <= MAX_RUNS {
        return Ok(());
    }
    let span = doc
        .get("replications")
        .map_or_else(|| Span::file(0..0), |e| e.value.span.clone());
    Err(Diag::new(
        format!(
            "the study would make more than {MAX_RUNS} runs: {runs} in its first {points} point(s) already"
        ),
        &span,
        "points × replications",
    )
    .key("replications")
    .help("use fewer replications or a smaller sweep, or split the study with --shard K/N"))
}

/// The index and demand of the workload that asks the most of `f`.
fn largest(
    demands: &[crate::workload::limits::Demand],
    f: impl Fn(&crate::workload::limits::Demand) -> u64,
) -> (usize, crate::workload::limits::Demand) {
    let mut best = (0, demands.first().copied().unwrap_or_default());
    for (i, d) in demands.iter().enumerate() {
        if f(d) > f(&best.1) {
            best = (i, *d);
        }
    }
    best
}

/// The `[[workload]]` table at `index` of the document.
fn workload_table(doc: &Table, index: usize) -> Option<&Node> {
    match &doc.get("workload")?.value.value {
        Value::Array(items) => items.get(index),
        _ => None,
    }
}

/// The value at `path` inside workload `index`, if written.
fn workload_value<'d>(doc: &'d Table, index: usize, path: &[&str]) -> Option<&'d Node> {
    let mut node = workload_table(doc, index)?;
    for key in path {
        let Value::Table(t) = &node.value else {
            return None;
        };
        node = &t.get(key)?.value;
    }
    Some(node)
}

/// The span of workload `index` as a whole (a value left to its default).
fn whole_workload(doc: &Table, index: usize) -> Span {
    workload_table(doc, index).map_or_else(|| Span::file(0..0), |n| n.span.clone())
}
