//! What a line chart shows: its series of points, with their confidence
//! intervals, and how its title and axes are labelled.

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
