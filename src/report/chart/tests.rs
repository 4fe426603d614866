//! Tests of the line chart: axes, bands, degenerate charts, determinism.

use super::axis::{Scale, format_number, nice_step};
use super::layout::layout;
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

/// A title too wide for the chart keeps its held keys, `(key = value)`,
/// and loses words before them instead.
#[test]
fn a_cut_title_keeps_what_the_chart_holds_fixed() {
    let mut c = three_series();
    c.title = format!(
        "{} (workload.cpu.run.workers = 1)",
        "A very long title about a thread that sleeps beside CPU-bound threads ".repeat(3)
    );
    let svg = render_svg(&c).expect("renders");
    assert!(svg.contains("(workload.cpu.run.workers = 1)"), "{svg}");
    assert!(svg.contains("…"), "the title is cut");
}
