//! Golden outputs: every scenario in `scenarios/` reproduces its expected
//! `results.csv` under `tests/golden/` byte for byte. A change that moves a
//! number must update the golden file in the same commit and say why:
//! `GILSIM_UPDATE_GOLDEN=1 cargo test --test it golden` rewrites them.

use std::fs;
use std::path::Path;
use std::process::Command;

fn run_to(scenario: &Path, out: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}: {}",
        scenario.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    fs::read(out.join("results.csv")).unwrap()
}

#[test]
fn every_scenario_matches_its_golden_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("GILSIM_UPDATE_GOLDEN").is_some();
    let mut scenarios: Vec<_> = fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(
        scenarios.len() >= 4,
        "scenarios/ should ship at least four studies"
    );
    let tmp = tempfile::tempdir().unwrap();
    for scenario in scenarios {
        let stem = scenario.file_stem().unwrap().to_string_lossy().to_string();
        let csv = run_to(&scenario, &tmp.path().join(&stem));
        let golden = root.join("tests/golden").join(format!("{stem}.csv"));
        if update {
            fs::write(&golden, &csv).unwrap();
            continue;
        }
        let expected = fs::read(&golden).unwrap_or_else(|_| {
            panic!(
                "missing {}; run with GILSIM_UPDATE_GOLDEN=1",
                golden.display()
            )
        });
        assert!(
            csv == expected,
            "{stem}: results.csv differs from {}\n--- expected\n{}\n--- got\n{}",
            golden.display(),
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&csv)
        );
    }
}
