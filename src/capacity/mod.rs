//! `gilsim capacity`: for each deployment shape, the highest arrival rate
//! at which a workload's p99 latency stays within a target and its served
//! rate keeps up with the offered one (docs/MODEL.md#capacity).
//!
//! A shape is the user's scenario plus a few `--set` overrides of the
//! workload's `[workload.run]` table ([`shape`]); each rate tried is the
//! scenario run with `workload.NAME.rate` set to it, with the scenario's
//! seed and replications, exactly as `gilsim run` would run it ([`search`]).
//! Shapes are searched in parallel and every search is deterministic, so
//! `capacity.csv` is byte-identical for the same file.
//!
//! - `shape`: the `--shapes` grammar and each shape's overrides.
//! - `search`: doubling or halving to a bracket, then bisection.
//! - `output`: `capacity.csv`, `capacity-points.csv`, the chart, the ranking.

mod output;
pub mod search;
pub mod shape;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::engine::Budget;
use crate::failure::Failure;
use crate::report::files::Files;
use crate::scenario::builder::Override;
use crate::scenario::{self, ProfileLoader, Study};
use crate::workload::Arrival;
pub use search::{Found, Point};
pub use shape::Shape;

/// What `gilsim capacity` is asked.
#[derive(Debug, Clone)]
pub struct CapacityArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The p99 latency target, ms.
    pub p99_ms: f64,
    /// The workload whose rate is searched (default: the scenario's only
    /// open-loop workload).
    pub workload: Option<String>,
    /// The shapes to try (default: the scenario's own).
    pub shapes: Option<Vec<Shape>>,
    /// Output folder (default: output/<scenario name>/capacity).
    pub out: Option<PathBuf>,
    /// `--set` overrides applied before each shape's.
    pub overrides: Vec<String>,
    /// Shapes searched in parallel (default: one per core).
    pub jobs: Option<usize>,
    /// `--max-events` and `--max-wall`, per run.
    pub limits: crate::study::Limits,
    /// Reads a `profile = "..."` file.
    pub profiles: Option<ProfileLoader>,
    /// Write SVG only, without PNG.
    pub svg_only: bool,
}

/// One shape's line of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeResult {
    /// The shape's label (`4x8threads`, or `scenario` for the file's own).
    pub label: String,
    /// Its `--set` arguments.
    pub sets: Vec<String>,
    /// What the search found, or why the shape could not run.
    pub found: Result<Found, String>,
}

/// What `gilsim capacity` produced.
#[derive(Debug)]
pub struct CapacityReport {
    /// Every shape, in the order given.
    pub shapes: Vec<ShapeResult>,
    /// The ranking and notes for standard output.
    pub text: String,
    /// Where the files go.
    pub out_dir: PathBuf,
}

/// What every search shares: the scenario, its pinned sweep, the workload
/// and the target.
pub struct Context {
    file: PathBuf,
    profiles: Option<ProfileLoader>,
    /// `--set` arguments before each shape's: the user's, the pinned sweep point.
    base: Vec<String>,
    /// The workload searched.
    workload: String,
    /// Its rate in the scenario.
    start_rate: f64,
    /// The target, ms.
    p99_ms: f64,
    budget: Budget,
}

impl Context {
    /// The scenario read with `sets`; the error's first line when refused.
    fn load(&self, sets: &[String]) -> Result<Study, String> {
        let reader = scenario::Reader::new(sets);
        let reader = match self.profiles {
            Some(loader) => reader.with_profiles(loader),
            None => reader,
        };
        reader.load_study(&self.file).map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("").trim();
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        })
    }
}

/// Parses `--shapes`; a usage error says what a shape is.
pub fn parse_shapes(text: &str) -> Result<Vec<Shape>, Failure> {
    Shape::parse_list(text).map_err(|e| Failure::Usage(format!("error: --shapes: {e}\n")))
}

/// Parses a `--p99` target (`100ms`, `2s`) into ms.
pub fn parse_target(text: &str) -> Result<f64, String> {
    match crate::engine::units::parse_duration(text) {
        Ok(ns) if ns > 0 => Ok(ns as f64 / 1e6),
        Ok(_) => Err(format!(
            "`{text}` is zero: give a positive duration such as 100ms"
        )),
        Err(_) => Err(format!("`{text}` is not a duration such as 100ms or 2s")),
    }
}

/// `gilsim capacity`: searches every shape, then writes `capacity.csv`,
/// `capacity-points.csv` and the chart.
pub fn capacity(args: &CapacityArgs) -> Result<CapacityReport, Failure> {
    let (report, files) = render(args)?;
    files.write_to(&report.out_dir)?;
    Ok(report)
}

/// What [`capacity`] does short of writing the files.
pub fn render(args: &CapacityArgs) -> Result<(CapacityReport, Files), Failure> {
    if args.p99_ms.is_nan() || args.p99_ms <= 0.0 {
        return Err(Failure::Usage(
            "error: --p99 must be a positive duration such as 100ms\n".into(),
        ));
    }
    let mut base = args.overrides.clone();
    let reader = scenario::Reader::new(&base);
    let reader = match args.profiles {
        Some(loader) => reader.with_profiles(loader),
        None => reader,
    };
    let study = reader
        .load_study(&args.file)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let mut notes = Vec::new();
    if !study.sweep_keys.is_empty() {
        let at: Vec<String> = study
            .sweep_keys
            .iter()
            .zip(&study.points[0].values)
            .map(|(k, v)| Override::text(k, v).to_arg())
            .collect();
        notes.push(format!(
            "note: the scenario's sweep is ignored: capacity uses its first point ({})",
            at.join(", ")
        ));
        base.extend(at);
    }
    let first = study.first();
    let open: Vec<(&str, f64)> = first
        .workloads
        .iter()
        .filter_map(|w| match w.arrival {
            Arrival::Rate(r) => Some((w.name.as_str(), r)),
            _ => None,
        })
        .collect();
    let (workload, start_rate) = match &args.workload {
        Some(name) => match first.workloads.iter().find(|w| &w.name == name) {
            Some(w) => match w.arrival {
                Arrival::Rate(r) => (name.clone(), r),
                _ => {
                    return Err(Failure::Usage(format!(
                        "error: --workload `{name}` has no `rate`: capacity searches the arrival rate of an open-loop workload\n"
                    )));
                }
            },
            None => {
                let names: Vec<&str> = first.workloads.iter().map(|w| w.name.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "error: --workload `{name}`: the scenario has no such workload (it has: {})\n",
                    names.join(", ")
                )));
            }
        },
        None => match open.as_slice() {
            [(name, r)] => (name.to_string(), *r),
            [] => {
                return Err(Failure::Usage(
                    "error: the scenario has no open-loop workload (one with `rate`): capacity searches an arrival rate\n".into(),
                ));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
                return Err(Failure::Usage(format!(
                    "error: several workloads have a `rate` ({}): give --workload NAME\n",
                    names.join(", ")
                )));
            }
        },
    };
    let shapes: Vec<(String, Vec<String>)> = match &args.shapes {
        Some(list) => list
            .iter()
            .map(|s| (s.label(), search::shape_args(&s.overrides(&workload))))
            .collect(),
        None => vec![("scenario".to_string(), Vec::new())],
    };
    let ctx = Context {
        file: args.file.clone(),
        profiles: args.profiles,
        base,
        workload: workload.clone(),
        start_rate,
        p99_ms: args.p99_ms,
        budget: args.limits.budget(std::time::Instant::now()),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Failure::Run(format!("cannot start {jobs} threads: {e}")))?;
    let found: Vec<Result<Result<Found, String>, Failure>> = pool.install(|| {
        shapes
            .par_iter()
            .map(|(_, sets)| search::search(&ctx, sets))
            .collect()
    });
    let mut results = Vec::new();
    for ((label, sets), f) in shapes.into_iter().zip(found) {
        results.push(ShapeResult {
            label,
            sets,
            found: f?,
        });
    }
    let name = first.name.clone();
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&name).join("capacity"));
    let files = output::files(&name, &workload, args.p99_ms, &results, args.svg_only)?;
    let mut text = String::new();
    for n in &notes {
        text.push_str(n);
        text.push('\n');
    }
    text.push_str(&output::ranking(
        &ctx,
        first.replications.max(1),
        &args.file,
        &results,
    ));
    Ok((
        CapacityReport {
            shapes: results,
            text,
            out_dir,
        },
        files,
    ))
}
