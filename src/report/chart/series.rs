//! Drawing a line chart's series: translucent bands across consecutive
//! banded points, error bars on isolated points or a categorical axis,
//! solid or dashed lines, and a marker on every point.

use plotters::coord::cartesian::Cartesian2d;
use plotters::prelude::*;

use super::axis::Axis;
use super::backend::{ChartError, draw_err};
use super::layout::Drawn;
use super::spec::LineChart;
use super::style::PALETTE;

/// Draw the runs of every series of `chart` on `ctx`: bands and error bars
/// first, under the lines, then the lines, then a marker on every point.
pub(super) fn draw<DB: DrawingBackend>(
    ctx: &mut ChartContext<'_, DB, Cartesian2d<Axis, Axis>>,
    chart: &LineChart,
    runs: &[Vec<Vec<Drawn>>],
    categorical: bool,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let colour = |i: usize| {
        let k = chart.series[i].colour.unwrap_or(i);
        PALETTE[k % PALETTE.len()]
    };

    // Bands and error bars first, under the lines.
    for (i, series_runs) in runs.iter().enumerate() {
        let c = colour(i);
        for run in series_runs {
            for seg in band_segments(run, categorical) {
                if seg.len() >= 2 {
                    let mut poly: Vec<(f64, f64)> = Vec::with_capacity(seg.len() * 2);
                    poly.extend(seg.iter().filter_map(|p| p.band.map(|b| (p.x, b.1))));
                    poly.extend(seg.iter().rev().filter_map(|p| p.band.map(|b| (p.x, b.0))));
                    ctx.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                        .map_err(draw_err)?;
                } else {
                    for p in seg {
                        if let Some((lo, hi)) = p.band {
                            let style = c.mix(0.85).stroke_width(2);
                            ctx.draw_series([PathElement::new(vec![(p.x, lo), (p.x, hi)], style)])
                                .map_err(draw_err)?;
                            for end in [lo, hi] {
                                ctx.draw_series(std::iter::once(
                                    EmptyElement::at((p.x, end))
                                        + PathElement::new(vec![(-5, 0), (5, 0)], style),
                                ))
                                .map_err(draw_err)?;
                            }
                        }
                    }
                }
            }
        }
    }
    // Lines, then markers on top.
    for (i, series_runs) in runs.iter().enumerate() {
        let c = colour(i);
        let dashed = chart.series[i].dashed;
        for run in series_runs {
            let pts: Vec<(f64, f64)> = run.iter().map(|p| (p.x, p.y)).collect();
            if pts.len() >= 2 {
                if dashed {
                    ctx.draw_series(DashedLineSeries::new(pts, 9, 6, c.stroke_width(2)))
                        .map_err(draw_err)?;
                } else {
                    ctx.draw_series(LineSeries::new(pts, c.stroke_width(2)))
                        .map_err(draw_err)?;
                }
            }
        }
    }
    for (i, series_runs) in runs.iter().enumerate() {
        let c = colour(i);
        ctx.draw_series(
            series_runs
                .iter()
                .flatten()
                .map(|p| Circle::new((p.x, p.y), 4, c.filled())),
        )
        .map_err(draw_err)?;
    }
    Ok(())
}

/// Split a run at points without a band: a band is drawn across consecutive
/// banded points (numeric x), error bars for isolated ones or on a
/// categorical axis.
fn band_segments(run: &[Drawn], categorical: bool) -> Vec<&[Drawn]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, p) in run.iter().enumerate() {
        match (p.band.is_some(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&run[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&run[s..]);
    }
    if categorical {
        out.into_iter().flat_map(|seg| seg.chunks(1)).collect()
    } else {
        out
    }
}
