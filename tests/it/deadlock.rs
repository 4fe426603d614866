//! A run that can never finish (a lock taken twice by its holder) stops with
//! exit code 1 and names every blocked thread and what it waits for.

use std::process::Command;

#[test]
fn a_lock_taken_twice_is_reported_as_a_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deadlock.toml");
    std::fs::write(
        &file,
        r#"
name = "deadlock"
[[workload]]
name = "reentrant"
tasks = 2
steps = [ { lock = "x", steps = [ { lock = "x", steps = [ { cpu = "1ms" } ] } ] } ]
[workload.run]
model = "threads"
workers = 2
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deadlock"), "{stderr}");
    assert!(
        stderr.contains("thread 0 of workload `reentrant` waits for lock `x` held by thread 0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("thread 1 of workload `reentrant` waits for lock `x` held by thread 0"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("out/results.csv").exists(),
        "a failed run writes no results"
    );
}
