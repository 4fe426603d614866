//! The canvases every chart draws on: an SVG document or an RGB bitmap
//! encoded as PNG, both in memory; the embedded DejaVu Sans font they
//! measure and draw text with; and [`ChartError`], why a chart could not be
//! rendered.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

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

/// The font family every text of a chart uses. The embedded DejaVu Sans is
/// registered under it; SVG viewers fall back to their own sans-serif.
pub(crate) const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

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
