//! End to end with a real interpreter, when `python3` exists. No timing is asserted.

use std::process::Command;

use gilsim::calibrate::probes::{ProbeDir, number};

fn python3() -> Option<std::path::PathBuf> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
        .ok()?
        .status
        .success();
    ok.then(|| "python3".into())
}

#[test]
fn the_info_probe_runs() {
    let Some(python) = python3() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    let dir = ProbeDir::create(&python).expect("probes written");
    let info = dir
        .run("info.py", &serde_json::json!({}))
        .expect("info.py runs");
    assert_eq!(number(&info, "info.py", "major").ok(), Some(3.0));
}

#[test]
fn a_missing_interpreter_is_a_clear_error() {
    let dir =
        ProbeDir::create(std::path::Path::new("/nonexistent/python3")).expect("probes written");
    let e = dir
        .run("info.py", &serde_json::json!({}))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("info.py") && e.contains("/nonexistent/python3"),
        "{e}"
    );
}

/// About 25 s on a 2-core machine: run with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn calibrate_and_validate_quick_write_well_formed_files() {
    if python3().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("profile.toml");
    let bin = env!("CARGO_BIN_EXE_gilsim");
    let out = Command::new(bin)
        .args(["calibrate", "--quick", "--out"])
        .arg(&profile)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = gilsim::calibrate::profile::Profile::load(&profile).expect("a valid profile");
    assert!(p.parameters.contains_key("machine.wakeup_latency"));
    let vdir = dir.path().join("validation");
    let out = Command::new(bin)
        .args(["validate", "--quick", "--profile"])
        .arg(&profile)
        .arg("--out")
        .arg(&vdir)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(vdir.join("validation.csv")).expect("validation.csv");
    assert!(csv.starts_with("workload,metric,real_median"));
    assert!(csv.contains("not validated"));
}
