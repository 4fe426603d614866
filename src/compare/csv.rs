//! `compare.csv`: one row per candidate with its metrics, its bottleneck and
//! its busiest lock or semaphore; empty metrics for an excluded candidate.

use super::bottleneck::bottleneck;
use super::candidate::Candidate;
use crate::failure::Failure;
use crate::report::csv as results_csv;

/// The columns of `compare.csv`.
pub const CSV_COLUMNS: &[&str] = &[
    "workload",
    "model",
    "workers",
    "excluded_reason",
    "throughput_per_s_mean",
    "throughput_per_s_ci95",
    "latency_p50_ms_mean",
    "latency_p99_ms_mean",
    "peak_rss_mb",
    "cpu_utilization",
    "gil_held_fraction",
    "gil_wait_fraction",
    "ipc_fraction",
    "loop_lag_p99_ms",
    "bottleneck",
    "busiest_sync",
    "sync_busy_fraction",
    "sync_wait_fraction",
];

/// `x` with 6 decimals; empty when not finite.
fn f6(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

/// [`f6`] of `x`, empty when `None`.
fn opt(x: Option<f64>) -> String {
    x.map(f6).unwrap_or_default()
}

/// `compare.csv`: a row per candidate, in output order.
pub(super) fn render(candidates: &[Candidate], cores: u32) -> Result<Vec<u8>, Failure> {
    let header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    let records: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            // A shape: model `processes`, its label as `results.csv`'s workers.
            let (model, workers) = match &c.shape {
                Some(label) => ("processes".to_string(), label.clone()),
                None => (
                    c.model.clone(),
                    c.workers.map(|w| w.to_string()).unwrap_or_default(),
                ),
            };
            let mut r = vec![
                c.workload.clone(),
                model,
                workers,
                c.excluded.clone().unwrap_or_default(),
            ];
            match &c.metrics {
                Some(m) => r.extend([
                    f6(m.throughput.0),
                    opt(m.throughput.1),
                    opt(m.p50_ms),
                    opt(m.p99_ms.map(|p| p.0)),
                    f6(m.peak_rss_mb),
                    f6(m.cpu_utilization),
                    opt(m.gil_held),
                    opt(m.gil_wait),
                    opt(m.ipc),
                    opt(m.loop_lag_ms),
                    bottleneck(c, cores).0.to_string(),
                    m.sync.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
                    opt(m.sync.as_ref().map(|s| s.1)),
                    opt(m.sync.as_ref().and_then(|s| s.2)),
                ]),
                None => r.extend(std::iter::repeat_n(String::new(), 14)),
            }
            r
        })
        .collect();
    results_csv::render_records(&header, &records)
        .map_err(|e| Failure::Run(format!("cannot render compare.csv: {e}")))
}
