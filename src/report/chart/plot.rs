//! A line chart's frame: the title, the split between plot and legend
//! column, the grid with its measured tick labels, and "no data" when
//! nothing can be drawn; the series and the legend are drawn by their
//! modules.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Scale;
use super::backend::{ChartError, draw_err};
use super::layout::layout;
use super::spec::LineChart;
use super::style::{INK, MUTED, fit_text, fit_title, text, text_width};
use super::{legend, series};

/// Draw `chart` on `root`: title, axes and grid, the series, the legend.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &LineChart,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, _h) = root.dim_in_pixel();

    // Title.
    let title_style = text(24.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
    let title = fit_title(root, &chart.title, &title_style, w - 40);
    root.draw_text(&title, &title_style, (w as i32 / 2, 12))
        .map_err(draw_err)?;
    let body = root.margin(44, 8, 8, 16);

    // Legend column on the right, outside the data.
    let legend_style = text(16.0, INK);
    let legend_w = if legend::shown(chart) {
        let widest = chart
            .series
            .iter()
            .map(|s| text_width(root, &s.name, &legend_style))
            .max()
            .unwrap_or(0);
        (widest + 56).clamp(90, 260)
    } else {
        0
    };
    let (plot_area, legend_area) = body.split_horizontally(body.dim_in_pixel().0 - legend_w);

    let (x_axis, y_axis, runs) = layout(chart);
    let categories: Vec<String> = chart.x_categories.clone().unwrap_or_default();
    let no_data = runs.iter().all(|r| r.is_empty());

    let tick_style = text(15.0, INK);
    let y_tick_w = y_axis
        .majors(10)
        .iter()
        .map(|v| text_width(root, &y_axis.format(*v, &[]), &tick_style))
        .max()
        .unwrap_or(20);
    let plot_w = plot_area.dim_in_pixel().0.saturating_sub(y_tick_w + 40);
    // Categorical labels: as many as fit side by side.
    let n_x_labels = match x_axis.scale {
        Scale::Categorical(n) => {
            let widest = categories
                .iter()
                .map(|c| text_width(root, c, &tick_style))
                .max()
                .unwrap_or(10)
                + 12;
            let fit = (plot_w / widest.max(1)).max(1) as usize;
            n.min(fit).max(1)
        }
        _ => 8,
    };
    let label_cap = match x_axis.scale {
        Scale::Categorical(n) => (plot_w / n.max(1) as u32).max(30),
        _ => plot_w,
    };

    let mut ctx = ChartBuilder::on(&plot_area)
        .margin_right(12)
        .margin_top(6)
        .x_label_area_size(48)
        .y_label_area_size(y_tick_w + 34)
        .build_cartesian_2d(x_axis.clone(), y_axis.clone())
        .map_err(draw_err)?;
    // Labels are measured here: the formatter runs while plotters holds the backend.
    let x_labels: Vec<(f64, String)> = x_axis
        .majors(n_x_labels)
        .into_iter()
        .map(|v| {
            let s = x_axis.format(v, &categories);
            (v, fit_text(root, &s, &tick_style, label_cap))
        })
        .collect();
    let x_fmt = |v: &f64| {
        x_labels
            .iter()
            .find(|(t, _)| (t - v).abs() <= (x_axis.hi - x_axis.lo).abs() * 1e-9)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| x_axis.format(*v, &categories))
    };
    let y_fmt = |v: &f64| y_axis.format(*v, &[]);
    ctx.configure_mesh()
        .x_labels(n_x_labels)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_label_style(tick_style.clone())
        .y_label_style(tick_style.clone())
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .axis_desc_style(text(17.0, INK))
        .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
        .light_line_style(RGBColor(238, 238, 238).stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .map_err(draw_err)?;

    let categorical = matches!(x_axis.scale, Scale::Categorical(_));
    series::draw(&mut ctx, chart, &runs, categorical)?;

    if no_data {
        let area = ctx.plotting_area();
        let (xr, yr) = area.get_pixel_range();
        let style = text(22.0, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(
            "no data",
            &style,
            ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2),
        )
        .map_err(draw_err)?;
    }

    if legend_w > 0 {
        legend::draw(&legend_area, chart, &legend_style, legend_w)?;
    }
    Ok(())
}
