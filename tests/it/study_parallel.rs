//! A study's outputs do not depend on how it was run: `--jobs 1`, `--jobs 4`
//! and three shards merged give byte-identical `results.csv` and
//! `summary.csv` (docs/MODEL.md#time-events-and-determinism).

use std::fs;
use std::path::Path;
use std::process::Command;

const SWEEP: &[&str] = &[
    "--set",
    "sweep.machine.cores=[1,2]",
    "--set",
    "sweep.python.switch_interval=[\"5ms\",\"1ms\",\"100us\"]",
    "--set",
    "replications=2",
    "--set",
    "duration=300ms",
];

fn gilsim(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run(out: &Path, extra: &[&str]) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/convoy.toml");
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(SWEEP);
    args.extend_from_slice(extra);
    gilsim(&args);
}

#[test]
fn jobs_and_shards_do_not_change_a_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, four, shards) = (
        tmp.path().join("one"),
        tmp.path().join("four"),
        tmp.path().join("shards"),
    );
    run(&one, &["--jobs", "1"]);
    run(&four, &["--jobs", "4"]);
    // One --out for every shard: each writes its own shard-K-of-3/.
    for k in 0..3 {
        run(&shards, &["--shard", &format!("{k}/3"), "--jobs", "2"]);
    }
    // Merge in a scrambled order.
    let s = |k: u32| shards.join(format!("shard-{k}-of-3")).display().to_string();
    gilsim(&["merge", &s(2), &s(0), &s(1)]);

    let read = |dir: &Path, f: &str| fs::read(dir.join(f)).unwrap();
    let reference = read(&one, "results.csv");
    // 6 points x 2 replications x 2 workloads, plus the header.
    assert_eq!(String::from_utf8_lossy(&reference).lines().count(), 25);
    assert_eq!(reference, read(&four, "results.csv"));
    assert_eq!(reference, read(&shards, "results.csv"));
    let summary = read(&one, "summary.csv");
    assert_eq!(String::from_utf8_lossy(&summary).lines().count(), 13);
    assert_eq!(summary, read(&four, "summary.csv"));
    assert_eq!(summary, read(&shards, "summary.csv"));
    // A shard alone holds only its points.
    let shard1 = String::from_utf8(read(&shards.join("shard-1-of-3"), "results.csv")).unwrap();
    assert!(
        shard1
            .lines()
            .skip(1)
            .all(|l| l.starts_with("1,") || l.starts_with("4,")),
        "{shard1}"
    );
}

#[test]
fn merging_overlapping_shards_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a").join("shard-0-of-2");
    run(&a, &["--shard", "0/2"]);
    let o = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(["merge", a.to_str().unwrap(), a.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("m"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in both"));
    assert!(!tmp.path().join("m").exists(), "nothing written");
}
