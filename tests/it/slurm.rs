//! Sweeps on a cluster: `gilsim slurm` writes a job array's script (task K
//! runs `gilsim run FILE --shard K/N`, with absolute paths) and a merge job
//! that depends on it; shards are split by estimated cost, deterministically,
//! and still merge into the unsharded run's files byte for byte. The real
//! Slurm run is `tools/slurm/test.sh`.

use std::fs;
use std::path::Path;
use std::process::Command;

use gilsim::scenario::cost;
use gilsim::study::assign;

use crate::shards::files;

/// Six points, two replications (so `summary.csv`), a `[[chart]]`.
const STUDY: &str = r#"name = "arrayed"
seed = 3
replications = 2
duration = "200ms"

[[workload]]
name = "io"
repeat = "forever"
steps = [ { cpu = "20us" }, { cpu_nogil = "5us" } ]
[workload.run]
model = "threads"
workers = 1

[[workload]]
name = "cpu"
repeat = "forever"
steps = [ { cpu = "5ms" } ]
[workload.run]
model = "threads"
workers = 1

[sweep]
"machine.cores" = [1, 2]
"python.switch_interval" = ["5ms", "1ms", "200us"]

[[chart]]
name = "io-rate"
x = "python.switch_interval"
y = "throughput_per_s"
series = "machine.cores"
workload = "io"
"#;

fn gilsim(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gilsim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[track_caller]
fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = gilsim(dir, args);
    assert_eq!(code, Some(0), "{args:?}: {stderr}");
    stdout
}

/// The lines before the first that is neither blank nor a comment: where
/// sbatch reads `#SBATCH` options.
fn header(script: &str) -> Vec<&str> {
    script
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .collect()
}

#[test]
fn the_array_script_runs_each_shard_with_absolute_paths_and_the_merge_depends_on_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().canonicalize().expect("absolute temp dir");
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    let stdout = ok(
        &dir,
        &[
            "slurm",
            "study.toml",
            "--shards",
            "3",
            "--out",
            "big",
            "--set",
            "seed=4",
            "--sbatch-option=--partition=short",
            "--sbatch-option",
            "--time=00:10:00",
        ],
    );
    let exe = Path::new(env!("CARGO_BIN_EXE_gilsim"))
        .canonicalize()
        .expect("gilsim path");
    let exe = exe.display().to_string();
    let file = dir.join("study.toml").display().to_string();
    let out = dir.join("big").display().to_string();
    let array = fs::read_to_string(dir.join("big/slurm/array.sbatch")).expect("array script");
    let merge = fs::read_to_string(dir.join("big/slurm/merge.sbatch")).expect("merge script");
    assert!(array.starts_with("#!/bin/bash\n"), "{array}");
    let options = header(&array);
    for line in [
        "#SBATCH --array=0-2",
        "#SBATCH --partition=short",
        "#SBATCH --time=00:10:00",
        &format!("#SBATCH --output={out}/slurm/logs/shard-%a-of-3.out"),
    ] {
        assert!(
            options.contains(&line),
            "no `{line}` in the header: {array}"
        );
    }
    assert!(
        dir.join("big/slurm/logs").is_dir(),
        "Slurm needs the log folder"
    );
    let task = array
        .lines()
        .find(|l| l.starts_with("exec "))
        .expect("a command");
    assert_eq!(
        task,
        format!(
            "exec {exe} run {file} --out {out} --set seed=4 --quiet \
             --shard \"${{SLURM_ARRAY_TASK_ID}}/3\" --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\""
        )
    );
    let options = header(&merge);
    for line in [
        "#SBATCH --kill-on-invalid-dep=yes",
        "#SBATCH --partition=short",
        &format!("#SBATCH --output={out}/slurm/logs/merge.out"),
    ] {
        assert!(
            options.contains(&line),
            "no `{line}` in the header: {merge}"
        );
    }
    assert!(
        merge.contains(&format!(
            "exec {exe} merge {out} --scenario {file} --set seed=4\n"
        )),
        "{merge}"
    );
    assert!(
        stdout.contains(&format!(
            "jid=$(sbatch --parsable {out}/slurm/array.sbatch) && \
             sbatch --dependency=afterok:${{jid%%;*}} {out}/slurm/merge.sbatch"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "--shard {{}}/3 --jobs 1 ::: $(seq 0 2) && {exe} merge {out}"
        )),
        "{stdout}"
    );

    // The scripts run as Slurm would run them: each task from elsewhere,
    // then the merge; the result is the unsharded run's.
    let elsewhere = tempfile::tempdir().expect("another folder");
    for k in 0..3 {
        let status = Command::new("bash")
            .arg(dir.join("big/slurm/array.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .current_dir(elsewhere.path())
            .output()
            .expect("bash runs");
        assert!(status.status.success(), "task {k}: {status:?}");
    }
    let status = Command::new("bash")
        .arg(dir.join("big/slurm/merge.sbatch"))
        .current_dir(elsewhere.path())
        .output()
        .expect("bash runs");
    assert!(status.status.success(), "merge: {status:?}");
    ok(
        &dir,
        &[
            "run",
            "study.toml",
            "--set",
            "seed=4",
            "--out",
            "whole",
            "-q",
        ],
    );
    let whole = files(&dir.join("whole"));
    let merged = files(&dir.join("big"));
    let top: Vec<&String> = merged.keys().filter(|k| !k.contains('/')).collect();
    for name in [
        "results.csv",
        "summary.csv",
        "io-rate.svg",
        "throughput.png",
    ] {
        assert!(top.iter().any(|t| *t == name), "no {name}: {top:?}");
    }
    for name in top {
        assert!(merged[name] == whole[name], "{name} differs");
    }
}

#[test]
fn more_shards_than_points_or_a_bad_sbatch_option_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), STUDY).expect("write");
    let (code, _, stderr) = gilsim(dir, &["slurm", "study.toml", "--shards", "7"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--shards 7: the study has 6 point(s)"),
        "{stderr}"
    );
    let (code, _, stderr) = gilsim(
        dir,
        &[
            "slurm",
            "study.toml",
            "--shards",
            "2",
            "--sbatch-option",
            "partition=short",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--sbatch-option `partition=short`"),
        "{stderr}"
    );
    let (code, _, stderr) = gilsim(dir, &["slurm", "study.toml", "--shards", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!dir.join("output").exists(), "nothing written");
}

/// Point costs that follow the index mod 4: a split by index puts every
/// heavy point on shard 0.
const SKEWED: &str = r#"name = "skewed"
seed = 1

[[workload]]
name = "jobs"
tasks = 100
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2

[sweep]
"machine.cores" = [1, 2, 4]
"workload.jobs.tasks" = [4000, 10, 20, 40]
"#;

#[test]
fn the_cost_balanced_split_is_deterministic_and_evens_out_a_skewed_sweep() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("skewed.toml");
    fs::write(&file, SKEWED).expect("write");
    let study = gilsim::commands::load_study(&file, &[]).expect("study");
    let costs: Vec<u128> = study
        .points
        .iter()
        .map(|p| cost::point_cost(&p.scenario))
        .collect();
    // More tasks, more cost.
    for c in costs.chunks(4) {
        assert!(c[0] > c[3] && c[3] > c[2] && c[2] > c[1], "{costs:?}");
    }
    let split = assign(&study, 4);
    let again = assign(&gilsim::commands::load_study(&file, &[]).expect("study"), 4);
    assert_eq!(split, again, "the same study splits the same way");
    let load = |of: &dyn Fn(usize) -> usize| {
        let mut l = [0u128; 4];
        for (i, c) in costs.iter().enumerate() {
            l[of(i)] += c;
        }
        l
    };
    let ratio = |l: [u128; 4]| {
        *l.iter().max().expect("4") as f64 / (*l.iter().min().expect("4")).max(1) as f64
    };
    let balanced = load(&|i| split[i]);
    let by_index = load(&|i| i % 4);
    assert!(ratio(by_index) > 10.0, "{by_index:?}");
    // Three heavy points on four shards: the heaviest shard holds one of
    // them and nothing else, and the light points fill the fourth.
    let heaviest = costs.iter().max().expect("points");
    assert_eq!(
        balanced.iter().max(),
        Some(heaviest),
        "{balanced:?} {costs:?}"
    );
    assert_eq!(balanced.iter().filter(|&&l| l >= costs[8]).count(), 3);
    assert!(balanced.iter().all(|&l| l > 0), "{balanced:?}");
    // Greedy bound: no shard exceeds the mean by more than one point.
    let total: u128 = costs.iter().sum();
    assert!(balanced.iter().all(|&l| l <= total / 4 + heaviest));
    // One shard: everything on it.
    assert!(assign(&study, 1).iter().all(|&k| k == 0));
}

#[test]
fn balanced_shards_of_the_64_point_bench_merge_to_the_unsharded_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sweep-64.toml");
    let bench = bench.display().to_string();
    // A shorter run keeps the test at seconds; the points keep their costs' order.
    let short = "duration=1s";
    ok(
        dir,
        &["run", &bench, "--set", short, "--out", "whole", "-q"],
    );
    for k in 0..4 {
        let shard = format!("{k}/4");
        ok(
            dir,
            &[
                "run", &bench, "--set", short, "--shard", &shard, "--out", "parts", "-q",
            ],
        );
    }
    let study =
        gilsim::commands::load_study(Path::new(&bench), &[short.to_string()]).expect("bench");
    let split = assign(&study, 4);
    for k in 0..4 {
        let csv = fs::read_to_string(dir.join(format!("parts/shard-{k}-of-4/results.csv")))
            .expect("shard results");
        let mut points: Vec<usize> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next()?.parse().ok())
            .collect();
        points.dedup();
        let mine: Vec<usize> = (0..64).filter(|&p| split[p] == k).collect();
        assert_eq!(points, mine, "shard {k}");
        // Not the index mod 4 (the bench's costs follow its sweep order).
        assert!(points.iter().any(|p| p % 4 != k), "shard {k}: {points:?}");
    }
    ok(
        dir,
        &["merge", "parts", "--scenario", &bench, "--set", short],
    );
    let whole = files(&dir.join("whole"));
    let merged = files(&dir.join("parts"));
    let top: Vec<&String> = merged.keys().filter(|k| !k.contains('/')).collect();
    assert!(top.iter().any(|t| *t == "results.csv"), "{top:?}");
    for name in top {
        assert!(merged[name] == whole[name], "{name} differs");
    }
}
