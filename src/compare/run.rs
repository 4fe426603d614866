//! Running a comparison: every candidate's replications in one parallel
//! batch through [`study::run`], in a fixed order, then each candidate's
//! metrics aggregated from its replications.

use super::candidate::{Candidate, aggregate};
use crate::failure::Failure;
use crate::report::progress::{self, Counting};
use crate::results::WorkloadResult;
use crate::scenario::{Study, StudyPoint};
use crate::simulation::RunOptions;
use crate::study;

/// Run the planned `points` (`point_of[i]` is candidate `i`'s), with `jobs`
/// parallel runs (`None`: one per core), and fill in each candidate's metrics.
pub(super) fn run(
    points: Vec<StudyPoint>,
    point_of: &[Option<usize>],
    candidates: &mut [Candidate],
    jobs: Option<usize>,
    show_progress: bool,
    limits: study::Limits,
) -> Result<(), Failure> {
    let budget = limits.budget(std::time::Instant::now());
    // Run every candidate's replications in one batch.
    let study = Study {
        sweep_keys: Vec::new(),
        points,
        charts: Vec::new(),
    };
    let plan = study::plan(&study, None);
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let bar = progress::bar(
        plan.len() as u64,
        "simulating",
        Counting::Runs,
        show_progress,
    );
    let runs = study::run(
        &study,
        &plan,
        jobs,
        |_, _| RunOptions {
            budget,
            ..RunOptions::default()
        },
        || bar.inc(1),
    )
    .map_err(|f| {
        bar.finish_and_clear();
        let c = point_of
            .iter()
            .position(|p| *p == Some(f.point))
            .map_or(String::new(), |i| candidates[i].label());
        Failure::Run(format!(
            "{}nothing was written\n",
            f.error
                .report(&format!("candidate {c} replication {}", f.replication))
        ))
    })?;
    bar.finish_and_clear();
    for (c, p) in candidates.iter_mut().zip(point_of) {
        let Some(p) = p else { continue };
        let results: Vec<&WorkloadResult> = runs
            .iter()
            .filter(|r| r.point == *p)
            .filter_map(|r| r.output.workloads.iter().find(|x| x.workload == c.workload))
            .collect();
        c.metrics = aggregate(&results);
    }
    Ok(())
}
