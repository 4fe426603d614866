//! `trace.json`: the Chrome trace-event JSON of a timeline parses, names
//! every process and track it uses, keeps its times inside the window, marks
//! drop requests, binds every flow to slices, and is the same bytes every
//! time.

use crate::common::*;

use std::collections::BTreeSet;

use gilsim::engine::time::MS;
use gilsim::report::trace::chrome_trace;
use gilsim::results::timeline::Timeline;
use serde_json::Value;

const CONVOY: &str = include_str!("../../scenarios/convoy.toml");
const FREE_THREADED: &str = include_str!("../../scenarios/free-threaded.toml");

fn timeline(toml: &str, start: u64, end: u64) -> Timeline {
    timeline_with(toml, &[], start, end)
}

/// The timeline of the first sweep point, after `--set` overrides.
pub(crate) fn timeline_with(toml: &str, sets: &[&str], start: u64, end: u64) -> Timeline {
    let s = scenario_with(toml, sets);
    simulate_traced(&s, start, end)
        .timeline
        .expect("a timeline")
}

fn num(e: &Value, key: &str) -> f64 {
    e[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {e}"))
}

/// Parses and checks the trace; returns its events.
pub(crate) fn check(t: &Timeline, bytes: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(bytes).expect("trace.json is JSON");
    assert_eq!(v["displayTimeUnit"], "ns");
    let events = v["traceEvents"]
        .as_array()
        .expect("traceEvents is an array")
        .clone();
    let (lo, hi) = (t.start as f64 / 1000.0, t.end as f64 / 1000.0);
    let mut processes = BTreeSet::new();
    let mut tracks = BTreeSet::new();
    let mut used = BTreeSet::new();
    for e in &events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph in {e}"));
        let pid = e["pid"].as_u64().unwrap_or_else(|| panic!("no pid in {e}"));
        let tid = e["tid"].as_u64().unwrap_or_else(|| panic!("no tid in {e}"));
        assert!(e["name"].is_string(), "no name in {e}");
        match ph {
            "M" => {
                let name = e["name"].as_str().unwrap();
                if name == "process_name" {
                    assert!(e["args"]["name"].is_string(), "{e}");
                    processes.insert(pid);
                } else if name == "thread_name" {
                    assert!(e["args"]["name"].is_string(), "{e}");
                    tracks.insert((pid, tid));
                }
            }
            "X" | "i" => {
                used.insert((pid, tid));
                let ts = num(e, "ts");
                assert!(e["cat"].is_string(), "no cat in {e}");
                // Microseconds with at most three decimals: whole nanoseconds.
                assert!(((ts * 1000.0).round() - ts * 1000.0).abs() < 1e-3, "{e}");
                let dur = if ph == "X" {
                    let dur = num(e, "dur");
                    assert!(dur >= 0.0, "negative dur in {e}");
                    dur
                } else {
                    assert_eq!(e["s"], "t", "{e}");
                    0.0
                };
                assert!(
                    ts >= lo && ts + dur <= hi + 1e-6,
                    "{e} outside [{lo}, {hi}]"
                );
            }
            "s" | "f" => {
                used.insert((pid, tid));
                assert_eq!(e["cat"], "flow", "{e}");
                assert!(e["id"].is_u64(), "a flow without an id: {e}");
                let ts = num(e, "ts");
                assert!(ts >= lo && ts <= hi + 1e-6, "{e} outside [{lo}, {hi}]");
            }
            other => panic!("unexpected phase {other} in {e}"),
        }
    }
    check_flows(&events);
    for (pid, tid) in &used {
        assert!(processes.contains(pid), "pid {pid} has no process_name");
        assert!(
            tracks.contains(&(*pid, *tid)),
            "({pid}, {tid}) has no thread_name"
        );
    }
    events
}

/// Each flow id has one start and one end, the end no earlier than the
/// start and on another track; the start lies inside a task span of its
/// track and the end at the start of one (Perfetto binds a flow to the
/// slice enclosing it, `bp: "e"`).
fn check_flows(events: &[Value]) {
    use std::collections::BTreeMap;
    let spans: Vec<(u64, u64, f64, f64)> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "task")
        .map(|e| {
            let ts = num(e, "ts");
            (
                e["pid"].as_u64().unwrap(),
                e["tid"].as_u64().unwrap(),
                ts,
                ts + num(e, "dur"),
            )
        })
        .collect();
    let mut flows: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["cat"] == "flow") {
        flows.entry(e["id"].as_u64().unwrap()).or_default().push(e);
    }
    let track = |e: &Value| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
    for (id, pair) in flows {
        let [s, f] = pair.as_slice() else {
            panic!(
                "flow {id} has {} events, not a start and an end",
                pair.len()
            );
        };
        assert_eq!((s["ph"].as_str(), f["ph"].as_str()), (Some("s"), Some("f")));
        assert_eq!(f["bp"], "e", "{f}");
        assert_eq!(s["name"], f["name"], "flow {id} changes its task");
        let (s_ts, f_ts) = (num(s, "ts"), num(f, "ts"));
        assert!(s_ts <= f_ts, "flow {id} goes back in time: {s} -> {f}");
        assert_ne!(track(s), track(f), "flow {id} stays on one track");
        assert!(
            spans
                .iter()
                .any(|&(p, t, a, b)| (p, t) == track(s) && a <= s_ts && s_ts < b),
            "flow {id} starts outside a task span: {s}"
        );
        assert!(
            spans
                .iter()
                .any(|&(p, t, a, _)| (p, t) == track(f) && a == f_ts),
            "flow {id} ends where no task span starts: {f}"
        );
    }
}

fn named<'a>(events: &'a [Value], ph: &str, name: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["ph"] == ph && e["name"] == name)
        .collect()
}

fn metadata_names(events: &[Value], kind: &str) -> Vec<String> {
    named(events, "M", kind)
        .iter()
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_convoy_trace_is_complete_and_loadable() {
    let t = timeline(CONVOY, 100 * MS, 200 * MS);
    let bytes = chrome_trace(&t, "convoy");
    let events = check(&t, &bytes);
    assert_eq!(
        metadata_names(&events, "process_name"),
        ["machine", "python (main interpreter)"]
    );
    let tracks = metadata_names(&events, "thread_name");
    for name in ["core 0", "core 1", "GIL", "io/0", "cpu/0"] {
        assert!(
            tracks.iter().any(|n| n == name),
            "no track {name}: {tracks:?}"
        );
    }
    let drops = named(&events, "i", "drop request");
    assert!(!drops.is_empty());
    assert_eq!(drops.len(), t.marks.len());
    let slices = |cat: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] == cat)
            .count()
    };
    let thread_intervals: usize = t.threads.iter().map(|l| l.intervals.len()).sum();
    assert_eq!(slices("thread"), thread_intervals);
    assert_eq!(slices("gil"), t.gils[0].intervals.len());
    assert_eq!(
        slices("core"),
        t.cores.iter().map(|c| c.intervals.len()).sum::<usize>()
    );
    assert!(!named(&events, "X", "held by io/0").is_empty());
    assert!(!named(&events, "X", "held by cpu/0").is_empty());
    assert!(!named(&events, "X", "waiting for GIL").is_empty());
    // GIL holds sit on the interpreter's GIL track.
    let gil_track = named(&events, "M", "thread_name")
        .into_iter()
        .find(|e| e["args"]["name"] == "GIL")
        .map(|e| (e["pid"].clone(), e["tid"].clone()))
        .unwrap();
    for e in named(&events, "X", "held by io/0") {
        assert_eq!((e["pid"].clone(), e["tid"].clone()), gil_track);
    }
    assert_eq!(v_other(&bytes)["scenario"], "convoy");
}

fn v_other(bytes: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(bytes).unwrap();
    v["otherData"].clone()
}

#[test]
fn the_trace_is_the_same_bytes_every_time() {
    let a = chrome_trace(&timeline(CONVOY, 100 * MS, 110 * MS), "convoy");
    let b = chrome_trace(&timeline(CONVOY, 100 * MS, 110 * MS), "convoy");
    assert_eq!(a, b);
}

#[test]
fn a_free_threaded_trace_has_no_gil_track() {
    let t = timeline_with(FREE_THREADED, &["python.build=free-threaded"], 0, u64::MAX);
    let bytes = chrome_trace(&t, "free-threaded");
    let events = check(&t, &bytes);
    assert!(
        !metadata_names(&events, "thread_name")
            .iter()
            .any(|n| n == "GIL")
    );
    assert!(named(&events, "i", "drop request").is_empty());
    assert!(!named(&events, "X", "running (free-threaded)").is_empty());
}

#[test]
fn an_empty_timeline_is_a_valid_trace() {
    let t = timeline(CONVOY, 10 * MS, 10 * MS);
    let events = check(&t, &chrome_trace(&t, "convoy"));
    assert!(events.iter().all(|e| e["ph"] == "M"));
}
