//! What `gilsim capacity` writes and prints: `capacity.csv` (one row per
//! shape), `capacity-points.csv` (every rate tried), `capacity.svg/.png`
//! (p99 against rate per shape, with the target) and the ranking.

use std::path::Path;

use super::{Context, ShapeResult};
use crate::failure::Failure;
use crate::report::chart::{self, render_png, render_svg};
use crate::report::csv::render_records;
use crate::report::files::Files;

/// The columns of `capacity.csv`.
pub const COLUMNS: &[&str] = &[
    "rank",
    "shape",
    "workload",
    "p99_target_ms",
    "max_rate_per_s",
    "p99_ms",
    "served_per_s",
    "offered_per_s",
    "cpu_utilization",
    "peak_rss_mb",
    "rates_tried",
    "note",
];

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.6}")
    } else {
        String::new()
    }
}

/// The shapes that ran, best first: the highest rate, then the lower p99.
fn ranked(results: &[ShapeResult]) -> Vec<&ShapeResult> {
    let mut r: Vec<&ShapeResult> = results
        .iter()
        .filter(|s| s.found.as_ref().is_ok_and(|f| f.best.is_some()))
        .collect();
    let key = |s: &ShapeResult| {
        let b = s.found.as_ref().ok().and_then(|f| f.best.clone());
        b.map_or((0.0, f64::INFINITY), |p| {
            (p.rate, p.p99_ms.unwrap_or(f64::INFINITY))
        })
    };
    r.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0).then(ka.1.total_cmp(&kb.1))
    });
    r
}

/// `capacity.csv`, `capacity-points.csv` and the chart, in memory.
pub(super) fn files(
    name: &str,
    workload: &str,
    p99_ms: f64,
    results: &[ShapeResult],
    svg_only: bool,
) -> Result<Files, Failure> {
    let order = ranked(results);
    let mut rows = Vec::new();
    for s in results {
        let rank = order
            .iter()
            .position(|x| std::ptr::eq(*x, s))
            .map_or(String::new(), |i| (i + 1).to_string());
        let mut row = vec![rank, s.label.clone(), workload.to_string(), num(p99_ms)];
        match &s.found {
            Ok(f) => {
                match &f.best {
                    Some(p) => row.extend([
                        num(p.rate),
                        p.p99_ms.map(num).unwrap_or_default(),
                        num(p.served_per_s),
                        num(p.offered_per_s),
                        num(p.cpu_utilization),
                        num(p.peak_rss_mb),
                    ]),
                    None => row.extend(std::iter::repeat_n(String::new(), 6)),
                }
                row.push(f.tried.len().to_string());
                row.push(f.note.clone().unwrap_or_default());
            }
            Err(e) => {
                row.extend(std::iter::repeat_n(String::new(), 7));
                row.push(format!("refused: {e}"));
            }
        }
        rows.push(row);
    }
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let csv_err = |e: csv::Error| Failure::Run(format!("cannot render capacity.csv: {e}"));
    let mut out = Files::default();
    out.add(
        "capacity.csv",
        render_records(&header, &rows).map_err(csv_err)?,
    );
    let mut points = Vec::new();
    for s in results {
        let Ok(f) = &s.found else { continue };
        let mut tried = f.tried.clone();
        tried.sort_by(|a, b| a.rate.total_cmp(&b.rate));
        for p in tried {
            points.push(vec![
                s.label.clone(),
                num(p.rate),
                p.p99_ms.map(num).unwrap_or_default(),
                num(p.served_per_s),
                num(p.offered_per_s),
                u8::from(p.overloaded).to_string(),
                u8::from(p.meets(p99_ms)).to_string(),
            ]);
        }
    }
    let header: Vec<String> = [
        "shape",
        "rate_per_s",
        "p99_ms",
        "served_per_s",
        "offered_per_s",
        "overloaded",
        "meets_target",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    out.add(
        "capacity-points.csv",
        render_records(&header, &points).map_err(csv_err)?,
    );
    let c = p99_chart(name, workload, p99_ms, results);
    let svg = render_svg(&c).map_err(|e| Failure::Run(format!("cannot draw capacity: {e}")))?;
    out.add("capacity.svg", svg.into_bytes());
    if !svg_only {
        let png = render_png(&c).map_err(|e| Failure::Run(format!("cannot draw capacity: {e}")))?;
        out.add("capacity.png", png);
    }
    Ok(out)
}

/// p99 against the rate tried, one line per shape (overloaded rates, whose
/// p99 only says how long the run was, are left out), and the target.
fn p99_chart(name: &str, workload: &str, p99_ms: f64, results: &[ShapeResult]) -> chart::LineChart {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for (i, s) in results.iter().enumerate() {
        let Ok(f) = &s.found else { continue };
        let mut points: Vec<chart::Point> = f
            .tried
            .iter()
            .filter(|p| !p.overloaded)
            .filter_map(|p| {
                Some(chart::Point {
                    x: p.rate,
                    y: p.p99_ms?,
                    band: None,
                })
            })
            .collect();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        for p in &points {
            lo = lo.min(p.x);
            hi = hi.max(p.x);
        }
        if !points.is_empty() {
            series.push(chart::Series {
                name: s.label.clone(),
                dashed: false,
                colour: Some(i),
                points,
            });
        }
    }
    if lo.is_finite() {
        series.push(chart::Series {
            name: format!("p99 target {p99_ms} ms"),
            dashed: true,
            // The colour after the shapes', never one of theirs.
            colour: Some(results.len()),
            points: [lo, hi]
                .iter()
                .map(|&x| chart::Point {
                    x,
                    y: p99_ms,
                    band: None,
                })
                .collect(),
        });
    }
    chart::LineChart {
        title: format!("{name}: `{workload}` p99 against arrival rate, by shape"),
        x_label: "arrival rate (tasks/s)".into(),
        y_label: "p99 latency (ms)".into(),
        x_categories: None,
        x_log: None,
        y_log: Some(true),
        series,
    }
}

/// The ranking for the terminal, with the command that reproduces the best shape's figures.
pub(super) fn ranking(ctx: &Context, reps: u32, file: &Path, results: &[ShapeResult]) -> String {
    let mut s = format!(
        "capacity of `{}` with p99 ≤ {} ms and served ≥ {:.0}% of offered ({} replication(s) per rate):\n",
        ctx.workload,
        ctx.p99_ms,
        crate::results::KEEP_UP * 100.0,
        reps
    );
    s.push_str(&format!(
        "{:>4}  {:<14} {:>12} {:>10} {:>10} {:>6} {:>9}\n",
        "rank", "shape", "max rate/s", "p99 ms", "served/s", "cpu", "peak MB"
    ));
    let order = ranked(results);
    for (i, r) in order.iter().enumerate() {
        let Some(p) = r.found.as_ref().ok().and_then(|f| f.best.as_ref()) else {
            continue;
        };
        s.push_str(&format!(
            "{:>4}  {:<14} {:>12} {:>10.3} {:>10.2} {:>5.0}% {:>9.1}\n",
            i + 1,
            r.label,
            p.rate,
            p.p99_ms.unwrap_or(f64::NAN),
            p.served_per_s,
            p.cpu_utilization * 100.0,
            p.peak_rss_mb
        ));
    }
    for r in results {
        match &r.found {
            Ok(f) if f.best.is_none() => s.push_str(&format!(
                "   -  {:<14} {}\n",
                r.label,
                f.note.as_deref().unwrap_or("no rate meets the target")
            )),
            Ok(f) => {
                if let Some(n) = &f.note {
                    s.push_str(&format!("note: {}: {n}\n", r.label));
                }
            }
            Err(e) => s.push_str(&format!("   -  {:<14} refused: {e}\n", r.label)),
        }
    }
    if let Some(best) = order.first()
        && let Some(p) = best.found.as_ref().ok().and_then(|f| f.best.as_ref())
    {
        let mut cmd = format!("gilsim run {}", file.display());
        for a in ctx
            .base
            .iter()
            .chain(&best.sets)
            .cloned()
            .chain([super::search::rate_override(&ctx.workload, p.rate).to_arg()])
        {
            cmd.push_str(&format!(" --set '{a}'"));
        }
        s.push_str(&format!("the best shape at its highest rate: {cmd}\n"));
    }
    s
}
