//! `validation.svg` / `validation.png`: simulated against real, one panel
//! per metric, log axes, the y = x line with ±15% lines beside it, the real
//! spread (p25..p75) as a horizontal error bar and the simulated spread
//! (when simulated on several seeds) as a vertical one, and each workload's
//! name beside its point. Drawn with the shipped font (`report::chart`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::rows::Row;
use crate::report::chart::{
    Axis, ChartError, INK, MUTED, PALETTE, Scale, draw_err, png_with, svg_with, text,
};

const PANEL: (u32, u32) = (760, 720);

/// A point of the chart: real median and spread, simulated value and spread.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    name: String,
    real: f64,
    real_lo: f64,
    real_hi: f64,
    sim: f64,
    sim_range: Option<(f64, f64)>,
}

/// The validated rows grouped by metric, in row order.
fn panels(rows: &[Row]) -> Vec<(String, Vec<Point>)> {
    let mut out: Vec<(String, Vec<Point>)> = Vec::new();
    for r in rows {
        let (Some(real), Some(sim)) = (&r.real, r.simulated) else {
            continue;
        };
        if !(real.median > 0.0 && sim > 0.0 && sim.is_finite()) {
            continue;
        }
        let p = Point {
            name: r.workload.clone(),
            real: real.median,
            real_lo: real.p25.max(real.median * 1e-3),
            real_hi: real.p75.max(real.median),
            sim,
            sim_range: r.simulated_range,
        };
        match out.iter_mut().find(|(m, _)| *m == r.metric) {
            Some((_, ps)) => ps.push(p),
            None => out.push((r.metric.clone(), vec![p])),
        }
    }
    out
}

fn size(n: usize) -> (u32, u32) {
    (PANEL.0 * n.max(1) as u32, PANEL.1)
}

/// The chart as an SVG document.
pub fn render_svg(rows: &[Row], title: &str) -> Result<String, ChartError> {
    let p = panels(rows);
    svg_with(size(p.len()), |root| draw(root, &p, title))
}

/// The chart as a PNG image.
pub fn render_png(rows: &[Row], title: &str) -> Result<Vec<u8>, ChartError> {
    let p = panels(rows);
    png_with(size(p.len()), |root| draw(root, &p, title))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[(String, Vec<Point>)],
    title: &str,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, _) = root.dim_in_pixel();
    let title_style = text(22.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(title, &title_style, (w as i32 / 2, 10))
        .map_err(draw_err)?;
    let body = root.margin(42, 4, 4, 4);
    if panels.is_empty() {
        body.draw_text(
            "no workload validated",
            &text(18.0, MUTED),
            (40, PANEL.1 as i32 / 2),
        )
        .map_err(draw_err)?;
        return Ok(());
    }
    let areas = body.split_evenly((1, panels.len()));
    for (area, (metric, points)) in areas.iter().zip(panels) {
        draw_panel(area, metric, points)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    metric: &str,
    points: &[Point],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in points {
        let (a, b) = p.sim_range.unwrap_or((p.sim, p.sim));
        for v in [p.real_lo, p.real_hi, p.sim, a, b] {
            if v > 0.0 && v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    // Whole decades around the data, at least one decade wide.
    let lo = 10f64.powf((lo / 1.3).log10().floor());
    let hi = 10f64.powf((hi * 1.3).log10().ceil()).max(lo * 10.0);
    let axis = Axis {
        scale: Scale::Log,
        lo,
        hi,
        whole: false,
    };
    let mut ctx = ChartBuilder::on(area)
        .margin(16)
        .margin_right(24)
        .x_label_area_size(50)
        .y_label_area_size(78)
        .build_cartesian_2d(axis.clone(), axis.clone())
        .map_err(draw_err)?;
    let fmt = |v: &f64| axis.format(*v, &[]);
    let tick = text(14.0, INK);
    ctx.configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .x_label_style(tick.clone())
        .y_label_style(tick)
        .x_desc(format!("real median ({metric})"))
        .y_desc(format!("simulated ({metric})"))
        .axis_desc_style(text(16.0, INK))
        .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
        .light_line_style(RGBColor(240, 240, 240).stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .map_err(draw_err)?;
    ctx.draw_series(LineSeries::new(
        vec![(lo, lo), (hi, hi)],
        INK.stroke_width(1),
    ))
    .map_err(draw_err)?;
    for f in [1.15, 1.0 / 1.15] {
        ctx.draw_series(DashedLineSeries::new(
            vec![(lo, lo * f), (hi, hi * f)],
            6,
            5,
            MUTED.mix(0.6).stroke_width(1),
        ))
        .map_err(draw_err)?;
    }
    ctx.draw_series(std::iter::once(Text::new(
        "y = x; dashed: ±15%",
        (lo * 1.15, hi / 1.6),
        text(13.0, MUTED),
    )))
    .map_err(draw_err)?;
    for (i, p) in points.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let style = c.stroke_width(2);
        let cap = |x: f64, y: f64, vertical: bool| {
            let seg = if vertical {
                vec![(0, -4), (0, 4)]
            } else {
                vec![(-4, 0), (4, 0)]
            };
            EmptyElement::at((x, y)) + PathElement::new(seg, style)
        };
        ctx.draw_series([PathElement::new(
            vec![(p.real_lo, p.sim), (p.real_hi, p.sim)],
            style,
        )])
        .map_err(draw_err)?;
        ctx.draw_series([cap(p.real_lo, p.sim, true), cap(p.real_hi, p.sim, true)])
            .map_err(draw_err)?;
        if let Some((a, b)) = p.sim_range {
            ctx.draw_series([PathElement::new(vec![(p.real, a), (p.real, b)], style)])
                .map_err(draw_err)?;
            ctx.draw_series([cap(p.real, a, false), cap(p.real, b, false)])
                .map_err(draw_err)?;
        }
        ctx.draw_series(std::iter::once(Circle::new((p.real, p.sim), 5, c.filled())))
            .map_err(draw_err)?;
    }
    // Labels: right of the point, or left in the right part of the panel;
    // nudged up or down (with a leader line) off labels already placed.
    let (x_px, _) = ctx.plotting_area().get_pixel_range();
    let right_edge = x_px.start + (x_px.end - x_px.start) * 3 / 5;
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let error = (p.sim - p.real) / p.real * 100.0;
        let label = format!("{} ({error:+.0}%)", p.name);
        let (px, py) = ctx.backend_coord(&(p.real, p.sim));
        let width = 7 * label.chars().count() as i32;
        let left = px > right_edge;
        let (x0, x1) = if left {
            (px - 10 - width, px - 10)
        } else {
            (px + 10, px + 10 + width)
        };
        let dy = (0..12)
            .map(|k| {
                if k % 2 == 0 {
                    k / 2 * 15
                } else {
                    -(k / 2 + 1) * 15
                }
            })
            .find(|&dy| {
                let (y0, y1) = (py + dy - 7, py + dy + 7);
                placed
                    .iter()
                    .all(|&(a, b, c0, d)| x1 < a || x0 > b || y1 < c0 || y0 > d)
            })
            .unwrap_or(0);
        placed.push((x0, x1, py + dy - 7, py + dy + 7));
        let (dx, anchor) = if left {
            (-10, HPos::Right)
        } else {
            (10, HPos::Left)
        };
        let style = text(13.0, c).pos(Pos::new(anchor, VPos::Center));
        if dy != 0 {
            ctx.draw_series(std::iter::once(
                EmptyElement::at((p.real, p.sim))
                    + PathElement::new(vec![(0, 0), (dx, dy)], c.mix(0.5).stroke_width(1)),
            ))
            .map_err(draw_err)?;
        }
        ctx.draw_series(std::iter::once(
            EmptyElement::at((p.real, p.sim)) + Text::new(label, (dx, dy), style),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}
