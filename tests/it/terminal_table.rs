//! The terminal table of `gilsim run`: replications as mean ± half-width,
//! sweep headers that tell keys apart, step lists without TOML punctuation.

use std::process::Command;

fn run(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn replications_show_their_mean_and_half_width() {
    let out = run(
        "name = \"reps\"\nreplications = 4\n[[workload]]\nname = \"jobs\"\ntasks = 20\n\
         steps = [ { cpu = { exp = \"1ms\" } }, { io = { exp = \"2ms\" } } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n",
    );
    assert!(
        out.starts_with("mean ± 95% half-width over 4 replications"),
        "{out}"
    );
    let row = out.lines().find(|l| l.starts_with("jobs")).expect("a row");
    assert_eq!(row.matches('±').count(), 6, "{row}");
    let single = run(
        "name = \"one\"\n[[workload]]\nname = \"jobs\"\ntasks = 20\nsteps = [ { cpu = \"1ms\" } ]\n",
    );
    assert!(
        !single.contains('±') && !single.contains("replications"),
        "{single}"
    );
}

#[test]
fn sweep_headers_tell_keys_apart_and_step_lists_read_plainly() {
    let out = run(
        "name = \"two\"\n[[workload]]\nname = \"a\"\ntasks = 4\nsteps = [ { cpu = \"1ms\" } ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 1\n[[workload]]\nname = \"b\"\ntasks = 4\nsteps = [ { io = \"1ms\" } ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 1\n[sweep]\n\"workload.a.run.workers\" = [1, 2]\n\
         \"workload.b.run.workers\" = [1, 2]\n\"workload.b.steps\" = [ [ { io = \"20ms\" } ] ]\n",
    );
    let header = out.lines().next().unwrap();
    assert!(
        header.contains("a.workers") && header.contains("b.workers"),
        "{header}"
    );
    assert!(header.contains("steps"), "{header}");
    assert!(out.contains("io=20ms") && !out.contains("[ {"), "{out}");
}

#[test]
fn a_swept_workers_key_is_told_from_the_workers_column_and_long_labels_keep_their_column() {
    let out = run(
        "name = \"shapes\"\nduration = \"1s\"\n[machine]\ncores = 2\n[[workload]]\nname = \"api\"\nrate = \"20/s\"\n\
         steps = [ { cpu = \"1ms\" } ]\n[workload.run]\nmodel = \"processes\"\nworkers = 2\n\
         per_process = { model = \"threads\", workers = 2 }\n\
         [[sweep.zip]]\n\"workload.api.run.workers\" = [2, 1]\n\
         \"workload.api.run.per_process\" = [ { model = \"threads\", workers = 2 }, { model = \"sequential\" } ]\n",
    );
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.contains("run.workers"), "{header}");
    assert_eq!(header.matches(" workers").count(), 1, "{header}");
    // Inline tables read by their values.
    assert!(
        out.contains("threads 2") && out.contains("sequential"),
        "{out}"
    );
    // `1x1 sequential` is wider than the default column: every row's
    // `completed` ends where the header's does.
    let end = header.find("completed").unwrap() + "completed".len();
    for line in lines.take_while(|l| l.contains("api")) {
        let before = &line[..end];
        assert!(
            before.ends_with(|c: char| c.is_ascii_digit()),
            "misaligned: {line}\n{header}"
        );
    }
}
