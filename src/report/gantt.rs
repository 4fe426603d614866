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

use std::collections::{BTreeMap, BTreeSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::engine::time::Nanos;
use crate::report::chart::{
    self, Axis, ChartError, INK, MUTED, draw_err, fit_text, text, text_width,
};
use crate::results::timeline::{CoreUse, MarkKind, ThreadState, Timeline};

/// Width of a Gantt chart, in pixels.
pub const WIDTH: u32 = 1100;

/// Render a timeline as an SVG document titled `title`.
pub fn render_svg(t: &Timeline, title: &str) -> Result<String, ChartError> {
    let plan = Plan::new(t)?;
    chart::svg_with(plan.size(), |root| draw(root, t, title, &plan))
}

/// Render a timeline as PNG bytes titled `title`.
pub fn render_png(t: &Timeline, title: &str) -> Result<Vec<u8>, ChartError> {
    let plan = Plan::new(t)?;
    chart::png_with(plan.size(), |root| draw(root, t, title, &plan))
}

/// The colour of a thread state in thread lanes.
pub fn state_colour(s: ThreadState) -> RGBColor {
    match s {
        ThreadState::Running => RGBColor(26, 150, 65),
        ThreadState::RunningNogil => RGBColor(102, 205, 170),
        ThreadState::WaitingGil => RGBColor(215, 25, 28),
        ThreadState::WaitingCore => RGBColor(253, 141, 60),
        ThreadState::Blocked => RGBColor(180, 199, 220),
        ThreadState::WaitingLock => RGBColor(128, 90, 190),
        ThreadState::Idle => RGBColor(236, 236, 236),
    }
}

/// Thread colours for core and GIL lanes, chosen apart from the state colours.
const THREAD_PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(57, 59, 121),
    RGBColor(140, 109, 49),
    RGBColor(123, 65, 115),
    RGBColor(99, 121, 57),
    RGBColor(107, 174, 214),
    RGBColor(231, 186, 82),
    RGBColor(82, 84, 163),
];

/// The colour of a thread (by lane index) in core and GIL lanes.
fn thread_colour(lane: usize, n_threads: usize) -> RGBColor {
    if lane >= n_threads {
        RGBColor(150, 150, 150)
    } else {
        THREAD_PALETTE[lane % THREAD_PALETTE.len()]
    }
}

/// A darker shade, for a core paying a switch for a thread.
fn darker(c: RGBColor) -> RGBColor {
    let d = |v: u8| (v as u16 * 45 / 100) as u8;
    RGBColor(d(c.0), d(c.1), d(c.2))
}

const LANE_BG: RGBColor = RGBColor(246, 246, 246);
const MARK_INK: RGBColor = RGBColor(20, 20, 20);

/// More lanes than this is refused (the PNG would be far too tall).
const MAX_LANES: usize = 2000;
/// Vertical space shared by the lanes before the image grows.
const LANES_BUDGET: u32 = 480;
const MIN_LANE_H: u32 = 12;
const MAX_LANE_H: u32 = 30;
const GROUP_GAP: u32 = 10;
const TITLE_H: u32 = 64;
const AXIS_H: u32 = 46;
const LEGEND_ROW: u32 = 22;
const LEGEND_H: u32 = 3 * LEGEND_ROW + 16;

/// What a lane shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LaneKind {
    /// `Timeline::threads[i]`.
    Thread(usize),
    /// `Timeline::cores[i]`.
    Core(usize),
    /// `Timeline::gils[i]`.
    Gil(usize),
}

/// A lane and where it sits, relative to the top of the plot.
#[derive(Debug, Clone)]
struct Lane {
    kind: LaneKind,
    label: String,
    top: u32,
}

/// The image's geometry, known before drawing.
#[derive(Debug, Clone)]
struct Plan {
    lanes: Vec<Lane>,
    lane_h: u32,
    plot_h: u32,
}

impl Plan {
    fn new(t: &Timeline) -> Result<Plan, ChartError> {
        let n = t.threads.len() + t.cores.len() + t.gils.len();
        if n > MAX_LANES {
            return Err(ChartError::TooLarge(format!(
                "{n} lanes (at most {MAX_LANES})"
            )));
        }
        let groups = [
            !t.threads.is_empty(),
            !t.cores.is_empty(),
            !t.gils.is_empty(),
        ]
        .iter()
        .filter(|g| **g)
        .count() as u32;
        let gaps = groups.saturating_sub(1) * GROUP_GAP;
        let lane_h = (LANES_BUDGET / n.max(1) as u32).clamp(MIN_LANE_H, MAX_LANE_H);
        let mut lanes = Vec::with_capacity(n);
        let mut top = 0;
        let mut push_group = |lanes: &mut Vec<Lane>, group: Vec<(LaneKind, String)>| {
            if group.is_empty() {
                return;
            }
            if !lanes.is_empty() {
                top += GROUP_GAP;
            }
            for (kind, label) in group {
                lanes.push(Lane { kind, label, top });
                top += lane_h;
            }
        };
        push_group(
            &mut lanes,
            t.threads
                .iter()
                .enumerate()
                .map(|(i, l)| (LaneKind::Thread(i), l.label.clone()))
                .collect(),
        );
        push_group(
            &mut lanes,
            t.cores
                .iter()
                .enumerate()
                .map(|(i, c)| (LaneKind::Core(i), format!("core {}", c.core)))
                .collect(),
        );
        let single_main = t.gils.len() == 1 && t.gils[0].interpreter == 0;
        push_group(
            &mut lanes,
            t.gils
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let label = if single_main {
                        "GIL".to_string()
                    } else {
                        format!("GIL (interp {})", g.interpreter)
                    };
                    (LaneKind::Gil(i), label)
                })
                .collect(),
        );
        let plot_h = (n as u32 * lane_h + gaps).max(4 * MIN_LANE_H);
        Ok(Plan {
            lanes,
            lane_h,
            plot_h,
        })
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_H + self.plot_h + AXIS_H + LEGEND_H)
    }
}

/// Pixel columns over the window: column `c` covers `[bound(c), bound(c+1))`.
#[derive(Debug, Clone, Copy)]
struct Columns {
    t0: Nanos,
    span: Nanos,
    n: usize,
}

impl Columns {
    fn col(&self, t: Nanos) -> usize {
        let c = (t.saturating_sub(self.t0) as u128 * self.n as u128) / self.span as u128;
        (c as usize).min(self.n - 1)
    }

    fn bound(&self, c: usize) -> Nanos {
        self.t0 + ((self.span as u128 * c as u128) / self.n as u128) as Nanos
    }
}

/// No interval: not drawn.
const NONE: u32 = u32::MAX;

/// How long each key covers each column, keys in first-seen order.
fn coverage(
    cols: Columns,
    items: impl Iterator<Item = (Nanos, Nanos, u32)>,
) -> Vec<Vec<(u32, Nanos)>> {
    let mut cov: Vec<Vec<(u32, Nanos)>> = vec![Vec::new(); cols.n];
    let end = cols.t0 + cols.span;
    for (s, e, key) in items {
        let (s, e) = (s.max(cols.t0), e.min(end));
        if s >= e {
            continue;
        }
        for (c, column) in cov
            .iter_mut()
            .enumerate()
            .take(cols.col(e - 1) + 1)
            .skip(cols.col(s))
        {
            let overlap = e
                .min(cols.bound(c + 1))
                .saturating_sub(s.max(cols.bound(c)));
            if overlap == 0 {
                continue;
            }
            match column.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 += overlap,
                None => column.push((key, overlap)),
            }
        }
    }
    cov
}

/// The key to draw in each column, merged into runs `(first, end, key)` of
/// columns (end exclusive), without the undrawn ones.
fn column_runs(cols: Columns, cov: &[Vec<(u32, Nanos)>]) -> Vec<(usize, usize, u32)> {
    let width = |c: usize| cols.bound(c + 1) - cols.bound(c);
    // What covers most of each column (a gap counts); ties go to the smaller key.
    let main: Vec<u32> = cov
        .iter()
        .enumerate()
        .map(|(c, column)| {
            let covered: Nanos = column.iter().map(|(_, d)| *d).sum();
            let mut best = (width(c).saturating_sub(covered), NONE);
            for &(k, d) in column {
                if d > best.0 || (d == best.0 && k < best.1) {
                    best = (d, k);
                }
            }
            best.1
        })
        .collect();
    let present = |c: Option<usize>, k: u32| match c {
        Some(c) if c < cov.len() => cov[c].iter().any(|(key, d)| *key == k && *d > 0),
        _ => false,
    };
    let main_at = |c: Option<usize>| match c {
        Some(c) if c < main.len() => main[c],
        _ => NONE,
    };
    let shown: Vec<u32> = (0..cov.len())
        .map(|c| {
            // At the edges, the missing neighbour is taken to be like the column.
            let (prev, next) = (Some(c.saturating_sub(1)), Some((c + 1).min(cov.len() - 1)));
            // A brief state between others: shown so it does not vanish.
            let glimpse = cov[c]
                .iter()
                .filter(|(k, d)| {
                    *d > 0
                        && *k != main[c]
                        && *k != main_at(prev)
                        && *k != main_at(next)
                        && (!present(prev, *k) || !present(next, *k))
                })
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            glimpse.map_or(main[c], |(k, _)| *k)
        })
        .collect();
    let mut runs = Vec::new();
    let mut c = 0;
    while c < shown.len() {
        let k = shown[c];
        let mut e = c + 1;
        while e < shown.len() && shown[e] == k {
            e += 1;
        }
        if k != NONE {
            runs.push((c, e, k));
        }
        c = e;
    }
    runs
}

/// Which thread lane a `tid` means at a time: the last lane with that tid
/// whose first interval starts at or before it (slots can be reused).
struct TidMap {
    lanes: BTreeMap<usize, Vec<(Nanos, usize)>>,
}

impl TidMap {
    fn new(t: &Timeline) -> TidMap {
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

    fn lane(&self, tid: usize, at: Nanos) -> Option<usize> {
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
    chart::format_number(ns as f64 / 1e6, 0.001)
}

fn draw<DB: DrawingBackend>(
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

    // Title and what the window is.
    let title_style = text(22.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
    let title = fit_text(root, title, &title_style, w - 40);
    root.draw_text(&title, &title_style, (w as i32 / 2, 10))
        .map_err(draw_err)?;
    let sub_style = text(15.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top));
    let subtitle = format!(
        "window {}–{} ms of the run ({} ms) · switch interval {} ms · {} drop request{}",
        ms(t.start),
        ms(t.end),
        ms(span),
        ms(t.switch_interval),
        drops,
        if drops == 1 { "" } else { "s" }
    );
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
        if m.kind != MarkKind::DropRequest || m.at < t.start || m.at >= t.end {
            continue;
        }
        let Some(lane) = tids.lane(m.tid, m.at) else {
            continue;
        };
        let Some(top) = lane_top.get(&lane) else {
            continue;
        };
        let x = px0 + cols.col(m.at) as i32;
        if !drawn.insert((lane, x / (tri + 1))) {
            continue;
        }
        let y = py0 + *top as i32 + 1;
        root.draw(&Polygon::new(
            vec![(x - tri, y), (x + tri, y), (x, y + tri + 2)],
            MARK_INK.filled(),
        ))
        .map_err(draw_err)?;
    }

    draw_legend(&legend_area, px0, n_threads > 0, !t.gils.is_empty())?;
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::timeline::{CoreLane, GilLane, Interval, Mark, ThreadLane};

    const US: Nanos = 1_000;
    const MS: Nanos = 1_000_000;

    fn iv<T>(start: Nanos, end: Nanos, what: T) -> Interval<T> {
        Interval { start, end, what }
    }

    /// Two threads on two cores: `io/0` blocks for 50 µs, then waits about
    /// 5 ms for the GIL (sets a drop request), takes it and runs a few µs;
    /// `cpu/0` runs with the GIL the rest of the time.
    pub(crate) fn convoy() -> Timeline {
        let start = 1_000 * MS;
        let end = start + 100 * MS;
        let (io, cpu) = (0usize, 1usize);
        let mut io_iv = Vec::new();
        let mut cpu_iv = Vec::new();
        let mut core0 = Vec::new();
        let mut core1 = Vec::new();
        let mut gil = Vec::new();
        let mut marks = Vec::new();
        let mut t = start;
        let mut cpu_from = start;
        while t < end {
            let blocked_end = t + 50 * US;
            let wake = blocked_end + 5 * US; // wake-up latency on core 1
            let drop_at = wake + 5 * MS;
            let handoff = drop_at + 4 * US;
            let io_done = handoff + 8 * US;
            if io_done + 6 * US >= end {
                break;
            }
            io_iv.push(iv(t, blocked_end, ThreadState::Blocked));
            io_iv.push(iv(blocked_end, wake, ThreadState::WaitingCore));
            io_iv.push(iv(wake, handoff, ThreadState::WaitingGil));
            io_iv.push(iv(handoff, io_done, ThreadState::Running));
            core1.push(iv(blocked_end, wake, CoreUse::Switching(io)));
            core1.push(iv(handoff, io_done + 2 * US, CoreUse::Thread(io)));
            marks.push(Mark {
                at: drop_at,
                tid: io,
                interpreter: 0,
                kind: MarkKind::DropRequest,
            });
            cpu_iv.push(iv(cpu_from, drop_at, ThreadState::Running));
            cpu_iv.push(iv(drop_at, io_done + 6 * US, ThreadState::WaitingGil));
            gil.push(iv(cpu_from, drop_at, cpu));
            gil.push(iv(handoff, io_done, io));
            cpu_from = io_done + 6 * US;
            t = io_done;
        }
        cpu_iv.push(iv(cpu_from, end, ThreadState::Running));
        gil.push(iv(cpu_from, end, cpu));
        io_iv.push(iv(t, end, ThreadState::Blocked));
        core0.push(iv(start, end, CoreUse::Thread(cpu)));
        Timeline {
            start,
            end,
            switch_interval: 5 * MS,
            threads: vec![
                ThreadLane {
                    tid: io,
                    label: "io/0".to_string(),
                    interpreter: 0,
                    intervals: io_iv,
                },
                ThreadLane {
                    tid: cpu,
                    label: "cpu/0".to_string(),
                    interpreter: 0,
                    intervals: cpu_iv,
                },
            ],
            cores: vec![
                CoreLane {
                    core: 0,
                    intervals: core0,
                },
                CoreLane {
                    core: 1,
                    intervals: core1,
                },
            ],
            gils: vec![GilLane {
                interpreter: 0,
                intervals: gil,
            }],
            marks,
        }
    }

    /// A thread changing state every 3 µs on average: 100,000 thread
    /// intervals, plus the core and GIL intervals that go with them. The
    /// states and lengths are pseudo-random, so that the state covering most
    /// of a pixel column changes from column to column: the worst case for
    /// the output size.
    fn dense() -> Timeline {
        let start = 0;
        let n = 100_000u64;
        let mut th = Vec::new();
        let mut core = Vec::new();
        let mut gil = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut s = start;
        for _ in 0..n {
            let r = next();
            let e = s + (1 + r % 5) * US;
            let state = match (r >> 8) % 3 {
                0 => ThreadState::Running,
                1 => ThreadState::WaitingGil,
                _ => ThreadState::RunningNogil,
            };
            th.push(iv(s, e, state));
            if state != ThreadState::WaitingGil {
                core.push(iv(s, e, CoreUse::Thread(7)));
            }
            if state == ThreadState::Running {
                gil.push(iv(s, e, 7));
            }
            s = e;
        }
        let end = s;
        Timeline {
            start,
            end,
            switch_interval: 5 * MS,
            threads: vec![ThreadLane {
                tid: 7,
                label: "hot/0".to_string(),
                interpreter: 0,
                intervals: th,
            }],
            cores: vec![CoreLane {
                core: 0,
                intervals: core,
            }],
            gils: vec![GilLane {
                interpreter: 0,
                intervals: gil,
            }],
            marks: (0..1000)
                .map(|i| Mark {
                    at: i * 300 * US,
                    tid: 7,
                    interpreter: 0,
                    kind: MarkKind::DropRequest,
                })
                .collect(),
        }
    }

    #[test]
    fn svg_has_title_lanes_and_legend() {
        let svg = render_svg(&convoy(), "Convoy effect").expect("renders");
        for s in [
            "Convoy effect",
            "time (ms)",
            "io/0",
            "cpu/0",
            "core 0",
            "core 1",
            "GIL",
            "waiting for GIL",
            "running (GIL)",
            "drop request",
            "window 1000–1100 ms",
        ] {
            assert!(svg.contains(s), "missing {s}");
        }
    }

    #[test]
    fn convoy_waits_are_visible_one_by_one() {
        let t = convoy();
        let waits = t.threads[0]
            .intervals
            .iter()
            .filter(|i| i.what == ThreadState::WaitingGil)
            .count();
        assert!(waits >= 19, "{waits}");
        let cols = Columns {
            t0: t.start,
            span: t.end - t.start,
            n: 900,
        };
        let key =
            |s: ThreadState| ThreadState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u32;
        let cov = coverage(
            cols,
            t.threads[0]
                .intervals
                .iter()
                .map(|i| (i.start, i.end, key(i.what))),
        );
        let runs = column_runs(cols, &cov);
        let red: Vec<_> = runs
            .iter()
            .filter(|r| r.2 == key(ThreadState::WaitingGil))
            .collect();
        // Each 5 ms wait is its own long red run, not merged into one.
        assert_eq!(red.len(), waits);
        assert!(red.iter().all(|r| r.1 - r.0 >= 40), "{red:?}");
        // The io thread's few microseconds with the GIL show in the GIL lane.
        let gil_cov = coverage(
            cols,
            t.gils[0]
                .intervals
                .iter()
                .map(|i| (i.start, i.end, i.what as u32)),
        );
        let io_held = column_runs(cols, &gil_cov)
            .iter()
            .filter(|r| r.2 == 0)
            .count();
        assert_eq!(io_held, waits);
    }

    #[test]
    fn majority_wins_and_alternation_does_not_speckle() {
        let cols = Columns {
            t0: 0,
            span: 1000,
            n: 10,
        };
        // 0 covers 70% of column 0, 1 covers 30%; column 1 all 1.
        let cov = coverage(cols, [(0, 70, 0), (70, 200, 1)].into_iter());
        assert_eq!(column_runs(cols, &cov), vec![(0, 1, 0), (1, 2, 1)]);
        // Fine alternation: every column holds both, the majority is drawn.
        let items = (0..100u64).map(|i| (i * 10, i * 10 + 10, (i % 3 == 0) as u32));
        let cov = coverage(cols, items);
        assert_eq!(column_runs(cols, &cov), vec![(0, 10, 0)]);
    }

    #[test]
    fn dense_timeline_svg_is_small() {
        let t = dense();
        assert!(t.threads[0].intervals.len() >= 100_000);
        let svg = render_svg(&t, "dense").expect("renders");
        // Bounded by lanes × columns, far from one rectangle per interval.
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
        let png = render_png(&t, "dense").expect("renders");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn png_decodes_to_the_planned_size() {
        let t = convoy();
        let bytes = render_png(&t, "Convoy").expect("renders");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("decodes");
        let info = reader.info();
        let (w, h) = Plan::new(&t).expect("plan").size();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(w, WIDTH);
    }

    #[test]
    fn lane_height_adapts_then_the_image_grows() {
        let with_threads = |n: usize| Timeline {
            start: 0,
            end: MS,
            switch_interval: 5 * MS,
            threads: (0..n)
                .map(|i| ThreadLane {
                    tid: i,
                    label: format!("w/{i}"),
                    interpreter: 0,
                    intervals: vec![iv(0, MS, ThreadState::Idle)],
                })
                .collect(),
            cores: Vec::new(),
            gils: Vec::new(),
            marks: Vec::new(),
        };
        let h = |n| Plan::new(&with_threads(n)).expect("plan").size().1;
        let (p4, p40) = (
            Plan::new(&with_threads(4)).expect("plan"),
            Plan::new(&with_threads(40)).expect("plan"),
        );
        assert_eq!(p4.lane_h, MAX_LANE_H);
        assert!(p40.lane_h >= MIN_LANE_H && p40.lane_h < MAX_LANE_H);
        assert!(h(40) <= 800, "{}", h(40));
        assert_eq!(
            Plan::new(&with_threads(200)).expect("plan").lane_h,
            MIN_LANE_H
        );
        assert!(h(200) > h(40));
        render_svg(&with_threads(60), "many").expect("renders");
        assert!(matches!(
            Plan::new(&with_threads(MAX_LANES + 1)),
            Err(ChartError::TooLarge(_))
        ));
    }

    #[test]
    fn empty_timelines_render() {
        let empty = Timeline {
            start: 5 * MS,
            end: 5 * MS,
            switch_interval: 5 * MS,
            threads: Vec::new(),
            cores: Vec::new(),
            gils: Vec::new(),
            marks: Vec::new(),
        };
        assert!(
            render_svg(&empty, "empty")
                .expect("renders")
                .contains("no data")
        );
        render_png(&empty, "empty").expect("renders");
        // Intervals and marks outside the window, unknown tids: ignored or grey.
        let mut odd = convoy();
        odd.cores[0].intervals.push(iv(0, 10, CoreUse::Thread(99)));
        odd.gils[0]
            .intervals
            .push(iv(odd.end - MS, odd.end + MS, 42));
        odd.marks.push(Mark {
            at: odd.end + 1,
            tid: 0,
            interpreter: 0,
            kind: MarkKind::DropRequest,
        });
        render_svg(&odd, "odd").expect("renders");
    }

    #[test]
    fn output_is_deterministic() {
        let t = convoy();
        assert_eq!(
            render_svg(&t, "c").expect("svg"),
            render_svg(&t, "c").expect("svg")
        );
        assert_eq!(
            render_png(&t, "c").expect("png"),
            render_png(&t, "c").expect("png")
        );
    }

    /// Writes example Gantt charts for a person to look at:
    /// `cargo test --release gantt::tests::examples -- --ignored`.
    #[test]
    #[ignore]
    fn examples() {
        let dir = std::env::temp_dir();
        let write = |name: &str, t: &Timeline, title: &str| {
            std::fs::write(dir.join(name), render_png(t, title).expect("png")).expect("write");
            std::fs::write(
                dir.join(name.replace(".png", ".svg")),
                render_svg(t, title).expect("svg"),
            )
            .expect("write");
        };
        write(
            "gilsim-gantt-convoy.png",
            &convoy(),
            "Convoy effect: an I/O thread behind a CPU-bound thread",
        );
        write("gilsim-gantt-dense.png", &dense(), "100,000 intervals");
    }
}
