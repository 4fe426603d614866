//! `gilsim run --assert`: a check that holds exits 0, one that fails exits 1
//! naming the assertion and the value it saw (after writing the results);
//! an unknown workload or column, or a bad operator, is a usage error
//! (exit 2) that names it and runs nothing.

use std::fs;
use std::process::{Command, Output};

const SCENARIO: &str = r#"
name = "assert-cpu"
seed = 3
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 20
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

fn run(dir: &std::path::Path, extra: &[&str]) -> Output {
    let file = dir.join("s.toml");
    fs::write(&file, SCENARIO).unwrap();
    let out = dir.join("out");
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(&args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn assertions_that_hold_pass_and_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[
            "--assert",
            "workload.jobs.tasks_completed == 20",
            "--assert",
            "workload.jobs.throughput_per_s>0",
        ],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains("assertion passed: workload.jobs.tasks_completed == 20: tasks_completed = 20"),
        "{out}"
    );
    assert!(
        out.contains("assertion passed: workload.jobs.throughput_per_s>0"),
        "{out}"
    );
}

#[test]
fn a_failing_assertion_exits_1_with_its_value_after_writing_results() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[
            "--assert",
            "workload.jobs.tasks_completed >= 21",
            "--assert",
            "workload.jobs.cpu_utilization <= 1",
        ],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("1 of 2 assertion check(s) failed"), "{err}");
    assert!(
        err.contains("assertion FAILED: workload.jobs.tasks_completed >= 21: tasks_completed = 20"),
        "{err}"
    );
    assert!(
        !err.contains("cpu_utilization <= 1"),
        "the passing one is not a failure: {err}"
    );
    assert!(
        tmp.path().join("out/results.csv").exists(),
        "results are written"
    );
}

#[test]
fn with_replications_and_a_sweep_each_point_is_checked_on_its_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[
            "--set",
            "replications=3",
            "--set",
            "sweep.machine.cores=[1,2]",
            "--assert",
            "workload.jobs.cpu_utilization > 0.75",
        ],
    );
    let (out, err) = text(&o);
    // The GIL lets Python use one core: all of one, half of two.
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("point 1 (machine.cores = 2), cpu_utilization = 0.")
            && err.contains("(mean of 3 replications)"),
        "{err}"
    );
    assert!(
        out.contains(
            "assertion passed: workload.jobs.cpu_utilization > 0.75: point 0 (machine.cores = 1)"
        ),
        "{out}"
    );
}

#[test]
fn bad_assertions_are_usage_errors_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    for (assertion, says) in [
        (
            "workload.nope.throughput_per_s > 1",
            "no workload `nope` (it has: jobs)",
        ),
        (
            "workload.jobs.speed > 1",
            "`speed` is not a numeric column of results.csv",
        ),
        ("workload.jobs.model > 1", "`model` is not a numeric column"),
        (
            "workload.jobs.throughput_per_s != 1",
            "unknown operator `!=`",
        ),
        (
            "workload.jobs.throughput_per_s => 1",
            "unknown operator `=>`",
        ),
        (
            "workload.jobs.throughput_per_s > fast",
            "`fast` is not a number",
        ),
        (
            "jobs.throughput_per_s > 1",
            "does not start with `workload.`",
        ),
        ("workload.jobs.throughput_per_s", "no operator"),
    ] {
        let o = run(tmp.path(), &["--assert", assertion]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{assertion}: {out}{err}");
        assert!(err.contains(says), "{assertion}: {err}");
        assert!(err.contains(assertion), "names the assertion: {err}");
        assert!(!tmp.path().join("out").exists(), "{assertion}: nothing ran");
    }
}
