//! The pipeline chart (`pipeline.svg`/`.png`), for scenarios with `after`
//! stages, drawn from the `results.csv` records of one sweep point (the
//! mean over its replications):
//!
//! - left, one bar per stage (a workload with `after`) in file order: an
//!   item's mean time in ms,
//!   stacked as *waiting in its queue* (`queue_wait_mean_ms`) and *in the
//!   stage* (the rest of `latency_mean_ms`: running, blocked in I/O,
//!   waiting for the GIL, blocked on a full queue downstream); the label
//!   gives its throughput;
//! - right, the share of each workload's worker time *waiting for the GIL*
//!   (`gil_wait_fraction`) and *blocked on a full queue* downstream (the
//!   `blocked_put_fraction` of the stages it feeds), the rest *running, in
//!   I/O or idle*.
//!
//! The stage with the longest mean queue is named in the title: its
//! producers wait for it, so it is where the pipeline's pace is set.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{self, ChartError, INK, MUTED, PALETTE, draw_err, text};
use super::figures::Table;

/// One workload's figures in the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct StageBar {
    /// Workload name.
    pub name: String,
    /// Tasks per second.
    pub throughput: f64,
    /// Mean wait in its input queue, ms (0 for a source).
    pub queue_ms: f64,
    /// Mean latency, ms.
    pub latency_ms: f64,
    /// Mean queue length (`None` for a source).
    pub queue_len: Option<f64>,
    /// Share of worker time waiting for the GIL.
    pub gil_wait: f64,
    /// Share of worker time blocked on a full queue downstream.
    pub blocked_put: f64,
}

/// What the pipeline chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineChart {
    /// The title.
    pub title: String,
    /// The workloads, in file order.
    pub bars: Vec<StageBar>,
}

/// The chart for sweep point `point`, or `None` when no workload is a
/// stage. `links` are the `(upstream, stage)` names of the `after` links.
pub fn pipeline_chart(
    name: &str,
    table: &Table<'_>,
    point: &str,
    links: &[(String, String)],
) -> Option<PipelineChart> {
    if links.is_empty() {
        return None;
    }
    let col = |c: &str| table.header.iter().position(|h| h == c);
    let (p, w) = (col("point")?, col("workload")?);
    let mut names: Vec<String> = Vec::new();
    for r in table.records.iter().filter(|r| r[p] == point) {
        if !names.contains(&r[w]) {
            names.push(r[w].clone());
        }
    }
    let mean = |workload: &str, column: &str| -> Option<f64> {
        let c = col(column)?;
        let xs: Vec<f64> = table
            .records
            .iter()
            .filter(|r| r[p] == point && r[w] == workload)
            .filter_map(|r| r[c].parse::<f64>().ok())
            .collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    let bars: Vec<StageBar> = names
        .iter()
        .map(|n| StageBar {
            name: n.clone(),
            throughput: mean(n, "throughput_per_s").unwrap_or(0.0),
            queue_ms: mean(n, "queue_wait_mean_ms").unwrap_or(0.0),
            latency_ms: mean(n, "latency_mean_ms").unwrap_or(0.0),
            queue_len: mean(n, "queue_len_mean"),
            gil_wait: mean(n, "gil_wait_fraction").unwrap_or(0.0),
            blocked_put: links
                .iter()
                .filter(|(up, _)| up == n)
                .filter_map(|(_, stage)| mean(stage, "blocked_put_fraction"))
                .sum::<f64>()
                .min(1.0),
        })
        .collect();
    let longest = bars
        .iter()
        .filter_map(|b| b.queue_len.map(|l| (l, &b.name)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let title = match longest {
        Some((len, stage)) => format!(
            "{name}, point {point}: the longest queue is {stage}'s ({len:.1} items on average)"
        ),
        None => format!("{name}, point {point}"),
    };
    Some(PipelineChart { title, bars })
}

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 560;

/// Renders the chart as SVG text.
pub fn render_svg(c: &PipelineChart) -> Result<String, ChartError> {
    chart::svg_with((WIDTH, HEIGHT), |root| draw(root, c))
}

/// Renders the chart as PNG bytes.
pub fn render_png(c: &PipelineChart) -> Result<Vec<u8>, ChartError> {
    chart::png_with((WIDTH, HEIGHT), |root| draw(root, c))
}

type Segment = (&'static str, RGBColor);

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &PipelineChart,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let title_style = text(22.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
    let title = chart::fit_text(root, &c.title, &title_style, WIDTH - 40);
    root.draw_text(&title, &title_style, (WIDTH as i32 / 2, 10))
        .map_err(draw_err)?;
    let body = root.margin(46, 8, 8, 8);
    let panels = body.split_evenly((1, 2));
    let labels: Vec<String> = c
        .bars
        .iter()
        .map(|b| format!("{} {:.0}/s", b.name, b.throughput))
        .collect();
    // A source's latency counts from its submission, not from a stage queue.
    let (stage_labels, time): (Vec<String>, Vec<Vec<f64>>) = c
        .bars
        .iter()
        .zip(&labels)
        .filter(|(b, _)| b.queue_len.is_some())
        .map(|(b, l)| {
            (
                l.clone(),
                vec![b.queue_ms, (b.latency_ms - b.queue_ms).max(0.0)],
            )
        })
        .unzip();
    let time_segments: [Segment; 2] = [
        ("waiting in its queue", PALETTE[3]),
        ("in the stage", PALETTE[0]),
    ];
    bars(
        &panels[0],
        "a stage item's mean time (ms)",
        &stage_labels,
        &time,
        &time_segments,
    )?;
    let share: Vec<Vec<f64>> = c
        .bars
        .iter()
        .map(|b| {
            let gil = b.gil_wait.clamp(0.0, 1.0);
            let put = b.blocked_put.clamp(0.0, 1.0 - gil);
            vec![gil, put, 1.0 - gil - put]
        })
        .collect();
    let share_segments: [Segment; 3] = [
        ("waiting for the GIL", PALETTE[1]),
        ("blocked on a full queue", PALETTE[3]),
        ("running, in I/O or idle", PALETTE[2]),
    ];
    bars(
        &panels[1],
        "share of the workers' time",
        &labels,
        &share,
        &share_segments,
    )
}

/// Stacked bars, one per label, with a legend of the segments on top.
fn bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y_label: &str,
    labels: &[String],
    values: &[Vec<f64>],
    segments: &[Segment],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let (legend, plot) = area.split_vertically(28);
    let mut x = 10;
    for (name, colour) in segments {
        legend
            .draw(&Rectangle::new([(x, 8), (x + 14, 22)], colour.filled()))
            .map_err(draw_err)?;
        legend
            .draw_text(name, &text(14.0, INK), (x + 20, 8))
            .map_err(draw_err)?;
        x += 30 + chart::text_width(area, name, &text(14.0, INK)) as i32;
    }
    let top = values
        .iter()
        .map(|v| v.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let n = labels.len().max(1);
    let mut ch = ChartBuilder::on(&plot)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..n as f64, 0.0..top)
        .map_err(draw_err)?;
    let names = labels.to_vec();
    ch.configure_mesh()
        .disable_x_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|v: &f64| {
            let i = v.floor() as usize;
            if (v - v.floor() - 0.5).abs() < 0.01 && i < names.len() {
                names[i].clone()
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .label_style(text(14.0, INK))
        .axis_desc_style(text(15.0, INK))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .axis_style(MUTED)
        .draw()
        .map_err(draw_err)?;
    for (i, v) in values.iter().enumerate() {
        let mut base = 0.0;
        for (value, (_, colour)) in v.iter().zip(segments) {
            let (x0, x1) = (i as f64 + 0.2, i as f64 + 0.8);
            ch.draw_series(std::iter::once(Rectangle::new(
                [(x0, base), (x1, base + value)],
                colour.filled(),
            )))
            .map_err(draw_err)?;
            base += value;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> (Vec<String>, Vec<Vec<String>>) {
        let header: Vec<String> = [
            "point",
            "replication",
            "seed",
            "workload",
            "throughput_per_s",
            "latency_mean_ms",
            "gil_wait_fraction",
            "queue_wait_mean_ms",
            "queue_len_mean",
            "blocked_put_fraction",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let row = |w: &str, rest: [&str; 6]| {
            let mut r = vec!["0".to_string(), "0".into(), "1".into(), w.to_string()];
            r.extend(rest.iter().map(|s| s.to_string()));
            r
        };
        let records = vec![
            row("a", ["100", "5", "0.1", "", "", ""]),
            row("b", ["90", "20", "0.2", "15", "4.5", "0.6"]),
        ];
        (header, records)
    }

    #[test]
    fn the_longest_queue_is_named_and_blocked_puts_go_to_the_producer() {
        let (header, records) = records();
        let t = Table {
            header: &header,
            records: &records,
            sweep_keys: &[],
        };
        let c = pipeline_chart("s", &t, "0", &[("a".into(), "b".into())]).expect("a pipeline");
        assert!(c.title.contains("is b's"), "{}", c.title);
        assert_eq!(c.bars[0].blocked_put, 0.6);
        assert_eq!(c.bars[1].blocked_put, 0.0);
        assert_eq!(c.bars[1].queue_ms, 15.0);
        assert!(render_png(&c).is_ok_and(|p| p.starts_with(b"\x89PNG")));
        assert!(pipeline_chart("s", &t, "0", &[]).is_none());
    }
}
