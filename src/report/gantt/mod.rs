//! A Gantt chart of a recorded [`Timeline`]: one lane per thread (coloured by
//! its state), one per core and one per GIL (coloured by the thread running
//! on it or holding it), with drop requests marked, rendered to SVG text or
//! PNG bytes.
//!
//! A window can hold far more intervals than the chart has pixels, so lanes
//! are drawn per pixel column, not per interval: each column shows what
//! covers most of it, and runs of equal columns are merged into one
//! rectangle. So that a short event between long ones (an I/O thread running
//! for a few microseconds between two 5 ms waits for the GIL) does not
//! vanish, a state present in a column but absent from a neighbour column
//! and not the main state of either neighbour is shown in that column
//! instead. The output size is bounded by lanes × pixel columns.
//!
//! - `layout`: the image width, the lanes and their height.
//! - `columns`: which state or thread each pixel column of a lane shows.
//! - `colours`: state and thread colours.
//! - `draw`: the title, the axis, the lanes and the drop-request marks.
//! - `legend`: the legend under the axis.

mod colours;
mod columns;
mod draw;
mod layout;
mod legend;

pub use colours::state_colour;
use layout::Plan;
pub use layout::WIDTH;

use crate::report::chart::{ChartError, png_with, svg_with};
use crate::results::timeline::Timeline;

/// Render a timeline as an SVG document titled `title`.
pub fn render_svg(t: &Timeline, title: &str) -> Result<String, ChartError> {
    let plan = Plan::new(t)?;
    svg_with(plan.size(), |root| draw::draw(root, t, title, &plan))
}

/// Render a timeline as PNG bytes titled `title`.
pub fn render_png(t: &Timeline, title: &str) -> Result<Vec<u8>, ChartError> {
    let plan = Plan::new(t)?;
    png_with(plan.size(), |root| draw::draw(root, t, title, &plan))
}

#[cfg(test)]
mod tests;
