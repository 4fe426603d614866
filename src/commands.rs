//! What the `gilsim` subcommands do, apart from parsing arguments.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::python::runtime::WorkloadResult;
use crate::report::{atomic, csv as results_csv, manifest};
use crate::scenario::{self, Scenario};
use crate::simulation::{self, RunOptions, RunOutput};

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
    /// Output folder; default `output/<name>`.
    pub out: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// `--set KEY=VALUE` overrides.
    pub overrides: Vec<String>,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
}

/// What `gilsim run` produced.
#[derive(Debug)]
pub struct RunReport {
    /// The scenario that ran.
    pub scenario: Scenario,
    /// The run's output.
    pub output: RunOutput,
    /// Where `results.csv` went.
    pub results_csv: PathBuf,
}

/// Loads and validates a scenario; maps errors to exit code 2.
pub fn load(file: &Path, overrides: &[String]) -> Result<Scenario, Failure> {
    scenario::load(file, overrides).map_err(|e| Failure::Usage(e.to_string()))
}

/// `gilsim check FILE`: validates without running.
pub fn check(file: &Path, overrides: &[String]) -> Result<Scenario, Failure> {
    load(file, overrides)
}

/// `gilsim run`: simulate, then write `results.csv` and `manifest.json`.
pub fn run(args: &RunArgs) -> Result<RunReport, Failure> {
    let mut scenario = load(&args.file, &args.overrides)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let started = Instant::now();
    let output = simulation::run(&scenario, scenario.seed, RunOptions::default()).map_err(|d| {
        let mut msg = format!(
            "deadlock: no event remains at t = {:.6} s while tasks are unfinished\n",
            d.at as f64 / 1e9
        );
        for line in &d.blocked {
            msg.push_str(&format!("  {line}\n"));
        }
        Failure::Run(msg)
    })?;
    let wall = started.elapsed().as_secs_f64();

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&scenario.name));
    let rows: Vec<results_csv::Row<'_>> = output
        .workloads
        .iter()
        .map(|result| results_csv::Row {
            point: 0,
            replication: 0,
            seed: output.seed,
            result,
        })
        .collect();
    let csv_bytes = results_csv::render(&rows)
        .map_err(|e| Failure::Run(format!("cannot render results.csv: {e}")))?;
    let results_csv = out_dir.join("results.csv");
    atomic::write(&results_csv, &csv_bytes)
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", results_csv.display())))?;

    let scenario_bytes = std::fs::read(&args.file).unwrap_or_default();
    let m = manifest::Manifest {
        gilsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: args.file.display().to_string(),
        scenario_sha256: manifest::sha256_hex(&scenario_bytes),
        overrides: args.overrides.clone(),
        seed: scenario.seed,
        profile: scenario.python.profile.clone(),
        command_line: args.command_line.clone(),
        events: output.events,
        wall_time_s: wall,
        files: vec!["results.csv".to_string()],
    };
    let json = serde_json::to_vec_pretty(&m)
        .map_err(|e| Failure::Run(format!("cannot render manifest.json: {e}")))?;
    let manifest_path = out_dir.join("manifest.json");
    atomic::write(&manifest_path, &json)
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", manifest_path.display())))?;
    Ok(RunReport {
        scenario,
        output,
        results_csv,
    })
}

/// A short table of the results, for the terminal.
pub fn summary_table(results: &[WorkloadResult]) -> String {
    let mut s = format!(
        "{:<16} {:<11} {:>8} {:>10} {:>12} {:>10} {:>10} {:>6} {:>6}\n",
        "workload", "model", "workers", "completed", "per second", "p50 ms", "p99 ms", "cpu", "gil"
    );
    for r in results {
        let lat = |i: usize| {
            r.latency_ms
                .map_or("-".to_string(), |l| format!("{:.3}", l[i]))
        };
        s.push_str(&format!(
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
        ));
    }
    s
}
