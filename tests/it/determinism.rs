//! Determinism: the same file and seed give byte-identical `results.csv`;
//! another seed gives other numbers.

use std::fs;
use std::path::Path;
use std::process::Command;

fn results(args: &[&str], out: &Path) -> Vec<u8> {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/convoy.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fs::read(out.join("results.csv")).unwrap()
}

#[test]
fn same_file_and_seed_give_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = results(&["--set", "duration=500ms"], &tmp.path().join("a"));
    let b = results(&["--set", "duration=500ms"], &tmp.path().join("b"));
    assert_eq!(a, b);
    let c = results(
        &["--set", "duration=500ms", "--seed", "2"],
        &tmp.path().join("c"),
    );
    assert_ne!(
        a, c,
        "a different seed should move the race-decided numbers"
    );
}

#[test]
fn rerunning_into_the_same_folder_replaces_results_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("same");
    let first = results(&["--set", "duration=200ms"], &out);
    let second = results(&["--set", "duration=200ms"], &out);
    assert_eq!(first, second);
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 1);
    assert!(manifest["scenario_sha256"].as_str().unwrap().len() == 64);
}
