//! `gilsim record --check`: the function run for real in
//! `ThreadPoolExecutor(N)` and `ProcessPoolExecutor(N)` (fork where the
//! platform has it), repeated and interleaved, beside the recorded
//! scenario simulated under the same models.

use std::path::Path;

use serde_json::{Map, Value};

use crate::calibrate::profile::load_for_scenario;
use crate::calibrate::stats::quantile;
use crate::scenario::{Reader, Scenario};
use crate::simulation::{RunOptions, run};

/// Seeds each prediction is the mean over.
pub const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

/// The acceptance bound of a prediction, percent.
pub const TOLERANCE_PCT: f64 = 25.0;

/// One pool configuration: its real makespans and the prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    /// `threads` (ThreadPoolExecutor) or `processes` (ProcessPoolExecutor).
    pub kind: String,
    /// Workers.
    pub workers: u32,
    /// Real makespans, s, in run order.
    pub real: Vec<f64>,
    /// Cores' worth of CPU other processes used during each real run (when /proc/stat tells).
    pub background: Vec<f64>,
    /// Simulated makespan (mean over [`SEEDS`]), s.
    pub predicted: f64,
    /// Cores the tasks' own CPU keeps busy over the predicted makespan.
    pub demand: f64,
}

impl CheckRow {
    /// Median of the real makespans.
    pub fn median(&self) -> f64 {
        let mut v = self.real.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            f64::NAN
        } else {
            quantile(&v, 0.5)
        }
    }

    /// (predicted − real median) / real median, percent.
    pub fn error_pct(&self) -> f64 {
        let m = self.median();
        (self.predicted - m) / m * 100.0
    }
}

/// The `--set` overrides that run workload `w` the way a real pool kind does.
pub fn overrides(w: &str, kind: &str, workers: u32, start_method: &str) -> Vec<String> {
    let mut o = vec![format!("workload.{w}.run.workers={workers}")];
    if kind == "threads" {
        o.insert(0, format!("workload.{w}.run.model=threads"));
    } else {
        o.insert(0, format!("workload.{w}.run.model=processes"));
        o.push(format!("workload.{w}.run.api=\"executor\""));
        o.push(format!("workload.{w}.run.start_method=\"{start_method}\""));
    }
    o
}

/// Reads the scenario text with `overrides` (a profile path is loaded as `gilsim run` would).
pub fn load(text: &str, path: &Path, overrides: &[String]) -> Result<Scenario, String> {
    Reader::new(overrides)
        .with_profiles(load_for_scenario)
        .parse_str(text, path)
        .map_err(|e| e.to_string())
}

/// The mean simulated makespan (`sim_time_s` of the first workload) over [`SEEDS`].
pub fn predict(s: &Scenario) -> Result<f64, String> {
    let mut total = 0.0;
    for seed in SEEDS {
        let out = run(s, seed, RunOptions::default())
            .map_err(|e| format!("the simulation failed: {e:?}"))?;
        total += out.workloads.first().map_or(f64::NAN, |w| w.sim_time_s);
    }
    Ok(total / SEEDS.count() as f64)
}

/// What the check probe ran for one pool: kind, workers, makespans, background cores.
pub type RealRuns = (String, u32, Vec<f64>, Vec<f64>);

/// The real runs of the check probe's output, grouped by (kind, workers) in first-seen order.
pub fn real_runs(map: &Map<String, Value>) -> Vec<RealRuns> {
    let mut out: Vec<RealRuns> = Vec::new();
    for r in map
        .get("runs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("?");
        let workers = r
            .get("workers")
            .and_then(Value::as_u64)
            .and_then(|w| u32::try_from(w).ok())
            .unwrap_or(0);
        let Some(m) = r.get("makespan_s").and_then(Value::as_f64) else {
            continue;
        };
        let b = r.get("background_cores").and_then(Value::as_f64);
        match out
            .iter_mut()
            .find(|(k, w, _, _)| k == kind && *w == workers)
        {
            Some(e) => {
                e.2.push(m);
                e.3.extend(b);
            }
            None => out.push((kind.to_string(), workers, vec![m], b.into_iter().collect())),
        }
    }
    out
}

/// The table `--check` prints.
pub fn table(rows: &[CheckRow], start_method: &str, cores: u32) -> String {
    let mut t = format!(
        "{:<38} {:>10} {:>21} {:>10} {:>8} {:>8}\n",
        "pool", "real", "real min..max", "predicted", "error", "others"
    );
    for r in rows {
        let label = if r.kind == "threads" {
            format!("ThreadPoolExecutor({})", r.workers)
        } else if r.kind == "sequential" {
            "sequential (a plain loop)".to_string()
        } else {
            format!("ProcessPoolExecutor({}, {start_method})", r.workers)
        };
        let lo = r.real.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.real.iter().copied().fold(0.0, f64::max);
        let mut b = r.background.clone();
        b.sort_by(f64::total_cmp);
        let others = if b.is_empty() {
            "-".to_string()
        } else {
            format!("{:.2}", quantile(&b, 0.5))
        };
        t.push_str(&format!(
            "{label:<38} {:>9.3}s {:>20} {:>9.3}s {:>+7.1}% {others:>8}\n",
            r.median(),
            format!("{lo:.3}..{hi:.3}s ({})", r.real.len()),
            r.predicted,
            r.error_pct()
        ));
    }
    let pools = || rows.iter().filter(|r| r.kind != "sequential");
    let worst = pools().map(|r| r.error_pct().abs()).fold(0.0, f64::max);
    let within = pools()
        .filter(|r| r.error_pct().abs() <= TOLERANCE_PCT)
        .count();
    t.push_str(&format!(
        "{within} of {} pools within {TOLERANCE_PCT:.0}% (worst {worst:.1}%); real: median and min..max of the runs (interleaved); predicted: mean of {} seeds; others: median cores' worth of CPU other processes used during the real runs\n",
        pools().count(),
        SEEDS.count()
    ));
    let busy = pools()
        .filter(|r| {
            let mut b = r.background.clone();
            b.sort_by(f64::total_cmp);
            let others = if b.is_empty() { 0.0 } else { quantile(&b, 0.5) };
            others >= BUSY_CORES && r.demand + others > 0.9 * f64::from(cores)
        })
        .count();
    if busy > 0 {
        t.push_str(&format!(
            "note: in {busy} pool row(s) other processes used {BUSY_CORES} core or more while the tasks needed the cores: those real runs had fewer cores than the prediction assumes; check on a quiet machine\n"
        ));
    }
    t
}

/// Cores' worth of CPU other processes may use during a pool's real runs
/// (when the tasks need about every core) before the check says that the
/// machine was busy.
pub const BUSY_CORES: f64 = 0.25;
