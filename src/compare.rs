//! `gilsim compare`: which way of running a workload (sequential, threads,
//! processes, asyncio, free-threaded threads, subinterpreters) and how many
//! workers, with the evidence.
//!
//! A candidate is the user's scenario plus a few `--set` overrides (its
//! model, its worker count, the build), loaded through
//! [`scenario::load_study`] exactly like `gilsim run` would. A candidate
//! whose scenario does not validate is excluded with the validation error as
//! its reason; nothing is invented for it. Every candidate's replications
//! run in one parallel batch through [`study::run`], in a fixed order, so
//! `compare.csv` is byte-identical for the same file and seed.
//!
//! Bottleneck thresholds ([`bottleneck`]), checked in this order:
//! - the GIL: `gil_held_fraction` ≥ 0.85 and `gil_wait_fraction` ≥ 0.25;
//! - the event loop (asyncio): the loop thread is at least 85% busy, so every
//!   coroutine waits for it (the loop lag is printed beside it);
//! - IPC: at least 30% of the busy core time goes to pickling, pipes and
//!   shared-memory blocks (`ipc_fraction`, process models);
//! - the cores: `cpu_utilization` ≥ 0.85;
//! - I/O or sleep: `cpu_utilization` < 0.5 and GIL held < 0.5 (threads mostly blocked);
//! - a single worker: one worker running tasks one at a time;
//! - else none dominant.
//!
//! `ipc_fraction` is the workload's message CPU over all busy core time, over
//! the whole run (start-up costs excluded); empty for models without messages.

use std::path::{Path, PathBuf};

use crate::calibrate::profile::load_for_scenario;
use crate::commands::{Failure, progress_bar};
use crate::report::summary::mean_ci;
use crate::report::{atomic, chart, csv as results_csv};
use crate::results::WorkloadResult;
use crate::scenario::{self, Study, StudyPoint};
use crate::simulation::RunOptions;
use crate::study;

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
    /// Compare this workload only; default every workload.
    pub workload: Option<String>,
    /// Models to try; default all of [`MODELS`].
    pub models: Option<Vec<String>>,
    /// Worker counts; default 1, cores, 2×cores, 4×cores, 32.
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
}

/// Aggregated metrics of one candidate that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Mean throughput (tasks/s) and its 95% half-width.
    pub throughput: (f64, Option<f64>),
    /// Mean p50 latency, ms.
    pub p50_ms: Option<f64>,
    /// Mean p99 latency, ms, and its 95% half-width.
    pub p99_ms: Option<(f64, Option<f64>)>,
    /// Mean peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// Mean CPU utilisation.
    pub cpu_utilization: f64,
    /// Mean GIL held fraction (`None` without a GIL).
    pub gil_held: Option<f64>,
    /// Mean GIL wait fraction.
    pub gil_wait: Option<f64>,
    /// Mean p99 event-loop lag, ms (asyncio only).
    pub loop_lag_ms: Option<f64>,
    /// Mean share of busy core time spent on messages (process models only).
    pub ipc: Option<f64>,
    /// The busiest lock or semaphore: its name, mean busy fraction and mean
    /// thread wait fraction.
    pub sync: Option<(String, f64, Option<f64>)>,
    /// The stage whose full queue the threads waited on longest in `put`,
    /// and the mean share of their time they waited.
    pub blocked_on_stage: Option<(String, f64)>,
}

/// One (model, workers) candidate for one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The workload compared.
    pub workload: String,
    /// A name of [`MODELS`].
    pub model: String,
    /// Worker count; `None` for sequential and asyncio (one point).
    pub workers: Option<u32>,
    /// The overrides added to the user's.
    pub overrides: Vec<String>,
    /// Why it did not run (the validation error), or `None`.
    pub excluded: Option<String>,
    /// Its results, when it ran.
    pub metrics: Option<Metrics>,
}

impl Candidate {
    /// `model` or `model ×N`, for text.
    pub fn label(&self) -> String {
        match self.workers {
            Some(w) => format!("{} ×{w}", self.model),
            None => self.model.clone(),
        }
    }
}

/// What `gilsim compare` produced.
#[derive(Debug)]
pub struct CompareReport {
    /// Every candidate, in output order.
    pub candidates: Vec<Candidate>,
    /// The text for standard output: notes, ranked tables, bottlenecks, recommendations.
    pub text: String,
    /// Where the files went.
    pub out_dir: PathBuf,
}

/// The first line of a rendered scenario error, without `error: `.
fn reason(e: &scenario::ScenarioError) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

fn version_below(v: &crate::python::PyVersion, minor: u32) -> bool {
    v.major == 3 && v.minor < minor
}

/// `gilsim compare`: plan, simulate and rank every candidate.
pub fn compare(args: &CompareArgs) -> Result<CompareReport, Failure> {
    let mut base_overrides = args.overrides.clone();
    if let Some(c) = args.cores {
        base_overrides.push(format!("machine.cores={c}"));
    }
    let reps = args.replications.unwrap_or(3).max(1);
    base_overrides.push(format!("replications={reps}"));
    let base = scenario::Reader::new(&base_overrides)
        .with_profiles(load_for_scenario)
        .load_study(&args.file)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let mut notes = Vec::new();
    // Pin the scenario's own sweep to its first point.
    if !base.sweep_keys.is_empty() {
        let at: Vec<String> = base
            .sweep_keys
            .iter()
            .zip(&base.points[0].values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        notes.push(format!(
            "note: the scenario's sweep is ignored: compare uses its first point ({})",
            at.join(", ")
        ));
        base_overrides.extend(at);
    }
    let first = base.first().clone();
    let cores = first.machine.cores;
    let workloads: Vec<String> = match &args.workload {
        Some(w) => {
            if !first.workloads.iter().any(|x| &x.name == w) {
                let names: Vec<&str> = first.workloads.iter().map(|x| x.name.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "error: --workload `{w}`: the scenario has no such workload (it has: {})\n",
                    names.join(", ")
                )));
            }
            vec![w.clone()]
        }
        None => first.workloads.iter().map(|x| x.name.clone()).collect(),
    };
    let models = args
        .models
        .clone()
        .unwrap_or_else(|| MODELS.iter().map(|m| m.to_string()).collect());
    let workers = args.workers.clone().unwrap_or_else(|| {
        let mut w = vec![1, cores, 2 * cores, 4 * cores, 32];
        w.sort_unstable();
        w.dedup();
        w
    });
    let needs_313 = version_below(&first.python.version, 13);
    if needs_313 && models.iter().any(|m| m == "threads-free-threaded") {
        notes.push(format!(
            "note: threads-free-threaded runs on python.version = 3.13 (the scenario has {}): there is no free-threaded build before 3.13",
            first.python.version
        ));
    }

    // Plan every candidate and load its scenario.
    let mut candidates = Vec::new();
    let mut points: Vec<StudyPoint> = Vec::new();
    let mut point_of: Vec<Option<usize>> = Vec::new();
    for w in &workloads {
        for m in &models {
            let counts: Vec<Option<u32>> = match m.as_str() {
                "sequential" | "asyncio" => vec![None],
                _ => workers.iter().map(|&n| Some(n)).collect(),
            };
            for n in counts {
                let model = if m == "threads-free-threaded" {
                    "threads"
                } else {
                    m
                };
                // A one-value sweep of the model: keys the model does not use are ignored.
                let mut extra = vec![format!("sweep.workload.{w}.run.model=[\"{model}\"]")];
                if let Some(n) = n {
                    extra.push(format!("workload.{w}.run.workers={n}"));
                } else if m == "asyncio" {
                    // The scenario's pool size must not become the loop's semaphore.
                    extra.push(format!("workload.{w}.run.workers=\"unlimited\""));
                }
                if m == "threads-free-threaded" {
                    extra.push("python.build=free-threaded".into());
                    if needs_313 {
                        extra.push("python.version=\"3.13\"".into());
                    }
                }
                let mut all = base_overrides.clone();
                all.extend(extra.iter().cloned());
                let reader = scenario::Reader::new(&all).with_profiles(load_for_scenario);
                let (excluded, point) = match reader.load_study(&args.file) {
                    Ok(study) => match study.points.into_iter().next() {
                        Some(p) => (None, Some(p)),
                        None => (Some("the scenario has no point to run".into()), None),
                    },
                    Err(e) => (Some(reason(&e)), None),
                };
                if let Some(mut p) = point {
                    p.index = points.len();
                    point_of.push(Some(points.len()));
                    points.push(p);
                } else {
                    point_of.push(None);
                }
                candidates.push(Candidate {
                    workload: w.clone(),
                    model: m.clone(),
                    workers: n,
                    overrides: extra,
                    excluded,
                    metrics: None,
                });
            }
        }
    }
    for w in &workloads {
        let mine: Vec<&Candidate> = candidates.iter().filter(|c| &c.workload == w).collect();
        if mine.iter().all(|c| c.excluded.is_some()) {
            let mut msg = format!(
                "error: workload `{w}` cannot run under any of the models compared ({}):\n",
                models.join(", ")
            );
            let mut seen: Vec<&str> = Vec::new();
            for c in mine {
                let r = c.excluded.as_deref().unwrap_or("");
                if !seen.contains(&r) {
                    seen.push(r);
                    msg.push_str(&format!("  {}: {r}\n", c.model));
                }
            }
            return Err(Failure::Usage(msg));
        }
    }

    // Run every candidate's replications in one batch.
    let study = Study {
        sweep_keys: Vec::new(),
        points,
        charts: Vec::new(),
    };
    let plan = study::plan(&study, None);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let bar = progress_bar(plan.len(), args.progress);
    let runs = study::run(
        &study,
        &plan,
        jobs,
        |_, _| RunOptions::default(),
        || bar.inc(1),
    )
    .map_err(|f| {
        bar.finish_and_clear();
        let c = point_of
            .iter()
            .position(|p| *p == Some(f.point))
            .map_or(String::new(), |i| candidates[i].label());
        let mut msg = format!(
            "deadlock in candidate {c} replication {}: no event remains at t = {:.6} s while tasks are unfinished\n",
            f.replication,
            f.deadlock.at as f64 / 1e9
        );
        for line in &f.deadlock.blocked {
            msg.push_str(&format!("  {line}\n"));
        }
        Failure::Run(msg)
    })?;
    bar.finish_and_clear();
    for (c, p) in candidates.iter_mut().zip(&point_of) {
        let Some(p) = p else { continue };
        let results: Vec<&WorkloadResult> = runs
            .iter()
            .filter(|r| r.point == *p)
            .filter_map(|r| r.output.workloads.iter().find(|x| x.workload == c.workload))
            .collect();
        c.metrics = aggregate(&results);
    }

    let name = &first.name;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(name).join("compare"));
    let csv = render_csv(&candidates, cores)?;
    write(&out_dir, "compare.csv", &csv)?;
    for (i, w) in workloads.iter().enumerate() {
        let charts = [
            model_chart(name, w, &candidates, Panel::Throughput),
            model_chart(name, w, &candidates, Panel::P99),
        ];
        let stem = if i == 0 {
            "compare".to_string()
        } else {
            format!("compare-{w}")
        };
        let svg = chart::render_row_svg(&charts)
            .map_err(|e| Failure::Run(format!("cannot draw {stem}: {e}")))?;
        let png = chart::render_row_png(&charts)
            .map_err(|e| Failure::Run(format!("cannot draw {stem}: {e}")))?;
        write(&out_dir, &format!("{stem}.svg"), svg.as_bytes())?;
        write(&out_dir, &format!("{stem}.png"), &png)?;
    }

    let mut text = String::new();
    for n in &notes {
        text.push_str(n);
        text.push('\n');
    }
    for w in &workloads {
        let mine: Vec<&Candidate> = candidates.iter().filter(|c| &c.workload == w).collect();
        text.push_str(&report_workload(w, &mine, args.goal, cores, reps));
    }
    text.push_str(&format!(
        "\nresults: {}\n",
        out_dir.join("compare.csv").display()
    ));
    Ok(CompareReport {
        candidates,
        text,
        out_dir,
    })
}

fn write(out_dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Failure> {
    let path = out_dir.join(name);
    atomic::write(&path, bytes)
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))
}

fn mean(xs: &[f64]) -> Option<f64> {
    mean_ci(xs).map(|m| m.0)
}

fn aggregate(results: &[&WorkloadResult]) -> Option<Metrics> {
    if results.is_empty() {
        return None;
    }
    let col = |f: &dyn Fn(&WorkloadResult) -> Option<f64>| -> Vec<f64> {
        results.iter().filter_map(|r| f(r)).collect()
    };
    Some(Metrics {
        throughput: mean_ci(&col(&|r| Some(r.throughput_per_s)))?,
        p50_ms: mean(&col(&|r| r.latency_ms.map(|l| l[1]))),
        p99_ms: mean_ci(&col(&|r| r.latency_ms.map(|l| l[3]))),
        peak_rss_mb: mean(&col(&|r| Some(r.peak_rss_mb)))?,
        cpu_utilization: mean(&col(&|r| Some(r.cpu_utilization)))?,
        gil_held: mean(&col(&|r| r.gil_held_fraction)),
        gil_wait: mean(&col(&|r| r.gil_wait_fraction)),
        loop_lag_ms: mean(&col(&|r| r.loop_lag_p99_ms)),
        ipc: mean(&col(&|r| r.ipc_cpu_fraction)),
        blocked_on_stage: results[0].blocked_on_stage.as_ref().map(|(stage, _)| {
            let same = col(&|r| {
                r.blocked_on_stage
                    .as_ref()
                    .filter(|(s, _)| s == stage)
                    .map(|(_, f)| *f)
            });
            (
                stage.clone(),
                same.iter().sum::<f64>() / results.len() as f64,
            )
        }),
        sync: results[0].sync.as_ref().map(|first| {
            let of = |r: &WorkloadResult| r.sync.as_ref().filter(|s| s.what == first.what).cloned();
            (
                first.what.clone(),
                mean(&col(&|r| of(r).map(|s| s.busy_fraction))).unwrap_or(0.0),
                mean(&col(&|r| of(r).and_then(|s| s.wait_fraction))),
            )
        }),
    })
}

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

fn f6(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(f6).unwrap_or_default()
}

fn render_csv(candidates: &[Candidate], cores: u32) -> Result<Vec<u8>, Failure> {
    let header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
    let records: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            let mut r = vec![
                c.workload.clone(),
                c.model.clone(),
                c.workers.map(|w| w.to_string()).unwrap_or_default(),
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

/// A downstream stage is the bottleneck when the workload's threads spend
/// at least this share of their time blocked in `put` on its full queue:
/// they finish no faster than it takes their items.
const STAGE_BLOCKED: f64 = 0.3;

/// A lock or semaphore is the bottleneck when it is busy (held; every
/// permit taken) at least this share of the window: it admits no more
/// work, so adding workers only adds waiters.
const SYNC_BUSY: f64 = 0.85;

/// What limits a candidate that ran, and the figures behind it.
/// `cores` is the machine's: a pool of `n` workers can use at most `min(n, cores)` of them.
pub fn bottleneck(c: &Candidate, cores: u32) -> (&'static str, String) {
    let Some(m) = &c.metrics else {
        return ("", String::new());
    };
    let held = m.gil_held.unwrap_or(0.0);
    let wait = m.gil_wait.unwrap_or(0.0);
    let gil = match (m.gil_held, m.gil_wait) {
        (Some(h), Some(w)) => format!("GIL held {:.0}%, GIL wait {:.0}%", h * 100.0, w * 100.0),
        _ => "no GIL".to_string(),
    };
    let workers = c.workers.unwrap_or(1).max(1);
    // The share of the machine its workers could keep busy if they never blocked.
    let usable = f64::from(workers.min(cores.max(1))) / f64::from(cores.max(1));
    let busy = m.cpu_utilization / usable;
    let figures = format!(
        "CPU {:.0}% of the machine, {:.0}% of what {} can use; {gil}",
        m.cpu_utilization * 100.0,
        busy * 100.0,
        c.label()
    );
    let figures = match m.loop_lag_ms {
        Some(lag) => format!("{figures}; loop lag p99 {lag:.1} ms"),
        None => figures,
    };
    let ipc = m.ipc.unwrap_or(0.0);
    let figures = match m.ipc {
        Some(f) => format!("{figures}; IPC {:.0}% of busy core time", f * 100.0),
        None => figures,
    };
    let sync = m.sync.as_ref().filter(|s| s.1 >= SYNC_BUSY);
    let figures = match &m.sync {
        Some((what, busy, wait)) => format!(
            "{figures}; {what} busy {:.0}% of the time{}",
            busy * 100.0,
            wait.map_or(String::new(), |w| format!(
                ", threads blocked on it {:.0}% of their time",
                w * 100.0
            ))
        ),
        None => figures,
    };
    let figures = match &m.blocked_on_stage {
        Some((stage, f)) => format!(
            "{figures}; threads blocked in put on stage `{stage}`'s full queue {:.0}% of their time",
            f * 100.0
        ),
        None => figures,
    };
    let downstream = m
        .blocked_on_stage
        .as_ref()
        .filter(|(_, f)| *f >= STAGE_BLOCKED);
    let name = if downstream.is_some() {
        "a queue stage downstream"
    } else if sync.is_some() {
        "a lock or semaphore"
    } else if held >= 0.85 && wait >= 0.25 {
        "the GIL"
    } else if c.model == "asyncio" && busy >= 0.85 {
        "the event loop"
    } else if ipc >= 0.3 {
        "IPC (pickling and pipes)"
    } else if m.cpu_utilization >= 0.85 {
        "the cores"
    } else if busy < 0.5 && held < 0.5 {
        "I/O or sleep"
    } else if busy >= 0.85 && workers == 1 {
        "a single worker"
    } else if busy >= 0.85 {
        "the worker count"
    } else {
        "none dominant"
    };
    (name, figures)
}

/// The bottleneck attributed to a model: that of its best point; when that
/// is "a single worker" and the model ran with more, what limits its best
/// point with more workers (adding workers did not help because of it).
fn model_bottleneck<'a>(
    best: &'a Candidate,
    ranked: &[&'a Candidate],
    cores: u32,
) -> (&'a Candidate, &'static str, String) {
    let (name, figures) = bottleneck(best, cores);
    if name == "a single worker"
        && let Some(more) = ranked
            .iter()
            .find(|c| c.model == best.model && c.workers.unwrap_or(1) > 1)
    {
        let (n2, f2) = bottleneck(more, cores);
        return (
            more,
            n2,
            format!("more workers do not help: at {} {f2}", more.label()),
        );
    }
    (best, name, figures)
}

/// The candidates that ran, best first for `goal`.
pub fn ranked<'a>(cands: &[&'a Candidate], goal: Goal) -> Vec<&'a Candidate> {
    let mut ran: Vec<&Candidate> = cands
        .iter()
        .copied()
        .filter(|c| c.metrics.is_some())
        .collect();
    let tp = |c: &Candidate| c.metrics.as_ref().map_or(0.0, |m| m.throughput.0);
    let p99 = |c: &Candidate| {
        c.metrics
            .as_ref()
            .and_then(|m| m.p99_ms)
            .map_or(f64::INFINITY, |p| p.0)
    };
    let rss = |c: &Candidate| c.metrics.as_ref().map_or(f64::INFINITY, |m| m.peak_rss_mb);
    match goal {
        Goal::Throughput => ran.sort_by(|a, b| tp(b).total_cmp(&tp(a))),
        Goal::Latency => ran.sort_by(|a, b| p99(a).total_cmp(&p99(b))),
        Goal::Memory => {
            let best = ran.iter().map(|c| tp(c)).fold(0.0, f64::max);
            // Within 10% of the best throughput first, by memory; then the rest by throughput.
            ran.sort_by(|a, b| {
                let ka = tp(a) >= 0.9 * best;
                let kb = tp(b) >= 0.9 * best;
                kb.cmp(&ka).then_with(|| {
                    if ka {
                        rss(a).total_cmp(&rss(b))
                    } else {
                        tp(b).total_cmp(&tp(a))
                    }
                })
            });
        }
    }
    ran
}

/// The best candidate of each model, in ranked order.
fn best_per_model<'a>(ranked: &[&'a Candidate]) -> Vec<&'a Candidate> {
    let mut out: Vec<&Candidate> = Vec::new();
    for c in ranked {
        if !out.iter().any(|o| o.model == c.model) {
            out.push(c);
        }
    }
    out
}

fn interval(x: (f64, Option<f64>), unit: &str) -> String {
    match x.1 {
        Some(h) => format!("{:.1} ± {:.1} {unit}", x.0, h),
        None => format!("{:.1} {unit}", x.0),
    }
}

fn overlap(a: (f64, Option<f64>), b: (f64, Option<f64>)) -> bool {
    (a.0 - b.0).abs() <= a.1.unwrap_or(0.0) + b.1.unwrap_or(0.0)
}

fn report_workload(w: &str, cands: &[&Candidate], goal: Goal, cores: u32, reps: u32) -> String {
    let mut s = format!(
        "\nworkload `{w}` on {cores} core(s), {reps} replication(s) per candidate, goal: {}\n",
        match goal {
            Goal::Throughput => "throughput",
            Goal::Latency => "latency (p99)",
            Goal::Memory => "memory (within 10% of the best throughput)",
        }
    );
    s.push_str(&format!(
        "{:>4} {:<24} {:>22} {:>10} {:>10} {:>9} {:>5} {:>5} {:>5}  {}\n",
        "rank",
        "candidate",
        "tasks/s (95% CI)",
        "p50 ms",
        "p99 ms",
        "rss MB",
        "cpu",
        "gil",
        "wait",
        "bottleneck"
    ));
    let ranked = ranked(cands, goal);
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
    for (i, c) in ranked.iter().enumerate() {
        let Some(m) = &c.metrics else { continue };
        s.push_str(&format!(
            "{:>4} {:<24} {:>22} {:>10} {:>10} {:>9.1} {:>5} {:>5} {:>5}  {}\n",
            i + 1,
            c.label(),
            interval(m.throughput, ""),
            m.p50_ms.map_or("-".into(), |x| format!("{x:.2}")),
            m.p99_ms.map_or("-".into(), |x| format!("{:.2}", x.0)),
            m.peak_rss_mb,
            pct(Some(m.cpu_utilization)),
            pct(m.gil_held),
            pct(m.gil_wait),
            bottleneck(c, cores).0,
        ));
    }
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in cands {
        if let Some(r) = &c.excluded {
            if seen.contains(&(c.model.as_str(), r.as_str())) {
                continue;
            }
            seen.push((c.model.as_str(), r.as_str()));
            s.push_str(&format!("   - {:<24} excluded: {r}\n", c.model));
        }
    }
    let bests = best_per_model(&ranked);
    s.push_str("\nbottleneck of each model's best point:\n");
    for c in &bests {
        let (_, name, figures) = model_bottleneck(c, &ranked, cores);
        s.push_str(&format!("  {:<24} {name} ({figures})\n", c.label()));
    }
    s.push_str("\nrecommendation: ");
    s.push_str(&recommend(&bests, goal, cands, cores));
    s.push('\n');
    s
}

fn recommend(bests: &[&Candidate], goal: Goal, all: &[&Candidate], cores: u32) -> String {
    let Some(best) = bests.first() else {
        return "nothing ran.".into();
    };
    let Some(bm) = &best.metrics else {
        return "nothing ran.".into();
    };
    let Some(second) = bests.get(1) else {
        return format!(
            "{} is the only model that runs this workload ({}). {}",
            best.label(),
            interval(bm.throughput, "tasks/s"),
            reason_text(best, all, cores, goal)
        );
    };
    let Some(sm) = &second.metrics else {
        return String::new();
    };
    let (a, b, unit, better) = match goal {
        Goal::Latency => (
            bm.p99_ms.unwrap_or((f64::NAN, None)),
            sm.p99_ms.unwrap_or((f64::NAN, None)),
            "ms p99",
            "lower",
        ),
        Goal::Memory => (
            (bm.peak_rss_mb, None),
            (sm.peak_rss_mb, None),
            "MB peak",
            "smaller",
        ),
        Goal::Throughput => (bm.throughput, sm.throughput, "tasks/s", "higher"),
    };
    let mut s = if overlap(a, b) && goal != Goal::Memory {
        format!(
            "{} ({}) and {} ({}) are within each other's 95% confidence interval: the simulation cannot tell them apart for this goal; choose on other grounds (memory: {:.1} MB against {:.1} MB).",
            best.label(),
            interval(a, unit),
            second.label(),
            interval(b, unit),
            bm.peak_rss_mb,
            sm.peak_rss_mb
        )
    } else {
        let ratio = if goal == Goal::Throughput {
            a.0 / b.0
        } else {
            b.0 / a.0
        };
        format!(
            "{} is best ({}), {:.2}× {better} than the runner-up {} ({}).",
            best.label(),
            interval(a, unit),
            ratio,
            second.label(),
            interval(b, unit)
        )
    };
    s.push(' ');
    s.push_str(&reason_text(best, all, cores, goal));
    s
}

/// The reason in the user's terms, from the best point and the other
/// models' best points for `goal`.
fn reason_text(best: &Candidate, all: &[&Candidate], cores: u32, goal: Goal) -> String {
    let ranked_tp = ranked(all, goal);
    let best_of = |model: &str| ranked_tp.iter().find(|c| c.model == model).copied();
    let bm = match &best.metrics {
        Some(m) => m,
        None => return String::new(),
    };
    let mut parts = Vec::new();
    if let (_, "a queue stage downstream", _) = model_bottleneck(best, &ranked_tp, cores)
        && let Some((stage, f)) = &bm.blocked_on_stage
    {
        parts.push(format!(
            "Its tasks end with a put into stage `{stage}`'s queue, which is full: the threads wait there {:.0}% of their time, so this workload runs at `{stage}`'s pace whatever its own model. Speed up `{stage}` (gilsim compare FILE --workload {stage}) or give its queue more room.",
            f * 100.0
        ));
    }
    if parts.is_empty()
        && let (_, "a lock or semaphore", _) = model_bottleneck(best, &ranked_tp, cores)
        && let Some((what, busy, _)) = &bm.sync
    {
        let capped: Vec<String> = MODELS
            .iter()
            .filter_map(|m| best_of(m))
            .filter(|c| bottleneck(c, cores).0 == "a lock or semaphore")
            .map(|c| c.model.clone())
            .collect();
        parts.push(format!(
            "The {what} is busy {:.0}% of the time at {}: it admits its holders one after another, so the work inside it sets the throughput, and more workers only queue on it ({} of the models are capped by it: {}). Shorten what runs inside it, or split it.",
            busy * 100.0,
            best.label(),
            capped.len(),
            capped.join(", ")
        ));
    }
    if parts.is_empty()
        && let Some(t0) = best_of("threads")
        && t0.model != best.model
        && let (t, "the GIL", _) = model_bottleneck(t0, &ranked_tp, cores)
        && let Some(tm) = &t.metrics
    {
        parts.push(format!(
            "CPU-bound Python holds the GIL {:.0}% of the time under threads ({} with threads waiting {:.0}% of their time): threads cannot use a second core; {} does, using {:.0}% of the cores, at {:.1} MB of memory against {:.1} MB.",
            tm.gil_held.unwrap_or(0.0) * 100.0,
            t.label(),
            tm.gil_wait.unwrap_or(0.0) * 100.0,
            best.label(),
            bm.cpu_utilization * 100.0,
            bm.peak_rss_mb,
            tm.peak_rss_mb
        ));
    }
    if parts.is_empty()
        && matches!(best.model.as_str(), "processes" | "subinterpreters")
        && let Some(t) = best_of("threads")
        && let Some(tm) = &t.metrics
        && tm.gil_held.unwrap_or(0.0) >= 0.3
        && tm.gil_wait.unwrap_or(0.0) >= 0.05
    {
        parts.push(format!(
            "Under threads every task shares one GIL ({}: GIL held {:.0}%, threads waiting for it {:.0}% of their time, p99 {}): a task back from I/O queues for the GIL behind the others; {} gives it an interpreter or a core of its own (p99 {}), at {:.1} MB of memory against {:.1} MB.",
            t.label(),
            tm.gil_held.unwrap_or(0.0) * 100.0,
            tm.gil_wait.unwrap_or(0.0) * 100.0,
            tm.p99_ms.map_or("-".into(), |p| format!("{:.1} ms", p.0)),
            best.label(),
            bm.p99_ms.map_or("-".into(), |p| format!("{:.1} ms", p.0)),
            bm.peak_rss_mb,
            tm.peak_rss_mb
        ));
    }
    if matches!(
        best.model.as_str(),
        "threads" | "asyncio" | "threads-free-threaded"
    ) && let Some(p) = best_of("processes")
        && let Some(pm) = &p.metrics
    {
        let (name, _) = bottleneck(best, cores);
        let (p_name, _) = bottleneck(p, cores);
        if p_name.starts_with("IPC") {
            parts.push(format!(
                "Processes spend {:.0}% of their busy core time pickling and piping each task's data ({}: {:.1} tasks/s); {} pass references inside one process and pay none of it.",
                pm.ipc.unwrap_or(0.0) * 100.0,
                p.label(),
                pm.throughput.0,
                best.model,
            ));
        } else if name == "I/O or sleep" || bm.cpu_utilization < 0.5 {
            parts.push(format!(
                "The tasks mostly wait (CPU {:.0}%, GIL held {:.0}%): {} overlaps the waits inside one process; processes ({}: {:.1} tasks/s) add nothing but start-up, pickling and memory ({:.1} MB against {:.1} MB).",
                bm.cpu_utilization * 100.0,
                bm.gil_held.unwrap_or(0.0) * 100.0,
                best.model,
                p.label(),
                pm.throughput.0,
                pm.peak_rss_mb,
                bm.peak_rss_mb
            ));
        } else {
            parts.push(format!(
                "Without a GIL to serialise them ({}), threads use the cores like processes do (CPU {:.0}% against {:.0}%), without their start-up, pickling and memory ({:.1} MB against {:.1} MB).",
                bm.gil_held
                    .map_or("no GIL".to_string(), |g| format!("GIL held {:.0}%", g * 100.0)),
                bm.cpu_utilization * 100.0,
                pm.cpu_utilization * 100.0,
                bm.peak_rss_mb,
                pm.peak_rss_mb
            ));
        }
    }
    if parts.is_empty() {
        let (_, name, figures) = model_bottleneck(best, &ranked_tp, cores);
        parts.push(format!(
            "At its best point {} is limited by {name} ({figures}).",
            best.label()
        ));
    }
    parts.join(" ")
}

/// What a panel of `compare.svg` plots against workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Throughput,
    P99,
}

impl Panel {
    /// The value and its 95% interval for a candidate that ran.
    fn value(self, m: &Metrics) -> Option<(f64, Option<f64>)> {
        match self {
            Panel::Throughput => Some(m.throughput),
            Panel::P99 => m.p99_ms,
        }
    }

    /// The goal whose best point the panel marks.
    fn goal(self) -> Goal {
        match self {
            Panel::Throughput => Goal::Throughput,
            Panel::P99 => Goal::Latency,
        }
    }
}

/// One panel of `compare.svg`: a line per model against workers, the best
/// point of each model (for this panel's metric) marked.
fn model_chart(name: &str, w: &str, cands: &[Candidate], panel: Panel) -> chart::LineChart {
    let mine: Vec<&Candidate> = cands.iter().filter(|c| c.workload == w).collect();
    let ranked = ranked(&mine, panel.goal());
    let mut series = Vec::new();
    let mut bests = Vec::new();
    for (i, m) in MODELS.iter().enumerate() {
        let points: Vec<chart::Point> = mine
            .iter()
            .filter(|c| c.model == *m)
            .filter_map(|c| {
                let x = c.workers.unwrap_or(1) as f64;
                let (y, half) = panel.value(c.metrics.as_ref()?)?;
                Some(chart::Point {
                    x,
                    y,
                    band: half.map(|h| ((y - h).max(0.0), y + h)),
                })
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        series.push(chart::Series {
            name: m.to_string(),
            dashed: false,
            colour: Some(i),
            points,
        });
        if let Some(b) = ranked.iter().find(|c| c.model == *m)
            && let Some((y, _)) = b.metrics.as_ref().and_then(|bm| panel.value(bm))
        {
            bests.push(chart::Series {
                name: format!(
                    "best {m}: {}",
                    b.workers.map_or("1".to_string(), |w| format!("×{w}"))
                ),
                dashed: true,
                // Grey, so the marked points stand out on their model's line.
                colour: Some(7),
                points: vec![chart::Point {
                    x: b.workers.unwrap_or(1) as f64,
                    y,
                    band: None,
                }],
            });
        }
    }
    series.extend(bests);
    // Latencies of models that overlap waits and of those that queue them
    // differ by orders of magnitude: a log axis keeps both readable.
    let positive = series
        .iter()
        .flat_map(|s| &s.points)
        .all(|p| p.y > 0.0 && p.band.is_none_or(|b| b.0 > 0.0));
    let y_log = (panel == Panel::P99 && positive).then_some(true);
    let (what, y_label) = match panel {
        Panel::Throughput => ("throughput", "throughput (tasks/s)"),
        Panel::P99 => ("p99 latency", "p99 latency (ms)"),
    };
    chart::LineChart {
        title: format!("{name}: `{w}` {what} by model"),
        x_label: "workers (sequential and asyncio: one point)".into(),
        y_label: y_label.into(),
        x_categories: None,
        x_log: Some(true),
        y_log,
        series,
    }
}
