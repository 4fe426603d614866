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

/// compare.csv's row for `model` at `workers`, split into fields.
fn csv_row(out: &Path, model: &str, workers: u32) -> Vec<String> {
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    csv.lines()
        .find(|l| l.starts_with(&format!("jobs,{model},{workers},")))
        .unwrap_or_else(|| panic!("no {model} ×{workers} row in\n{csv}"))
        .split(',')
        .map(String::from)
        .collect()
}

#[test]
fn a_lock_around_the_io_caps_every_model_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let steps =
        "{ cpu = \"200us\" }, { lock = \"db\", steps = [ { io = \"2ms\" } ] }, { io = \"5ms\" }";
    let f = write(dir.path(), "db.toml", &scenario(steps, 300));
    let o = dir.path().join("o");
    let (code, out, err) = compare(
        &f,
        &o,
        &["--models", "threads,processes", "--workers", "4,16"],
    );
    assert_eq!(code, 0, "{err}");
    for model in ["threads", "processes"] {
        let line = bottleneck_line(&out, model);
        assert!(line.contains("a lock or semaphore"), "{model}: {out}");
        assert!(line.contains("lock `db` busy"), "{model}: {out}");
        for workers in [4, 16] {
            let row = csv_row(&o, model, workers);
            let throughput: f64 = row[4].parse().unwrap();
            let busy: f64 = row[16].parse().unwrap();
            // One holder at a time for 2 ms: at most 500 tasks/s. The lock
            // is busy for at least the tasks' 2 ms inside it, plus the I/O's
            // return (wake-up, retaking the GIL) before the release.
            assert!(throughput <= 500.0, "{model} ×{workers}: {row:?}");
            let inside = throughput * 0.002;
            assert!(
                busy >= inside && busy <= (inside * 1.05).min(1.0),
                "{model} ×{workers}: busy {busy}, tasks inside {inside}"
            );
            assert_eq!(row[15], "lock `db`");
        }
    }
    assert!(out.contains("Shorten what runs inside it"), "{out}");
}

#[test]
fn a_full_semaphore_is_named_and_an_idle_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let steps = "{ semaphore = \"api\", steps = [ { io = \"10ms\" } ] }";
    let text = scenario(steps, 200).replace("[[workload]]", "[semaphores]\napi = 2\n[[workload]]");
    let f = write(dir.path(), "sem.toml", &text);
    let o = dir.path().join("o");
    let (code, out, err) = compare(&f, &o, &["--models", "threads", "--workers", "1,8"]);
    assert_eq!(code, 0, "{err}");
    // Two permits held 10 ms each: 200 tasks/s at most.
    let eight = csv_row(&o, "threads", 8);
    assert!(eight[4].parse::<f64>().unwrap() <= 200.0, "{eight:?}");
    assert_eq!(eight[14], "a lock or semaphore", "{eight:?}");
    assert_eq!(eight[15], "semaphore `api`");
    // One worker never fills two permits.
    let one = csv_row(&o, "threads", 1);
    assert_eq!(one[16].parse::<f64>().unwrap(), 0.0, "{one:?}");
    assert_ne!(one[14], "a lock or semaphore", "{one:?}");
    assert!(
        bottleneck_line(&out, "threads").contains("semaphore `api`"),
        "{out}"
    );
}

#[test]
fn under_the_latency_goal_the_reason_quotes_the_latency_best_threads_point() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "lat.toml",
        &scenario("{ cpu = \"2ms\" }, { io = \"3ms\" }", 200)
            .replace("tasks = 200", "rate = \"300/s\"")
            .replace("seed = 3", "seed = 3\nduration = \"4s\""),
    );
    let o = dir.path().join("o");
    let (code, out, err) = compare(
        &f,
        &o,
        &[
            "--models",
            "threads,processes",
            "--workers",
            "2,4,8",
            "--goal",
            "latency",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(o.join("compare.csv")).unwrap();
    let threads: Vec<(String, f64, f64)> = csv
        .lines()
        .filter(|l| l.starts_with("jobs,threads,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[2].to_string(),
                f[4].parse().unwrap(),
                f[7].parse().unwrap(),
            )
        })
        .collect();
    let by_latency = threads.iter().min_by(|a, b| a.2.total_cmp(&b.2)).unwrap();
    let by_throughput = threads.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    // The open loop gives every stable pool the same throughput, so the
    // throughput ranking and the latency ranking pick different pools.
    assert_ne!(by_latency.0, by_throughput.0, "{csv}");
    let rec = out
        .lines()
        .find(|l| l.starts_with("recommendation:"))
        .unwrap();
    assert!(
        rec.contains(&format!("threads ×{}:", by_latency.0)),
        "latency-best threads is ×{}: {rec}",
        by_latency.0
    );
    assert_eq!(ranking(&out)[0], "processes", "{out}");
}

#[test]
fn a_full_downstream_queue_is_named_as_the_producers_bottleneck() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario("{ io = \"2ms\" }, { cpu = \"100us\" }", 400)
        + "[[workload]]\nname = \"sink\"\nafter = \"jobs\"\nqueue = 4\n\
           steps = [ { io = \"10ms\" } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 1\n";
    let f = write(dir.path(), "pipe.toml", &text);
    let (code, out, err) = compare(
        &f,
        &dir.path().join("o"),
        &[
            "--workload",
            "jobs",
            "--models",
            "threads,processes",
            "--workers",
            "4,16",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let line = bottleneck_line(&out, "threads");
    assert!(line.contains("a queue stage downstream"), "{out}");
    assert!(line.contains("stage `sink`'s full queue"), "{out}");
    // The sink takes one item per 10 ms: the producers cannot go faster.
    let row = csv_row(&dir.path().join("o"), "threads", 16);
    assert!(row[4].parse::<f64>().unwrap() <= 100.0 * 1.01, "{row:?}");
    // The process pools put their results through a multiprocessing.Queue
    // from the parent's result handler: held back by the same sink, and
    // named for it (the handler, not the idle workers, is what blocks).
    let row = csv_row(&dir.path().join("o"), "processes", 16);
    assert!(row[4].parse::<f64>().unwrap() <= 100.0 * 1.01, "{row:?}");
    let line = bottleneck_line(&out, "processes");
    assert!(line.contains("stage `sink`'s full queue"), "{out}");
    assert!(out.contains("Speed up `sink`"), "{out}");
}
