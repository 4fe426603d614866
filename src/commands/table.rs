//! The table `gilsim run` prints: a row per point and workload, with
//! replications the mean ± 95% half-width over them.

use super::RunReport;
use crate::results::WorkloadResult;

/// Rows shown on the terminal before the table is cut short.
const TABLE_ROWS: usize = 40;

/// A short table of the results, for the terminal: one row per point and
/// workload; with replications, each number is the mean ± the 95%
/// half-width over them (summary.csv has every column).
pub fn summary_table(report: &RunReport) -> String {
    let keys = &report.study.sweep_keys;
    let replications = report
        .runs
        .iter()
        .map(|r| r.replication + 1)
        .max()
        .unwrap_or(1);
    let mut s = String::new();
    if replications > 1 {
        s.push_str(&format!(
            "mean ± 95% half-width over {replications} replications (summary.csv has every column)\n"
        ));
    }
    if !keys.is_empty() {
        s.push_str(&format!("{:>5} ", "point"));
        for k in short_keys(keys) {
            s.push_str(&format!("{:>12} ", k));
        }
    }
    let races = report
        .runs
        .iter()
        .any(|r| r.output.workloads.iter().any(|w| w.shared.is_some()));
    let open_loop = report
        .runs
        .iter()
        .any(|r| r.output.workloads.iter().any(|w| w.load.is_some()));
    let mut w = Widths::for_replications(replications > 1);
    // As wide as the widest `workers` label (`4x100 asyncio`, `8x1 sequential`).
    w.workers = report
        .runs
        .iter()
        .flat_map(|r| r.output.workloads.iter())
        .map(|r| r.workers.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    s.push_str(&format!(
        "{:<16} {:<11} {:>ww$} {:>cw$} {:>tw$} {:>lw$} {:>lw$} {:>pw$} {:>pw$}",
        "workload",
        "model",
        "workers",
        "completed",
        "per second",
        "p50 ms",
        "p99 ms",
        "cpu",
        "gil",
        ww = w.workers,
        cw = w.completed,
        tw = w.throughput,
        lw = w.latency,
        pw = w.percent
    ));
    // Shared variables: their updates, the lost ones and the final value.
    if races {
        s.push_str(&format!(
            " {:>12} {:>uw$} {:>lw$} {:>uw$}",
            "updates",
            "lost",
            "lost %",
            "final",
            lw = w.lost,
            uw = w.updates
        ));
    }
    if open_loop {
        s.push_str(&format!(" {:>tw$}", "offered/s", tw = w.throughput));
    }
    s.push('\n');
    let mut overloaded = false;
    let mut shown = 0;
    let mut hidden = 0;
    for run in report.runs.iter().filter(|r| r.replication == 0) {
        for (i, r) in run.output.workloads.iter().enumerate() {
            if shown >= TABLE_ROWS {
                hidden += 1;
                continue;
            }
            shown += 1;
            if !keys.is_empty() {
                s.push_str(&format!("{:>5} ", run.point));
                for v in &report.study.points[run.point].values {
                    s.push_str(&format!("{:>12} ", ellipsis(&compact_value(v), 12)));
                }
            }
            let all: Vec<&WorkloadResult> = report
                .runs
                .iter()
                .filter(|x| x.point == run.point)
                .filter_map(|x| x.output.workloads.get(i))
                .collect();
            let mut line = result_line(r, &all, races, &w);
            if open_loop {
                line.pop();
                line.push_str(&load_cells(r, &all, &w));
                overloaded |= all.iter().any(|x| x.load.is_some_and(|l| l.overloaded));
                line.push('\n');
            }
            s.push_str(&line);
            for (b, branch) in r.branches.iter().enumerate() {
                s.push_str(&branch_line(&branch.label, b, &all, &w));
            }
        }
    }
    if hidden > 0 {
        s.push_str(&format!("... and {hidden} more rows in results.csv\n"));
    }
    if overloaded {
        s.push_str(&format!(
            "OVERLOADED: served less than {:.0}% of the offered rate; its tasks in flight grow with time, and its latencies with duration (backlog_end, backlog_growth_per_s in results.csv)\n",
            crate::results::KEEP_UP * 100.0
        ));
    }
    s
}

/// The offered rate of an open-loop workload, and `OVERLOADED` when it did
/// not keep up (with replications: in how many of them).
fn load_cells(r: &WorkloadResult, all: &[&WorkloadResult], w: &Widths) -> String {
    if r.load.is_none() {
        return format!(" {:>tw$}", "-", tw = w.throughput);
    }
    let xs: Vec<f64> = all
        .iter()
        .filter_map(|x| x.load.map(|l| l.offered_per_s))
        .collect();
    let offered = match crate::report::summary::mean_ci(&xs) {
        Some((m, Some(h))) if all.len() > 1 => format!("{m:.2}±{h:.2}"),
        Some((m, _)) => format!("{m:.2}"),
        None => "-".to_string(),
    };
    let over = all
        .iter()
        .filter(|x| x.load.is_some_and(|l| l.overloaded))
        .count();
    let flag = match (over, all.len()) {
        (0, _) => String::new(),
        (_, 1) => "  OVERLOADED".to_string(),
        (k, n) => format!("  OVERLOADED in {k}/{n}"),
    };
    format!(" {offered:>tw$}{flag}", tw = w.throughput)
}

/// A row for branch `b` of a workload's `one_of` step, under the workload's:
/// its completed tasks, rate and latencies.
fn branch_line(label: &str, b: usize, all: &[&WorkloadResult], w: &Widths) -> String {
    let of: Vec<&crate::results::BranchResult> =
        all.iter().filter_map(|x| x.branches.get(b)).collect();
    let stat = |f: &dyn Fn(&crate::results::BranchResult) -> Option<f64>, d: usize| {
        let xs: Vec<f64> = of.iter().filter_map(|x| f(x)).collect();
        match crate::report::summary::mean_ci(&xs) {
            None => "-".to_string(),
            Some((m, Some(h))) => format!("{m:.d$}±{h:.d$}"),
            Some((m, None)) => format!("{m:.d$}"),
        }
    };
    format!(
        "{:<16} {:<11} {:>ww$} {:>cw$} {:>tw$} {:>lw$} {:>lw$}\n",
        ellipsis(&format!("  {label}"), 16),
        "branch",
        "",
        stat(&|x| Some(x.tasks_completed as f64), 0),
        stat(&|x| Some(x.throughput_per_s), 2),
        stat(&|x| x.latency_ms.map(|l| l[1]), 3),
        stat(&|x| x.latency_ms.map(|l| l[3]), 3),
        ww = w.workers,
        cw = w.completed,
        tw = w.throughput,
        lw = w.latency,
    )
}

/// Column widths of the terminal table: wider with replications (`±`).
struct Widths {
    workers: usize,
    completed: usize,
    throughput: usize,
    latency: usize,
    percent: usize,
    lost: usize,
    updates: usize,
}

impl Widths {
    fn for_replications(replicated: bool) -> Self {
        if replicated {
            Widths {
                workers: 8,
                completed: 14,
                throughput: 16,
                latency: 18,
                percent: 9,
                lost: 14,
                updates: 20,
            }
        } else {
            Widths {
                workers: 8,
                completed: 10,
                throughput: 12,
                latency: 10,
                percent: 6,
                lost: 7,
                updates: 12,
            }
        }
    }
}

/// The table's own column names, which a sweep key's header must not repeat.
const RESULT_COLUMNS: [&str; 9] = [
    "workload",
    "model",
    "workers",
    "completed",
    "cpu",
    "gil",
    "updates",
    "lost",
    "final",
];

/// The shortest dotted suffix of each key that tells it from the others
/// and from the table's own columns (`rate`; `run.workers` beside the
/// `workers` column; `a.run.workers` and `b.run.workers` when two
/// workloads' workers are swept), cut to 12 characters.
fn short_keys(keys: &[String]) -> Vec<String> {
    let parts: Vec<Vec<&str>> = keys.iter().map(|k| k.split('.').collect()).collect();
    let suffix = |p: &[&str], n: usize| p[p.len().saturating_sub(n)..].join(".");
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let p = &parts[i];
            let unique = (1..=p.len()).find(|&n| {
                let mine = suffix(p, n);
                !RESULT_COLUMNS.contains(&mine.as_str())
                    && parts
                        .iter()
                        .enumerate()
                        .all(|(j, q)| j == i || suffix(q, n) != mine)
            });
            let short = match unique {
                Some(n) => suffix(p, n),
                None => k.clone(),
            };
            // Keep the distinguishing front of a long suffix.
            if short.chars().count() > 12 && unique.is_some_and(|n| n > 1) {
                let first = p[p.len() - unique.unwrap_or(1)];
                ellipsis(&format!("{first}.{}", p[p.len() - 1]), 12)
            } else {
                ellipsis(&short, 12)
            }
        })
        .collect()
}

/// A sweep value for a narrow column: a step list without its TOML
/// punctuation (`[ { io = "20ms" } ]` is `io=20ms`), an inline table by its
/// values (`{ model = "threads", workers = 8 }` is `threads 8`).
fn compact_value(v: &str) -> String {
    if !v.starts_with('[') && !v.starts_with('{') {
        return v.to_string();
    }
    if v.starts_with('{') && !v.contains('[') {
        let values: Vec<String> = v
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .filter_map(|kv| {
                kv.split_once('=')
                    .map(|(_, x)| x.trim().trim_matches('"').to_string())
            })
            .collect();
        return values.join(" ");
    }
    let mut out = String::new();
    for c in v.chars() {
        match c {
            '[' | ']' | '{' | '}' | '"' => {}
            ' ' => {}
            ',' => out.push(' '),
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let cut: String = text.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// One row of the terminal table: `r` alone, or with replications the
/// mean ± half-width over `all` (the point's rows of this workload).
fn result_line(r: &WorkloadResult, all: &[&WorkloadResult], races: bool, w: &Widths) -> String {
    let stat =
        |f: &dyn Fn(&WorkloadResult) -> Option<f64>, scale: f64, decimals: usize| -> String {
            let xs: Vec<f64> = all.iter().filter_map(|r| f(r)).map(|x| x * scale).collect();
            if all.len() < 2 {
                return f(r).map_or("-".to_string(), |x| format!("{:.*}", decimals, x * scale));
            }
            match crate::report::summary::mean_ci(&xs) {
                None => "-".to_string(),
                Some((m, Some(h))) => format!("{m:.decimals$}±{h:.decimals$}"),
                Some((m, None)) => format!("{m:.decimals$}"),
            }
        };
    let completed = stat(
        &|r| Some(r.tasks_completed as f64),
        1.0,
        if all.len() < 2 { 0 } else { 1 },
    );
    let per_second = stat(&|r| Some(r.throughput_per_s), 1.0, 2);
    let p50 = stat(&|r| r.latency_ms.map(|l| l[1]), 1.0, 3);
    let p99 = stat(&|r| r.latency_ms.map(|l| l[3]), 1.0, 3);
    let cpu = stat(&|r| Some(r.cpu_utilization), 100.0, 0) + "%";
    let gil = match stat(&|r| r.gil_held_fraction, 100.0, 0) {
        g if g == "-" => g,
        g => g + "%",
    };
    let shared = match (races, r.shared) {
        (false, _) => String::new(),
        (true, None) => format!(
            " {:>12} {:>uw$} {:>lw$} {:>uw$}",
            "-",
            "-",
            "-",
            "-",
            lw = w.lost,
            uw = w.updates
        ),
        (true, Some(_)) => format!(
            " {:>12} {:>uw$} {:>lw$} {:>uw$}",
            stat(&|r| r.shared.map(|s| s.updates as f64), 1.0, 0),
            stat(&|r| r.shared.map(|s| s.lost as f64), 1.0, 0),
            stat(&|r| r.shared.and_then(|s| s.lost_fraction()), 100.0, 2) + "%",
            stat(&|r| r.shared.map(|s| s.final_value as f64), 1.0, 0),
            lw = w.lost,
            uw = w.updates
        ),
    };
    format!(
        "{:<16} {:<11} {:>ww$} {:>cw$} {:>tw$} {:>lw$} {:>lw$} {:>pw$} {:>pw$}{shared}\n",
        r.workload,
        r.model,
        r.workers,
        completed,
        per_second,
        p50,
        p99,
        cpu,
        gil,
        ww = w.workers,
        cw = w.completed,
        tw = w.throughput,
        lw = w.latency,
        pw = w.percent
    )
}
