//! `summary.csv`: the mean and 95% confidence interval (Student t) of each
//! metric per sweep point and workload, over the replications.
//!
//! Computed from the text records of `results.csv` (the numbers as printed),
//! so a summary rebuilt from merged shards is byte-identical to the one an
//! unsharded run writes.

use std::collections::BTreeMap;

use crate::results::columns::{COLUMNS, SWEEP_INSERT_AT};

/// The metric columns summarised (every numeric column after `cores`).
pub fn metrics() -> &'static [&'static str] {
    let first = COLUMNS
        .iter()
        .position(|c| *c == "tasks_completed")
        .unwrap_or(COLUMNS.len());
    let last = COLUMNS
        .iter()
        .position(|c| *c == "branch")
        .unwrap_or(COLUMNS.len());
    &COLUMNS[first..last]
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom.
pub fn t_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-4 beyond 30.
            let z = 1.959_963_984_540_054_f64;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// Mean and 95% half-width of `xs` (`None` for the half-width with one value).
pub fn mean_ci(xs: &[f64]) -> Option<(f64, Option<f64>)> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return Some((mean, None));
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = t_975(xs.len() as u64 - 1) * (var / n).sqrt();
    Some((mean, Some(half)))
}

/// One summarised group: a point and a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The identifying fields: point, sweep values, workload, model, workers, cores.
    pub keys: Vec<String>,
    /// Replications in the group.
    pub count: usize,
    /// Per metric (in [`metrics`] order): mean and half-width, when any value was present.
    pub stats: Vec<Option<(f64, Option<f64>)>>,
}

/// Groups `results.csv` records by (point, workload) and summarises them.
/// `header` is the results header (with sweep columns).
pub fn summarise(header: &[String], records: &[Vec<String>]) -> Vec<Group> {
    let col = |name: &str| header.iter().position(|h| h == name);
    let sweep_count = header.len() - COLUMNS.len();
    let point = col("point").unwrap_or(0);
    let id_cols: Vec<usize> = std::iter::once(point)
        .chain(SWEEP_INSERT_AT..SWEEP_INSERT_AT + sweep_count)
        .chain(
            ["workload", "model", "workers", "cores"]
                .iter()
                .filter_map(|c| col(c)),
        )
        .collect();
    let metric_cols: Vec<Option<usize>> = metrics().iter().map(|m| col(m)).collect();
    // Keyed by (point number, first appearance) so groups come out in point order, then file order.
    let mut order: BTreeMap<(u64, usize), Vec<&Vec<String>>> = BTreeMap::new();
    let mut seen: BTreeMap<Vec<String>, (u64, usize)> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| !crate::results::columns::is_branch_row(header, r))
    {
        let keys: Vec<String> = id_cols.iter().map(|&i| r[i].clone()).collect();
        let next = seen.len();
        let key = *seen.entry(keys).or_insert_with(|| {
            let p: u64 = r[point].parse().unwrap_or(u64::MAX);
            (p, next)
        });
        order.entry(key).or_default().push(r);
    }
    order
        .into_values()
        .map(|rows| {
            let keys = id_cols.iter().map(|&i| rows[0][i].clone()).collect();
            let stats = metric_cols
                .iter()
                .map(|c| {
                    let xs: Vec<f64> = match c {
                        Some(c) => rows.iter().filter_map(|r| r[*c].parse().ok()).collect(),
                        None => Vec::new(),
                    };
                    mean_ci(&xs)
                })
                .collect();
            Group {
                keys,
                count: rows.len(),
                stats,
            }
        })
        .collect()
}

/// The `summary.csv` header and records.
pub fn table(header: &[String], records: &[Vec<String>]) -> (Vec<String>, Vec<Vec<String>>) {
    let sweep_count = header.len() - COLUMNS.len();
    let mut out_header: Vec<String> = vec!["point".to_string()];
    out_header.extend(
        header[SWEEP_INSERT_AT..SWEEP_INSERT_AT + sweep_count]
            .iter()
            .cloned(),
    );
    out_header.extend(["workload", "model", "workers", "cores", "replications"].map(String::from));
    for m in metrics() {
        out_header.push(format!("{m}_mean"));
        out_header.push(format!("{m}_ci95"));
    }
    let fmt = |x: f64| {
        if x.is_finite() {
            format!("{x:.6}")
        } else {
            String::new()
        }
    };
    let rows = summarise(header, records)
        .into_iter()
        .map(|g| {
            let mut row = g.keys.clone();
            row.push(g.count.to_string());
            for s in &g.stats {
                match s {
                    Some((mean, half)) => {
                        row.push(fmt(*mean));
                        row.push(half.map(fmt).unwrap_or_default());
                    }
                    None => {
                        row.push(String::new());
                        row.push(String::new());
                    }
                }
            }
            row
        })
        .collect();
    (out_header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(30), 2.042);
        assert!((t_975(60) - 2.000).abs() < 1e-3, "{}", t_975(60));
        assert!((t_975(120) - 1.980).abs() < 1e-3, "{}", t_975(120));
        assert!((t_975(100_000) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn mean_and_interval() {
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(m, 2.0);
        // sd = 1, n = 3: 4.303 / sqrt(3)
        assert!((h.unwrap() - 4.303 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(mean_ci(&[5.0]), Some((5.0, None)));
        assert_eq!(mean_ci(&[]), None);
    }
}
