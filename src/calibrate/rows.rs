//! `validation.csv`: one [`Row`] per workload and metric that `gilsim
//! validate` compares, the real runs beside the simulated value, and how
//! the rows are written. Read by `validate` (which fills them) and `chart`
//! (which draws them).

use std::path::Path;

use super::profile::Measurement;
use crate::failure::Failure;

/// One row of `validation.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Workload name.
    pub workload: String,
    /// What is compared (`makespan_s`, `io_calls_per_s`).
    pub metric: String,
    /// The real runs, when run.
    pub real: Option<Measurement>,
    /// The simulated value, when simulated.
    pub simulated: Option<f64>,
    /// The simulated p25..p75 over
    /// [`SPREAD_SEEDS`](super::validate::SPREAD_SEEDS) (race-dominated
    /// workloads: the convoy).
    pub simulated_range: Option<(f64, f64)>,
    /// Median CPU other processes used during the real runs, in cores.
    pub background_cores: Option<f64>,
    /// `ok`, or why the row is not validated.
    pub status: String,
}

impl Row {
    /// (simulated − real median) / real median, in percent.
    pub fn error_pct(&self) -> Option<f64> {
        match (&self.real, self.simulated) {
            (Some(r), Some(s)) if r.median > 0.0 => Some((s - r.median) / r.median * 100.0),
            _ => None,
        }
    }
}

/// Writes `validation.csv` atomically.
pub fn write_csv(path: &Path, rows: &[Row]) -> Result<(), Failure> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Failure::cannot_write(path, e);
    w.write_record([
        "workload",
        "metric",
        "real_median",
        "real_p25",
        "real_p75",
        "simulated",
        "simulated_p25",
        "simulated_p75",
        "error_pct",
        "status",
    ])
    .map_err(fail)?;
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    for r in rows {
        w.write_record([
            r.workload.clone(),
            r.metric.clone(),
            f(r.real.as_ref().map(|m| m.median)),
            f(r.real.as_ref().map(|m| m.p25)),
            f(r.real.as_ref().map(|m| m.p75)),
            f(r.simulated),
            f(r.simulated_range.map(|r| r.0)),
            f(r.simulated_range.map(|r| r.1)),
            r.error_pct().map_or(String::new(), |e| format!("{e:.1}")),
            r.status.clone(),
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| Failure::cannot_write(path, e))?;
    crate::report::atomic::write(path, &bytes).map_err(|e| Failure::cannot_write(path, e))
}
