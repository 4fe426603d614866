//! Law: bad asyncio input is refused with exit 2 and the file, line and
//! column: `to_thread` outside asyncio, `workers = 0`, an unknown step, and
//! the forms gilsim does not take.

use std::fs;
use std::process::Command;

fn rejected(toml: &str, line: usize, column: usize, words: &str) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("bad.toml"), toml).unwrap();
    for sub in ["run", "check"] {
        let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
            .args([sub, "bad.toml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {err}");
        assert!(
            err.contains(&format!("bad.toml:{line}:{column}")),
            "{sub}: no bad.toml:{line}:{column} in\n{err}"
        );
        assert!(err.contains(words), "{sub}: no `{words}` in\n{err}");
        assert!(!dir.path().join("output").exists(), "nothing written");
    }
}

fn with(steps: &str, run: &str) -> String {
    format!(
        "name = \"bad\"\n[[workload]]\nname = \"jobs\"\ntasks = 4\nsteps = {steps}\n[workload.run]\n{run}\n"
    )
}

#[test]
fn to_thread_outside_asyncio() {
    rejected(
        &with(
            "[ { to_thread = true, steps = [ { cpu = \"1ms\" } ] } ]",
            "model = \"threads\"",
        ),
        5,
        13,
        "`to_thread` steps are asyncio only",
    );
}

#[test]
fn workers_zero() {
    rejected(
        &with(
            "[ { sleep = \"1ms\" } ]",
            "model = \"asyncio\"\nworkers = 0",
        ),
        8,
        11,
        "workers must be at least 1",
    );
}

#[test]
fn unknown_step() {
    rejected(
        &with("[ { awaitt = \"1ms\" } ]", "model = \"asyncio\""),
        5,
        13,
        "unknown step `awaitt`",
    );
}

#[test]
fn to_thread_takes_true_and_steps_beside_it() {
    rejected(
        &with(
            "[ { to_thread = [ { cpu = \"1ms\" } ] } ]",
            "model = \"asyncio\"",
        ),
        5,
        25,
        "`to_thread` takes `true` and its steps beside it",
    );
    rejected(
        &with(
            "[ { to_thread = true, steps = [ { to_thread = true, steps = [ { cpu = \"1ms\" } ] } ] } ]",
            "model = \"asyncio\"",
        ),
        5,
        43,
        "inside a `to_thread` body",
    );
    rejected(
        &with("[ { to_thread = true } ]", "model = \"asyncio\""),
        5,
        13,
        "needs `steps` beside it",
    );
}

#[test]
fn per_task_and_forever_without_workers() {
    rejected(
        &with(
            "[ { sleep = \"1ms\" } ]",
            "model = \"asyncio\"\nworkers = \"per-task\"",
        ),
        8,
        11,
        "does not apply to asyncio",
    );
    rejected(
        "name = \"bad\"\nduration = \"1s\"\n[[workload]]\nname = \"tick\"\nrepeat = \"forever\"\nsteps = [ { sleep = \"1ms\" } ]\n[workload.run]\nmodel = \"asyncio\"\n",
        5,
        1,
        "needs `workers`",
    );
}
