//! `gilsim compare`: which way of running a workload (sequential, threads,
//! processes, asyncio, free-threaded threads, subinterpreters) and how many
//! workers, with the evidence.
//!
//! A candidate is the user's scenario plus a few `--set` overrides (its
//! model, its worker count, the build), loaded through
//! [`scenario::load_study`](crate::scenario::load_study) exactly like `gilsim run` would. A candidate
//! whose scenario does not validate is excluded with the validation error as
//! its reason; nothing is invented for it. Every candidate's replications
//! run in one parallel batch through [`study::run`](crate::study::run), in a fixed order, so
//! `compare.csv` is byte-identical for the same file and seed.
//!
//! Bottleneck thresholds ([`bottleneck`]), checked in this order:
//! - the GIL: `gil_held_fraction` ≥ 0.85 and `gil_wait_fraction` ≥ 0.25, or
//!   held ≥ 0.85 by a pool of several threads (one interpreter's GIL, which
//!   other stages of the same process may hold);
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
//!
//! - `args`: the goal, the models and worker counts, the arguments.
//! - `candidate`: a candidate and the metrics of its replications.
//! - `plan`: every candidate planned and its scenario loaded.
//! - `run`: every candidate's replications run in one batch.
//! - `rank`: candidates ranked for a goal.
//! - `bottleneck`: what limits a candidate, and the figures behind it.
//! - `text`: the ranked tables, bottlenecks and recommendations printed.
//! - `chart`: `compare.svg` / `compare.png`.
//! - `csv`: `compare.csv`.

mod args;
mod bottleneck;
mod candidate;
mod chart;
mod csv;
mod plan;
mod rank;
mod run;
mod text;

use std::path::{Path, PathBuf};

pub use args::{
    CompareArgs, Goal, Lists, MODELS, ShapeSpec, args_lists, args_shapes, parse_models,
    parse_shapes, parse_workers, shape_label,
};
pub use bottleneck::bottleneck;
pub use candidate::{Candidate, Metrics};
pub use csv::CSV_COLUMNS;
pub use rank::ranked;

use crate::failure::Failure;
use crate::report::chart::{render_row_png, render_row_svg};
use crate::report::files::Files;
use chart::{Panel, model_chart};
use plan::Plan;
use text::report_workload;

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

/// `gilsim compare`: plan, simulate and rank every candidate, then write
/// `compare.csv` and the charts.
pub fn compare(args: &CompareArgs) -> Result<CompareReport, Failure> {
    let (mut report, files) = render(args)?;
    // All files or none: a compare killed while it writes leaves the previous ones.
    files.write_to(&report.out_dir)?;
    report.text.push_str(&format!(
        "\nresults: {}\n",
        report.out_dir.join("compare.csv").display()
    ));
    Ok(report)
}

/// What [`compare`] does short of writing: plans, simulates and ranks,
/// then renders the files in memory; the text lacks the closing line
/// that says where `compare.csv` went.
pub fn render(args: &CompareArgs) -> Result<(CompareReport, Files), Failure> {
    let Plan {
        name,
        cores,
        reps,
        workloads,
        notes,
        mut candidates,
        points,
        point_of,
    } = plan::plan(args)?;
    run::run(
        points,
        &point_of,
        &mut candidates,
        args.jobs,
        args.progress,
        args.limits,
    )?;

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&name).join("compare"));
    let csv = csv::render(&candidates, cores)?;
    let mut out = Files::default();
    out.add("compare.csv", csv);
    for (i, w) in workloads.iter().enumerate() {
        let charts = [
            model_chart(&name, w, &candidates, Panel::Throughput),
            model_chart(&name, w, &candidates, Panel::P99),
        ];
        let stem = if i == 0 {
            "compare".to_string()
        } else {
            format!("compare-{w}")
        };
        let svg = render_row_svg(&charts)
            .map_err(|e| Failure::Run(format!("cannot draw {stem}: {e}")))?;
        out.add(&format!("{stem}.svg"), svg.into_bytes());
        if !args.svg_only {
            let png = render_row_png(&charts)
                .map_err(|e| Failure::Run(format!("cannot draw {stem}: {e}")))?;
            out.add(&format!("{stem}.png"), png);
        }
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
    Ok((
        CompareReport {
            candidates,
            text,
            out_dir,
        },
        out,
    ))
}
