//! Faults: a run killed with SIGKILL while it writes its outputs leaves the
//! previous outputs byte for byte (or, once it has committed, the new ones
//! complete), never a half-written file under a result's name; the next
//! run removes what the killed one left. And a scenario `name` or an
//! `--out` cannot make gilsim write outside the folder chosen.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A small study: six points, two charts.
const OLD: &str = r#"name = "faults"
seed = 3

[[workload]]
name = "jobs"
tasks = 4
steps = [ { cpu = "1ms" }, { io = { exp = "2ms" } } ]
[workload.run]
model = "threads"
workers = 2

[sweep]
"machine.cores" = [1, 2]
"workload.jobs.run.workers" = [1, 2, 4]
"#;

/// The same study, bigger, with twelve more charts to draw: its writing
/// takes long enough to be killed in the middle of it.
fn new_study() -> String {
    let mut s = OLD
        .replace("tasks = 4", "tasks = 40")
        .replace("[1, 2]\n", "[1, 2, 3, 4]\n");
    let ys = [
        "throughput_per_s",
        "latency_p50_ms",
        "cpu_utilization",
        "latency_p99_ms",
    ];
    for i in 0..12 {
        s.push_str(&format!(
            "\n[[chart]]\nname = \"c{i}\"\nx = \"machine.cores\"\ny = \"{}\"\nseries = \"workload.jobs.run.workers\"\n",
            ys[i % ys.len()]
        ));
    }
    s
}

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

/// The regular files directly in `dir` whose names are results' (not a
/// staging folder's), by name.
fn results(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry"))
        .filter(|e| {
            !e.file_name()
                .to_string_lossy()
                .starts_with(".gilsim-staging-")
        })
        .map(|e| {
            assert!(e.path().is_file(), "unexpected {}", e.path().display());
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// The staging folders in `dir`: (name, whether it reached its commit point,
/// how many files it holds).
fn staging(dir: &Path) -> Vec<(String, bool, usize)> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry"))
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".gilsim-staging-")
        })
        .map(|e| {
            let p = e.path();
            assert!(p.is_dir(), "a staging name is a folder: {}", p.display());
            (
                e.file_name().to_string_lossy().into_owned(),
                p.join("COMMIT").exists(),
                fs::read_dir(&p).expect("staging").count(),
            )
        })
        .collect()
}

/// `manifest.json` without what changes from one run to the next.
fn stable_manifest(bytes: &[u8]) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_slice(bytes).expect("a whole manifest.json");
    let o = m.as_object_mut().expect("an object");
    o.remove("wall_time_s");
    o.remove("speed");
    o.remove("command_line");
    m
}

/// Whether the file `name` is the one in `set` (manifest.json: but for
/// the wall time, the speeds derived from it and the command line).
fn same(name: &str, bytes: &[u8], set: &BTreeMap<String, Vec<u8>>) -> bool {
    match set.get(name) {
        Some(want) if name == "manifest.json" => stable_manifest(bytes) == stable_manifest(want),
        Some(want) => bytes == want.as_slice(),
        None => false,
    }
}

/// What a kill found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The run had finished before the kill.
    Finished,
    /// The old outputs, and nothing staged.
    Untouched,
    /// The old outputs, and the new ones partly staged.
    KilledWriting,
    /// Killed among the renames, or after the last one.
    Other,
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gilsim starts")
}

#[test]
fn a_run_killed_while_it_writes_leaves_the_previous_outputs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("old.toml"), OLD).expect("write");
    fs::write(dir.join("new.toml"), new_study()).expect("write");
    // What the new study writes when it is not killed.
    ok(
        dir,
        &["run", "new.toml", "--out", "reference", "-q", "-j", "1"],
    );
    let new = results(&dir.join("reference"));
    assert!(new.len() >= 30, "{:?}", new.keys());
    ok(dir, &["run", "old.toml", "--out", "out", "-q", "-j", "1"]);
    let old = results(&dir.join("out"));
    assert!(
        old.keys().all(|k| new.contains_key(k)),
        "the new run rewrites every file"
    );

    let out = dir.join("out");
    let run = ["run", "new.toml", "--out", "out", "-q", "-j", "1"];
    // Back to the old outputs for the next kill: the old run (which also
    // finishes what a killed run left), without the new run's extra files.
    let restore = |old: &BTreeMap<String, Vec<u8>>| {
        ok(dir, &["run", "old.toml", "--out", "out", "-q", "-j", "1"]);
        for f in results(&out).keys().filter(|k| !old.contains_key(*k)) {
            fs::remove_file(out.join(f)).expect("remove");
        }
        assert!(staging(&out).is_empty());
    };
    let (mut untouched, mut killed_writing, mut finished) = (0, 0, 0);
    // One kill after `delay_ms`: checks what it left, puts the old outputs
    // back, and says whether the run had finished before it.
    let kill_after = |delay_ms: u64| -> Outcome {
        let mut child = spawn(dir, &run);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let done_before = child.try_wait().expect("try_wait").is_some();
        child.kill().ok();
        let status = child.wait().expect("wait");
        let files = results(&out);
        let stages = staging(&out);
        let all_old = files.len() == old.len() && files.iter().all(|(n, b)| same(n, b, &old));
        let all_new = files.len() == new.len() && files.iter().all(|(n, b)| same(n, b, &new));
        let committing = stages.iter().any(|(_, committed, _)| *committed);
        let outcome = if all_new && !committing {
            // It finished (or was killed after moving every file).
            assert!(
                stages.is_empty(),
                "a finished run leaves no staging: {stages:?}"
            );
            if done_before {
                Outcome::Finished
            } else {
                Outcome::Other
            }
        } else if committing {
            // Killed among the renames after its commit point: each file is
            // the old or the new one, and the next run finishes the move.
            for (name, bytes) in &files {
                assert!(
                    same(name, bytes, &old) || same(name, bytes, &new),
                    "{name} is neither the old nor the new file ({delay_ms} ms)"
                );
            }
            Outcome::Other
        } else {
            assert!(
                all_old,
                "killed after {delay_ms} ms ({status:?}): the files are not the previous ones: {:?}",
                files
                    .iter()
                    .filter(|(n, b)| !same(n, b, &old))
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>()
            );
            if stages.iter().any(|(_, _, held)| *held > 0) {
                Outcome::KilledWriting
            } else {
                Outcome::Untouched
            }
        };
        if outcome != Outcome::Untouched && outcome != Outcome::KilledWriting {
            restore(&old);
        }
        outcome
    };
    let count = |o: Outcome, untouched: &mut u32, writing: &mut u32, finished: &mut u32| match o {
        Outcome::Finished => *finished += 1,
        Outcome::KilledWriting => {
            *untouched += 1;
            *writing += 1;
        }
        Outcome::Untouched => *untouched += 1,
        Outcome::Other => {}
    };
    // Kill after longer and longer delays (4 ms, then 12% more each time),
    // until the run finishes first.
    let mut delay_ms = 0;
    let (mut last_untouched, mut first_finished) = (0, None);
    while finished < 2 && delay_ms < 5_000 {
        let o = kill_after(delay_ms);
        if o == Outcome::Untouched || o == Outcome::KilledWriting {
            last_untouched = delay_ms;
        }
        if o == Outcome::Finished && first_finished.is_none() {
            first_finished = Some(delay_ms);
        }
        count(o, &mut untouched, &mut killed_writing, &mut finished);
        delay_ms += 4 + delay_ms / 8;
    }
    // The files are written in a few milliseconds at the end of the run:
    // if no kill landed there, home in on that moment (it moves with the
    // machine's load): 1 ms later after a kill that found nothing written,
    // 2 ms earlier after one that came too late.
    let mut d = last_untouched;
    let mut tries = 0;
    while killed_writing == 0 && tries < 300 {
        let o = kill_after(d);
        d = match o {
            Outcome::Untouched => d + 1,
            _ => d.saturating_sub(2),
        };
        count(o, &mut untouched, &mut killed_writing, &mut finished);
        tries += 1;
    }
    let end = first_finished.unwrap_or(delay_ms);
    eprintln!(
        "kills: {untouched} left the old files ({killed_writing} of them while writing), the run finished {finished} times, last delay {delay_ms} ms"
    );
    assert!(finished >= 1, "the run never finished before its kill");
    assert!(
        killed_writing >= 1,
        "no kill landed while the run wrote its files ({untouched} kills before, up to {delay_ms} ms, then {tries} around {last_untouched}–{end} ms)"
    );
    // A staging folder of a killed run is left under its temporary name
    // (hidden, `.gilsim-staging-PID-N`) until the next run into the folder
    // removes it.
    let mut child = spawn(dir, &run);
    for _ in 0..1000 {
        if staging(&out).iter().any(|(_, _, held)| *held > 0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().ok();
    child.wait().expect("wait");
    ok(dir, &run);
    assert!(staging(&out).is_empty(), "{:?}", staging(&out));
    let files = results(&out);
    assert_eq!(files.len(), new.len());
    assert!(files.iter().all(|(n, b)| same(n, b, &new)));
}

#[test]
fn a_scenario_name_cannot_lead_outside_the_output_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("work");
    fs::create_dir(&dir).expect("dir");
    let tail = "\n[[workload]]\nname = \"jobs\"\ntasks = 2\nsteps = [ { cpu = \"1ms\" } ]\n";
    for name in [
        "../escape",
        "..",
        "/tmp/gilsim-absolute",
        "a/b",
        "sub\\\\dir",
        "./here",
        "C:/x",
    ] {
        fs::write(dir.join("bad.toml"), format!("name = \"{name}\"{tail}")).expect("write");
        for command in ["check", "run"] {
            let (code, stderr) = gilsim(&dir, &[command, "bad.toml"]);
            assert_eq!(code, Some(2), "{name}: {stderr}");
            assert!(stderr.contains("bad.toml:1:8"), "{name}: {stderr}");
            assert!(stderr.contains("key `name`"), "{name}: {stderr}");
            assert!(stderr.contains("invalid scenario name"), "{name}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        if name.contains('/') || name.contains('\\') || name.starts_with("..") {
            let (_, stderr) = gilsim(&dir, &["check", "bad.toml"]);
            assert!(stderr.contains("cannot hold"), "{name}: {stderr}");
        }
    }
    let mut left: Vec<String> = fs::read_dir(tmp.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["work"], "nothing written beside the folder");
    assert!(!dir.join("output").exists(), "nothing written");
    assert!(!Path::new("/tmp/gilsim-absolute").exists());
}

#[test]
fn a_chart_name_cannot_lead_outside_the_output_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    for name in ["../x", "/tmp/x", "a/b", ".."] {
        fs::write(
            dir.join("bad.toml"),
            format!("{OLD}\n[[chart]]\nname = \"{name}\"\nx = \"machine.cores\"\ny = \"throughput_per_s\"\n"),
        )
        .expect("write");
        let (code, stderr) = gilsim(dir, &["run", "bad.toml", "--out", "o"]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains("invalid chart name"), "{stderr}");
        assert!(stderr.contains("key `chart[0].name`"), "{stderr}");
        assert!(!dir.join("o").exists());
    }
}

#[test]
fn an_out_that_is_not_a_folder_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    fs::write(dir.join("study.toml"), OLD).expect("write");
    fs::write(dir.join("a-file"), "mine").expect("write");
    for args in [
        vec!["run", "study.toml", "--out", "a-file"],
        vec!["run", "study.toml", "--out", ""],
        vec!["run", "study.toml", "--out", "a-file", "--shard", "0/2"],
    ] {
        let (code, stderr) = gilsim(dir, &args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--out"), "{stderr}");
    }
    ok(
        dir,
        &["run", "study.toml", "--out", "o", "--shard", "0/2", "-q"],
    );
    ok(
        dir,
        &["run", "study.toml", "--out", "o", "--shard", "1/2", "-q"],
    );
    let (code, stderr) = gilsim(dir, &["merge", "o", "--out", "a-file"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        fs::read_to_string(dir.join("a-file")).expect("kept"),
        "mine"
    );
}
