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
