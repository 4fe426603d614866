//! Planning a comparison: the user's scenario pinned to its first sweep point,
//! the workloads, models and worker counts to try, and each candidate's
//! scenario loaded with its overrides, exactly as `gilsim run` would load it.
//! A candidate whose scenario does not validate is excluded with the
//! validation error as its reason.

use super::args::{CompareArgs, MODELS, shape_label};
use super::candidate::Candidate;
use crate::failure::Failure;
use crate::scenario::builder::{self, Override};
use crate::scenario::{self, ScenarioError, Study, StudyPoint};
use crate::workload::PerProcess;
use crate::workload::Step;

/// Every candidate of a comparison, planned and loaded, before any runs.
pub(super) struct Plan {
    /// The scenario's name.
    pub name: String,
    /// The machine's cores.
    pub cores: u32,
    /// Replications per candidate.
    pub reps: u32,
    /// The workloads compared, in scenario order.
    pub workloads: Vec<String>,
    /// Notes for the user (the sweep ignored, the version raised).
    pub notes: Vec<String>,
    /// Every candidate, in output order, none run yet.
    pub candidates: Vec<Candidate>,
    /// The study points to run, one per candidate that loaded.
    pub points: Vec<StudyPoint>,
    /// For each candidate, the index of its point in `points`.
    pub point_of: Vec<Option<usize>>,
}

/// The first line of a rendered scenario error, without `error: `.
fn reason(e: &scenario::ScenarioError) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// Whether `v` is a Python 3 version below 3.`minor`.
fn version_below(v: &crate::python::PyVersion, minor: u32) -> bool {
    v.major == 3 && v.minor < minor
}

/// Plan every candidate and load its scenario; a usage error when the
/// scenario does not load or a workload runs under none of the models.
pub(super) fn plan(args: &CompareArgs) -> Result<Plan, Failure> {
    let mut base_overrides = args.overrides.clone();
    if let Some(c) = args.cores {
        base_overrides.push(Override::new("machine.cores", c).to_arg());
    }
    let reps = args.replications.unwrap_or(3).max(1);
    base_overrides.push(Override::new("replications", reps).to_arg());
    let base = load(&base_overrides, args).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut notes = Vec::new();
    // Pin the scenario's own sweep to its first point.
    if !base.sweep_keys.is_empty() {
        // The point's values as `results.csv` shows them, read back as `--set` reads them.
        let at: Vec<String> = base
            .sweep_keys
            .iter()
            .zip(&base.points[0].values)
            .map(|(k, v)| Override::text(k, v).to_arg())
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
    let models = match (&args.models, &args.shapes) {
        (Some(m), _) => m.clone(),
        // Shapes alone: the shapes are the candidates.
        (None, Some(_)) => Vec::new(),
        (None, None) => MODELS.iter().map(|m| m.to_string()).collect(),
    };
    let workers = match args.workers.clone() {
        Some(w) => w,
        None => {
            let mut w = vec![1, cores, 2 * cores, 4 * cores, 32];
            // Tasks that mostly wait need more workers than 32 to keep the
            // cores busy: `cores / CPU share` of them (Little's law).
            let cpu_share = first
                .workloads
                .iter()
                .filter(|x| workloads.contains(&x.name))
                .filter_map(|x| {
                    let cpu: f64 = x.steps.iter().map(Step::mean_cpu).sum();
                    let wait: f64 = x.steps.iter().map(mean_wait).sum();
                    (cpu + wait > 0.0).then(|| cpu / (cpu + wait))
                })
                .fold(1.0, f64::min);
            let needed = (f64::from(cores) / cpu_share.max(1e-9)).ceil();
            if needed > 32.0 {
                let n = (needed.min(f64::from(MAX_DEFAULT_WORKERS)) as u32).next_power_of_two();
                let n = n.min(MAX_DEFAULT_WORKERS);
                w.push(n);
                notes.push(format!(
                    "note: workers tried up to {n}: the tasks spend {:.0}% of their time waiting, so {cores} core(s) need about {needed:.0} workers to stay busy{}",
                    (1.0 - cpu_share) * 100.0,
                    if needed > f64::from(MAX_DEFAULT_WORKERS) {
                        format!(" (capped at {MAX_DEFAULT_WORKERS}; --workers to try more)")
                    } else {
                        String::new()
                    }
                ));
            }
            w.sort_unstable();
            w.dedup();
            w
        }
    };
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
                let mut extra = vec![Override::sweep(
                    &format!("workload.{w}.run.model"),
                    vec![model.into()],
                )];
                if let Some(n) = n {
                    extra.push(Override::workload(w, "run.workers", n));
                } else if m == "asyncio" {
                    // The scenario's pool size must not become the loop's semaphore.
                    extra.push(Override::workload(w, "run.workers", "unlimited"));
                }
                if m == "threads-free-threaded" {
                    extra.push(Override::new("python.build", "free-threaded"));
                    if needs_313 {
                        extra.push(Override::new("python.version", "3.13"));
                    }
                }
                let excluded =
                    plan_point(&base_overrides, &extra, args, &mut points, &mut point_of);
                candidates.push(Candidate {
                    workload: w.clone(),
                    model: m.clone(),
                    shape: None,
                    workers: n,
                    overrides: extra,
                    excluded,
                    metrics: None,
                });
            }
        }
        for &(n, p) in args.shapes.iter().flatten() {
            let label = shape_label((n, p));
            let inner = match p {
                PerProcess::Threads(m) => format!("{{ model = \"threads\", workers = {m} }}"),
                PerProcess::Asyncio(Some(m)) => format!("{{ model = \"asyncio\", workers = {m} }}"),
                PerProcess::Asyncio(None) => "{ model = \"asyncio\" }".to_string(),
                PerProcess::Sequential => "{ model = \"sequential\" }".to_string(),
            };
            let extra = vec![
                Override::sweep(&format!("workload.{w}.run.model"), vec!["processes".into()]),
                Override::workload(w, "run.workers", n),
                Override::text(&format!("workload.{w}.run.per_process"), &inner),
            ];
            let excluded = plan_point(&base_overrides, &extra, args, &mut points, &mut point_of);
            candidates.push(Candidate {
                workload: w.clone(),
                model: label.clone(),
                shape: Some(label),
                workers: Some(n),
                overrides: extra,
                excluded,
                metrics: None,
            });
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
    Ok(Plan {
        name: first.name.clone(),
        cores,
        reps,
        workloads,
        notes,
        candidates,
        points,
        point_of,
    })
}

/// The most workers the default list tries, whatever the I/O share.
const MAX_DEFAULT_WORKERS: u32 = 1024;

/// The mean time a step and its nested steps wait (I/O, sleep), in nanoseconds.
fn mean_wait(step: &Step) -> f64 {
    match step {
        Step::Io(d) | Step::Sleep(d) | Step::BlockingIo(d) => d.mean(),
        Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
            steps.iter().map(mean_wait).sum()
        }
        Step::Repeat { times, steps } => *times as f64 * steps.iter().map(mean_wait).sum::<f64>(),
        Step::Named { step, .. } => mean_wait(step),
        Step::OneOf(branches) => {
            crate::workload::step::Branch::weighted(branches, |s| s.iter().map(mean_wait).sum())
        }
        _ => 0.0,
    }
}

/// Reads the scenario (its file, or the text given) with `overrides` and
/// the command's profile loader.
/// Loads the scenario under the base overrides and a candidate's `extra`
/// ones and appends its point (recording where it went in `point_of`);
/// returns why the candidate is excluded when it does not load.
fn plan_point(
    base: &[String],
    extra: &[Override],
    args: &CompareArgs,
    points: &mut Vec<StudyPoint>,
    point_of: &mut Vec<Option<usize>>,
) -> Option<String> {
    let mut all = base.to_vec();
    all.extend(builder::args(extra));
    let point = load(&all, args).map_err(|e| reason(&e)).and_then(|study| {
        (study.points.into_iter().next()).ok_or_else(|| "the scenario has no point to run".into())
    });
    match point {
        Ok(mut p) => {
            p.index = points.len();
            point_of.push(Some(points.len()));
            points.push(p);
            None
        }
        Err(why) => {
            point_of.push(None);
            Some(why)
        }
    }
}

fn load(overrides: &[String], args: &CompareArgs) -> Result<Study, ScenarioError> {
    let reader = scenario::Reader::new(overrides);
    let reader = match args.profiles {
        Some(loader) => reader.with_profiles(loader),
        None => reader,
    };
    match &args.source {
        Some(text) => reader.parse_study_str(text, &args.file),
        None => reader.load_study(&args.file),
    }
}
