//! What the `gilsim` subcommands do, apart from parsing arguments.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::python::runtime::WorkloadResult;
use crate::report::{atomic, csv as results_csv, manifest, summary};
use crate::scenario::{self, Scenario, Study};
use crate::simulation::RunOptions;
use crate::study::{self, Run, Shard};

/// Why a command failed, and the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// A usage or scenario error: exit code 2. The message is already rendered.
    Usage(String),
    /// A failed run (deadlock, I/O error): exit code 1.
    Run(String),
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Run(_) => 1,
        }
    }

    /// The message for standard error.
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Run(m) => m,
        }
    }
}

/// Arguments of `gilsim run`.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Output folder; default `output/<name>` (`output/<name>/shard-K-of-N` for a shard).
    pub out: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// `--set KEY=VALUE` overrides.
    pub overrides: Vec<String>,
    /// Parallel runs; `None` is one per core.
    pub jobs: Option<usize>,
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// Show a progress bar on standard error (hidden anyway when it is not a terminal).
    pub progress: bool,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// What `gilsim run` produced.
#[derive(Debug)]
pub struct RunReport {
    /// The study that ran.
    pub study: Study,
    /// Every run, in (point, replication) order.
    pub runs: Vec<Run>,
    /// Where the files went.
    pub out_dir: PathBuf,
    /// The files written, relative to `out_dir`.
    pub files: Vec<String>,
}

impl RunReport {
    /// Events simulated over all runs.
    pub fn events(&self) -> u64 {
        self.runs.iter().map(|r| r.output.events).sum()
    }
}

/// Loads and validates a scenario; maps errors to exit code 2.
pub fn load(file: &Path, overrides: &[String]) -> Result<Scenario, Failure> {
    scenario::load(file, overrides).map_err(|e| Failure::Usage(e.to_string()))
}

/// Loads and validates a scenario with every point of its sweep.
pub fn load_study(file: &Path, overrides: &[String]) -> Result<Study, Failure> {
    scenario::load_study(file, overrides).map_err(|e| Failure::Usage(e.to_string()))
}

/// `gilsim check FILE`: validates without running.
pub fn check(file: &Path, overrides: &[String]) -> Result<Study, Failure> {
    load_study(file, overrides)
}

fn io_failure(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::Run(format!("cannot write {}: {e}", path.display()))
}

/// A progress bar on standard error for studies of more than one run; indicatif
/// draws nothing when standard error is not a terminal.
fn progress_bar(runs: usize, enabled: bool) -> ProgressBar {
    if !enabled || runs < 2 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} runs, {elapsed} (eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix("simulating");
    bar
}

/// `gilsim run`: simulate every point and replication, then write
/// `results.csv`, `summary.csv` (with replications) and `manifest.json`.
pub fn run(args: &RunArgs) -> Result<RunReport, Failure> {
    let mut study = load_study(&args.file, &args.overrides)?;
    if let Some(seed) = args.seed {
        for p in &mut study.points {
            p.scenario.seed = seed;
        }
    }
    let plan = study::plan(&study, args.shard);
    if plan.is_empty() {
        let shard = args
            .shard
            .map_or(String::new(), |s| format!("{}/{}", s.index, s.count));
        return Err(Failure::Usage(format!(
            "error: shard {shard} has no points: the sweep has {} point(s)\n",
            study.points.len()
        )));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let started = Instant::now();
    let bar = progress_bar(plan.len(), args.progress);
    let runs = study::run(&study, &plan, jobs, |_, _| RunOptions::default(), || bar.inc(1))
        .map_err(|f| {
            bar.finish_and_clear();
            let mut msg = format!(
                "deadlock in point {} replication {}: no event remains at t = {:.6} s while tasks are unfinished\n",
                f.point,
                f.replication,
                f.deadlock.at as f64 / 1e9
            );
            for line in &f.deadlock.blocked {
                msg.push_str(&format!("  {line}\n"));
            }
            Failure::Run(msg)
        })?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let name = &study.first().name;
    let out_dir = args.out.clone().unwrap_or_else(|| match args.shard {
        Some(s) => Path::new("output")
            .join(name)
            .join(format!("shard-{}-of-{}", s.index, s.count)),
        None => Path::new("output").join(name),
    });
    let header = results_csv::header(&study.sweep_keys);
    let rows: Vec<results_csv::Row<'_>> = runs
        .iter()
        .flat_map(|run| {
            let values = &study.points[run.point].values;
            run.output
                .workloads
                .iter()
                .map(move |result| results_csv::Row {
                    point: run.point,
                    replication: run.replication,
                    seed: run.output.seed,
                    values,
                    result,
                })
        })
        .collect();
    let records = results_csv::records(&rows);
    let mut files = Vec::new();
    write_tables(&out_dir, &header, &records, &mut files)?;

    let scenario_bytes = std::fs::read(&args.file).unwrap_or_default();
    let m = manifest::Manifest {
        gilsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: args.file.display().to_string(),
        scenario_sha256: manifest::sha256_hex(&scenario_bytes),
        overrides: args.overrides.clone(),
        seed: study.first().seed,
        profile: study.first().python.profile.clone(),
        command_line: args.command_line.clone(),
        points: study.points.len(),
        shard: args.shard.map(|s| format!("{}/{}", s.index, s.count)),
        runs: runs.len(),
        jobs,
        events: runs.iter().map(|r| r.output.events).sum(),
        wall_time_s: wall,
        files: files.clone(),
    };
    let json = serde_json::to_vec_pretty(&m)
        .map_err(|e| Failure::Run(format!("cannot render manifest.json: {e}")))?;
    let manifest_path = out_dir.join("manifest.json");
    atomic::write(&manifest_path, &json).map_err(|e| io_failure(&manifest_path, e))?;
    Ok(RunReport {
        study,
        runs,
        out_dir,
        files,
    })
}

/// Writes `results.csv`, and `summary.csv` when some point has more than one replication.
fn write_tables(
    out_dir: &Path,
    header: &[String],
    records: &[Vec<String>],
    files: &mut Vec<String>,
) -> Result<(), Failure> {
    let bytes = results_csv::render_records(header, records)
        .map_err(|e| Failure::Run(format!("cannot render results.csv: {e}")))?;
    let path = out_dir.join("results.csv");
    atomic::write(&path, &bytes).map_err(|e| io_failure(&path, e))?;
    files.push("results.csv".to_string());
    let replicated = records.iter().any(|r| r[1] != "0");
    if replicated {
        let (h, rows) = summary::table(header, records);
        let bytes = results_csv::render_records(&h, &rows)
            .map_err(|e| Failure::Run(format!("cannot render summary.csv: {e}")))?;
        let path = out_dir.join("summary.csv");
        atomic::write(&path, &bytes).map_err(|e| io_failure(&path, e))?;
        files.push("summary.csv".to_string());
    }
    Ok(())
}

/// Arguments of `gilsim merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeArgs {
    /// Shard folders (holding `results.csv`) or `results.csv` files.
    pub shards: Vec<PathBuf>,
    /// Output folder; default: the folder holding the first shard folder.
    pub out: Option<PathBuf>,
}

/// `gilsim merge`: joins shard `results.csv` files into one, in point order,
/// identical to an unsharded run's, and rebuilds `summary.csv`.
pub fn merge(args: &MergeArgs) -> Result<(PathBuf, usize), Failure> {
    if args.shards.is_empty() {
        return Err(Failure::Usage(
            "error: give the shard folders or results.csv files to merge\n".into(),
        ));
    }
    let mut header: Option<Vec<String>> = None;
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut seen: std::collections::BTreeMap<(u64, u64), String> = Default::default();
    for shard in &args.shards {
        let file = if shard.is_dir() {
            shard.join("results.csv")
        } else {
            shard.clone()
        };
        let mut reader = csv::Reader::from_path(&file)
            .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}\n", file.display())))?;
        let h: Vec<String> = reader
            .headers()
            .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}\n", file.display())))?
            .iter()
            .map(String::from)
            .collect();
        if h.first().map(String::as_str) != Some("point") || h.len() < results_csv::COLUMNS.len() {
            return Err(Failure::Usage(format!(
                "error: {} is not a gilsim results.csv\n",
                file.display()
            )));
        }
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(Failure::Usage(format!(
                    "error: {} has other columns than {}: shards of different studies cannot be merged\n",
                    file.display(),
                    args.shards[0].display()
                )));
            }
            Some(_) => {}
        }
        let mut here: std::collections::BTreeSet<(u64, u64)> = Default::default();
        for (line, r) in reader.records().enumerate() {
            let r = r.map_err(|e| Failure::Usage(format!("error: {}: {e}\n", file.display())))?;
            let field = |i: usize| r.get(i).and_then(|v| v.parse::<u64>().ok());
            let (Some(point), Some(rep)) = (field(0), field(1)) else {
                return Err(Failure::Usage(format!(
                    "error: {} line {}: point and replication must be integers\n",
                    file.display(),
                    line + 2
                )));
            };
            if let Some(other) = seen.get(&(point, rep)) {
                return Err(Failure::Usage(format!(
                    "error: point {point} replication {rep} is in both {other} and {}\n",
                    file.display()
                )));
            }
            here.insert((point, rep));
            records.push(r.iter().map(String::from).collect());
        }
        for k in here {
            seen.insert(k, file.display().to_string());
        }
    }
    let header = header.unwrap_or_default();
    // Stable: rows of one (point, replication) keep their workload order.
    records.sort_by_key(|r| {
        (
            r[0].parse::<u64>().unwrap_or(u64::MAX),
            r[1].parse::<u64>().unwrap_or(u64::MAX),
        )
    });
    let out_dir = match &args.out {
        Some(o) => o.clone(),
        None => {
            let first = &args.shards[0];
            let folder = if first.is_dir() {
                first.clone()
            } else {
                first.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            folder
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        }
    };
    let mut files = Vec::new();
    write_tables(&out_dir, &header, &records, &mut files)?;
    Ok((out_dir, records.len()))
}

/// Rows shown on the terminal before the table is cut short.
const TABLE_ROWS: usize = 40;

/// A short table of the results, for the terminal: replication 0 of each
/// point (the CSV files have everything).
pub fn summary_table(report: &RunReport) -> String {
    let keys = &report.study.sweep_keys;
    let mut s = String::new();
    if !keys.is_empty() {
        s.push_str(&format!("{:>5} ", "point"));
        for k in keys {
            s.push_str(&format!("{:>12} ", short_key(k)));
        }
    }
    s.push_str(&format!(
        "{:<16} {:<11} {:>8} {:>10} {:>12} {:>10} {:>10} {:>6} {:>6}\n",
        "workload", "model", "workers", "completed", "per second", "p50 ms", "p99 ms", "cpu", "gil"
    ));
    let mut shown = 0;
    let mut hidden = 0;
    for run in report.runs.iter().filter(|r| r.replication == 0) {
        for r in &run.output.workloads {
            if shown >= TABLE_ROWS {
                hidden += 1;
                continue;
            }
            shown += 1;
            if !keys.is_empty() {
                s.push_str(&format!("{:>5} ", run.point));
                for v in &report.study.points[run.point].values {
                    s.push_str(&format!("{:>12} ", ellipsis(v, 12)));
                }
            }
            s.push_str(&result_line(r));
        }
    }
    if hidden > 0 {
        s.push_str(&format!("... and {hidden} more rows in results.csv\n"));
    }
    s
}

/// The last part of a dotted key, for narrow columns.
fn short_key(key: &str) -> String {
    ellipsis(key.rsplit('.').next().unwrap_or(key), 12)
}

fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

fn result_line(r: &WorkloadResult) -> String {
    let lat = |i: usize| {
        r.latency_ms
            .map_or("-".to_string(), |l| format!("{:.3}", l[i]))
    };
    format!(
        "{:<16} {:<11} {:>8} {:>10} {:>12.2} {:>10} {:>10} {:>5.0}% {:>6}\n",
        r.workload,
        r.model,
        r.workers,
        r.tasks_completed,
        r.throughput_per_s,
        lat(1),
        lat(3),
        r.cpu_utilization * 100.0,
        r.gil_held_fraction
            .map_or("-".to_string(), |g| format!("{:.0}%", g * 100.0)),
    )
}
