//! What the `gilsim` subcommands do, apart from parsing arguments.

pub mod assertions;
pub mod pitfalls;
pub mod slurm;
mod table;

pub use table::summary_table;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::time::{MS, Nanos};
use crate::engine::units::parse_duration;
use crate::failure::Failure;
use crate::report::files::Files;
use crate::report::progress::{self, Counting};
use crate::report::{
    chart, csv as results_csv, figures, gantt, manifest, pipeline, summary, trace,
};
use crate::results::columns::{COLUMNS, SWEEP_INSERT_AT};
use crate::scenario::{self, Scenario, Study};
use crate::simulation::RunOptions;
use crate::study::{self, Run, Shard};
use crate::workload::Arrival;

/// Arguments of `gilsim run`.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The scenario's text, when it is given rather than read from `file`
    /// (which then only names it in messages and the manifest).
    pub source: Option<String>,
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
    /// `--trace`: write `timeline.svg`/`.png` and `trace.json` of one run.
    pub trace: bool,
    /// `--trace-window`: the recorded window; default the first 100 ms after the warm-up.
    pub trace_window: Option<(Nanos, Nanos)>,
    /// `--trace-point`: the sweep point traced (replication 0); default 0.
    pub trace_point: Option<usize>,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
    /// `--max-events`, `--max-wall`: a run that reaches one fails the
    /// command (exit 1) and nothing is written.
    pub limits: study::Limits,
    /// Print the scenario's pitfalls ([`pitfalls::warnings`]) on standard error.
    pub warnings: bool,
    /// `--assert`: checked on the results once they are written.
    pub assertions: Vec<assertions::Assertion>,
    /// Draw the charts as SVG only, without their `.png`: for a caller that
    /// shows them inline.
    pub svg_only: bool,
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
    /// Each `--assert` at each point, in the order given.
    pub assertions: Vec<assertions::Outcome>,
}

impl RunReport {
    /// Events simulated over all runs.
    pub fn events(&self) -> u64 {
        self.runs.iter().map(|r| r.output.events).sum()
    }
}

/// Loads and validates a scenario (a `[python] profile` read by
/// calibrate's loader); maps errors to exit code 2.
pub fn load(file: &Path, overrides: &[String]) -> Result<Scenario, Failure> {
    scenario::Reader::new(overrides)
        .with_profiles(crate::calibrate::profile::load_for_scenario)
        .load(file)
        .map_err(|e| Failure::Usage(e.to_string()))
}

/// Loads and validates a scenario with every point of its sweep.
pub fn load_study(file: &Path, overrides: &[String]) -> Result<Study, Failure> {
    scenario::Reader::new(overrides)
        .with_profiles(crate::calibrate::profile::load_for_scenario)
        .load_study(file)
        .map_err(|e| Failure::Usage(e.to_string()))
}

/// Loads and validates a scenario given as text, with every point of its
/// sweep; `file` names it in messages.
pub fn parse_study(source: &str, file: &Path, overrides: &[String]) -> Result<Study, Failure> {
    scenario::Reader::new(overrides)
        .with_profiles(crate::calibrate::profile::load_for_scenario)
        .parse_study_str(source, file)
        .map_err(|e| Failure::Usage(e.to_string()))
}

/// What `gilsim check` found: the study, its pitfalls and the defaults it relies on.
#[derive(Debug)]
pub struct CheckReport {
    /// The validated study.
    pub study: Study,
    /// Warnings for standard error (see [`pitfalls::warnings`]).
    pub warnings: Vec<String>,
    /// `key = value` of every default the first point relies on.
    pub defaults: Vec<String>,
}

/// `gilsim check FILE`: validates without running, and lists the pitfalls
/// and the defaults the run would rely on.
pub fn check(file: &Path, overrides: &[String]) -> Result<CheckReport, Failure> {
    let study = load_study(file, overrides)?;
    let text = std::fs::read_to_string(file).unwrap_or_default();
    Ok(CheckReport {
        warnings: pitfalls::warnings(&study),
        defaults: pitfalls::defaults(&study, &text, overrides),
        study,
    })
}

/// What `gilsim check` prints of a study's size: points × replications ×
/// simulated time, and a rough cost.
pub fn size_text(study: &Study) -> String {
    let size = study.size();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let secs = |ns: f64| ns / 1e9;
    format!(
        "size: {} point(s) × replications = {} run(s), up to {:.3} s of simulated time each, {:.3} s in all\n\
         rough cost: about {} events, {} of wall time on {jobs} core(s) \
         (a heuristic from the steps and arrivals, not a measurement: it can be off several times either way)\n",
        size.points,
        size.runs,
        secs(size.longest_run as f64),
        secs(size.simulated as f64),
        approx(size.events),
        wall_text(size.wall_seconds(jobs)),
    )
}

/// A count to two significant figures: "1.2 million".
fn approx(n: f64) -> String {
    let (value, unit) = if n >= 1e12 {
        (n / 1e12, " trillion")
    } else if n >= 1e9 {
        (n / 1e9, " billion")
    } else if n >= 1e6 {
        (n / 1e6, " million")
    } else if n >= 1e3 {
        (n / 1e3, " thousand")
    } else {
        return format!("{n:.0}");
    };
    format!("{value:.2}{unit}")
}

/// A wall time in the largest unit that keeps it readable.
fn wall_text(s: f64) -> String {
    if s < 1.0 {
        "under a second".to_string()
    } else if s < 120.0 {
        format!("~{s:.0} s")
    } else if s < 7200.0 {
        format!("~{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("~{:.0} h", s / 3600.0)
    } else {
        format!("~{:.0} days", s / 86_400.0)
    }
}

/// `gilsim run`: simulate every point and replication, then write
/// `results.csv`, `summary.csv` (with replications) and `manifest.json`.
pub fn run(args: &RunArgs) -> Result<RunReport, Failure> {
    let (report, files) = render(args)?;
    files.write_to(&report.out_dir)?;
    Ok(report)
}

/// What [`run`] does short of writing: simulates, then renders every file
/// in memory (`manifest.json` last).
pub fn render(args: &RunArgs) -> Result<(RunReport, Files), Failure> {
    let mut study = match &args.source {
        Some(text) => parse_study(text, &args.file, &args.overrides)?,
        None => load_study(&args.file, &args.overrides)?,
    };
    assertions::check_names(&args.assertions, &study)
        .map_err(|e| Failure::Usage(format!("error: {e}\n")))?;
    if args.warnings {
        for w in pitfalls::warnings(&study) {
            eprintln!("{w}");
        }
    }
    check_out(args.out.as_deref())?;
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
    // The run whose timeline is recorded: asked for, or the only point there is.
    let single_point = study.points.len() == 1;
    let traced_point = args.trace_point.unwrap_or(0);
    if traced_point >= study.points.len() {
        return Err(Failure::Usage(format!(
            "error: --trace-point {traced_point}: the sweep has {} point(s), numbered from 0\n",
            study.points.len()
        )));
    }
    let traced = (args.trace || single_point || args.trace_point.is_some())
        .then_some((traced_point, 0u32))
        .filter(|t| plan.contains(t));
    if args.trace && traced.is_none() {
        return Err(Failure::Usage(format!(
            "error: --trace-point {traced_point} is not in this shard; trace it from the shard that runs it\n"
        )));
    }
    let window = args.trace_window.unwrap_or_else(|| {
        let warmup = study.points[traced_point].scenario.window.warmup;
        (warmup, warmup + DEFAULT_TRACE_WINDOW)
    });
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let started = Instant::now();
    let bar = progress::bar(
        plan.len() as u64,
        "simulating",
        Counting::Runs,
        args.progress,
    );
    let budget = args.limits.budget(started);
    let options = |point: usize, replication: u32| RunOptions {
        trace_window: (traced == Some((point, replication))).then_some(window),
        budget,
        ..RunOptions::default()
    };
    let runs = study::run(&study, &plan, jobs, options, || bar.inc(1)).map_err(|f| {
        bar.finish_and_clear();
        let message = format!(
            "{}nothing was written: the previous outputs, if any, are as they were\n",
            f.error
                .report(&format!("point {} replication {}", f.point, f.replication))
        );
        match f.error.deadlock() {
            Some(d) => Failure::Blocked {
                message,
                threads: d.blocked.clone(),
            },
            None => Failure::Run(message),
        }
    })?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let out_dir = out_dir(args, &study);
    let header = crate::results::columns::header(&study.sweep_keys);
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
    let mut out = Files::default();
    let png = !args.svg_only;
    write_tables(&mut out, &header, &records)?;
    let workload_records = workload_rows(&header, &records);
    let table = figures::Table {
        header: &header,
        records: &workload_records,
        sweep_keys: &study.sweep_keys,
    };
    write_figures(&mut out, &figures::figures(&table, &study.charts), png)?;
    write_pipeline(&mut out, &study, traced_point, &table, png)?;
    if let Some(t) = runs.iter().find_map(|r| r.output.timeline.as_ref()) {
        let p = &study.points[traced_point];
        let mut title = p.scenario.name.clone();
        if !study.sweep_keys.is_empty() {
            let at: Vec<String> = study
                .sweep_keys
                .iter()
                .zip(&p.values)
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            title = format!("{title}: point {traced_point} ({})", at.join(", "));
        }
        let svg = gantt::render_svg(t, &title);
        // The timeline of a single point is drawn unasked: one too large to
        // draw (thousands of worker processes) is left out, not an error.
        let asked = args.trace || args.trace_point.is_some();
        let svg = match svg {
            Err(crate::report::chart::ChartError::TooLarge(_)) if !asked => None,
            other => {
                Some(other.map_err(|e| Failure::Run(format!("cannot draw the timeline: {e}")))?)
            }
        };
        if let Some(svg) = &svg {
            write_file(&mut out, "timeline.svg", svg.as_bytes());
        }
        if png && svg.is_some() {
            let png = gantt::render_png(t, &title)
                .map_err(|e| Failure::Run(format!("cannot draw the timeline: {e}")))?;
            write_file(&mut out, "timeline.png", &png);
        }
        if args.trace {
            let json = trace::chrome_trace(t, &p.scenario.name);
            write_file(&mut out, "trace.json", &json);
        }
    }

    let files = out.names();
    let scenario_bytes = match &args.source {
        Some(text) => text.as_bytes().to_vec(),
        None => std::fs::read(&args.file).unwrap_or_default(),
    };
    let events: u64 = runs.iter().map(|r| r.output.events).sum();
    let simulated_s: f64 = runs.iter().map(|r| r.output.end as f64 / 1e9).sum();
    let tasks_completed: u64 = runs
        .iter()
        .flat_map(|r| &r.output.workloads)
        .map(|w| w.tasks_completed)
        .sum();
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
        events,
        stale_events: runs.iter().map(|r| r.output.stale_events).sum(),
        events_in_place: runs.iter().map(|r| r.output.events_in_place).sum(),
        simulated_s,
        tasks_completed,
        wall_time_s: wall,
        speed: manifest::Speed::new(events, simulated_s, tasks_completed, wall),
        files: files.clone(),
    };
    let json = serde_json::to_vec_pretty(&m)
        .map_err(|e| Failure::Run(format!("cannot render manifest.json: {e}")))?;
    write_file(&mut out, "manifest.json", &json);
    let assertions = assertions::evaluate(
        &args.assertions,
        &header,
        &workload_records,
        &study.sweep_keys,
    );
    Ok((
        RunReport {
            study,
            runs,
            out_dir,
            files,
            assertions,
        },
        out,
    ))
}

/// Where `gilsim run` writes: `--out DIR` or `output/<name>`, and a shard
/// under it in its own `shard-K-of-N/`, so that shards given the same
/// `--out` never write over each other.
fn out_dir(args: &RunArgs, study: &Study) -> PathBuf {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&study.first().name));
    match args.shard {
        Some(s) => s.out_dir(&dir),
        None => dir,
    }
}

/// Refuses an output folder that cannot be one: empty, or an existing
/// file. Checked before anything runs.
fn check_out(out: Option<&Path>) -> Result<(), Failure> {
    let Some(out) = out else {
        return Ok(());
    };
    if out.as_os_str().is_empty() {
        return Err(Failure::Usage(
            "error: --out is empty: give the folder to write into\n".into(),
        ));
    }
    if out.exists() && !out.is_dir() {
        return Err(Failure::Usage(format!(
            "error: --out {} is a file, not a folder\n",
            out.display()
        )));
    }
    Ok(())
}

/// The default `--trace-window` length, after the warm-up: long enough to
/// show many 5 ms switch intervals, short enough to stay a few MB.
pub const DEFAULT_TRACE_WINDOW: Nanos = 100 * MS;

/// Adds one file to the output set.
fn write_file(out: &mut Files, name: &str, bytes: &[u8]) {
    out.add(name, bytes.to_vec());
}

/// Writes `pipeline.svg` (and `.png` with `png`) for sweep point `point`
/// when the scenario has `after` stages.
fn write_pipeline(
    out: &mut Files,
    study: &Study,
    point: usize,
    table: &figures::Table<'_>,
    png: bool,
) -> Result<(), Failure> {
    let Some(p) = study.points.get(point) else {
        return Ok(());
    };
    let workloads = &p.scenario.workloads;
    let links: Vec<(String, String)> = workloads
        .iter()
        .flat_map(|w| match &w.arrival {
            Arrival::After { upstream, .. } => upstream
                .iter()
                .map(|&u| (workloads[u].name.clone(), w.name.clone()))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let Some(c) = pipeline::pipeline_chart(&p.scenario.name, table, &point.to_string(), &links)
    else {
        return Ok(());
    };
    let fail = |e: chart::ChartError| Failure::Run(format!("cannot draw pipeline: {e}"));
    let svg = pipeline::render_svg(&c).map_err(fail)?;
    write_file(out, "pipeline.svg", svg.as_bytes());
    if png {
        write_file(
            out,
            "pipeline.png",
            &pipeline::render_png(&c).map_err(fail)?,
        );
    }
    Ok(())
}

/// Writes each figure as `<name>.svg`, and `<name>.png` with `png`.
fn write_figures(out: &mut Files, figures: &[figures::Figure], png: bool) -> Result<(), Failure> {
    for f in figures {
        let svg = chart::render_svg(&f.chart)
            .map_err(|e| Failure::Run(format!("cannot draw {}: {e}", f.name)))?;
        write_file(out, &format!("{}.svg", f.name), svg.as_bytes());
        if png {
            let png = chart::render_png(&f.chart)
                .map_err(|e| Failure::Run(format!("cannot draw {}: {e}", f.name)))?;
            write_file(out, &format!("{}.png", f.name), &png);
        }
    }
    Ok(())
}

/// Parses `--trace-window A..B` (durations with units, e.g. `0ms..50ms`).
pub fn parse_trace_window(text: &str) -> Result<(Nanos, Nanos), String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("expected START..END such as 0ms..50ms, found `{text}`"))?;
    let duration = |t: &str| {
        let t = t.trim();
        if t == "0" {
            return Ok(0);
        }
        parse_duration(t)
            .map_err(|_| format!("`{t}` is not a duration such as 50ms (units: ns, us, ms, s)"))
    };
    let start = duration(a)?;
    let end = duration(b)?;
    if end <= start {
        return Err(format!(
            "the window `{text}` is empty: END must be after START"
        ));
    }
    Ok((start, end))
}

/// Parses `--max-wall`: a duration such as `500ms`, `90s`, `10min` or `2h`.
pub fn parse_max_wall(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let hours = |n: &str, per: u64| {
        n.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(per))
            .map(std::time::Duration::from_secs)
    };
    let parsed = if let Some(n) = t.strip_suffix("min") {
        hours(n, 60)
    } else if let Some(n) = t.strip_suffix('h') {
        hours(n, 3600)
    } else {
        parse_duration(t).ok().map(std::time::Duration::from_nanos)
    };
    match parsed {
        Some(d) if !d.is_zero() => Ok(d),
        Some(_) => Err(format!("`{text}` is zero: give a positive duration")),
        None => Err(format!(
            "`{text}` is not a duration such as 500ms, 90s, 10min or 2h"
        )),
    }
}

/// The workload rows of `results.csv` records, without the rows of
/// `one_of` branches (charts and assertions are per workload).
fn workload_rows(header: &[String], records: &[Vec<String>]) -> Vec<Vec<String>> {
    records
        .iter()
        .filter(|r| !crate::results::columns::is_branch_row(header, r))
        .cloned()
        .collect()
}

/// Writes `results.csv`, and `summary.csv` when some point has more than one replication.
fn write_tables(
    out: &mut Files,
    header: &[String],
    records: &[Vec<String>],
) -> Result<(), Failure> {
    let bytes = results_csv::render_records(header, records)
        .map_err(|e| Failure::Run(format!("cannot render results.csv: {e}")))?;
    write_file(out, "results.csv", &bytes);
    let replicated = records.iter().any(|r| r[1] != "0");
    if replicated {
        let (h, rows) = summary::table(header, records);
        let bytes = results_csv::render_records(&h, &rows)
            .map_err(|e| Failure::Run(format!("cannot render summary.csv: {e}")))?;
        write_file(out, "summary.csv", &bytes);
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
    /// The scenario file, for its `[[chart]]` tables.
    pub scenario: Option<PathBuf>,
    /// `--set` overrides the shards ran with, to read the scenario the same way.
    pub overrides: Vec<String>,
}

/// `gilsim merge`: joins shard `results.csv` files into one, in point order,
/// identical to an unsharded run's, and rebuilds `summary.csv` and the
/// charts: the default ones, and the `[[chart]]` tables of `--scenario`.
pub fn merge(args: &MergeArgs) -> Result<(PathBuf, usize), Failure> {
    if args.shards.is_empty() {
        return Err(Failure::Usage(
            "error: give the shard folders or results.csv files to merge\n".into(),
        ));
    }
    let shards = shard_folders(&args.shards);
    let study_points = check_shards(&shards)?;
    check_out(args.out.as_deref())?;
    let mut header: Option<Vec<String>> = None;
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut seen: std::collections::BTreeMap<(u64, u64), String> = Default::default();
    for shard in &shards {
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
        if h.first().map(String::as_str) != Some("point") || h.len() < COLUMNS.len() {
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
                    shards[0].display()
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
    if let Some(points) = study_points {
        let present: std::collections::BTreeSet<u64> = seen.keys().map(|k| k.0).collect();
        let missing: Vec<String> = (0..points)
            .filter(|p| !present.contains(p))
            .map(|p| p.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Failure::Usage(format!(
                "error: point(s) {} of the study's {points} are in no shard: the shards were split \
                 another way (by another gilsim version?) or a results.csv lost rows; \
                 run the shards again with one gilsim\n",
                missing.join(", ")
            )));
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
            let first = &shards[0];
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
    let mut out = Files::default();
    write_tables(&mut out, &header, &records)?;
    // The sweep columns sit between `seed` and `workload`.
    let sweep_count = header.len().saturating_sub(COLUMNS.len());
    let sweep_keys: Vec<String> = header[SWEEP_INSERT_AT..SWEEP_INSERT_AT + sweep_count].to_vec();
    let workload_records = workload_rows(&header, &records);
    let table = figures::Table {
        header: &header,
        records: &workload_records,
        sweep_keys: &sweep_keys,
    };
    let charts = match &args.scenario {
        Some(file) => load_study(file, &args.overrides)?.charts,
        None => Vec::new(),
    };
    write_figures(&mut out, &figures::figures(&table, &charts), true)?;
    out.write_to(&out_dir)?;
    Ok((out_dir, records.len()))
}

/// The shards to merge: each argument, or, for a folder with no
/// `results.csv` that holds `shard-K-of-N/` folders (what `run --shard K/N
/// --out DIR` writes), those folders in shard order.
fn shard_folders(given: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in given {
        if !path.is_dir() || path.join("results.csv").exists() {
            out.push(path.clone());
            continue;
        }
        let mut found: Vec<(usize, usize, PathBuf)> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let s = Shard::from_folder(e.file_name().to_str()?)?;
                e.path().is_dir().then(|| (s.count, s.index, e.path()))
            })
            .collect();
        if found.is_empty() {
            out.push(path.clone());
        } else {
            found.sort();
            out.extend(found.into_iter().map(|(_, _, p)| p));
        }
    }
    out
}

/// What a shard folder's `manifest.json` says of the study it ran.
#[derive(Debug, PartialEq)]
struct ShardOf {
    shard: Shard,
    /// The study's sweep points.
    points: Option<u64>,
    /// The scenario's SHA-256, the --set overrides and the seed: shards of
    /// one study have the same.
    study: (String, serde_json::Value, serde_json::Value),
}

/// Reads `dir/manifest.json` of a shard folder; `None` for a `results.csv`
/// file, or a folder without a shard's manifest.
fn shard_of(dir: &Path) -> Option<ShardOf> {
    let text = std::fs::read(dir.join("manifest.json")).ok()?;
    let m: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let shard = Shard::parse(m.get("shard")?.as_str()?).ok()?;
    Some(ShardOf {
        shard,
        points: m.get("points").and_then(serde_json::Value::as_u64),
        study: (
            m.get("scenario_sha256")?.as_str()?.to_string(),
            m.get("overrides").cloned().unwrap_or_default(),
            m.get("seed").cloned().unwrap_or_default(),
        ),
    })
}

/// When every shard given is a shard folder with its manifest: refuses
/// shards of different studies or splits, and a merge that lacks some
/// shards of the split (it would lose their points). Returns the study's
/// point count when the shards are a whole split, for the merge to check
/// that every point is in one. `results.csv` files are merged as given.
fn check_shards(shards: &[PathBuf]) -> Result<Option<u64>, Failure> {
    let Some(read) = shards
        .iter()
        .map(|p| shard_of(p).map(|s| (p, s)))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let Some((first_path, first)) = read.first() else {
        return Ok(None);
    };
    for (path, s) in &read[1..] {
        if s.study != first.study {
            return Err(Failure::Usage(format!(
                "error: {} and {} are shards of different studies (scenario, --set or seed): they cannot be merged\n",
                first_path.display(),
                path.display()
            )));
        }
        if s.shard.count != first.shard.count {
            return Err(Failure::Usage(format!(
                "error: {} is shard {}/{} and {} shard {}/{}: shards of different splits cannot be merged\n",
                first_path.display(),
                first.shard.index,
                first.shard.count,
                path.display(),
                s.shard.index,
                s.shard.count
            )));
        }
    }
    let count = first.shard.count;
    let mut given: Vec<usize> = read.iter().map(|(_, s)| s.shard.index).collect();
    given.sort_unstable();
    given.dedup();
    if given.len() < read.len() {
        // A shard given twice: its rows are refused, naming both places.
        return Ok(None);
    }
    let missing: Vec<String> = (0..count)
        .filter(|k| !read.iter().any(|(_, s)| s.shard.index == *k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Usage(format!(
            "error: shard {} missing: the merge would lack their points\n\
             help: run them with `gilsim run FILE --shard K/N --out DIR`, then `gilsim merge DIR`; \
             to merge part of a study on purpose, give the shards' results.csv files\n",
            missing.join(", ")
        )));
    }
    Ok(first.points)
}
