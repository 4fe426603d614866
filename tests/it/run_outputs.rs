//! What `gilsim run` writes: results.csv, summary.csv with replications, the
//! throughput and latency charts (SVG and PNG) and `[[chart]]` ones, and with
//! `--trace` the timeline and trace.json; a bad `--trace-window` or
//! `--trace-point` is a usage error that writes nothing.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn gilsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .output()
        .unwrap()
}

fn convoy() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/convoy.toml")
        .display()
        .to_string()
}

fn is_png(path: &Path) -> bool {
    fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn a_traced_replicated_sweep_writes_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("convoy");
    let o = gilsim(&[
        "run",
        &convoy(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--trace",
        "--set",
        "duration=400ms",
        "--set",
        "replications=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["throughput", "latency", "io-throughput", "timeline"] {
        assert!(is_png(&out.join(format!("{name}.png"))), "{name}.png");
        let svg = fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") || svg.starts_with("<?xml"),
            "{name}.svg"
        );
    }
    let throughput = fs::read_to_string(out.join("throughput.svg")).unwrap();
    assert!(
        throughput.contains("machine.cores"),
        "x axis names the sweep key"
    );
    assert!(
        throughput.contains("throughput (tasks/s)"),
        "y axis has units"
    );
    let trace: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("trace.json")).unwrap()).unwrap();
    assert!(
        trace["traceEvents"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("point,machine.cores,python.switch_interval,workload,"));
    assert_eq!(summary.lines().count(), 1 + 6 * 2);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["runs"], 12);
    let results = fs::read_to_string(out.join("results.csv")).unwrap();
    let column = |name: &str| -> Vec<f64> {
        let mut lines = results.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let i = header.iter().position(|h| *h == name).unwrap();
        lines
            .map(|l| l.split(',').nth(i).unwrap().parse().unwrap())
            .collect()
    };
    // `events` repeats on every workload row of a run; convoy has two workloads.
    let events: f64 = column("events").iter().step_by(2).sum();
    let tasks: f64 = column("tasks_completed").iter().sum();
    assert_eq!(manifest["events"].as_f64().unwrap(), events);
    assert_eq!(manifest["tasks_completed"].as_f64().unwrap(), tasks);
    assert!(manifest["stale_events"].as_f64().unwrap() < events);
    assert!((manifest["simulated_s"].as_f64().unwrap() - 12.0 * 0.4).abs() < 1e-9);
    let speed = &manifest["speed"];
    let per_task = speed["events_per_task"].as_f64().unwrap();
    assert!((per_task - events / tasks).abs() < 1e-6 * per_task);
    let per_sim_s = speed["events_per_simulated_s"].as_f64().unwrap();
    assert!((per_sim_s - events / 4.8).abs() < 1e-6 * per_sim_s);
    assert!(speed["events_per_wall_s"].as_f64().unwrap() > 0.0);
    assert!(speed["simulated_s_per_wall_s"].as_f64().unwrap() > 0.0);
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "trace.json")
    );
}

#[test]
fn without_trace_a_sweep_draws_no_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = gilsim(&[
        "run",
        &convoy(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--set",
        "duration=200ms",
    ]);
    assert!(o.status.success());
    assert!(out.join("throughput.png").exists());
    assert!(!out.join("timeline.png").exists());
    assert!(!out.join("trace.json").exists());
    assert!(
        !out.join("summary.csv").exists(),
        "no replications, no summary"
    );
}

#[test]
fn a_single_point_draws_its_timeline_unasked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = gilsim(&[
        "run",
        &convoy(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--set",
        "duration=200ms",
        "--set",
        "machine.cores=2",
        "--set",
        "python.switch_interval=5ms",
    ]);
    assert!(o.status.success());
    assert!(is_png(&out.join("timeline.png")));
    assert!(
        !out.join("trace.json").exists(),
        "trace.json only with --trace"
    );
}

#[test]
fn bad_trace_arguments_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    for args in [
        vec!["--trace-window", "50ms..10ms"],
        vec!["--trace-window", "10ms"],
        vec!["--trace-window", "0..5parsecs"],
        vec!["--trace-point", "6"],
    ] {
        let c = convoy();
        let mut all = vec!["run", c.as_str(), "--out", out.to_str().unwrap()];
        all.extend(args.iter().copied());
        let o = gilsim(&all);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!out.exists(), "{args:?} wrote output");
    }
}
