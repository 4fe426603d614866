//! Drawing a Gantt chart: the title and what the window is, the time axis,
//! each lane column by column (see `columns`) with its label and a thread's
//! swatch, the tasks on thread lanes (a tick where each starts, its step
//! names where they fit), and the drop requests marked on the lane of the
//! thread that set them.

use std::collections::{BTreeMap, BTreeSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colours::{LANE_BG, LOST_INK, MARK_INK, darker, state_colour, thread_colour};
use super::columns::{Columns, column_runs, coverage};
use super::layout::{AXIS_H, LaneKind, Plan, TITLE_H};
use super::legend;
use crate::engine::time::Nanos;
use crate::report::chart::{
    Axis, ChartError, INK, MUTED, draw_err, fit_text, format_number, text, text_width,
};
use crate::results::timeline::{CoreUse, MarkKind, ThreadState, Timeline};

/// Which thread lane a `tid` means at a time: the last lane with that tid
/// whose first interval starts at or before it (slots can be reused).
pub(super) struct TidMap {
    lanes: BTreeMap<usize, Vec<(Nanos, usize)>>,
}

impl TidMap {
    /// The lanes of every tid of `t`.
    pub(super) fn new(t: &Timeline) -> TidMap {
        let mut lanes: BTreeMap<usize, Vec<(Nanos, usize)>> = BTreeMap::new();
        for (i, l) in t.threads.iter().enumerate() {
            let first = l.intervals.first().map_or(t.start, |iv| iv.start);
            lanes.entry(l.tid).or_default().push((first, i));
        }
        for v in lanes.values_mut() {
            v.sort();
        }
        TidMap { lanes }
    }

    /// The thread lane `tid` means at `at`.
    pub(super) fn lane(&self, tid: usize, at: Nanos) -> Option<usize> {
        let v = self.lanes.get(&tid)?;
        v.iter()
            .rev()
            .find(|(first, _)| *first <= at)
            .or_else(|| v.first())
            .map(|(_, i)| *i)
    }
}

/// Milliseconds, with as few decimals as needed (up to 3).
fn ms(ns: Nanos) -> String {
    format_number(ns as f64 / 1e6, 0.001)
}

/// `start–end` in plain numbers: milliseconds, or seconds from 10 s on, with
/// as many decimals as the window's length needs (never `1e6–1.0001e6`).
fn window_label(start: Nanos, end: Nanos) -> String {
    let (unit, scale) = if end >= 10_000_000_000 {
        ("s", 1e9)
    } else {
        ("ms", 1e6)
    };
    let span = end.saturating_sub(start).max(1) as f64 / scale;
    // Two significant digits of the span, at least; at most nanoseconds.
    let max_decimals = if unit == "s" { 9 } else { 6 };
    let decimals = ((1.0 - span.log10().floor()) as i32).clamp(0, max_decimals) as usize;
    let plain = |ns: Nanos| {
        let s = format!("{:.decimals$}", ns as f64 / scale);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    format!("{}–{} {unit}", plain(start), plain(end))
}

/// Draw the Gantt chart of `t`, laid out by `plan`: title and window, the
/// time axis, every lane with its label, the drop requests and the legend.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Timeline,
    title: &str,
    plan: &Plan,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, _) = root.dim_in_pixel();
    let n_threads = t.threads.len();
    let span = t.end.saturating_sub(t.start);
    let drops = t
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::DropRequest && m.at >= t.start && m.at < t.end)
        .count();
    let lost = t
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::LostUpdate && m.at >= t.start && m.at < t.end)
        .count();

    // Title and what the window is.
    let title_style = text(22.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
    let title = fit_text(root, title, &title_style, w - 40);
    root.draw_text(&title, &title_style, (w as i32 / 2, 10))
        .map_err(draw_err)?;
    let sub_style = text(15.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top));
    let subtitle = format!(
        "window {} of the run ({} ms) · switch interval {} ms · {} drop request{}",
        window_label(t.start, t.end),
        ms(span),
        ms(t.switch_interval),
        drops,
        if drops == 1 { "" } else { "s" }
    ) + &match lost {
        0 => String::new(),
        1 => " · 1 write erased others' updates (magenta)".to_string(),
        n => format!(" · {n} writes erased others' updates (magenta)"),
    };
    let subtitle = fit_text(root, &subtitle, &sub_style, w - 40);
    root.draw_text(&subtitle, &sub_style, (w as i32 / 2, 38))
        .map_err(draw_err)?;

    // Lane labels: thread labels get a swatch of the thread's colour.
    let label_size = if plan.lane_h >= 20 {
        15.0
    } else {
        (plan.lane_h as f64 * 1.1).max(11.0)
    };
    let label_style = text(label_size, INK);
    const SWATCH: u32 = 16;
    let label_w = plan
        .lanes
        .iter()
        .map(|l| text_width(root, &l.label, &label_style) + SWATCH)
        .max()
        .unwrap_or(40)
        .clamp(60, 260);

    let body = root.margin(TITLE_H, 0, 0, 0);
    let (chart_area, legend_area) = body.split_vertically(plan.plot_h + AXIS_H);
    let span_ms = span as f64 / 1e6;
    let x_axis = Axis::linear(0.0, if span > 0 { span_ms } else { 1.0 });
    let mut ctx = ChartBuilder::on(&chart_area)
        .margin_right(24)
        .x_label_area_size(AXIS_H)
        .y_label_area_size(label_w + 16)
        .build_cartesian_2d(x_axis.clone(), Axis::linear(0.0, 1.0))
        .map_err(draw_err)?;
    let (xr, yr) = ctx.plotting_area().get_pixel_range();
    let (px0, py0) = (xr.start, yr.start);
    let n_cols = (xr.end - xr.start).max(1) as usize;

    // Lane backgrounds under the grid.
    let lane_rect = |top: u32| {
        let y0 = py0 + top as i32 + 1;
        (y0, y0 + plan.lane_h as i32 - 2)
    };
    for lane in &plan.lanes {
        let (y0, y1) = lane_rect(lane.top);
        root.draw(&Rectangle::new([(px0, y0), (xr.end, y1)], LANE_BG.filled()))
            .map_err(draw_err)?;
    }
    let tick_style = text(15.0, INK);
    let x_fmt = |v: &f64| x_axis.format(*v, &[]);
    ctx.configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(12)
        .x_label_formatter(&x_fmt)
        .x_label_style(tick_style)
        .x_desc("time (ms)")
        .axis_desc_style(text(16.0, INK))
        .bold_line_style(RGBColor(205, 205, 205).stroke_width(1))
        .light_line_style(RGBColor(232, 232, 232).stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .map_err(draw_err)?;

    if span == 0 || plan.lanes.is_empty() {
        let style = text(22.0, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(
            "no data",
            &style,
            ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2),
        )
        .map_err(draw_err)?;
    }

    let cols = Columns {
        t0: t.start,
        span: span.max(1),
        n: n_cols,
    };
    let tids = TidMap::new(t);
    let state_key =
        |s: ThreadState| ThreadState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u32;
    let thread_key = |tid: usize, at: Nanos| tids.lane(tid, at).unwrap_or(n_threads) as u32;

    for lane in &plan.lanes {
        let (y0, y1) = lane_rect(lane.top);
        let (cov, colour_of): (_, Box<dyn Fn(u32) -> RGBColor>) = match lane.kind {
            LaneKind::Thread(i) => (
                coverage(
                    cols,
                    t.threads[i]
                        .intervals
                        .iter()
                        .map(|iv| (iv.start, iv.end, state_key(iv.what))),
                ),
                Box::new(|k: u32| {
                    state_colour(ThreadState::ALL[k as usize % ThreadState::ALL.len()])
                }),
            ),
            LaneKind::Core(i) => (
                coverage(
                    cols,
                    t.cores[i].intervals.iter().map(|iv| {
                        let key = match iv.what {
                            CoreUse::Thread(tid) => 2 * thread_key(tid, iv.start),
                            CoreUse::Switching(tid) => 2 * thread_key(tid, iv.start) + 1,
                        };
                        (iv.start, iv.end, key)
                    }),
                ),
                Box::new(|k: u32| {
                    let c = thread_colour((k / 2) as usize, n_threads);
                    if k % 2 == 1 { darker(c) } else { c }
                }),
            ),
            LaneKind::Gil(i) => (
                coverage(
                    cols,
                    t.gils[i]
                        .intervals
                        .iter()
                        .map(|iv| (iv.start, iv.end, thread_key(iv.what, iv.start))),
                ),
                Box::new(|k: u32| thread_colour(k as usize, n_threads)),
            ),
        };
        for (c0, c1, key) in column_runs(cols, &cov) {
            root.draw(&Rectangle::new(
                [(px0 + c0 as i32, y0), (px0 + c1 as i32, y1)],
                colour_of(key).filled(),
            ))
            .map_err(draw_err)?;
        }

        // The label, right-aligned against the plot; a thread's swatch before it.
        let mid = y0 + (y1 - y0) / 2;
        let style = label_style.pos(Pos::new(HPos::Right, VPos::Center));
        let label = fit_text(root, &lane.label, &label_style, label_w - SWATCH);
        root.draw_text(&label, &style, (px0 - 8, mid))
            .map_err(draw_err)?;
        if let LaneKind::Thread(i) = lane.kind {
            let lw = text_width(root, &label, &label_style) as i32;
            let sx = px0 - 8 - lw - 14;
            let half = (plan.lane_h as i32 / 4).clamp(3, 5);
            root.draw(&Rectangle::new(
                [(sx, mid - half), (sx + 2 * half, mid + half)],
                thread_colour(i, n_threads).filled(),
            ))
            .map_err(draw_err)?;
        }
    }

    draw_tasks(root, t, plan, cols, (px0, py0))?;

    // Drop requests: a small triangle on the lane of the thread that set it,
    // at most one per few pixels.
    let lane_top: BTreeMap<usize, u32> = plan
        .lanes
        .iter()
        .filter_map(|l| match l.kind {
            LaneKind::Thread(i) => Some((i, l.top)),
            _ => None,
        })
        .collect();
    let mut drawn = BTreeSet::new();
    let tri = (plan.lane_h as i32 / 3).clamp(3, 6);
    for m in &t.marks {
        if m.at < t.start || m.at >= t.end {
            continue;
        }
        let Some(lane) = tids.lane(m.tid, m.at) else {
            continue;
        };
        let Some(top) = lane_top.get(&lane) else {
            continue;
        };
        let x = px0 + cols.col(m.at) as i32;
        if !drawn.insert((lane, x / (tri + 1), m.kind == MarkKind::LostUpdate)) {
            continue;
        }
        // Drop requests point down from the lane's top; a lost-update
        // write is a magenta bar across the lane.
        let shape = match m.kind {
            MarkKind::DropRequest => {
                let y = py0 + *top as i32 + 1;
                Polygon::new(
                    vec![(x - tri, y), (x + tri, y), (x, y + tri + 2)],
                    MARK_INK.filled(),
                )
            }
            MarkKind::LostUpdate => {
                let y = py0 + (*top + plan.lane_h) as i32 - 1;
                root.draw(&Rectangle::new(
                    [(x - 1, py0 + *top as i32), (x + 1, y)],
                    LOST_INK.filled(),
                ))
                .map_err(draw_err)?;
                Polygon::new(
                    vec![(x - tri - 1, y), (x + tri + 1, y), (x, y - tri - 3)],
                    LOST_INK.filled(),
                )
            }
        };
        root.draw(&shape).map_err(draw_err)?;
    }

    legend::draw(&legend_area, px0, n_threads > 0, !t.gils.is_empty())?;
    Ok(())
}

/// On each thread lane, a thin tick where a task's span starts and, where a
/// step is wide enough, its name (`task 17 · parse` on the span's first
/// step): which request a thread was working on, and at which step.
fn draw_tasks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Timeline,
    plan: &Plan,
    cols: Columns,
    (px0, py0): (i32, i32),
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    if plan.lane_h < 14 || t.end <= t.start {
        return Ok(());
    }
    let tops: BTreeMap<usize, u32> = plan
        .lanes
        .iter()
        .filter_map(|l| match l.kind {
            LaneKind::Thread(i) => Some((i, l.top)),
            _ => None,
        })
        .collect();
    let style = text(11.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
    let mut ticks = BTreeSet::new();
    for span in &t.spans.spans {
        let Some(&top) = tops.get(&span.lane) else {
            continue;
        };
        let (y0, y1) = (py0 + top as i32 + 1, py0 + (top + plan.lane_h) as i32 - 1);
        let x = px0 + cols.col(span.start) as i32;
        if span.start > t.start && ticks.insert((span.lane, x)) {
            root.draw(&Rectangle::new([(x, y0), (x + 1, y1)], INK.filled()))
                .map_err(draw_err)?;
        }
        for (k, step) in span.steps.iter().enumerate() {
            let label = t.spans.labels.get(step.what as usize);
            let label = match (k, span.tasks.as_slice(), label) {
                (_, _, None) => continue,
                (0, [id], Some(l)) => format!("task {id} · {l}"),
                (_, _, Some(l)) => l.clone(),
            };
            let (a, b) = (cols.col(step.start) as i32, cols.col(step.end) as i32);
            if text_width(root, &label, &style) as i32 + 6 > b - a {
                continue;
            }
            root.draw_text(&label, &style, (px0 + a + 3, (y0 + y1) / 2))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}
