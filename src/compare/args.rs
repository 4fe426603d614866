//! What `gilsim compare` is asked: the goal, the models and worker counts
//! to try (with their parsers), and the rest of its arguments.

use std::path::PathBuf;

use crate::failure::Failure;
use crate::scenario::ProfileLoader;
use crate::workload::PerProcess;

/// A deployment shape to compare: worker processes and what each runs.
pub type ShapeSpec = (u32, PerProcess);

/// A shape as `results.csv`'s `workers` column writes it: `4x8 threads`,
/// `4x asyncio`, `4x100 asyncio`, `8x1 sequential`.
pub fn shape_label((n, p): ShapeSpec) -> String {
    match p {
        PerProcess::Threads(m) => format!("{n}x{m} threads"),
        PerProcess::Asyncio(None) => format!("{n}x asyncio"),
        PerProcess::Asyncio(Some(m)) => format!("{n}x{m} asyncio"),
        PerProcess::Sequential => format!("{n}x1 sequential"),
    }
}

/// Parses `--shapes 1x16threads,4x8threads,4xasyncio,4x100asyncio,8xsync`:
/// processes `x` threads per process, `asyncio` (optionally with a
/// semaphore size before it) or `sync` (`sequential`, `1 sequential`);
/// spaces are ignored, `×` is `x`.
pub fn parse_shapes(text: &str) -> Result<Vec<ShapeSpec>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let flat: String = item
            .replace('×', "x")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let bad = || {
            format!(
                "--shapes: `{item}` is not a shape: expected PROCESSESxTHREADSthreads, PROCESSESxasyncio, PROCESSESxNasyncio or PROCESSESxsync (e.g. 4x8threads)"
            )
        };
        let (n, rest) = flat.split_once('x').ok_or_else(bad)?;
        let n: u32 = n.parse().ok().filter(|&n| n >= 1).ok_or_else(bad)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let kind = &rest[digits.len()..];
        let m: Option<u32> = if digits.is_empty() {
            None
        } else {
            Some(digits.parse().ok().filter(|&m| m >= 1).ok_or_else(bad)?)
        };
        let p = match (kind, m) {
            ("threads", Some(m)) => PerProcess::Threads(m),
            ("asyncio", m) => PerProcess::Asyncio(m),
            ("sync" | "sequential", None | Some(1)) => PerProcess::Sequential,
            _ => return Err(bad()),
        };
        if !out.contains(&(n, p)) {
            out.push((n, p));
        }
    }
    if out.is_empty() {
        return Err("--shapes is empty: name at least one shape, e.g. 4x8threads".into());
    }
    Ok(out)
}

/// Parses `--shapes`; an error is a usage error (exit 2).
pub fn args_shapes(shapes: Option<&str>) -> Result<Option<Vec<ShapeSpec>>, Failure> {
    shapes
        .map(parse_shapes)
        .transpose()
        .map_err(|e| Failure::Usage(format!("error: {e}\n")))
}

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
    /// Models to try; default all of [`MODELS`], none when `shapes` is given.
    pub models: Option<Vec<String>>,
    /// Deployment shapes to try (`--shapes`), after the models.
    pub shapes: Option<Vec<ShapeSpec>>,
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
