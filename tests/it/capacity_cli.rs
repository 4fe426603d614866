//! `gilsim capacity`: on the bundled service scenario it ranks the shapes,
//! and each shape's maximum rate, p99 and served rate are what `gilsim run`
//! gives at that rate; it is deterministic whatever `--jobs`; a shape the
//! validator refuses is reported, not fatal; bad input exits 2.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SCENARIO: &str = "scenarios/service-capacity.toml";
const SHAPES: &str = "1threads,8threads,asyncio,sync,4x8threads";

fn gilsim(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|x| {
            h.iter()
                .cloned()
                .zip(x.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} in {row:?}"))
}

#[test]
fn capacity_ranks_the_shapes_and_agrees_with_direct_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cap");
    let out_s = out.to_str().unwrap();
    let (code, stdout, stderr) = gilsim(&[
        "capacity", SCENARIO, "--p99", "100ms", "--shapes", SHAPES, "--out", out_s,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    println!("{stdout}");
    let shapes = rows(&out.join("capacity.csv"));
    assert_eq!(shapes.len(), 5);
    // Ranked by the highest rate; every ranked shape meets the target.
    let mut ranked: Vec<&BTreeMap<String, String>> =
        shapes.iter().filter(|r| !r["rank"].is_empty()).collect();
    ranked.sort_by_key(|r| r["rank"].parse::<u32>().unwrap());
    assert_eq!(ranked.len(), 5, "{shapes:?}");
    // Four processes of 8 threads: four GILs, more than one process takes.
    assert!(best_of(&shapes, "4x8threads") > 1.5 * best_of(&shapes, "8threads"));
    for pair in ranked.windows(2) {
        assert!(num(pair[0], "max_rate_per_s") >= num(pair[1], "max_rate_per_s"));
    }
    let best = |s: &str| best_of(&shapes, s);
    // One request at a time holds 23 ms of service: a pool of 8 takes
    // several times as much.
    assert!(best("8threads") > 4.0 * best("sync"), "{shapes:?}");
    assert_eq!(best("sync"), best("1threads"));
    for r in &ranked {
        assert!(num(r, "p99_ms") <= 100.0, "{r:?}");
        assert!(
            num(r, "served_per_s") >= 0.95 * num(r, "offered_per_s"),
            "{r:?}"
        );
        // The same scenario run directly at the rate found: the same figures.
        let (model, workers, per_process) = match r["shape"].as_str() {
            "1threads" => ("threads", "1", None),
            "8threads" => ("threads", "8", None),
            "asyncio" => ("asyncio", "\"unlimited\"", None),
            "sync" => ("sequential", "1", None),
            "4x8threads" => ("processes", "4", Some(("\"threads\"", "8"))),
            other => panic!("unexpected shape {other}"),
        };
        let run_out = tmp.path().join(r["shape"].as_str());
        let mut sets = vec![
            format!("sweep.workload.api.run.model=[\"{model}\"]"),
            format!("workload.api.run.workers={workers}"),
            format!("workload.api.rate={}/s", num(r, "max_rate_per_s")),
        ];
        if let Some((m, n)) = per_process {
            sets.push(format!("workload.api.run.per_process.model={m}"));
            sets.push(format!("workload.api.run.per_process.workers={n}"));
        }
        let mut args = vec!["run", SCENARIO];
        for s in &sets {
            args.extend(["--set", s.as_str()]);
        }
        args.extend(["--out", run_out.to_str().unwrap(), "-q"]);
        let (code, stdout, stderr) = gilsim(&args);
        assert_eq!(code, 0, "{stdout}{stderr}");
        let direct: Vec<BTreeMap<String, String>> = rows(&run_out.join("results.csv"))
            .into_iter()
            .filter(|x| x["workload"] == "api" && x["branch"].is_empty())
            .collect();
        assert_eq!(direct.len(), 3, "three replications");
        let mean = |col: &str| direct.iter().map(|x| num(x, col)).sum::<f64>() / 3.0;
        for (mine, theirs) in [
            ("p99_ms", "latency_p99_ms"),
            ("served_per_s", "throughput_per_s"),
        ] {
            assert!(
                (num(r, mine) - mean(theirs)).abs() < 1e-5,
                "{}: capacity {mine} {} against run {}",
                r["shape"],
                num(r, mine),
                mean(theirs)
            );
        }
        assert!(direct.iter().all(|x| x["overloaded"] == "0"), "{direct:?}");
    }
    // The best shape's command, printed, reproduces it.
    assert!(
        stdout.contains("the best shape at its highest rate: gilsim run"),
        "{stdout}"
    );
    assert!(out.join("capacity.svg").exists() && out.join("capacity.png").exists());
    let points = rows(&out.join("capacity-points.csv"));
    assert!(
        points.iter().any(|p| p["meets_target"] == "0"),
        "the search brackets the answer"
    );

    // Deterministic, whatever the parallelism.
    let again = tmp.path().join("again");
    let (code, _, stderr) = gilsim(&[
        "capacity",
        SCENARIO,
        "--p99",
        "100ms",
        "--shapes",
        SHAPES,
        "--out",
        again.to_str().unwrap(),
        "--jobs",
        "1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for f in ["capacity.csv", "capacity-points.csv"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
}

fn best_of(shapes: &[BTreeMap<String, String>], shape: &str) -> f64 {
    num(
        shapes.iter().find(|r| r["shape"] == shape).unwrap(),
        "max_rate_per_s",
    )
}

#[test]
fn a_shape_the_scenario_refuses_is_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    // Deployment shapes refuse lock steps (a lock is not shared across
    // worker processes): the multi-process shape is reported, the others ranked.
    let locked = tmp.path().join("locked.toml");
    std::fs::write(
        &locked,
        "name = \"l\"\nduration = \"2s\"\n[[workload]]\nname = \"w\"\nrate = \"20/s\"\nsteps = [ { lock = \"l\", steps = [ { cpu = \"1ms\" } ] } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n",
    )
    .unwrap();
    let out = tmp.path().join("cap");
    let (code, stdout, stderr) = gilsim(&[
        "capacity",
        locked.to_str().unwrap(),
        "--p99",
        "50ms",
        "--shapes",
        "2threads,2x2threads",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let shapes = rows(&out.join("capacity.csv"));
    let multi = shapes.iter().find(|r| r["shape"] == "2x2threads").unwrap();
    assert!(multi["note"].starts_with("refused: "), "{multi:?}");
    assert!(stdout.contains("refused:"), "{stdout}");
    let single = shapes.iter().find(|r| r["shape"] == "2threads").unwrap();
    assert_eq!(single["rank"], "1", "{single:?}");
}

#[test]
fn capacity_refuses_bad_input_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let o = out.to_str().unwrap();
    for (args, says) in [
        (
            vec!["--p99", "100ms", "--shapes", "8xprocesses"],
            "is not a shape",
        ),
        (
            vec!["--p99", "100ms", "--shapes", "threads"],
            "give the thread count",
        ),
        (vec!["--p99", "0ms"], "is zero"),
        (vec!["--p99", "fast"], "not a duration"),
        (
            vec!["--p99", "100ms", "--workload", "nope"],
            "no such workload",
        ),
    ] {
        let mut a = vec!["capacity", SCENARIO, "--out", o];
        a.extend(args);
        let (code, stdout, stderr) = gilsim(&a);
        assert_eq!(code, 2, "{a:?}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{a:?}: {stderr}");
    }
    let closed = tmp.path().join("closed.toml");
    std::fs::write(
        &closed,
        "name = \"c\"\n[[workload]]\nname = \"w\"\ntasks = 3\nsteps = [ { cpu = \"1ms\" } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 1\n",
    )
    .unwrap();
    let (code, _, stderr) = gilsim(&[
        "capacity",
        closed.to_str().unwrap(),
        "--p99",
        "1s",
        "--out",
        o,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no open-loop workload"), "{stderr}");
    assert!(!out.exists(), "nothing written on an error");
}
