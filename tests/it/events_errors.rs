//! Bad `[events]`, `[conditions]` and event or condition steps through the
//! `gilsim` binary: each exits with code 2, names the file, line and column,
//! and leaves an earlier `output/` folder byte-for-byte intact.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files.extend(snapshot(&p));
        } else {
            files.insert(p.display().to_string(), fs::read(&p).unwrap());
        }
    }
    files
}

/// A scenario with event `go` and condition `ready` declared, whose one
/// workload (threads unless `model` says otherwise) has `steps` on line 9.
fn with_steps(steps: &str, model: &str) -> String {
    format!(
        "name = \"bad\"\n[events]\ngo = {{}}\n[conditions]\nready = {{}}\n[[workload]]\n\
         name = \"jobs\"\ntasks = 2\nsteps = {steps}\n[workload.run]\nmodel = \"{model}\"\nworkers = 2\n"
    )
}

fn assert_rejected(content: &str, line: usize, column: usize, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("output/bad");
    fs::create_dir_all(&previous).unwrap();
    fs::write(previous.join("results.csv"), b"point,replication\n0,0\n").unwrap();
    let before = snapshot(&dir.path().join("output"));
    fs::write(dir.path().join("bad.toml"), content).unwrap();
    for subcommand in ["run", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
            .args([subcommand, "bad.toml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{subcommand}: {stderr}");
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

#[test]
fn wait_event_on_an_undeclared_event() {
    let s = with_steps("[ { wait_event = \"gone\" } ]", "threads");
    assert_rejected(&s, 9, 26, "unknown event `gone`");
}

#[test]
fn a_condition_is_not_an_event() {
    let s = with_steps("[ { wait_event = \"ready\" } ]", "threads");
    assert_rejected(&s, 9, 26, "unknown event `ready`");
}

#[test]
fn notify_on_an_undeclared_condition() {
    let s = with_steps("[ { notify = \"nope\" } ]", "threads");
    assert_rejected(&s, 9, 22, "unknown condition `nope`");
}

#[test]
fn notify_of_zero_waiters() {
    let s = with_steps("[ { notify = \"ready\", n = 0 } ]", "threads");
    assert_rejected(&s, 9, 35, "n must be at least 1");
}

#[test]
fn notify_with_a_word_other_than_all() {
    let s = with_steps("[ { notify = \"ready\", n = \"some\" } ]", "threads");
    assert_rejected(&s, 9, 35, "expected an integer ≥ 1 or \"all\"");
}

#[test]
fn n_beside_a_step_other_than_notify() {
    let s = with_steps("[ { wait = \"ready\", n = 2 } ]", "threads");
    assert_rejected(&s, 9, 29, "`n` only goes with a `notify` step");
}

#[test]
fn nested_steps_beside_an_event_step() {
    let s = with_steps(
        "[ { set_event = \"go\", steps = [ { cpu = \"1ms\" } ] } ]",
        "threads",
    );
    assert_rejected(&s, 9, 31, "`steps` does not go with a `set_event` step");
}

#[test]
fn an_event_declared_with_a_number() {
    let s = "name = \"bad\"\n[events]\ngo = 3\n[[workload]]\nname = \"jobs\"\ntasks = 2\nsteps = [ { cpu = \"1ms\" } ]\n";
    assert_rejected(s, 3, 6, "expected a table of options");
}

#[test]
fn an_unknown_event_option() {
    let s = "name = \"bad\"\n[events]\ngo = { sett = true }\n[[workload]]\nname = \"jobs\"\ntasks = 2\nsteps = [ { cpu = \"1ms\" } ]\n";
    assert_rejected(s, 3, 8, "unknown key `sett`");
}

#[test]
fn an_event_shared_by_coroutines_and_threads() {
    let s = format!(
        "{}[[workload]]\nname = \"setter\"\ntasks = 1\nsteps = [ {{ set_event = \"go\" }} ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 1\n",
        with_steps("[ { wait_event = \"go\" } ]", "asyncio")
    );
    assert_rejected(&s, 16, 13, "used both by coroutines and by threads");
}

#[test]
fn event_steps_on_subinterpreters_are_not_built_yet() {
    let s = with_steps("[ { wait_event = \"go\" } ]", "subinterpreters").replacen(
        "[events]",
        "[python]\nversion = \"3.14\"\n[events]",
        1,
    );
    assert_rejected(&s, 11, 13, "not built yet");
}

#[test]
fn a_condition_with_an_option() {
    let s = "name = \"bad\"\n[conditions]\nready = { lock = \"rlock\" }\n[[workload]]\nname = \"jobs\"\ntasks = 2\nsteps = [ { cpu = \"1ms\" } ]\n";
    assert_rejected(s, 3, 11, "a condition takes no options");
}
