//! Pitfalls `check` and `run` warn about on standard error without failing:
//! constant microsecond steps in many threads, a process model with
//! `args_bytes = 0`; and `check` lists the defaults the run relies on.

use std::fs;
use std::process::{Command, Output};

fn gilsim(dir: &std::path::Path, toml: &str, args: &[&str]) -> (Output, String, String) {
    let file = dir.join("s.toml");
    fs::write(&file, toml).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

fn threads(step: &str, workers: u32) -> String {
    format!(
        "name = \"p\"\nseed = 1\n[machine]\ncores = 2\n[python]\nversion = \"3.12\"\n\
         [[workload]]\nname = \"jobs\"\ntasks = 50\nsteps = [ {step} ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = {workers}\n"
    )
}

#[test]
fn constant_microsecond_steps_in_many_threads_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, _, err) = gilsim(
        tmp.path(),
        &threads("{ cpu = \"50us\" }, { io = \"20us\" }", 8),
        &["check"],
    );
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "warning: workload `jobs`: `cpu = \"50us\"` is a constant microsecond step in 8 threads"
        ) && err.contains("{ cpu = { exp = \"50us\" } }")
            && err.contains("(2 such steps)"),
        "{err}"
    );
    let out = tmp.path().join("out");
    let (o, _, err) = gilsim(
        tmp.path(),
        &threads("{ cpu = \"50us\" }", 8),
        &["run", "-q", "--out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "a warning does not fail: {err}");
    assert!(
        err.contains("constant microsecond step"),
        "run warns too: {err}"
    );
    // A sweep of the pool size says it once.
    let (_, _, err) = gilsim(
        tmp.path(),
        &threads("{ cpu = \"50us\" }", 8),
        &["check", "--set", "sweep.workload.jobs.run.workers=[4,8,16]"],
    );
    assert_eq!(err.matches("constant microsecond step").count(), 1, "{err}");
    for quiet in [
        threads("{ cpu = { exp = \"50us\" } }", 8),
        threads("{ cpu = \"5ms\" }", 8),
        threads("{ cpu = \"50us\" }", 2),
    ] {
        let (o, _, err) = gilsim(tmp.path(), &quiet, &["check"]);
        assert!(o.status.success());
        assert!(!err.contains("warning"), "{quiet}: {err}");
    }
}

#[test]
fn processes_that_pickle_nothing_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let procs = |extra: &str| {
        format!(
            "name = \"p\"\nseed = 1\n[machine]\ncores = 2\n[python]\nversion = \"3.12\"\n\
             [[workload]]\nname = \"jobs\"\ntasks = 10\nsteps = [ {{ cpu = \"5ms\" }} ]\n{extra}\
             [workload.run]\nmodel = \"processes\"\nworkers = 2\n"
        )
    };
    let (o, _, err) = gilsim(tmp.path(), &procs(""), &["check"]);
    assert!(o.status.success());
    assert!(
        err.contains("warning: workload `jobs` runs on processes with args_bytes = 0"),
        "{err}"
    );
    let (_, _, err) = gilsim(tmp.path(), &procs("args_bytes = \"200B\"\n"), &["check"]);
    assert!(!err.contains("args_bytes = 0"), "{err}");
}

#[test]
fn check_lists_every_default_the_run_relies_on() {
    let tmp = tempfile::tempdir().unwrap();
    let bare = "name = \"p\"\n[[workload]]\nname = \"jobs\"\ntasks = 10\n\
                steps = [ { cpu = \"5ms\" } ]\n[workload.run]\nmodel = \"threads\"\n";
    let (o, out, err) = gilsim(tmp.path(), bare, &["check"]);
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("defaults used (not in the file or a --set):"),
        "{out}"
    );
    for key in [
        "seed = ",
        "machine.cores = ",
        "python.version = ",
        "python.switch_interval = 5ms",
        "warmup = 0s",
        "replications = 1",
        "workload.jobs.run.workers = ",
    ] {
        assert!(out.contains(&format!("\n  {key}")), "{key}: {out}");
    }
    // Given in the file or by --set: not a default.
    let (_, out, _) = gilsim(
        tmp.path(),
        &bare.replace(
            "[[workload]]",
            "seed = 4\n[machine]\ncores = 3\n[[workload]]",
        ),
        &[
            "check",
            "--set",
            "python.version=3.13",
            "--set",
            "workload.jobs.run.workers=2",
        ],
    );
    for key in [
        "seed = ",
        "machine.cores = ",
        "python.version = ",
        "workload.jobs.run.workers = ",
    ] {
        assert!(!out.contains(&format!("\n  {key}")), "{key}: {out}");
    }
    assert!(out.contains("\n  replications = 1"), "{out}");
}
