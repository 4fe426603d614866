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
//! This module also holds what the Gantt chart (`report::gantt`) shares with
//! it: [`ChartError`], the font, PNG encoding and the axis type.

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Why a chart could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    /// The drawing backend failed (the plotters error, as text).
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// Encoding the PNG failed.
    #[error("encoding the PNG failed: {0}")]
    Png(String),
    /// The embedded font could not be parsed.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// The chart would be too large to draw.
    #[error("the chart is too large to draw: {0}")]
    TooLarge(String),
}

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The x value; on a categorical axis, the index into the categories.
    pub x: f64,
    /// The y value; a NaN or infinite value is skipped.
    pub y: f64,
    /// The 95% confidence interval `(lo, hi)` of `y`, drawn as a translucent
    /// band (numeric x) or as error bars (categorical x, isolated points).
    pub band: Option<(f64, f64)>,
}

/// A named line of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub name: String,
    /// Draw the line dashed (for a reference or model curve).
    pub dashed: bool,
    /// Palette index; `None` uses the series' position. Two series with the
    /// same index share a colour (p50 solid and p99 dashed of one line).
    pub colour: Option<usize>,
    /// The points; they are joined in order of x.
    pub points: Vec<Point>,
}

/// A line chart: what to draw and how to label it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The title at the top.
    pub title: String,
    /// The x axis description, with units, e.g. `"switch interval (ms)"`.
    pub x_label: String,
    /// The y axis description, with units, e.g. `"throughput (tasks/s)"`.
    pub y_label: String,
    /// A categorical x axis: each point's x is an index into this list.
    pub x_categories: Option<Vec<String>>,
    /// Logarithmic x axis; `None` chooses: log when all values are positive
    /// and max/min is at least 100. Ignored on a categorical axis.
    pub x_log: Option<bool>,
    /// Logarithmic y axis; `None` chooses by the same rule as `x_log`.
    pub y_log: Option<bool>,
    /// The series, drawn and listed in the legend in this order.
    pub series: Vec<Series>,
}

/// Width of a line chart, in pixels.
pub const WIDTH: u32 = 900;
/// Height of a line chart, in pixels.
pub const HEIGHT: u32 = 560;

/// Render a line chart as an SVG document.
pub fn render_svg(chart: &LineChart) -> Result<String, ChartError> {
    svg_with((WIDTH, HEIGHT), |root| draw(root, chart))
}

/// Render a line chart as PNG bytes.
pub fn render_png(chart: &LineChart) -> Result<Vec<u8>, ChartError> {
    png_with((WIDTH, HEIGHT), |root| draw(root, chart))
}

/// Render charts side by side (each [`WIDTH`] × [`HEIGHT`]) as one SVG document.
pub fn render_row_svg(charts: &[LineChart]) -> Result<String, ChartError> {
    svg_with(row_size(charts), |root| draw_row(root, charts))
}

/// Render charts side by side (each [`WIDTH`] × [`HEIGHT`]) as PNG bytes.
pub fn render_row_png(charts: &[LineChart]) -> Result<Vec<u8>, ChartError> {
    png_with(row_size(charts), |root| draw_row(root, charts))
}

fn row_size(charts: &[LineChart]) -> (u32, u32) {
    (WIDTH * (charts.len().max(1) as u32), HEIGHT)
}

fn draw_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    charts: &[LineChart],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let panels = root.split_evenly((1, charts.len().max(1)));
    for (panel, chart) in panels.iter().zip(charts) {
        draw(panel, chart)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shared with the Gantt chart.

/// The font family every text of a chart uses. The embedded DejaVu Sans is
/// registered under it; SVG viewers fall back to their own sans-serif.
pub(crate) const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the embedded font with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Turn a plotters error into ours.
pub(crate) fn draw_err<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Draw with `f` on an SVG canvas of `size` and return the document.
pub(crate) fn svg_with<F>(size: (u32, u32), f: F) -> Result<String, ChartError>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ChartError>,
{
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        f(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// Draw with `f` on an RGB bitmap of `size` and return it encoded as PNG.
pub(crate) fn png_with<F>(size: (u32, u32), f: F) -> Result<Vec<u8>, ChartError>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), ChartError>,
{
    ensure_font()?;
    let len = (size.0 as usize)
        .checked_mul(size.1 as usize)
        .and_then(|n| n.checked_mul(3))
        .ok_or_else(|| ChartError::TooLarge(format!("{}x{} px", size.0, size.1)))?;
    let mut buf = vec![0u8; len];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        f(&root)?;
        root.present().map_err(draw_err)?;
    }
    encode_png(&buf, size)
}

/// Encode an 8-bit RGB buffer as PNG.
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    let png_err = |e: png::EncodingError| ChartError::Png(e.to_string());
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(rgb).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

/// A text style in the chart font.
pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from((FONT, size).into_font());
    style.color = color.to_backend_color();
    style
}

/// The width of `s` in `style`, in pixels (0 if it cannot be measured).
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
) -> u32 {
    area.estimate_text_size(s, style).map(|d| d.0).unwrap_or(0)
}

/// `s`, cut with an ellipsis so that it fits in `max` pixels.
pub(crate) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max: u32,
) -> String {
    if text_width(area, s, style) <= max {
        return s.to_string();
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>() + "…";
        if text_width(area, &cut, style) <= max {
            return cut;
        }
    }
    String::new()
}

/// Dark grey for text and axes.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
/// Grey for secondary text.
pub(crate) const MUTED: RGBColor = RGBColor(100, 100, 100);

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    /// Linear.
    Linear,
    /// Base-10 logarithmic; the range is positive.
    Log,
    /// Categories at 0, 1, ..., n-1.
    Categorical(usize),
}

/// A plotters coordinate with our own tick choice and formatting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    /// How values map.
    pub scale: Scale,
    /// Low end of the axis.
    pub lo: f64,
    /// High end of the axis.
    pub hi: f64,
    /// Only whole-number ticks (every value on the axis is an integer: cores, workers).
    pub whole: bool,
}

impl Axis {
    /// A linear axis over `[lo, hi]`.
    pub fn linear(lo: f64, hi: f64) -> Axis {
        Axis {
            scale: Scale::Linear,
            lo,
            hi,
            whole: false,
        }
    }

    /// Where `v` falls on the axis, 0 at `lo` and 1 at `hi`.
    fn frac(&self, v: f64) -> f64 {
        let f = match self.scale {
            Scale::Log => (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10()),
            _ => (v - self.lo) / (self.hi - self.lo),
        };
        if f.is_finite() {
            f.clamp(-4.0, 5.0)
        } else {
            0.0
        }
    }

    /// The linear tick step for at most `max` ticks.
    fn step(&self, max: usize) -> f64 {
        let raw = (self.hi - self.lo) / max.max(1) as f64;
        let step = if raw.is_finite() && raw > 0.0 {
            nice_step(raw)
        } else {
            1.0
        };
        if self.whole { step.max(1.0) } else { step }
    }

    /// The labelled ticks, at most about `max`.
    fn majors(&self, max: usize) -> Vec<f64> {
        let max = max.max(2);
        match self.scale {
            Scale::Linear => multiples(self.lo, self.hi, self.step(max)),
            Scale::Log => {
                let (k0, k1) = decades(self.lo, self.hi);
                let ds: Vec<f64> = (k0..=k1)
                    .map(|k| 10f64.powi(k))
                    .filter(|v| self.contains(*v))
                    .collect();
                if ds.len() >= 2 {
                    let every = ds.len().div_ceil(max).max(1);
                    ds.into_iter().step_by(every).collect()
                } else {
                    let all = (k0..=k1)
                        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
                        .filter(|v| self.contains(*v));
                    all.collect()
                }
            }
            Scale::Categorical(n) => {
                let every = n.div_ceil(max).max(1);
                (0..n).step_by(every).map(|i| i as f64).collect()
            }
        }
    }

    /// Unlabelled grid lines between the labelled ones.
    fn minors(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear if self.whole && self.step(max.max(2)) < 2.0 => Vec::new(),
            Scale::Linear => {
                let step = self.step(max.max(2));
                multiples(self.lo, self.hi, step / 2.0)
            }
            Scale::Log => {
                let (k0, k1) = decades(self.lo, self.hi);
                if k1 - k0 > 6 {
                    return Vec::new();
                }
                (k0..=k1)
                    .flat_map(|k| (2..10).map(move |m| m as f64 * 10f64.powi(k)))
                    .filter(|v| self.contains(*v))
                    .collect()
            }
            Scale::Categorical(_) => Vec::new(),
        }
    }

    fn contains(&self, v: f64) -> bool {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        v >= self.lo - eps && v <= self.hi + eps
    }

    /// The label of a tick at `v`.
    pub fn format(&self, v: f64, categories: &[String]) -> String {
        match self.scale {
            Scale::Linear => {
                let step = self.step(10);
                format_number(v, step)
            }
            Scale::Log => format_number(v, v.abs() / 10.0),
            Scale::Categorical(_) => {
                let i = v.round();
                if i >= 0.0 && (i as usize) < categories.len() {
                    categories[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.frac(*value);
        (limit.0 as f64 + f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let mut points = self.majors(hint.bold_points());
        if hint.weight().allow_light_points() {
            points.extend(self.minors(hint.bold_points()));
        }
        points
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m <= 1.0 + 1e-9 {
        1.0
    } else if m <= 2.0 + 1e-9 {
        2.0
    } else if m <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// The multiples of `step` in `[lo, hi]`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(step > 0.0 && lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    if last < first || last - first > 1000 {
        return Vec::new();
    }
    (first..=last).map(|i| i as f64 * step).collect()
}

/// The decade exponents around `[lo, hi]`.
fn decades(lo: f64, hi: f64) -> (i32, i32) {
    let k0 = lo.log10().floor().clamp(-300.0, 300.0) as i32;
    let k1 = hi.log10().ceil().clamp(-300.0, 300.0) as i32;
    (k0, k1.max(k0))
}

/// A tick label for `v` on an axis whose ticks are `step` apart: as few
/// digits as the step needs, and an exponent for very large or small values.
pub(crate) fn format_number(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v.abs() < step.abs() * 1e-6 || v == 0.0 {
        return "0".to_string();
    }
    let mag = v.abs().log10().floor() as i32;
    let step_mag = if step > 0.0 {
        step.log10().floor() as i32
    } else {
        mag
    };
    if !(-3..6).contains(&mag) {
        let digits = (mag - step_mag).clamp(0, 6) as usize;
        let s = format!("{v:.digits$e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let decimals = (-step_mag).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Series colours (colour-blind friendly, from the Tableau 10 palette).
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

// ---------------------------------------------------------------------------
// Line chart layout.

/// Log when all values are positive and span at least a factor of 100.
fn auto_log(values: &[f64]) -> bool {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in values {
        if v <= 0.0 {
            return false;
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    !values.is_empty() && hi / lo >= 100.0
}

/// A linear or log axis spanning `values`, padded a little. With
/// `from_zero`, a linear axis over values that are all ≥ 0 starts at 0, so a
/// 0.4% difference never looks like a cliff.
fn numeric_axis(values: &[f64], log: bool, from_zero: bool) -> Axis {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return if log {
            Axis {
                scale: Scale::Log,
                lo: 1.0,
                hi: 10.0,
                whole: false,
            }
        } else {
            Axis::linear(0.0, 1.0)
        };
    }
    if log {
        let (lo, hi) = if hi / lo < 1.0 + 1e-9 {
            (lo / 2.0, hi * 2.0)
        } else {
            let pad = (hi / lo).powf(0.04);
            (lo / pad, hi * pad)
        };
        return Axis {
            scale: Scale::Log,
            lo,
            hi,
            whole: false,
        };
    }
    let (mut lo, hi) = (lo, hi);
    if from_zero && lo >= 0.0 {
        lo = 0.0;
    }
    if hi - lo <= hi.abs().max(lo.abs()) * 1e-12 {
        let d = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return Axis::linear(lo - d, hi + d);
    }
    let pad = (hi - lo) * 0.05;
    let lo = if lo == 0.0 && from_zero {
        0.0
    } else {
        lo - pad
    };
    Axis::linear(lo, hi + pad)
}

/// One point ready to draw, in axis values.
#[derive(Debug, Clone, Copy)]
struct Drawn {
    x: f64,
    y: f64,
    band: Option<(f64, f64)>,
}

/// Split each series into runs of drawable points (a skipped point breaks
/// the line) and build the axes.
fn layout(chart: &LineChart) -> (Axis, Axis, Vec<Vec<Vec<Drawn>>>) {
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

/// Whether to draw a legend.
fn has_legend(chart: &LineChart) -> bool {
    !(chart.series.is_empty() || chart.series.len() == 1 && chart.series[0].name.is_empty())
}

fn draw<DB: DrawingBackend>(
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
    let title = fit_text(root, &chart.title, &title_style, w - 40);
    root.draw_text(&title, &title_style, (w as i32 / 2, 12))
        .map_err(draw_err)?;
    let body = root.margin(44, 8, 8, 16);

    // Legend column on the right, outside the data.
    let legend_style = text(16.0, INK);
    let legend_w = if has_legend(chart) {
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
        draw_legend(&legend_area, chart, &legend_style, legend_w)?;
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

fn draw_legend<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64) -> Point {
        Point { x, y, band: None }
    }

    fn series(name: &str, points: Vec<Point>) -> Series {
        Series {
            name: name.to_string(),
            dashed: false,
            colour: None,
            points,
        }
    }

    fn chart(series: Vec<Series>) -> LineChart {
        LineChart {
            title: "Throughput against cores".to_string(),
            x_label: "cores".to_string(),
            y_label: "throughput (tasks/s)".to_string(),
            x_categories: None,
            x_log: None,
            y_log: None,
            series,
        }
    }

    /// Three series with confidence bands, one dashed.
    pub(crate) fn three_series() -> LineChart {
        let mk = |name: &str, f: f64, dashed: bool| Series {
            name: name.to_string(),
            dashed,
            colour: None,
            points: (1..=8)
                .map(|c| {
                    let y = f * (c as f64).sqrt() * 100.0;
                    Point {
                        x: c as f64,
                        y,
                        band: Some((y * 0.92, y * 1.08)),
                    }
                })
                .collect(),
        };
        chart(vec![
            mk("threads, GIL", 1.0, false),
            mk("processes", 1.8, false),
            mk("free-threaded (model)", 2.4, true),
        ])
    }

    #[test]
    fn svg_has_title_labels_and_names() {
        let svg = render_svg(&three_series()).expect("renders");
        for s in [
            "Throughput against cores",
            "cores",
            "throughput (tasks/s)",
            "threads, GIL",
            "processes",
            "free-threaded (model)",
        ] {
            assert!(svg.contains(s), "missing {s}");
        }
        assert!(svg.starts_with("<svg"));
    }

    #[test]
    fn automatic_log_axis() {
        let wide = chart(vec![series(
            "a",
            (0..=3).map(|k| pt(10f64.powi(k), 10f64.powi(k))).collect(),
        )]);
        let (x, y, _) = layout(&wide);
        assert_eq!(x.scale, Scale::Log);
        assert_eq!(y.scale, Scale::Log);
        let narrow = chart(vec![series(
            "a",
            (1..=10).map(|k| pt(k as f64, k as f64)).collect(),
        )]);
        let (x, y, _) = layout(&narrow);
        assert_eq!(x.scale, Scale::Linear);
        assert_eq!(y.scale, Scale::Linear);
        // A non-positive value rules out the log axis.
        let mut with_zero = wide.clone();
        with_zero.series[0].points.push(pt(0.0, 5.0));
        assert_eq!(layout(&with_zero).0.scale, Scale::Linear);
        // Explicit choices win.
        let mut forced = narrow.clone();
        forced.y_log = Some(true);
        forced.x_log = Some(false);
        let (x, y, _) = layout(&forced);
        assert_eq!((x.scale, y.scale), (Scale::Linear, Scale::Log));
        // Log axes are labelled at decades.
        let svg = render_svg(&wide).expect("renders");
        for label in ["\n1\n", "\n10\n", "\n100\n", "\n1000\n"] {
            assert!(svg.contains(label), "missing tick {label:?}");
        }
    }

    #[test]
    fn bands_and_error_bars_render() {
        let plain = {
            let mut c = three_series();
            for s in &mut c.series {
                for p in &mut s.points {
                    p.band = None;
                }
            }
            render_svg(&c).expect("renders")
        };
        let banded = render_svg(&three_series()).expect("renders");
        // A translucent band is a polygon with a fill opacity below 1.
        assert!(banded.contains("<polygon"));
        assert!(!plain.contains("<polygon"));
        assert!(banded.contains("opacity=\"0.18\""));

        // Categorical x: error bars, no polygon.
        let mut cat = three_series();
        cat.x_categories = Some((1..=8).map(|c| format!("{c} cores")).collect());
        for s in &mut cat.series {
            for p in &mut s.points {
                p.x -= 1.0;
            }
        }
        let svg = render_svg(&cat).expect("renders");
        assert!(!svg.contains("<polygon"));
        assert!(svg.contains("8 cores"));
        assert!(svg.matches("<polyline").count() > plain.matches("<polyline").count());
    }

    #[test]
    fn empty_and_degenerate_charts_render() {
        let empty = chart(vec![]);
        let svg = render_svg(&empty).expect("renders");
        assert!(svg.contains("no data"));
        render_png(&empty).expect("renders");

        let nan = chart(vec![series(
            "",
            vec![pt(1.0, f64::NAN), pt(2.0, f64::INFINITY), pt(f64::NAN, 1.0)],
        )]);
        assert!(render_svg(&nan).expect("renders").contains("no data"));

        let single = chart(vec![series("", vec![pt(3.0, 7.0)])]);
        let svg = render_svg(&single).expect("renders");
        assert!(!svg.contains("no data"));
        assert_eq!(svg.matches("<circle").count(), 1);

        // NaN points are skipped, the rest still drawn.
        let gap = chart(vec![series(
            "s",
            vec![pt(1.0, 1.0), pt(2.0, 2.0), pt(3.0, f64::NAN), pt(4.0, 4.0)],
        )]);
        let svg = render_svg(&gap).expect("renders");
        assert_eq!(svg.matches("<circle").count(), 3 + 1); // 3 points + legend marker

        let mut forced_log = chart(vec![series("s", vec![pt(-1.0, -1.0), pt(0.0, 0.0)])]);
        forced_log.x_log = Some(true);
        forced_log.y_log = Some(true);
        assert!(
            render_svg(&forced_log)
                .expect("renders")
                .contains("no data")
        );
    }

    #[test]
    fn legend_is_skipped_for_one_unnamed_series() {
        let one = chart(vec![series("", vec![pt(1.0, 1.0), pt(2.0, 3.0)])]);
        let svg = render_svg(&one).expect("renders");
        assert_eq!(svg.matches("<circle").count(), 2);
        let named = chart(vec![series("only", vec![pt(1.0, 1.0), pt(2.0, 3.0)])]);
        let svg = render_svg(&named).expect("renders");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("only"));
    }

    #[test]
    fn png_decodes_to_the_chart_size() {
        let bytes = render_png(&three_series()).expect("renders");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().expect("decodes");
        let info = reader.info();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    }

    #[test]
    fn output_is_deterministic() {
        let c = three_series();
        assert_eq!(render_svg(&c).expect("svg"), render_svg(&c).expect("svg"));
        assert_eq!(render_png(&c).expect("png"), render_png(&c).expect("png"));
    }

    #[test]
    fn number_formatting() {
        assert_eq!(format_number(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_number(1500.0, 500.0), "1500");
        assert_eq!(format_number(2_500_000.0, 500_000.0), "2.5e6");
        assert_eq!(format_number(1e6, 1e5), "1e6");
        assert_eq!(format_number(0.0001, 0.00001), "1e-4");
        assert_eq!(format_number(0.02, 0.002), "0.02");
        assert_eq!(format_number(-0.0, 1.0), "0");
        assert_eq!(nice_step(0.13), 0.2);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(7.0), 10.0);
    }

    /// Writes example charts for a person to look at:
    /// `cargo test --release chart::tests::examples -- --ignored`.
    #[test]
    #[ignore]
    fn examples() {
        let dir = std::env::temp_dir();
        let write = |name: &str, c: &LineChart| {
            std::fs::write(dir.join(name), render_png(c).expect("png")).expect("write");
            std::fs::write(
                dir.join(name.replace(".png", ".svg")),
                render_svg(c).expect("svg"),
            )
            .expect("write");
        };
        write("gilsim-chart-bands.png", &three_series());

        let log_x = LineChart {
            title: "Latency of an I/O thread against the switch interval".to_string(),
            x_label: "switch interval (ms)".to_string(),
            y_label: "p99 latency (ms)".to_string(),
            x_categories: None,
            x_log: None,
            y_log: None,
            series: vec![
                Series {
                    name: "1 CPU thread".to_string(),
                    dashed: false,
                    colour: None,
                    points: [0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0]
                        .iter()
                        .map(|&x| Point {
                            x,
                            y: x * 1.1 + 0.3,
                            band: Some((x + 0.2, x * 1.2 + 0.4)),
                        })
                        .collect(),
                },
                Series {
                    name: "4 CPU threads".to_string(),
                    dashed: false,
                    colour: None,
                    points: [0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0]
                        .iter()
                        .map(|&x| Point {
                            x,
                            y: x * 4.0 + 0.5,
                            band: None,
                        })
                        .collect(),
                },
            ],
        };
        write("gilsim-chart-logx.png", &log_x);

        let workloads = [
            "cpu-bound",
            "io-bound",
            "mixed",
            "pool of 8",
            "asyncio-like",
        ];
        let cat = LineChart {
            title: "Speed-up over one core, by workload".to_string(),
            x_label: "workload".to_string(),
            y_label: "speed-up (×)".to_string(),
            x_categories: Some(workloads.iter().map(|s| s.to_string()).collect()),
            x_log: None,
            y_log: None,
            series: ["GIL", "free-threaded"]
                .iter()
                .enumerate()
                .map(|(i, name)| Series {
                    name: name.to_string(),
                    dashed: false,
                    colour: None,
                    points: (0..workloads.len())
                        .map(|k| {
                            let y = 1.0 + (i as f64 + 0.5) * (k as f64 * 0.7 + 0.3);
                            Point {
                                x: k as f64,
                                y,
                                band: Some((y * 0.9, y * 1.1)),
                            }
                        })
                        .collect(),
                })
                .collect(),
        };
        write("gilsim-chart-categorical.png", &cat);
        write("gilsim-chart-empty.png", &chart(vec![]));
    }
}
