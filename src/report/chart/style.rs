//! Text and colours shared by every chart: text styles in the chart font,
//! measuring and cutting text to a width, the ink greys and the series
//! palette.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::backend::FONT;

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

/// A title cut to fit in `max` pixels that keeps its last parenthesised
/// part (what a chart holds fixed, `(key = value)`), cutting the words
/// before it instead; [`fit_text`] when even that part does not fit.
pub(crate) fn fit_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle,
    max: u32,
) -> String {
    if text_width(area, s, style) <= max {
        return s.to_string();
    }
    if let Some(i) = s.rfind(" (").filter(|_| s.ends_with(')')) {
        let (head, tail) = s.split_at(i);
        let room = max.saturating_sub(text_width(area, tail, style));
        let head = fit_text(area, head, style, room);
        if !head.is_empty() && head != "…" {
            return head + tail;
        }
    }
    fit_text(area, s, style, max)
}

/// Dark grey for text and axes.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
/// Grey for secondary text.
pub(crate) const MUTED: RGBColor = RGBColor(100, 100, 100);

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
