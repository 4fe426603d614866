//! `commands::render` and `compare::render`: what `run` and `compare` write,
//! rendered in memory (what the Python package returns): a scenario given
//! as text gives the file's results, `svg_only` drops every PNG, and a
//! deadlock is a `Failure::Blocked` with its threads.

use std::path::PathBuf;

use gilsim::commands::{self, RunArgs};
use gilsim::compare::{self, CompareArgs};
use gilsim::failure::Failure;

fn convoy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/convoy.toml")
}

#[test]
fn a_scenario_given_as_text_renders_the_files_of_the_file() {
    let from_file = RunArgs {
        file: convoy(),
        ..RunArgs::default()
    };
    let out = tempfile::tempdir().unwrap();
    let from_text = RunArgs {
        file: PathBuf::from("<string>"),
        source: Some(std::fs::read_to_string(convoy()).unwrap()),
        out: Some(out.path().join("never")),
        svg_only: true,
        ..RunArgs::default()
    };
    let (_, a) = commands::render(&from_file).unwrap();
    let (report, b) = commands::render(&from_text).unwrap();
    assert_eq!(a.get("results.csv"), b.get("results.csv"));
    assert_eq!(a.get("throughput.svg"), b.get("throughput.svg"));
    assert!(a.names().iter().any(|n| n.ends_with(".png")));
    assert!(
        !b.names().iter().any(|n| n.ends_with(".png")),
        "{:?}",
        b.names()
    );
    assert_eq!(b.names().last().map(String::as_str), Some("manifest.json"));
    assert_eq!(report.runs.len(), 6);
    let manifest = String::from_utf8(b.get("manifest.json").unwrap().to_vec()).unwrap();
    assert!(
        manifest.contains("\"scenario\": \"<string>\""),
        "{manifest}"
    );
    assert!(!out.path().join("never").exists(), "render writes nothing");
}

#[test]
fn a_deadlock_is_a_blocked_failure_naming_its_threads() {
    let text = r#"
name = "deadlock"
[[workload]]
name = "reentrant"
tasks = 2
steps = [ { lock = "x", steps = [ { lock = "x", steps = [ { cpu = "1ms" } ] } ] } ]
[workload.run]
model = "threads"
workers = 2
"#;
    let args = RunArgs {
        file: PathBuf::from("<string>"),
        source: Some(text.to_string()),
        ..RunArgs::default()
    };
    let f = commands::render(&args).unwrap_err();
    assert!(matches!(f, Failure::Blocked { .. }), "{f:?}");
    assert_eq!(f.exit_code(), 1);
    assert_eq!(
        f.blocked(),
        [
            "thread 0 of workload `reentrant` waits for lock `x` held by thread 0",
            "thread 1 of workload `reentrant` waits for lock `x` held by thread 0",
        ]
    );
    assert!(f.message().contains(&f.blocked()[1]), "{}", f.message());
}

#[test]
fn compare_renders_its_csv_and_charts_without_writing() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare/cpu-batch.toml");
    let out = tempfile::tempdir().unwrap();
    let args = CompareArgs {
        source: Some(std::fs::read_to_string(&file).unwrap()),
        file,
        models: Some(vec!["threads".into(), "processes".into()]),
        workers: Some(vec![1, 2]),
        replications: Some(1),
        out: Some(out.path().join("never")),
        svg_only: true,
        ..CompareArgs::default()
    };
    let (report, files) = compare::render(&args).unwrap();
    assert_eq!(files.names(), ["compare.csv", "compare.svg"]);
    assert!(!report.text.contains("results:"), "{}", report.text);
    assert!(!out.path().join("never").exists());
    let csv = String::from_utf8(files.get("compare.csv").unwrap().to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 1 + report.candidates.len());
}
