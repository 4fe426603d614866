//! A line chart's legend: a column right of the plot with each series'
//! line, marker and name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::backend::{ChartError, draw_err};
use super::spec::LineChart;
use super::style::{PALETTE, fit_text};

/// Whether to draw a legend.
pub(super) fn shown(chart: &LineChart) -> bool {
    !(chart.series.is_empty() || chart.series.len() == 1 && chart.series[0].name.is_empty())
}

/// Draw the legend column: for each series, its line (dashed or not), its
/// marker and its name cut to `width`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    style: &TextStyle,
    width: u32,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let row = 22;
    let top = 14;
    let name_style = style.pos(Pos::new(HPos::Left, VPos::Center));
    for (i, s) in chart.series.iter().enumerate() {
        let c = PALETTE[s.colour.unwrap_or(i) % PALETTE.len()];
        let y = top + row * i as i32;
        let (x0, x1) = (8, 36);
        if s.dashed {
            area.draw(&PathElement::new(
                vec![(x0, y), (x0 + 10, y)],
                c.stroke_width(2),
            ))
            .map_err(draw_err)?;
            area.draw(&PathElement::new(
                vec![(x1 - 10, y), (x1, y)],
                c.stroke_width(2),
            ))
            .map_err(draw_err)?;
        } else {
            area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2)))
                .map_err(draw_err)?;
        }
        area.draw(&Circle::new(((x0 + x1) / 2, y), 4, c.filled()))
            .map_err(draw_err)?;
        let name = fit_text(area, &s.name, style, width.saturating_sub(48));
        area.draw_text(&name, &name_style, (x1 + 8, y))
            .map_err(draw_err)?;
    }
    Ok(())
}
