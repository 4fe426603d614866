//! Tests of the Gantt chart: lanes, columns, sizes, determinism.

use super::columns::{Columns, column_runs, coverage};
use super::layout::{MAX_LANE_H, MAX_LANES, MIN_LANE_H};
use super::*;
use crate::engine::time::Nanos;
use crate::results::timeline::{
    CoreLane, CoreUse, GilLane, Interval, Mark, MarkKind, ThreadLane, ThreadState,
};

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
        spans: Default::default(),
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
        spans: Default::default(),
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
fn lost_update_writes_are_counted_and_drawn_beside_drop_requests() {
    let mut t = convoy();
    let plain = render_svg(&t, "Convoy effect").expect("renders");
    assert!(!plain.contains("erased others"));
    // A lost-update write at the same instant and lane as a drop request
    // is drawn too (a bar of its own colour), not merged into it.
    let first = t.marks[0];
    t.marks.push(Mark {
        kind: MarkKind::LostUpdate,
        ..first
    });
    let svg = render_svg(&t, "Convoy effect").expect("renders");
    assert!(
        svg.contains("1 write erased others&apos; updates (magenta)"),
        "subtitle"
    );
    let magenta = |s: &str| s.matches("#AA00AA").count();
    assert!(magenta(&svg) > magenta(&plain), "the write's mark is drawn");
}

#[test]
fn a_late_window_is_written_in_plain_numbers() {
    let mut t = convoy();
    let shift = 1_000_000 * MS - t.start;
    t.start += shift;
    t.end = t.start + 100 * MS;
    t.marks.clear();
    for lane in &mut t.threads {
        lane.intervals.clear();
    }
    t.cores.clear();
    t.gils.clear();
    let svg = render_svg(&t, "late").expect("renders");
    assert!(
        svg.contains("window 1000–1000.1 s of the run (100 ms)"),
        "{}",
        &svg[..2000.min(svg.len())]
    );
    assert!(!svg.contains("e6"));
    let early = render_svg(&convoy(), "early").expect("renders");
    assert!(early.contains("window 1000–1100 ms of the run (100 ms)"));
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
    let key = |s: ThreadState| ThreadState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u32;
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
        spans: Default::default(),
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
        spans: Default::default(),
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
