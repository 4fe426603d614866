//! Line charts for studies: one or more series of `(x, y)` points, each
//! optionally with a 95% confidence interval, rendered to SVG text or PNG
//! bytes in memory.
//!
//! Axes are linear, logarithmic (chosen automatically when the values span
//! two decades or more) or categorical. Rendering is deterministic: the same
//! chart gives byte-identical output. Text is measured with the DejaVu Sans
//! font embedded in the binary (`assets/fonts/`), so no system font is
//! needed.
//!
//! This module also holds what the other charts (`report::gantt`,
//! `report::pipeline`, `calibrate::chart`) share with it: [`ChartError`],
//! the canvases and font (`backend`), text and colours (`style`) and the
//! axis type (`axis`), re-exported here.
//!
//! - `axis`: linear, log and categorical axes, their ticks and labels.
//! - `backend`: SVG and PNG canvases, the embedded font, [`ChartError`].
//! - `style`: text styles, measuring and cutting text, the colours.
//! - `spec`: what a line chart shows: [`LineChart`], [`Series`], [`Point`].
//! - `layout`: the axes and the runs of drawable points of a line chart.
//! - `plot`: a line chart's frame: title, grid, tick labels, "no data".
//! - `series`: bands, error bars, lines and markers of the series.
//! - `legend`: the legend column.

mod axis;
mod backend;
mod layout;
mod legend;
mod plot;
mod series;
mod spec;
mod style;

use plotters::coord::Shift;
use plotters::prelude::*;

pub(crate) use axis::{Axis, Scale, format_number};
pub use backend::ChartError;
pub(crate) use backend::{draw_err, png_with, svg_with};
pub use spec::{LineChart, Point, Series};
pub(crate) use style::{INK, MUTED, PALETTE, fit_text, text, text_width};

/// Width of a line chart, in pixels.
pub const WIDTH: u32 = 900;
/// Height of a line chart, in pixels.
pub const HEIGHT: u32 = 560;

/// Render a line chart as an SVG document.
pub fn render_svg(chart: &LineChart) -> Result<String, ChartError> {
    svg_with((WIDTH, HEIGHT), |root| plot::draw(root, chart))
}

/// Render a line chart as PNG bytes.
pub fn render_png(chart: &LineChart) -> Result<Vec<u8>, ChartError> {
    png_with((WIDTH, HEIGHT), |root| plot::draw(root, chart))
}

/// Render charts side by side (each [`WIDTH`] × [`HEIGHT`]) as one SVG document.
pub fn render_row_svg(charts: &[LineChart]) -> Result<String, ChartError> {
    svg_with(row_size(charts), |root| draw_row(root, charts))
}

/// Render charts side by side (each [`WIDTH`] × [`HEIGHT`]) as PNG bytes.
pub fn render_row_png(charts: &[LineChart]) -> Result<Vec<u8>, ChartError> {
    png_with(row_size(charts), |root| draw_row(root, charts))
}

/// The size of `charts` side by side.
fn row_size(charts: &[LineChart]) -> (u32, u32) {
    (WIDTH * (charts.len().max(1) as u32), HEIGHT)
}

/// Draw `charts` side by side, each in an equal share of `root`.
fn draw_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    charts: &[LineChart],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let panels = root.split_evenly((1, charts.len().max(1)));
    for (panel, chart) in panels.iter().zip(charts) {
        plot::draw(panel, chart)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
