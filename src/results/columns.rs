//! The columns of `results.csv` and where the sweep keys go among them.

/// The columns of `results.csv`, in order. New columns are appended, never inserted.
pub const COLUMNS: &[&str] = &[
    "point",
    "replication",
    "seed",
    "workload",
    "model",
    "workers",
    "cores",
    "tasks_completed",
    "sim_time_s",
    "throughput_per_s",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "cpu_utilization",
    "gil_held_fraction",
    "gil_wait_fraction",
    "gil_switches",
    "context_switches",
    "peak_rss_mb",
    "events",
    "tasks_in_flight",
    "loop_lag_p99_ms",
    "queue_wait_mean_ms",
    "queue_len_mean",
    "queue_len_max",
    "blocked_put_fraction",
    "updates",
    "lost_updates",
    "lost_update_fraction",
    "final_value",
    "expected_value",
    "offered_per_s",
    "backlog_end",
    "backlog_growth_per_s",
    "overloaded",
    "wait_p50_ms",
    "wait_p99_ms",
    "service_p50_ms",
    "service_p99_ms",
    "branch",
];

/// Index in [`COLUMNS`] of the first column after the sweep-key columns
/// (`workload`): sweep columns go between `seed` and it.
pub const SWEEP_INSERT_AT: usize = 3;

/// The header: [`COLUMNS`] with one column per sweep key after `seed`. A
/// sweep key that is also a column name (sweeping `seed`) is prefixed `sweep.`.
pub fn header(sweep_keys: &[String]) -> Vec<String> {
    let mut h: Vec<String> = COLUMNS[..SWEEP_INSERT_AT]
        .iter()
        .map(|c| c.to_string())
        .collect();
    for k in sweep_keys {
        if COLUMNS.contains(&k.as_str()) {
            h.push(format!("sweep.{k}"));
        } else {
            h.push(k.clone());
        }
    }
    h.extend(COLUMNS[SWEEP_INSERT_AT..].iter().map(|c| c.to_string()));
    h
}

/// A `[[chart]]` table: one chart of `results.csv` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartDef {
    /// File name stem of the chart (`<name>.svg`, `<name>.png`).
    pub name: String,
    /// Title; default derived from the axes.
    pub title: Option<String>,
    /// The x axis: a sweep key or a `results.csv` column.
    pub x: String,
    /// The y axis: a numeric `results.csv` column.
    pub y: String,
    /// One line per value of this sweep key or column; default: one line per workload.
    pub series: Option<String>,
    /// Only the rows of this workload; default: every workload.
    pub workload: Option<String>,
    /// Legend names for the series values, in sweep order (for values too
    /// long to show, such as step lists).
    pub labels: Option<Vec<String>>,
    /// Log x axis: `Some(true)` forces it, `Some(false)` forbids it, `None` decides from the data.
    pub log_x: Option<bool>,
    /// Log y axis, as `log_x`.
    pub log_y: Option<bool>,
}

/// The `results.csv` columns that hold text, not numbers.
pub const TEXT_COLUMNS: &[&str] = &["workload", "model", "workers", "branch"];

/// Whether a `results.csv` record (under `header`) is a `one_of` branch's
/// row rather than a workload's: summaries, charts and assertions read the
/// workload rows only.
pub fn is_branch_row(header: &[String], record: &[String]) -> bool {
    header
        .iter()
        .position(|h| h == "branch")
        .and_then(|i| record.get(i))
        .is_some_and(|b| !b.is_empty())
}
