//! `gilsim run X.toml | head`: a reader that closes its end of the pipe
//! early ends the program quietly with exit 0, and the results it wrote
//! before printing stay in place.

use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_pipe_is_exit_0_and_keeps_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("convoy");
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/convoy.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before the table is printed.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert!(out.join("results.csv").is_file());
}
