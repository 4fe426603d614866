//! The Gantt chart's legend, under the time axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colours::{LANE_BG, MARK_INK, THREAD_PALETTE, darker, state_colour};
use super::layout::{LEGEND_ROW, WIDTH};
use crate::report::chart::{ChartError, INK, MUTED, draw_err, text};
use crate::results::timeline::ThreadState;

/// Draw the legend at `x0`: the thread states, a core switching, a drop
/// request, a free GIL or idle core and, with threads, how lanes are coloured.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x0: i32,
    any_threads: bool,
    has_gil: bool,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let style = text(14.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let col_w = (WIDTH as i32 - x0 - 24) / 5;
    let at = |i: usize| {
        (
            x0 + col_w * (i % 5) as i32,
            14 + LEGEND_ROW as i32 * (i / 5) as i32,
        )
    };
    let swatch =
        |x: i32, y: i32, c: RGBColor| Rectangle::new([(x, y - 6), (x + 18, y + 6)], c.filled());
    for (i, s) in ThreadState::ALL.iter().enumerate() {
        let (x, y) = at(i);
        area.draw(&swatch(x, y, state_colour(*s)))
            .map_err(draw_err)?;
        area.draw_text(s.label_in(has_gil), &style, (x + 24, y))
            .map_err(draw_err)?;
    }
    let (x, y) = at(7);
    area.draw(&swatch(x, y, darker(THREAD_PALETTE[0])))
        .map_err(draw_err)?;
    area.draw_text("core switching", &style, (x + 24, y))
        .map_err(draw_err)?;
    let (x, y) = at(8);
    area.draw(&Polygon::new(
        vec![(x + 3, y - 5), (x + 15, y - 5), (x + 9, y + 5)],
        MARK_INK.filled(),
    ))
    .map_err(draw_err)?;
    area.draw_text("drop request (set by)", &style, (x + 24, y))
        .map_err(draw_err)?;
    let (x, y) = at(9);
    area.draw(&swatch(x, y, LANE_BG)).map_err(draw_err)?;
    area.draw(&Rectangle::new(
        [(x, y - 6), (x + 18, y + 6)],
        RGBColor(200, 200, 200),
    ))
    .map_err(draw_err)?;
    area.draw_text("free GIL, idle core", &style, (x + 24, y))
        .map_err(draw_err)?;
    if any_threads {
        let (x, y) = at(10);
        let note = text(14.0, MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text(
            "Thread lanes: colour by state. Core and GIL lanes: colour of the thread running or holding it (swatch by its name).",
            &note,
            (x, y),
        )
        .map_err(draw_err)?;
    }
    Ok(())
}
