//! `results.csv`: one row per sweep point, replication and workload (docs/MODEL.md#measurements).

use crate::results::WorkloadResult;
use crate::results::columns::COLUMNS;

/// One row: where it sits in the study, and the workload's results.
pub struct Row<'a> {
    /// Sweep point index.
    pub point: usize,
    /// Replication index.
    pub replication: u32,
    /// Seed of the run.
    pub seed: u64,
    /// The value of each sweep key at this point.
    pub values: &'a [String],
    /// The workload's results.
    pub result: &'a WorkloadResult,
}

/// Fixed-precision formatting, so the same numbers always print the same way.
fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// The text records of `rows` (without the header), as written to the
/// file: each workload's row, then one row per branch of its `one_of` step.
pub fn records(rows: &[Row<'_>]) -> Vec<Vec<String>> {
    rows.iter()
        .flat_map(|row| std::iter::once(record(row)).chain(branch_records(row)))
        .collect()
}

fn pair(x: Option<[f64; 2]>, i: usize) -> String {
    opt_num(x.map(|p| p[i]))
}

/// A branch's rows: the workload's identity, the branch's tasks,
/// throughput and latencies, and its label in `branch`; the machine-wide
/// and workload-wide columns stay empty.
fn branch_records(row: &Row<'_>) -> Vec<Vec<String>> {
    let r = row.result;
    r.branches
        .iter()
        .map(|b| {
            let lat = |i: usize| opt_num(b.latency_ms.map(|l| l[i]));
            let mut rec: Vec<String> = vec![
                row.point.to_string(),
                row.replication.to_string(),
                row.seed.to_string(),
            ];
            rec.extend(row.values.iter().cloned());
            let at = |rec: &mut Vec<String>, col: &str, v: String| {
                if let Some(i) = COLUMNS.iter().position(|c| *c == col) {
                    rec[i + row.values.len()] = v;
                }
            };
            rec.resize(COLUMNS.len() + row.values.len(), String::new());
            at(&mut rec, "workload", r.workload.clone());
            at(&mut rec, "model", r.model.clone());
            at(&mut rec, "workers", r.workers.clone());
            at(&mut rec, "cores", r.cores.to_string());
            at(&mut rec, "tasks_completed", b.tasks_completed.to_string());
            at(&mut rec, "sim_time_s", num(r.sim_time_s));
            at(&mut rec, "throughput_per_s", num(b.throughput_per_s));
            for (i, c) in [
                "latency_mean_ms",
                "latency_p50_ms",
                "latency_p95_ms",
                "latency_p99_ms",
                "latency_max_ms",
            ]
            .into_iter()
            .enumerate()
            {
                at(&mut rec, c, lat(i));
            }
            at(&mut rec, "wait_p50_ms", pair(b.wait_ms, 0));
            at(&mut rec, "wait_p99_ms", pair(b.wait_ms, 1));
            at(&mut rec, "service_p50_ms", pair(b.service_ms, 0));
            at(&mut rec, "service_p99_ms", pair(b.service_ms, 1));
            at(&mut rec, "branch", b.label.clone());
            rec
        })
        .collect()
}

/// Renders a header and records to CSV bytes.
pub fn render_records(header: &[String], records: &[Vec<String>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in records {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn record(row: &Row<'_>) -> Vec<String> {
    let r = row.result;
    let lat = |i: usize| opt_num(r.latency_ms.map(|l| l[i]));
    let mut record: Vec<String> = vec![
        row.point.to_string(),
        row.replication.to_string(),
        row.seed.to_string(),
    ];
    record.extend(row.values.iter().cloned());
    record.extend([
        r.workload.clone(),
        r.model.clone(),
        r.workers.clone(),
        r.cores.to_string(),
        r.tasks_completed.to_string(),
        num(r.sim_time_s),
        num(r.throughput_per_s),
        lat(0),
        lat(1),
        lat(2),
        lat(3),
        lat(4),
        num(r.cpu_utilization),
        opt_num(r.gil_held_fraction),
        opt_num(r.gil_wait_fraction),
        r.gil_switches.map(|s| s.to_string()).unwrap_or_default(),
        r.context_switches.to_string(),
        num(r.peak_rss_mb),
        r.events.to_string(),
        r.tasks_in_flight.to_string(),
        opt_num(r.loop_lag_p99_ms),
        opt_num(r.queue.and_then(|q| q.wait_mean_ms)),
        opt_num(r.queue.map(|q| q.len_mean)),
        r.queue.map(|q| q.len_max.to_string()).unwrap_or_default(),
        opt_num(r.queue.map(|q| q.blocked_put_fraction)),
        r.shared.map(|s| s.updates.to_string()).unwrap_or_default(),
        r.shared.map(|s| s.lost.to_string()).unwrap_or_default(),
        opt_num(r.shared.and_then(|s| s.lost_fraction())),
        r.shared
            .map(|s| s.final_value.to_string())
            .unwrap_or_default(),
        r.shared.map(|s| s.expected.to_string()).unwrap_or_default(),
        opt_num(r.load.map(|l| l.offered_per_s)),
        r.load
            .map(|l| l.backlog_end.to_string())
            .unwrap_or_default(),
        opt_num(r.load.map(|l| l.backlog_growth_per_s)),
        r.load
            .map(|l| u8::from(l.overloaded).to_string())
            .unwrap_or_default(),
        pair(r.wait_ms, 0),
        pair(r.wait_ms, 1),
        pair(r.service_ms, 0),
        pair(r.service_ms, 1),
        String::new(),
    ]);
    debug_assert_eq!(record.len(), COLUMNS.len() + row.values.len());
    record
}
