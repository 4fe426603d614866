//! `compare.svg` / `compare.png`: for one workload, throughput and p99
//! latency against workers, a line per model, each model's best point
//! marked.

use super::args::{Goal, MODELS};
use super::candidate::{Candidate, Metrics};
use super::rank::ranked;
use crate::report::chart;

/// What a panel of `compare.svg` plots against workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Panel {
    /// Mean throughput, tasks/s.
    Throughput,
    /// Mean p99 latency, ms.
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
pub(super) fn model_chart(
    name: &str,
    w: &str,
    cands: &[Candidate],
    panel: Panel,
) -> chart::LineChart {
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
    // Each deployment shape: one point at its process count.
    for (i, c) in mine.iter().filter(|c| c.shape.is_some()).enumerate() {
        if let Some((y, half)) = c.metrics.as_ref().and_then(|m| panel.value(m)) {
            series.push(chart::Series {
                name: c.label(),
                dashed: false,
                colour: Some(MODELS.len() + i),
                points: vec![chart::Point {
                    x: c.workers.unwrap_or(1) as f64,
                    y,
                    band: half.map(|h| ((y - h).max(0.0), y + h)),
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
