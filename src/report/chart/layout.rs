//! A line chart's layout: its two axes, and each series split into runs of
//! drawable points (a point that cannot be drawn breaks the line), dodged
//! sideways on a categorical axis.

use super::axis::{Axis, Scale, auto_log, numeric_axis};
use super::spec::{LineChart, Point};

/// One point ready to draw, in axis values.
#[derive(Debug, Clone, Copy)]
pub(super) struct Drawn {
    /// The x value, dodged on a categorical axis.
    pub x: f64,
    /// The y value.
    pub y: f64,
    /// The 95% interval, clamped to the y axis.
    pub band: Option<(f64, f64)>,
}

/// Split each series into runs of drawable points (a skipped point breaks
/// the line) and build the axes.
pub(super) fn layout(chart: &LineChart) -> (Axis, Axis, Vec<Vec<Vec<Drawn>>>) {
    let n_cat = chart.x_categories.as_ref().map(|c| c.len());
    let ok = |v: f64| v.is_finite();
    let usable_x = |x: f64| match n_cat {
        Some(n) => x.is_finite() && x > -0.5 && x < n as f64 - 0.5,
        None => x.is_finite(),
    };
    let all_x: Vec<f64> = chart
        .series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| ok(p.y) && usable_x(p.x))
        .map(|p| p.x)
        .collect();
    let x_log = n_cat.is_none() && chart.x_log.unwrap_or_else(|| auto_log(&all_x));
    let all_y: Vec<f64> = chart
        .series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| ok(p.y) && usable_x(p.x) && (!x_log || p.x > 0.0))
        .map(|p| p.y)
        .collect();
    let y_log = chart.y_log.unwrap_or_else(|| auto_log(&all_y));
    let drawable =
        |p: &Point| ok(p.y) && usable_x(p.x) && (!x_log || p.x > 0.0) && (!y_log || p.y > 0.0);

    let x_axis = match n_cat {
        Some(n) => Axis {
            scale: Scale::Categorical(n),
            lo: -0.5,
            hi: n.max(1) as f64 - 0.5,
            whole: false,
        },
        None => {
            let xs: Vec<f64> = chart
                .series
                .iter()
                .flat_map(|s| &s.points)
                .filter(|p| drawable(p))
                .map(|p| p.x)
                .collect();
            let mut axis = numeric_axis(&xs, x_log, false);
            axis.whole = !xs.is_empty() && xs.iter().all(|x| x.fract() == 0.0);
            axis
        }
    };
    let mut ys = Vec::new();
    for p in chart.series.iter().flat_map(|s| &s.points) {
        if drawable(p) {
            ys.push(p.y);
            if let Some((lo, hi)) = p.band {
                ys.extend(
                    [lo, hi]
                        .into_iter()
                        .filter(|v| ok(*v) && (!y_log || *v > 0.0)),
                );
            }
        }
    }
    let y_axis = numeric_axis(&ys, y_log, true);

    // Dodge series sideways on a categorical axis so error bars do not overlap.
    let n_series = chart.series.len();
    let runs = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let dodge = if n_cat.is_some() && n_series > 1 {
                (i as f64 - (n_series - 1) as f64 / 2.0) * (0.3 / n_series as f64).min(0.08)
            } else {
                0.0
            };
            let mut points: Vec<&Point> = s.points.iter().collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut runs: Vec<Vec<Drawn>> = Vec::new();
            let mut current: Vec<Drawn> = Vec::new();
            for p in points {
                if drawable(p) {
                    let band = p.band.map(|(lo, hi)| {
                        let clamp = |v: f64| {
                            if v.is_finite() {
                                v.clamp(y_axis.lo, y_axis.hi)
                            } else if v > 0.0 {
                                y_axis.hi
                            } else {
                                y_axis.lo
                            }
                        };
                        let (lo, hi) = (clamp(lo), clamp(hi));
                        (lo.min(hi), lo.max(hi))
                    });
                    current.push(Drawn {
                        x: p.x + dodge,
                        y: p.y,
                        band,
                    });
                } else if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
            if !current.is_empty() {
                runs.push(current);
            }
            runs
        })
        .collect();
    (x_axis, y_axis, runs)
}
