//! `gilsim compare`: ranking, named bottlenecks, determinism and errors.

use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn compare(file: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("compare")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn scenario(steps: &str, tasks: u32) -> String {
    format!(
        "name = \"t\"\nseed = 3\n[machine]\ncores = 4\n[python]\nversion = \"3.13\"\n\
         [[workload]]\nname = \"jobs\"\ntasks = {tasks}\nsteps = [ {steps} ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 4\n"
    )
}

/// The ranked table's candidates, best first.
fn ranking(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok())
        })
        .filter_map(|l| l.split_whitespace().nth(1).map(String::from))
        .collect()
}

fn bottleneck_line<'a>(stdout: &'a str, model: &str) -> &'a str {
    let section = stdout
        .split("bottleneck of each model")
        .nth(1)
        .unwrap_or("");
    section
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{model} ")))
        .unwrap_or("")
}

#[test]
fn cpu_bound_ranks_processes_first_and_blames_the_gil_for_threads() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "cpu.toml", &scenario("{ cpu = \"10ms\" }", 80));
    let (code, out, err) = compare(
        &f,
        &dir.path().join("o"),
        &["--models", "threads,processes", "--replications", "2"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(ranking(&out)[0], "processes", "{out}");
    assert!(
        bottleneck_line(&out, "threads").contains("the GIL"),
        "{out}"
    );
    assert!(out.contains("holds the GIL"), "{out}");
}

#[test]
fn io_waits_rank_threads_above_processes_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "io.toml",
        &scenario("{ cpu = \"100us\" }, { io = \"20ms\" }", 200),
    );
    let (code, out, err) = compare(
        &f,
        &dir.path().join("o"),
        &["--models", "threads,processes", "--replications", "2"],
    );
    assert_eq!(code, 0, "{err}");
    let r = ranking(&out);
    let t = r.iter().position(|m| m == "threads").unwrap();
    let p = r.iter().position(|m| m == "processes").unwrap();
    assert!(t < p, "{out}");
    assert!(out.contains("start-up, pickling and memory"), "{out}");
}

#[test]
fn cpu_nogil_threads_match_processes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "nogil.toml",
        &scenario("{ cpu_nogil = \"10ms\" }", 80),
    );
    let out_dir = dir.path().join("o");
    let (code, out, err) = compare(
        &f,
        &out_dir,
        &[
            "--models",
            "threads,processes",
            "--workers",
            "4",
            "--replications",
            "2",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(out_dir.join("compare.csv")).unwrap();
    let tp = |model: &str| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(&format!("jobs,{model},4,")))
            .and_then(|l| l.split(',').nth(4))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    let (t, p) = (tp("threads"), tp("processes"));
    assert!(
        (t - p).abs() <= 0.1 * p.max(t),
        "threads {t} processes {p}\n{out}"
    );
    assert!(
        bottleneck_line(&out, "threads").contains("the cores"),
        "{out}"
    );
}

#[test]
fn compare_csv_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "d.toml",
        &scenario("{ cpu = \"1ms\" }, { io = { exp = \"5ms\" } }", 40),
    );
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert_eq!(compare(&f, &a, &["--jobs", "1"]).0, 0);
    assert_eq!(compare(&f, &b, &["--jobs", "4"]).0, 0);
    let ca = std::fs::read(a.join("compare.csv")).unwrap();
    assert_eq!(ca, std::fs::read(b.join("compare.csv")).unwrap());
    let text = String::from_utf8(ca).unwrap();
    // asyncio runs (one point, no workers limit) and so do the pools.
    assert!(
        text.lines().any(|l| l.starts_with("jobs,asyncio,,,")),
        "{text}"
    );
    // Subinterpreters need 3.14: excluded, with the validator's reason.
    assert!(
        text.lines()
            .any(|l| l.starts_with("jobs,subinterpreters,") && l.contains("3.14")),
        "{text}"
    );
    assert!(a.join("compare.svg").exists() && a.join("compare.png").exists());
}

#[test]
fn a_workload_no_model_can_run_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // A coroutine that awaits to_thread: no thread or process model can run it.
    let text = scenario(
        "{ to_thread = true, steps = [ { cpu_nogil = \"1ms\" } ] }",
        4,
    )
    .replace("model = \"threads\"\nworkers = 4", "model = \"asyncio\"");
    let f = write(dir.path(), "x.toml", &text);
    let (code, _, err) = compare(
        &f,
        &dir.path().join("o"),
        &["--models", "threads,processes"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot run under any of the models"), "{err}");
    assert!(err.contains("to_thread"), "{err}");
    assert!(!dir.path().join("o").exists(), "nothing written");
}

#[test]
fn bad_models_value_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.toml", &scenario("{ cpu = \"1ms\" }", 4));
    let (code, _, err) = compare(&f, &dir.path().join("o"), &["--models", "thread"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown model `thread`"), "{err}");
}

#[test]
fn asyncio_ignores_the_scenarios_pool_size_and_wins_an_io_fan_out() {
    let dir = tempfile::tempdir().unwrap();
    // 200 requests of 30 ms of network wait; the scenario's own pool has 4 threads.
    let f = write(
        dir.path(),
        "io.toml",
        &scenario("{ cpu = \"100us\" }, { io = \"30ms\" }", 200),
    );
    let (code, out, err) = compare(&f, &dir.path().join("o"), &["--workers", "4,16"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.path().join("o/compare.csv")).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("jobs,asyncio,"))
        .expect("an asyncio row");
    let throughput: f64 = row.split(',').nth(4).unwrap().parse().unwrap();
    // Unlimited coroutines overlap all 200 waits: far above 16 threads' ~530/s.
    assert!(
        throughput > 1000.0,
        "asyncio throughput {throughput}: {row}"
    );
    assert_eq!(
        ranking(&out).first().map(String::as_str),
        Some("asyncio"),
        "{out}"
    );
}

#[test]
fn large_payloads_name_ipc_as_the_processes_bottleneck() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario("{ cpu = \"1ms\" }", 100)
        .replace("[workload.run]", "args_bytes = \"4MB\"\n[workload.run]");
    let f = write(dir.path(), "pay.toml", &text);
    let (code, out, err) = compare(
        &f,
        &dir.path().join("o"),
        &["--models", "threads,processes", "--workers", "4"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        ranking(&out).first().map(String::as_str),
        Some("threads"),
        "{out}"
    );
    assert!(bottleneck_line(&out, "processes").contains("IPC"), "{out}");
    let csv = std::fs::read_to_string(dir.path().join("o/compare.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("jobs,processes,4,"))
        .unwrap();
    let ipc: f64 = row.split(',').nth(12).unwrap().parse().unwrap();
    assert!(ipc > 0.3, "ipc_fraction {ipc}: {row}");
}
