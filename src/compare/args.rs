//! What `gilsim compare` is asked: the goal, the models and worker counts
//! to try (with their parsers), and the rest of its arguments.

use std::path::PathBuf;

use crate::failure::Failure;
use crate::scenario::ProfileLoader;

/// What `--goal` optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Goal {
    /// The highest mean throughput.
    #[default]
    Throughput,
    /// The lowest mean p99 latency.
    Latency,
    /// The lowest peak memory among candidates within 10% of the best throughput.
    Memory,
}

impl Goal {
    /// Parses `throughput`, `latency` or `memory`.
    pub fn parse(text: &str) -> Result<Goal, String> {
        match text {
            "throughput" => Ok(Goal::Throughput),
            "latency" => Ok(Goal::Latency),
            "memory" => Ok(Goal::Memory),
            other => Err(format!(
                "unknown goal `{other}`: expected throughput, latency or memory"
            )),
        }
    }
}

/// The models compare knows, in output order.
pub const MODELS: &[&str] = &[
    "sequential",
    "threads",
    "processes",
    "asyncio",
    "threads-free-threaded",
    "subinterpreters",
];

/// Parses `--models a,b,c`: each a name of [`MODELS`] (or `free-threaded`).
pub fn parse_models(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for m in text.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let m = if m == "free-threaded" {
            "threads-free-threaded"
        } else {
            m
        };
        if !MODELS.contains(&m) {
            return Err(format!(
                "unknown model `{m}` in --models: expected some of {}",
                MODELS.join(", ")
            ));
        }
        if !out.iter().any(|o| o == m) {
            out.push(m.to_string());
        }
    }
    if out.is_empty() {
        return Err("--models is empty: name at least one model".into());
    }
    // Output order does not depend on the order given.
    out.sort_by_key(|m| MODELS.iter().position(|k| k == m));
    Ok(out)
}

/// Parses `--workers 1,4,16`.
pub fn parse_workers(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for w in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match w.parse::<u32>() {
            Ok(n) if n >= 1 => out.push(n),
            _ => return Err(format!("--workers: `{w}` is not an integer ≥ 1")),
        }
    }
    if out.is_empty() {
        return Err("--workers is empty".into());
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The parsed `--models` and `--workers` lists.
pub type Lists = (Option<Vec<String>>, Option<Vec<u32>>);

/// Parses the `--models` and `--workers` lists; an error is a usage error (exit 2).
pub fn args_lists(models: Option<&str>, workers: Option<&str>) -> Result<Lists, Failure> {
    let usage = |e: String| Failure::Usage(format!("error: {e}\n"));
    let models = models.map(parse_models).transpose().map_err(usage)?;
    let workers = workers.map(parse_workers).transpose().map_err(usage)?;
    Ok((models, workers))
}

/// Arguments of `gilsim compare`.
#[derive(Debug, Clone, Default)]
pub struct CompareArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The scenario's text, when it is given rather than read from `file`
    /// (which then only names it in messages).
    pub source: Option<String>,
    /// Compare this workload only; default every workload.
    pub workload: Option<String>,
    /// Models to try; default all of [`MODELS`].
    pub models: Option<Vec<String>>,
    /// Worker counts; default 1, cores, 2×cores, 4×cores, 32, and cores ÷ the
    /// tasks' CPU share (rounded up to a power of two, at most 1024) when that is more.
    pub workers: Option<Vec<u32>>,
    /// `machine.cores` for every candidate.
    pub cores: Option<u32>,
    /// Replications per candidate (default 3).
    pub replications: Option<u32>,
    /// What "best" means.
    pub goal: Goal,
    /// Parallel runs; `None` is one per core.
    pub jobs: Option<usize>,
    /// Output folder; default `output/<name>/compare`.
    pub out: Option<PathBuf>,
    /// The user's `--set` overrides, applied before the candidate's.
    pub overrides: Vec<String>,
    /// Show a progress bar.
    pub progress: bool,
    /// `--max-events`, `--max-wall`: a candidate's run that reaches one
    /// fails the comparison (exit 1), which writes nothing.
    pub limits: crate::study::Limits,
    /// Reads the `[python] profile` a scenario names (calibrate's loader,
    /// given by the command line); `None` refuses profiles other than `reference`.
    pub profiles: Option<ProfileLoader>,
    /// Draw the charts as SVG only, without their `.png`.
    pub svg_only: bool,
}
