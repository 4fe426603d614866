//! `gilsim record`: measures a real Python function over its items and
//! writes the scenario of it (issue 21).
//!
//! - `probe.py` (embedded, run with the user's interpreter like the
//!   calibration probes): imports the module, builds the items, calls the
//!   function on each, one after another, in four kinds of pass (clean
//!   timings, three times, each call's median kept;
//!   the C calls with `sys.setprofile` and a helper thread that shows
//!   whether the GIL was free; the same beside a thread that always wants
//!   the GIL, which counts how often a call takes it back; pickled sizes
//!   and tracemalloc), and with
//!   `--check` runs it in real thread and process pools.
//! - [`measure`]: the probe's output; [`phases`]: C functions classified,
//!   calls cut into phases and merged into fitted steps; [`writer`]: the
//!   scenario file; [`check`]: predicted against real makespans.

pub mod check;
pub mod measure;
pub mod phases;
pub mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::calibrate::probes::{ProbeDir, ProbeError};
use crate::failure::Failure;
use check::CheckRow;
use measure::Recording;
use phases::{CFunction, StepFit};

/// The probe's source.
pub const PROBE: (&str, &str) = ("gilsim_record.py", include_str!("probe.py"));

/// Options of `gilsim record`.
#[derive(Debug, Clone)]
pub struct RecordArgs {
    /// `MODULE:FUNCTION` to record.
    pub target: String,
    /// `MODULE:FUNCTION` returning the items (called with no arguments).
    pub items: String,
    /// The folder put first on `sys.path` (and the probe's working folder).
    pub path: PathBuf,
    /// Record the first N items only.
    pub limit: Option<u64>,
    /// The interpreter.
    pub python: PathBuf,
    /// The scenario to write (default `output/record/<function>.toml`).
    pub out: Option<PathBuf>,
    /// A profile written by `gilsim calibrate`, named in the scenario.
    pub profile: Option<PathBuf>,
    /// Run the pools for real and compare.
    pub check: bool,
    /// Real runs of each pool with `check`.
    pub repeats: u32,
}

/// What `gilsim record` did.
#[derive(Debug, Clone)]
pub struct RecordReport {
    /// The scenario written.
    pub out: PathBuf,
    /// Its text.
    pub scenario: String,
    /// The recording.
    pub recording: Recording,
    /// The C functions and their classification.
    pub functions: Vec<CFunction>,
    /// The steps.
    pub steps: Vec<StepFit>,
    /// With `--check`: every pool, real and predicted.
    pub check: Vec<CheckRow>,
    /// With `--check`: the sequential run as recorded (clean pass) against the scenario as written.
    pub sequential: Option<(f64, f64)>,
    /// The start method of the real process pools.
    pub start_method: String,
    /// What `gilsim record` prints.
    pub text: String,
}

/// Checks `MODULE:FUNCTION`: dotted Python identifiers on both sides of one `:`.
pub fn parse_spec(spec: &str, what: &str) -> Result<(), Failure> {
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|p| {
                let mut c = p.chars();
                c.next().is_some_and(|f| f == '_' || f.is_alphabetic())
                    && c.all(|ch| ch == '_' || ch.is_alphanumeric())
            })
    };
    match spec.split_once(':') {
        Some((m, f)) if ident(m) && ident(f) => Ok(()),
        _ => Err(Failure::Usage(format!(
            "error: {what} `{spec}` is not MODULE:FUNCTION (for example `jobs:parse` or `pkg.jobs:parse`: a module to import and a function in it)"
        ))),
    }
}

fn probe_failure(e: ProbeError, python: &Path) -> Failure {
    match e {
        ProbeError::Spawn { message, .. } => Failure::Usage(format!(
            "error: python not found: cannot start `{}` ({message}); pass --python PATH",
            python.display()
        )),
        other => Failure::Run(format!("error: {other}")),
    }
}

/// Runs the probe with `options`; a user error it reports is exit 2.
fn run_probe(
    dir: &ProbeDir,
    python: &Path,
    options: &Value,
) -> Result<Map<String, Value>, Failure> {
    let out = dir
        .run(PROBE.0, options)
        .map_err(|e| probe_failure(e, python))?;
    if let Some(kind) = out.get("error").and_then(Value::as_str) {
        let message = out.get("message").and_then(Value::as_str).unwrap_or(kind);
        return Err(Failure::Usage(format!("error: {message}")));
    }
    Ok(out)
}

/// The default scenario path of a function.
pub fn default_out(target: &str) -> PathBuf {
    let function = target.rsplit(':').next().unwrap_or(target);
    let function = function.rsplit('.').next().unwrap_or(function);
    PathBuf::from("output/record").join(format!("{function}.toml"))
}

/// The C functions classified and the steps of a recording.
pub fn analyse(rec: &Recording) -> (Vec<CFunction>, Vec<StepFit>) {
    let functions = phases::classify(rec);
    let kinds: BTreeMap<&str, phases::Kind> = functions
        .iter()
        .filter_map(|f| Some((f.name.as_str(), f.kind?)))
        .collect();
    let per_call: Vec<Vec<phases::Phase>> = rec
        .calls
        .iter()
        .map(|c| phases::call_phases(c, &kinds, rec.retake_intervals_ns))
        .collect();
    let steps = phases::merge(&per_call);
    (functions, steps)
}

/// `gilsim record`.
pub fn record(args: &RecordArgs) -> Result<RecordReport, Failure> {
    parse_spec(&args.target, "function")?;
    parse_spec(&args.items, "items function")?;
    if !args.path.is_dir() {
        return Err(Failure::Usage(format!(
            "error: --path {} is not a folder",
            args.path.display()
        )));
    }
    if let Some(p) = &args.profile {
        load_for_scenario(p)?;
    }
    let cwd = std::env::current_dir().map_err(|e| Failure::Run(e.to_string()))?;
    let shared = crate::calibrate::probes::SOURCES[0];
    let dir = ProbeDir::create_with(&args.python, &[PROBE, shared])
        .map_err(|e| probe_failure(e, &args.python))?
        .running_in(&cwd, Duration::from_secs(3600));
    let path = std::path::absolute(&args.path).unwrap_or_else(|_| args.path.clone());
    let base = json!({
        "function": args.target,
        "items": args.items,
        "path": path,
        "limit": args.limit,
    });
    let mut options = base.clone();
    options["mode"] = json!("record");
    let out = run_probe(&dir, &args.python, &options)?;
    let rec = Recording::from_json(&out)
        .map_err(|e| Failure::Run(format!("error: the record probe's output: {e}")))?;
    let (major, minor) = rec.version_short().unwrap_or((0, 0));
    if major != 3 || !(8..=14).contains(&minor) {
        return Err(Failure::Usage(format!(
            "error: {} is Python {}: gilsim models CPython 3.8 to 3.14",
            rec.executable, rec.python
        )));
    }
    let (functions, steps) = analyse(&rec);
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.target));
    let source = writer::Source {
        target: &args.target,
        items: &args.items,
        path: &args.path,
        profile: args.profile.as_deref(),
        rec: &rec,
        steps: &steps,
        functions: &functions,
        version: format!("3.{minor}"),
        out: &out_path,
    };
    let scenario = writer::scenario_text(&source);
    let written = check::load(&scenario, &out_path, &[]).map_err(|e| {
        Failure::Run(format!(
            "error: the recorded scenario does not load (a bug in gilsim record):\n{e}"
        ))
    })?;
    let workload = written
        .workloads
        .first()
        .map(|w| w.name.clone())
        .unwrap_or_default();
    if let Some(parent) = out_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure::cannot_write(parent, e))?;
    }
    crate::report::atomic::write(&out_path, scenario.as_bytes())
        .map_err(|e| Failure::cannot_write(&out_path, e))?;
    let mut report = RecordReport {
        out: out_path.clone(),
        scenario: scenario.clone(),
        recording: rec,
        functions,
        steps,
        check: Vec::new(),
        sequential: None,
        start_method: String::new(),
        text: String::new(),
    };
    if args.check {
        let cores = report.recording.cores;
        let mut options = base;
        options["mode"] = json!("check");
        options["workers"] = json!([cores, 2 * cores]);
        options["reps"] = json!(args.repeats.max(1));
        options["kinds"] = json!(["sequential", "threads", "processes"]);
        let real = run_probe(&dir, &args.python, &options)?;
        report.start_method = real
            .get("start_method")
            .and_then(Value::as_str)
            .unwrap_or("fork")
            .to_string();
        let task_cpu_s = written.workloads.first().map_or(0.0, |w| {
            w.mean_task_cpu() * report.recording.calls.len() as f64 / 1e9
        });
        for (kind, workers, runs, background) in check::real_runs(&real) {
            let o = if kind == "sequential" {
                Vec::new()
            } else {
                check::overrides(&workload, &kind, workers, &report.start_method)
            };
            let s = check::load(&scenario, &out_path, &o).map_err(Failure::Run)?;
            let predicted = check::predict(&s).map_err(Failure::Run)?;
            report.check.push(CheckRow {
                kind,
                workers,
                real: runs,
                background,
                predicted,
                demand: task_cpu_s / predicted,
            });
        }
        let recorded: f64 = report
            .recording
            .calls
            .iter()
            .map(|c| c.wall as f64)
            .sum::<f64>()
            / 1e9;
        report.sequential = Some((recorded, check::predict(&written).map_err(Failure::Run)?));
    }
    report.text = text(&report, &workload);
    Ok(report)
}

fn load_for_scenario(p: &Path) -> Result<(), Failure> {
    crate::calibrate::profile::load_for_scenario(p)
        .map(|_| ())
        .map_err(|e| {
            let why = match e {
                crate::scenario::ProfileLoadError::Unreadable(m)
                | crate::scenario::ProfileLoadError::Invalid(m) => m,
            };
            Failure::Usage(format!("error: --profile {}: {why}", p.display()))
        })
}

/// What `gilsim record` prints.
pub fn text(r: &RecordReport, workload: &str) -> String {
    let s = writer::Summary::of(&r.recording, &r.steps);
    let mut t = format!(
        "recorded {} call(s) of {} on Python {}: per call {:.3} ms wall, Python with the GIL {:.3} ms, C without the GIL {:.3} ms, waiting {:.3} ms\n",
        s.calls,
        workload,
        r.recording.python,
        s.wall / 1e6,
        s.with_gil / 1e6,
        s.without_gil / 1e6,
        s.waiting / 1e6
    );
    t.push_str("steps: ");
    t.push_str(
        &r.steps
            .iter()
            .map(|st| format!("{} {:.3} ms", st.kind.key(), st.dist.mean() / 1e6))
            .collect::<Vec<_>>()
            .join(", "),
    );
    t.push_str(&format!(
        "\nitem {} pickled, result {}; recording overhead: profiled calls {:.2}x the clean ones\n",
        writer::bytes(s.args_bytes),
        writer::bytes(s.result_bytes),
        s.overhead
    ));
    if !r.recording.clean_pass_totals_ns.is_empty() {
        t.push_str(&format!(
            "clean passes: {} s (each call's steps use its median pass)\n",
            r.recording
                .clean_pass_totals_ns
                .iter()
                .map(|ns| format!("{:.3}", *ns as f64 / 1e9))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    t.push_str(&format!("wrote {}\n", r.out.display()));
    if !r.check.is_empty() {
        t.push_str(&format!(
            "\ncheck on {} core(s), {} (predicted with {}):\n",
            r.recording.cores,
            r.recording.executable,
            profile_label(&r.scenario)
        ));
        if let Some((real, predicted)) = r.sequential {
            t.push_str(&format!(
                "{:<38} {:>9.3}s {:>20} {:>9.3}s {:>+7.1}%\n",
                "recorded (the clean pass, sequential)",
                real,
                "",
                predicted,
                (predicted - real) / real * 100.0
            ));
        }
        t.push_str(&check::table(&r.check, &r.start_method, r.recording.cores));
        t.push_str(&format!(
            "recording overhead: the profiled calls took {:.2}x the clean ones (the steps use the clean pass)\n",
            s.overhead
        ));
    }
    t.push_str(&format!("next: gilsim compare {}\n", r.out.display()));
    t
}

fn profile_label(scenario: &str) -> String {
    scenario
        .lines()
        .find_map(|l| l.trim().strip_prefix("profile = "))
        .map_or_else(
            || "the reference profile (the built-in defaults)".to_string(),
            |p| format!("profile {}", p.trim_matches('"')),
        )
}
