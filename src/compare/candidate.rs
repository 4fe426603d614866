//! A candidate: one (model, workers) way of running one workload, why it was
//! excluded or the metrics its replications measured.

use crate::report::summary::mean_ci;
use crate::results::WorkloadResult;
use crate::scenario::builder::Override;

/// Aggregated metrics of one candidate that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Mean throughput (tasks/s) and its 95% half-width.
    pub throughput: (f64, Option<f64>),
    /// Mean p50 latency, ms.
    pub p50_ms: Option<f64>,
    /// Mean p99 latency, ms, and its 95% half-width.
    pub p99_ms: Option<(f64, Option<f64>)>,
    /// Mean peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// Mean CPU utilisation.
    pub cpu_utilization: f64,
    /// Mean GIL held fraction (`None` without a GIL).
    pub gil_held: Option<f64>,
    /// Mean GIL wait fraction.
    pub gil_wait: Option<f64>,
    /// Mean p99 event-loop lag, ms (asyncio only).
    pub loop_lag_ms: Option<f64>,
    /// Mean share of busy core time spent on messages (process models only).
    pub ipc: Option<f64>,
    /// The busiest lock or semaphore: its name, mean busy fraction and mean
    /// thread wait fraction.
    pub sync: Option<(String, f64, Option<f64>)>,
    /// The stage whose full queue the threads waited on longest in `put`,
    /// and the mean share of their time they waited.
    pub blocked_on_stage: Option<(String, f64)>,
}

/// One (model, workers) candidate for one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The workload compared.
    pub workload: String,
    /// A name of [`MODELS`](super::MODELS), or a deployment shape's label.
    pub model: String,
    /// For a deployment shape: its label (`4x8 threads`), also in `model`.
    pub shape: Option<String>,
    /// Worker count; `None` for sequential and asyncio (one point).
    pub workers: Option<u32>,
    /// The overrides added to the user's.
    pub overrides: Vec<Override>,
    /// Why it did not run (the validation error), or `None`.
    pub excluded: Option<String>,
    /// Its results, when it ran.
    pub metrics: Option<Metrics>,
}

impl Candidate {
    /// `model` or `model ×N`, for text.
    pub fn label(&self) -> String {
        if let Some(shape) = &self.shape {
            return shape.clone();
        }
        match self.workers {
            Some(w) => format!("{} ×{w}", self.model),
            None => self.model.clone(),
        }
    }
}

/// The mean of `xs`, `None` when empty.
fn mean(xs: &[f64]) -> Option<f64> {
    mean_ci(xs).map(|m| m.0)
}

/// The metrics of a candidate from the results of its replications; `None`
/// when it has none.
pub(super) fn aggregate(results: &[&WorkloadResult]) -> Option<Metrics> {
    if results.is_empty() {
        return None;
    }
    let col = |f: &dyn Fn(&WorkloadResult) -> Option<f64>| -> Vec<f64> {
        results.iter().filter_map(|r| f(r)).collect()
    };
    Some(Metrics {
        throughput: mean_ci(&col(&|r| Some(r.throughput_per_s)))?,
        p50_ms: mean(&col(&|r| r.latency_ms.map(|l| l[1]))),
        p99_ms: mean_ci(&col(&|r| r.latency_ms.map(|l| l[3]))),
        peak_rss_mb: mean(&col(&|r| Some(r.peak_rss_mb)))?,
        cpu_utilization: mean(&col(&|r| Some(r.cpu_utilization)))?,
        gil_held: mean(&col(&|r| r.gil_held_fraction)),
        gil_wait: mean(&col(&|r| r.gil_wait_fraction)),
        loop_lag_ms: mean(&col(&|r| r.loop_lag_p99_ms)),
        ipc: mean(&col(&|r| r.ipc_cpu_fraction)),
        blocked_on_stage: results[0].blocked_on_stage.as_ref().map(|(stage, _)| {
            let same = col(&|r| {
                r.blocked_on_stage
                    .as_ref()
                    .filter(|(s, _)| s == stage)
                    .map(|(_, f)| *f)
            });
            (
                stage.clone(),
                same.iter().sum::<f64>() / results.len() as f64,
            )
        }),
        sync: results[0].sync.as_ref().map(|first| {
            let of = |r: &WorkloadResult| r.sync.as_ref().filter(|s| s.what == first.what).cloned();
            (
                first.what.clone(),
                mean(&col(&|r| of(r).map(|s| s.busy_fraction))).unwrap_or(0.0),
                mean(&col(&|r| of(r).and_then(|s| s.wait_fraction))),
            )
        }),
    })
}
