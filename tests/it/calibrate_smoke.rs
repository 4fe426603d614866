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

/// Every probe parses as Python 3.8 (`ast.parse(feature_version=(3, 8))`):
/// `--python` may be any CPython from 3.8.
#[test]
fn the_probes_are_python_3_8_syntax() {
    let Some(python) = python3() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    for (name, text) in gilsim::calibrate::probes::SOURCES {
        let out = Command::new(&python)
            .args([
                "-c",
                "import ast, sys; ast.parse(sys.stdin.read(), feature_version=(3, 8))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(text.as_bytes())?;
                }
                child.wait_with_output()
            })
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// About 40 s on a 2-core machine: run with
/// `cargo test --release --test it -- --ignored calibrate_smoke`.
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
    for key in gilsim::calibrate::profile::PARAMETER_KEYS {
        if *key == "machine.context_switch" || !key.contains("spawn") {
            assert!(p.parameters.contains_key(*key), "{key} missing");
        }
    }
    for m in ["proc.map_chunk1_s", "aio.pass_ns", "cpu_loop_ns"] {
        assert!(p.measurements.contains_key(m), "{m} missing");
    }
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
    assert!(csv.starts_with(
        "workload,metric,real_median,real_p25,real_p75,simulated,simulated_p25,simulated_p75,error_pct,status"
    ));
    for w in [
        "cpu-pool-1",
        "process-map-256KiB-c8",
        "asyncio-fanout-cpu-heavy",
        "convoy-",
    ] {
        assert!(csv.contains(w), "{w} missing from validation.csv");
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(vdir.join("validation.json")).expect("validation.json"),
    )
    .expect("validation.json is JSON");
    for k in ["machine", "load_average", "noise", "rows"] {
        assert!(json.get(k).is_some(), "{k} missing from validation.json");
    }
    assert!(json["noise"]["before"].get("background_cores").is_some());
    let svg = std::fs::read_to_string(vdir.join("validation.svg")).expect("validation.svg");
    assert!(svg.starts_with("<svg") && svg.contains("cpu-pool-1"));
    let png = std::fs::read(vdir.join("validation.png")).expect("validation.png");
    assert_eq!(&png[1..4], b"PNG");
}
