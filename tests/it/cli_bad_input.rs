//! Bad scenario files through the `gilsim` binary: each exits with code 2,
//! names the file, line and column, and leaves an earlier `output/` folder
//! byte-for-byte intact.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

const GOOD_TAIL: &str = r#"
[[workload]]
name = "jobs"
tasks = 4
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(p.display().to_string(), fs::read(&p).unwrap());
            }
        }
    }
    files
}

/// Runs `gilsim run` on `content` in a fresh folder that already holds
/// results, and checks exit code 2, the location, and the untouched output.
fn assert_rejected(content: &[u8], line: usize, column: usize, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("output/bad");
    fs::create_dir_all(&previous).unwrap();
    fs::write(previous.join("results.csv"), b"point,replication\n0,0\n").unwrap();
    fs::write(previous.join("manifest.json"), b"{\"earlier\": true}").unwrap();
    let before = snapshot(&dir.path().join("output"));
    fs::write(dir.path().join("bad.toml"), content).unwrap();

    for subcommand in ["run", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
            .args([subcommand, "bad.toml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{subcommand}: exit code; stderr:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("bad.toml:{line}:{column}")),
            "{subcommand}: expected bad.toml:{line}:{column} in:\n{stderr}"
        );
        assert!(
            stderr.contains(needle),
            "{subcommand}: expected {needle:?} in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(
            snapshot(&dir.path().join("output")),
            before,
            "{subcommand} touched output/"
        );
    }
}

fn with_tail(head: &str) -> Vec<u8> {
    format!("{head}{GOOD_TAIL}").into_bytes()
}

#[test]
fn unknown_key() {
    assert_rejected(&with_tail("name = \"bad\"\nseeed = 1\n"), 2, 1, "seeed");
}

#[test]
fn wrong_type() {
    assert_rejected(
        &with_tail("name = \"bad\"\n[machine]\ncores = \"four\"\n"),
        3,
        9,
        "machine.cores",
    );
}

#[test]
fn negative_duration() {
    assert_rejected(
        &with_tail("name = \"bad\"\nduration = \"-2s\"\n"),
        2,
        12,
        "duration",
    );
}

#[test]
fn unknown_unit() {
    let toml = GOOD_TAIL.replace("\"1ms\"", "\"1mz\"");
    assert_rejected(format!("name = \"bad\"\n{toml}").as_bytes(), 6, 19, "unit");
}

#[test]
fn empty_file() {
    assert_rejected(b"", 1, 1, "name");
}

#[test]
fn not_toml() {
    assert_rejected(b"name = \"bad\"\nthis is not = = toml\n", 2, 6, "bad.toml");
}

#[test]
fn duplicate_workload_name() {
    assert_rejected(
        &with_tail(&format!("name = \"bad\"\n{GOOD_TAIL}")),
        12,
        8,
        "jobs",
    );
}

#[test]
fn unknown_model() {
    let toml = GOOD_TAIL.replace("\"threads\"", "\"greenlets\"");
    assert_rejected(
        format!("name = \"bad\"\n{toml}").as_bytes(),
        8,
        9,
        "greenlets",
    );
}

#[test]
fn zero_workers() {
    let toml = GOOD_TAIL.replace("workers = 2", "workers = 0");
    assert_rejected(
        format!("name = \"bad\"\n{toml}").as_bytes(),
        9,
        11,
        "workers",
    );
}

#[test]
fn open_loop_without_duration() {
    let toml = GOOD_TAIL.replace("tasks = 4", "rate = \"100/s\"");
    assert_rejected(
        format!("name = \"bad\"\n{toml}").as_bytes(),
        5,
        1,
        "duration",
    );
}

#[test]
fn lock_nested_wrongly() {
    let toml = GOOD_TAIL.replace(
        r#"{ cpu = "1ms" }"#,
        r#"{ lock = "db", steps = { io = "1ms" } }"#,
    );
    assert_rejected(format!("name = \"bad\"\n{toml}").as_bytes(), 6, 34, "steps");
}

#[test]
fn not_utf8() {
    let mut bytes = b"name = \"bad\"\ndescription = \"caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\"\n");
    assert_rejected(&bytes, 2, 19, "UTF-8");
}

#[test]
fn asyncio_workers_zero() {
    let toml = GOOD_TAIL
        .replace("\"threads\"", "\"asyncio\"")
        .replace("workers = 2", "workers = 0");
    assert_rejected(
        format!("name = \"bad\"\n{toml}").as_bytes(),
        9,
        11,
        "workers must be at least 1",
    );
}

#[test]
fn unknown_sweep_key() {
    assert_rejected(
        &with_tail("name = \"bad\"\n[sweep]\n\"python.switch_intervall\" = [\"5ms\"]\n"),
        3,
        9,
        "unknown key `switch_intervall`",
    );
}

#[test]
fn chart_with_unknown_column() {
    assert_rejected(
        &with_tail("name = \"bad\"\n[[chart]]\nx = \"cores\"\ny = \"speed\"\n"),
        4,
        5,
        "unknown column `speed`",
    );
}

/// A bad `--set` exits 2, shows the argument, and touches nothing.
#[test]
fn bad_set_argument() {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("output/bad");
    fs::create_dir_all(&previous).unwrap();
    fs::write(previous.join("results.csv"), b"point,replication\n0,0\n").unwrap();
    let before = snapshot(&dir.path().join("output"));
    fs::write(dir.path().join("bad.toml"), with_tail("name = \"bad\"\n")).unwrap();
    for set in [
        "sweep.machine.cores=[]",
        "machine.cores=zero",
        "sweep.machine.coress=[1]",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
            .args(["run", "bad.toml", "--set", set])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {stderr}");
        assert!(stderr.contains(&format!("--set {set}")), "{set}: {stderr}");
        assert_eq!(
            snapshot(&dir.path().join("output")),
            before,
            "{set} touched output/"
        );
    }
}

#[test]
fn unknown_start_method() {
    let tail = GOOD_TAIL
        .replace("\"threads\"", "\"processes\"")
        .replace("workers = 2\n", "workers = 2\nstart_method = \"vfork\"\n");
    assert_rejected(
        format!("name = \"bad\"\n{tail}").as_bytes(),
        10,
        16,
        "unknown start_method",
    );
}

#[test]
fn transfer_on_threads() {
    let tail = GOOD_TAIL.replace("workers = 2\n", "workers = 2\ntransfer = \"pickle\"\n");
    assert_rejected(
        format!("name = \"bad\"\n{tail}").as_bytes(),
        10,
        1,
        "applies to process pools",
    );
}
