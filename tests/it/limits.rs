//! Runaway scenarios through the `gilsim` binary: what cannot fit is
//! refused before running (exit 2, at the key's line, with the estimate
//! and the limit); `--max-events` and `--max-wall` stop a run (exit 1)
//! without writing anything over the previous outputs; a batch of 10^12
//! tasks on a thread pool runs lazily; `check` prints the study's size.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{scenario, simulate};

/// A thread-pool workload of `tasks` tasks and `workers` workers.
fn pool(model: &str, tasks: &str, workers: &str, head: &str) -> String {
    format!(
        r#"name = "big"
seed = 1
{head}
[machine]
cores = 2
[python]
version = "3.14"

[[workload]]
name = "jobs"
tasks = {tasks}
steps = [ {{ cpu = "10us" }} ]
[workload.run]
model = "{model}"
workers = {workers}
"#
    )
}

/// Runs `gilsim ARGS` in `dir`.
fn gilsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gilsim runs")
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("the output folder")
        .map(|e| e.expect("an entry").path())
        .map(|p| (p.display().to_string(), fs::read(&p).expect("a file")))
        .collect()
}

/// A folder with `big.toml` holding `text`, and earlier outputs in `out/`.
fn folder(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::write(dir.path().join("big.toml"), text).expect("scenario written");
    let out = dir.path().join("out");
    fs::create_dir_all(&out).expect("out/");
    fs::write(out.join("results.csv"), b"point,replication\n0,0\n").expect("earlier results");
    fs::write(out.join("manifest.json"), b"{\"earlier\": true}").expect("earlier manifest");
    dir
}

/// `check` and `run` both refuse `text` with exit 2, at `line:col`, naming
/// `key`, and with every one of `words` in the message; the earlier
/// outputs stay as they were.
fn assert_refused(text: &str, line: usize, col: usize, key: &str, words: &[&str]) {
    let dir = folder(text);
    let before = snapshot(&dir.path().join("out"));
    for args in [
        &["check", "big.toml"][..],
        &["run", "big.toml", "--out", "out", "--max-wall", "20s"][..],
    ] {
        let out = gilsim(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("big.toml:{line}:{col}")),
            "{args:?}: location {line}:{col} in\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("key `{key}`")),
            "{args:?}: key {key} in\n{stderr}"
        );
        for w in words {
            assert!(stderr.contains(w), "{args:?}: `{w}` in\n{stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(snapshot(&dir.path().join("out")), before);
}

#[test]
fn four_billion_threads_are_refused_at_workers() {
    assert_refused(
        &pool("threads", "1000000000000", "4000000000", ""),
        15,
        11,
        "workload.jobs.run.workers",
        &["4000000001 threads", "4194304", "PID_MAX_LIMIT"],
    );
}

#[test]
fn four_billion_worker_processes_are_refused_at_workers() {
    assert_refused(
        &pool("processes", "10", "4000000000", ""),
        15,
        11,
        "workload.jobs.run.workers",
        &["threads and processes", "4194304"],
    );
}

#[test]
fn a_thread_per_task_for_ten_million_tasks_is_refused_at_tasks() {
    assert_refused(
        &pool("threads", "10000000", "\"per-task\"", ""),
        11,
        9,
        "workload.jobs.tasks",
        &["10000001 threads", "4194304"],
    );
}

#[test]
fn a_hundred_million_coroutines_are_refused_at_tasks() {
    let text = pool("asyncio", "100000000", "4", "");
    assert_refused(
        &text,
        11,
        9,
        "workload.jobs.tasks",
        &["100000000 tasks", "10000000", "coroutine"],
    );
    // A process pool is handed its batch up front too.
    assert_refused(
        &pool("processes", "100000000", "4", ""),
        11,
        9,
        "workload.jobs.tasks",
        &["100000000 tasks", "Pool.map"],
    );
}

#[test]
fn a_swept_value_is_refused_at_its_place_in_the_sweep() {
    let text = format!(
        "{}\n[sweep]\n\"workload.jobs.run.workers\" = [4, 4000000000]\n",
        pool("threads", "1000000000000", "4", "")
    );
    assert_refused(&text, 18, 35, "workload.jobs.run.workers", &["4194304"]);
}

#[test]
fn points_times_replications_are_capped() {
    let cores: Vec<String> = (1..=101).map(|c| c.to_string()).collect();
    let text = format!(
        "{}\n[sweep]\n\"machine.cores\" = [{}]\n",
        pool("threads", "4", "2", "replications = 10000"),
        cores.join(", ")
    );
    assert_refused(
        &text,
        3,
        16,
        "replications",
        &["more than 1000000 runs", "1010000"],
    );
}

/// `run` fails with exit 1 and `words` in its message, and writes nothing.
fn assert_stopped(text: &str, args: &[&str], words: &[&str]) -> String {
    let dir = folder(text);
    let before = snapshot(&dir.path().join("out"));
    let mut all = vec!["run", "big.toml", "--out", "out"];
    all.extend_from_slice(args);
    let out = gilsim(dir.path(), &all);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "`{w}` in\n{stderr}");
    }
    assert_eq!(
        snapshot(&dir.path().join("out")),
        before,
        "the earlier outputs are untouched"
    );
    // Without --out, nothing is created either.
    all.truncate(2);
    all.extend_from_slice(args);
    assert_eq!(gilsim(dir.path(), &all).status.code(), Some(1));
    assert!(!dir.path().join("output").exists(), "no output/ written");
    stderr
}

#[test]
fn a_trillion_tasks_on_a_thread_pool_run_lazily_until_max_events() {
    let text = pool("threads", "1000000000000", "4", "");
    let first = assert_stopped(
        &text,
        &["--max-events", "200000"],
        &[
            "--max-events 200000",
            "point 0 replication 0",
            "nothing was written",
        ],
    );
    // The same event everywhere: the simulated time it stopped at is the same.
    let again = assert_stopped(&text, &["--max-events", "200000", "--jobs", "2"], &[]);
    assert_eq!(first, again);
}

#[test]
fn max_wall_stops_a_run_that_would_never_end() {
    let text = pool("threads", "1000000000000", "4", "");
    assert_stopped(
        &text,
        &["--max-wall", "300ms"],
        &["--max-wall", "nothing was written"],
    );
}

#[test]
fn max_events_stops_compare_too() {
    let dir = folder(&pool("threads", "1000000000000", "4", ""));
    let out = gilsim(
        dir.path(),
        &[
            "compare",
            "big.toml",
            "--models",
            "threads",
            "--workers",
            "2",
            "--replications",
            "1",
            "--max-events",
            "50000",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-events 50000"), "{stderr}");
    assert!(!dir.path().join("output").exists(), "compare wrote nothing");
}

#[test]
fn a_run_within_its_limits_is_unchanged_by_them() {
    let text = pool("threads", "200", "4", "");
    let dir = folder(&text);
    let plain = gilsim(dir.path(), &["run", "big.toml", "--out", "a"]);
    let limited = gilsim(
        dir.path(),
        &[
            "run",
            "big.toml",
            "--out",
            "b",
            "--max-events",
            "1000000",
            "--max-wall",
            "1h",
        ],
    );
    assert_eq!(plain.status.code(), Some(0));
    assert_eq!(limited.status.code(), Some(0));
    let read = |d: &str| fs::read(dir.path().join(d).join("results.csv")).expect("results");
    assert_eq!(read("a"), read("b"));
}

#[test]
fn a_huge_batch_with_a_duration_runs_like_any_batch_the_duration_does_not_exhaust() {
    let head = "duration = \"50ms\"";
    let huge = simulate(&scenario(&pool("threads", "1000000000000", "4", head)));
    let small = simulate(&scenario(&pool("threads", "100000", "4", head)));
    let (h, s) = (&huge.workloads[0], &small.workloads[0]);
    assert!(s.tasks_completed > 1000, "the window runs many tasks");
    assert!(
        s.tasks_completed < 100_000,
        "and does not exhaust the small batch"
    );
    assert_eq!(h.tasks_completed, s.tasks_completed);
    assert_eq!(h.latency_ms, s.latency_ms);
    assert_eq!(huge.events, small.events);
}

#[test]
fn an_open_loop_that_outgrows_the_run_is_stopped_with_exit_1() {
    let text = r#"name = "flood"
duration = "1s"
[[workload]]
name = "jobs"
rate = "100000000/s"
steps = [ { cpu = "1s" } ]
[workload.run]
model = "sequential"
"#;
    assert_stopped(
        text,
        &[],
        &["tasks in flight", "10000000", "workload.jobs.rate"],
    );
}

#[test]
fn check_prints_the_size_and_a_rough_cost() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = gilsim(root, &["check", "scenarios/cpu-bound-threads.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("size: 16 point(s) × replications = 16 run(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("rough cost: about"), "{stdout}");
    assert!(stdout.contains("heuristic"), "{stdout}");
    let huge = folder(&pool("threads", "1000000000000", "4", ""));
    let out = gilsim(huge.path(), &["check", "big.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("trillion events"), "{stdout}");
    assert!(stdout.contains("days of wall time"), "{stdout}");
}
