//! Shards never write over each other: `run --shard K/N --out DIR` writes
//! into `DIR/shard-K-of-N/`, so a job array whose tasks all get the same
//! `--out` keeps every shard, and `gilsim merge` of those folders gives the
//! unsharded run's files byte for byte. A merge that lacks a shard, or
//! mixes shards of different studies, is refused.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Eight points, two replications (so `summary.csv`), a `[[chart]]`.
const STUDY: &str = r#"name = "sharded"
seed = 7
replications = 2

[[workload]]
name = "jobs"
tasks = 6
steps = [ { cpu = "2ms" }, { io = { exp = "1ms" } } ]
[workload.run]
model = "threads"
workers = 2

[sweep]
"machine.cores" = [1, 2]
"python.switch_interval" = ["1ms", "5ms"]
"workload.jobs.run.workers" = [1, 3]

[[chart]]
name = "by-workers"
x = "workload.jobs.run.workers"
y = "throughput_per_s"
series = "machine.cores"
"#;

fn gilsim(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gilsim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[track_caller]
fn ok(dir: &Path, args: &[&str]) {
    let (code, stderr) = gilsim(dir, args);
    assert_eq!(code, Some(0), "{args:?}: {stderr}");
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                out.insert(rel, fs::read(&p).expect("read"));
            }
        }
    }
    out
}

#[test]
fn four_shards_with_one_out_merge_to_the_unsharded_run_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    ok(dir, &["run", "study.toml", "--out", "whole", "-q"]);
    for k in 0..4 {
        ok(
            dir,
            &[
                "run",
                "study.toml",
                "--shard",
                &format!("{k}/4"),
                "--out",
                "shared",
                "-q",
            ],
        );
    }
    // Nothing but the four shard folders under the shared --out.
    let mut entries: Vec<String> = fs::read_dir(dir.join("shared"))
        .expect("shared")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "shard-0-of-4",
            "shard-1-of-4",
            "shard-2-of-4",
            "shard-3-of-4"
        ]
    );
    // Each shard holds its own points (K mod 4), two replications each.
    for k in 0..4u32 {
        let csv = fs::read_to_string(dir.join(format!("shared/shard-{k}-of-4/results.csv")))
            .expect("a shard's results.csv");
        let points: Vec<u32> = csv
            .lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("point")
            })
            .collect();
        assert_eq!(points.len(), 4, "{csv}");
        assert!(points.iter().all(|p| p % 4 == k), "{csv}");
    }

    // Merged by naming the folders, or by naming the --out that holds them.
    let shard = |k: u32| format!("shared/shard-{k}-of-4");
    ok(
        dir,
        &[
            "merge",
            &shard(3),
            &shard(1),
            &shard(0),
            &shard(2),
            "--scenario",
            "study.toml",
            "--out",
            "merged",
        ],
    );
    ok(dir, &["merge", "shared", "--scenario", "study.toml"]);
    let whole = files(&dir.join("whole"));
    for merged in [files(&dir.join("merged")), files(&dir.join("shared"))] {
        let written: Vec<&String> = merged.keys().filter(|k| !k.starts_with("shard-")).collect();
        for name in [
            "results.csv",
            "summary.csv",
            "throughput.svg",
            "throughput.png",
            "latency.svg",
            "by-workers.svg",
            "by-workers.png",
        ] {
            assert!(
                written.iter().any(|w| *w == name),
                "merge wrote no {name}: {written:?}"
            );
        }
        for name in written {
            assert!(
                merged[name] == whole[name],
                "{name} differs from the unsharded run's"
            );
        }
    }
}

#[test]
fn a_merge_that_lacks_a_shard_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    for k in [0, 1, 3] {
        ok(
            dir,
            &[
                "run",
                "study.toml",
                "--shard",
                &format!("{k}/4"),
                "--out",
                "out",
                "-q",
            ],
        );
    }
    for args in [
        vec!["merge", "out"],
        vec![
            "merge",
            "out/shard-0-of-4",
            "out/shard-1-of-4",
            "out/shard-3-of-4",
        ],
    ] {
        let (code, stderr) = gilsim(dir, &args);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains("shard 2/4 missing"), "{stderr}");
        assert!(!dir.join("out/results.csv").exists(), "nothing written");
    }
    // Part of a study, on purpose: the results.csv files.
    ok(
        dir,
        &[
            "merge",
            "out/shard-0-of-4/results.csv",
            "out/shard-3-of-4/results.csv",
            "--out",
            "part",
        ],
    );
    let part = fs::read_to_string(dir.join("part/results.csv")).expect("merged");
    assert_eq!(part.lines().count(), 1 + 2 * 4, "{part}");
}

#[test]
fn shards_of_different_studies_are_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    ok(
        dir,
        &["run", "study.toml", "--shard", "0/2", "--out", "a", "-q"],
    );
    ok(
        dir,
        &[
            "run",
            "study.toml",
            "--shard",
            "1/2",
            "--out",
            "b",
            "--seed",
            "8",
            "-q",
        ],
    );
    let (code, stderr) = gilsim(dir, &["merge", "a/shard-0-of-2", "b/shard-1-of-2"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("different studies"), "{stderr}");
    ok(
        dir,
        &["run", "study.toml", "--shard", "1/3", "--out", "c", "-q"],
    );
    let (code, stderr) = gilsim(dir, &["merge", "a/shard-0-of-2", "c/shard-1-of-3"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("different splits"), "{stderr}");
}

#[test]
fn an_out_that_is_already_the_shards_folder_is_used_as_it_is() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    ok(
        dir,
        &[
            "run",
            "study.toml",
            "--shard",
            "1/2",
            "--out",
            "x/shard-1-of-2",
            "-q",
        ],
    );
    assert!(dir.join("x/shard-1-of-2/results.csv").exists());
    assert!(!dir.join("x/shard-1-of-2/shard-1-of-2").exists());
    // Without --out: output/<name>/shard-K-of-N, as before.
    ok(dir, &["run", "study.toml", "--shard", "0/2", "-q"]);
    assert!(dir.join("output/sharded/shard-0-of-2/results.csv").exists());
}
