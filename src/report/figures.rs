//! Which charts a study draws, and their data, from the `results.csv`
//! records (so `gilsim merge` can draw the same charts as an unsharded run).
//!
//! - `throughput`: tasks per second against the first sweep key, one line
//!   per workload and value of the second key (per workload alone without a
//!   sweep); with replications, the mean and its 95% confidence interval.
//! - `latency`: p50 (solid) and p99 (dashed) latency, the same way.
//! - one chart per `[[chart]]` table: its `x`, `y` and `series`.
//!
//! Sweep keys beyond those on the axes are held at their first value (a key
//! zipped with an axis key varies with it instead), and
//! the chart's subtitle says so. Duration values (`"5ms"`) make a numeric
//! axis in milliseconds; other non-numeric values a categorical axis in
//! file order.

use super::chart::{LineChart, Point, Series};
use std::collections::BTreeMap;

use super::summary::mean_ci;
use crate::engine::units::parse_duration;
use crate::results::columns::ChartDef;

/// A chart to write: `<name>.svg` and `<name>.png`.
pub struct Figure {
    /// File name stem.
    pub name: String,
    /// What to draw.
    pub chart: LineChart,
}

/// The records of a `results.csv` with its header, and the study's sweep keys.
pub struct Table<'a> {
    /// Column names, with sweep columns.
    pub header: &'a [String],
    /// Rows, as printed.
    pub records: &'a [Vec<String>],
    /// The sweep keys, in column order.
    pub sweep_keys: &'a [String],
}

impl Table<'_> {
    /// Index of a results column or of a sweep key's column.
    fn column(&self, name: &str) -> Option<usize> {
        let sweep_start = 3;
        if let Some(i) = self.sweep_keys.iter().position(|k| k == name) {
            return Some(sweep_start + i);
        }
        self.header.iter().position(|h| h == name)
    }
}

/// The default charts and the `[[chart]]` ones.
pub fn figures(table: &Table<'_>, charts: &[ChartDef]) -> Vec<Figure> {
    let x = table.sweep_keys.first().cloned();
    let series = table.sweep_keys.get(1).cloned();
    let mut out = vec![
        Figure {
            name: "throughput".into(),
            chart: draw(
                table,
                &Spec {
                    title: "Throughput".into(),
                    x: x.clone(),
                    ys: vec![("throughput_per_s", "", false)],
                    series: series.clone(),
                    labels: None,
                    workload: None,
                    log_x: None,
                    log_y: None,
                },
            ),
        },
        Figure {
            name: "latency".into(),
            chart: draw(
                table,
                &Spec {
                    title: "Latency (p50 solid, p99 dashed)".into(),
                    x,
                    ys: vec![
                        ("latency_p50_ms", "p50", false),
                        ("latency_p99_ms", "p99", true),
                    ],
                    series,
                    labels: None,
                    workload: None,
                    log_x: None,
                    log_y: None,
                },
            ),
        },
    ];
    for c in charts {
        let title = c
            .title
            .clone()
            .unwrap_or_else(|| format!("{} by {}", c.y, c.x));
        out.push(Figure {
            name: c.name.clone(),
            chart: draw(
                table,
                &Spec {
                    title,
                    x: Some(c.x.clone()),
                    ys: vec![(c.y.as_str(), "", false)],
                    series: c.series.clone(),
                    labels: c.labels.clone(),
                    workload: c.workload.clone(),
                    log_x: c.log_x,
                    log_y: c.log_y,
                },
            ),
        });
    }
    out
}

struct Spec<'a> {
    title: String,
    /// A sweep key or column; `None`: the workloads, as categories.
    x: Option<String>,
    /// (column, suffix for series names, dashed).
    ys: Vec<(&'a str, &'a str, bool)>,
    /// A sweep key or column whose values make the lines (besides the workload).
    series: Option<String>,
    /// Legend names for the series values, in order of first appearance.
    labels: Option<Vec<String>>,
    workload: Option<String>,
    log_x: Option<bool>,
    log_y: Option<bool>,
}

/// Units for the axis label of a column.
fn label(column: &str) -> String {
    match column {
        "throughput_per_s" => "throughput (tasks/s)".into(),
        "sim_time_s" => "simulated time (s)".into(),
        "cpu_utilization" => "CPU utilisation (fraction of cores)".into(),
        "gil_held_fraction" => "GIL held (fraction of time)".into(),
        "gil_wait_fraction" => "GIL wait (fraction of thread time)".into(),
        "peak_rss_mb" => "peak RSS (MB)".into(),
        c if c.ends_with("_ms") => format!("{} (ms)", c.trim_end_matches("_ms").replace('_', " ")),
        c => c.replace('_', " "),
    }
}

/// Whether column `c` takes one value per value of column `axis` (a key
/// zipped with an axis key varies with it rather than being held).
fn varies_with(records: &[Vec<String>], c: usize, axis: usize) -> bool {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for r in records {
        match seen.iter().find(|(a, _)| *a == r[axis]) {
            Some((_, v)) if *v != r[c] => return false,
            Some(_) => {}
            None => seen.push((&r[axis], &r[c])),
        }
    }
    seen.iter()
        .any(|(_, v)| records.first().is_some_and(|r| r[c] != *v))
}

fn draw(table: &Table<'_>, spec: &Spec<'_>) -> LineChart {
    let workload_col = table.column("workload");
    let x_col = spec.x.as_deref().and_then(|x| table.column(x));
    let series_col = spec.series.as_deref().and_then(|s| table.column(s));
    // Hold sweep keys on neither axis at their first value.
    let used: Vec<usize> = [x_col, series_col].into_iter().flatten().collect();
    let held: Vec<(usize, String, &String)> = table
        .sweep_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (3 + i, k))
        .filter(|(c, _)| !used.contains(c))
        .filter(|(c, _)| !used.iter().any(|&u| varies_with(table.records, *c, u)))
        .filter_map(|(c, k)| table.records.first().map(|r| (c, r[c].clone(), k)))
        .collect();
    let rows: Vec<&Vec<String>> = table
        .records
        .iter()
        .filter(|r| held.iter().all(|(c, v, _)| r[*c] == *v))
        .filter(|r| match (&spec.workload, workload_col) {
            (Some(w), Some(c)) => r[c] == *w,
            _ => true,
        })
        .collect();

    let x_of = |r: &Vec<String>| -> String {
        match x_col {
            Some(c) => r[c].clone(),
            None => workload_col.map(|c| r[c].clone()).unwrap_or_default(),
        }
    };
    let mut x_values: Vec<String> = Vec::new();
    for r in &rows {
        let x = x_of(r);
        if !x_values.contains(&x) {
            x_values.push(x);
        }
    }
    // Python versions are names, not numbers: 3.10 comes after 3.9.
    let numeric: Option<Vec<f64>> = if spec.x.as_deref() == Some("python.version") {
        None
    } else {
        x_values.iter().map(|v| v.parse::<f64>().ok()).collect()
    };
    let durations: Option<Vec<f64>> = x_values
        .iter()
        .map(|v| parse_duration(v).ok().map(|ns| ns as f64 / 1e6))
        .collect();
    let (x_positions, x_categories, x_unit) = match (numeric, durations) {
        (Some(n), _) => (n, None, ""),
        (None, Some(d)) => (d, None, " (ms)"),
        (None, None) => (
            (0..x_values.len()).map(|i| i as f64).collect(),
            Some(x_values.clone()),
            "",
        ),
    };
    let x_label = match &spec.x {
        Some(x) => format!("{x}{x_unit}"),
        None => "workload".to_string(),
    };

    // Lines: workload (unless the x axis is the workload or a filter is set) × series value × y column.
    let split_by_workload = spec.x.is_some() && spec.workload.is_none();
    let mut lines: Vec<(String, String, usize)> = Vec::new();
    let mut line_index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut x_index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, x) in x_values.iter().enumerate() {
        x_index.insert(x.clone(), i);
    }
    let y_cols: Vec<Option<usize>> = spec.ys.iter().map(|(y, _, _)| table.column(y)).collect();
    let mut values: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for r in &rows {
        let w = if split_by_workload {
            workload_col.map(|c| r[c].clone()).unwrap_or_default()
        } else {
            String::new()
        };
        let s = series_col.map(|c| r[c].clone()).unwrap_or_default();
        let first = *line_index.entry((w.clone(), s.clone())).or_insert_with(|| {
            let first = lines.len();
            for yi in 0..spec.ys.len() {
                lines.push((w.clone(), s.clone(), yi));
            }
            first
        });
        let xi = x_index.get(&x_of(r)).copied().unwrap_or(0);
        for (yi, c) in y_cols.iter().enumerate() {
            if let Some(y) = c.and_then(|c| r[c].parse::<f64>().ok()) {
                values.entry((first + yi, xi)).or_default().push(y);
            }
        }
    }
    let series_name = spec
        .series
        .as_deref()
        .map(|s| s.rsplit('.').next().unwrap_or(s));
    let mut series_values: Vec<&String> = Vec::new();
    for (_, s, _) in &lines {
        if !series_values.contains(&s) {
            series_values.push(s);
        }
    }
    let series: Vec<Series> = lines
        .iter()
        .enumerate()
        .map(|(li, (w, s, yi))| {
            let (_, suffix, dashed) = spec.ys[*yi];
            let mut parts: Vec<String> = Vec::new();
            if !w.is_empty() {
                parts.push(w.clone());
            }
            let label = spec.labels.as_ref().and_then(|names| {
                let i = series_values.iter().position(|v| *v == s)?;
                names.get(i)
            });
            match (label, series_name) {
                (Some(l), _) => parts.push(l.clone()),
                (None, Some(n)) => parts.push(format!("{n}={s}")),
                (None, None) => {}
            }
            if !suffix.is_empty() {
                parts.push(suffix.to_string());
            }
            let points = x_positions
                .iter()
                .enumerate()
                .filter_map(|(xi, &xp)| {
                    let (mean, half) = mean_ci(values.get(&(li, xi))?)?;
                    Some(Point {
                        x: xp,
                        y: mean,
                        band: half.map(|h| (mean - h, mean + h)),
                    })
                })
                .collect();
            Series {
                name: parts.join(", "),
                dashed,
                // The y columns of one line (p50, p99) share its colour.
                colour: Some(li / spec.ys.len()),
                points,
            }
        })
        .collect();

    let mut title = spec.title.clone();
    if !held.is_empty() {
        let fixed: Vec<String> = held.iter().map(|(_, v, k)| format!("{k} = {v}")).collect();
        title = format!("{title} ({})", fixed.join(", "));
    }
    let y_label = if spec.ys.len() > 1 {
        "latency (ms)".to_string()
    } else {
        label(spec.ys[0].0)
    };
    LineChart {
        title,
        x_label,
        y_label,
        x_categories,
        x_log: spec.log_x,
        y_log: spec.log_y,
        series,
    }
}
