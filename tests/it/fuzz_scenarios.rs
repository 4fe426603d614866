//! The CI slot of the scenario fuzzing (docs/FUZZING.md): mutated copies
//! of every bundled and test scenario are read, checked and run under an
//! event budget, and none may panic, abort or hang. The cases are a fixed
//! sequence of seeds (`GILSIM_FUZZ_CASES` sets how many; default 100000,
//! about 15 s in release), so a failure is reproduced by its seed, and its text is
//! written to `target/fuzz-failure.toml`.

#[path = "fuzz_scenarios/harness.rs"]
mod harness;
#[path = "fuzz_scenarios/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use harness::{Outcome, exercise};
use mutate::{Rng, mutate};

/// The seed scenarios: `scenarios/`, `scenarios/compare/`,
/// `tests/fuzz-seeds/` and the crashes the fuzzers found (`tests/fuzz-regressions/`).
fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [
        "scenarios",
        "scenarios/compare",
        "tests/fuzz-seeds",
        "tests/fuzz-regressions",
    ]
    .iter()
    .flat_map(|d| std::fs::read_dir(root.join(d)).expect("a seed folder"))
    .map(|e| e.expect("a seed file").path())
    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
    .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("a seed scenario"))
        .collect()
}

/// The text of case `seed`.
fn case(seeds: &[String], seed: u64) -> String {
    let mut rng = Rng(seed);
    let text = &seeds[rng.below(seeds.len())];
    let donor = &seeds[rng.below(seeds.len())];
    mutate(text, donor, &mut rng)
}

fn keep_failure(text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failure.toml");
    let _ = std::fs::create_dir_all(path.parent().expect("target/"));
    let _ = std::fs::write(&path, text);
    path
}

#[test]
fn mutated_scenarios_never_panic_abort_or_hang() {
    let cases: u64 = std::env::var("GILSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seeds = seeds();
    assert!(seeds.len() > 40, "the seed scenarios were found");
    // The cases run on a worker thread that names each before running it,
    // so a hang is caught by the timeout and a panic by the join.
    let (tx, rx) = mpsc::channel::<(u64, String)>();
    let worker = std::thread::spawn(move || {
        let mut counts = [0u64; 4];
        for seed in 0..cases {
            let text = case(&seeds, seed);
            if tx.send((seed, text.clone())).is_err() {
                break;
            }
            let i = match exercise(&text) {
                Outcome::Refused => 0,
                Outcome::Ran => 1,
                Outcome::Stopped => 2,
                Outcome::Deadlock => 3,
            };
            counts[i] += 1;
        }
        counts
    });
    let mut last: Option<(u64, String)> = None;
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(c) => last = Some(c),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let (seed, text) = last.unwrap_or_default();
                let path = keep_failure(&text);
                panic!(
                    "case {seed} ran for more than 60 s (a hang); its text is in {}",
                    path.display()
                );
            }
        }
    }
    let counts = match worker.join() {
        Ok(counts) => counts,
        Err(_) => {
            let (seed, text) = last.unwrap_or_default();
            let path = keep_failure(&text);
            panic!(
                "case {seed} panicked (message above); its text is in {}",
                path.display()
            );
        }
    };
    let [refused, ran, stopped, deadlock] = counts;
    eprintln!(
        "{cases} mutated scenarios: {refused} refused, {ran} ran, {stopped} stopped by a limit, {deadlock} deadlocked"
    );
    // The mutations must reach both the validator's errors and the simulator.
    assert!(refused >= cases / 10, "too few refused: {counts:?}");
    assert!(
        ran + stopped + deadlock >= cases / 20,
        "too few ran: {counts:?}"
    );
}

/// The first run of `file` in `tests/fuzz-regressions/`, within `max_events`.
fn regression_within(
    file: &str,
    max_events: Option<u64>,
) -> Result<gilsim::simulation::RunOutput, gilsim::simulation::RunError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("a regression scenario");
    exercise(&text);
    let study = gilsim::scenario::parse_study_str(&text, &path, &[]).expect("it validates");
    let s = &study.points[0].scenario;
    let options = gilsim::simulation::RunOptions {
        budget: gilsim::engine::Budget {
            max_events,
            deadline: None,
        },
        ..gilsim::simulation::RunOptions::default()
    };
    gilsim::simulation::run(s, s.seed, options)
}

/// The first run of `file` in `tests/fuzz-regressions/`, without a budget.
fn regression(file: &str) -> Result<gilsim::simulation::RunOutput, gilsim::simulation::RunError> {
    regression_within(file, None)
}

#[test]
fn a_step_to_the_end_of_the_clock_stops_the_run_there() {
    let e = regression("sleep-to-the-end-of-time.toml").expect_err("584 years of I/O");
    assert!(
        e.report("run").contains("end of gilsim's clock"),
        "{}",
        e.report("run")
    );
}

#[test]
fn a_context_switch_near_the_end_of_the_clock_saturates_the_switch_time() {
    let o = regression("context-switch-of-584-years.toml").expect("the 30 s window ends it");
    assert_eq!(o.accounting.switch_cpu, u64::MAX, "saturated, not wrapped");
    assert!(o.workloads.iter().all(|w| w.sim_time_s <= 30.0));
}

#[test]
fn a_batch_of_2_pow_64_minus_1_tasks_feeding_stages_never_ends() {
    // The count of tasks left saturates: the run goes on until its budget.
    let e = regression_within("endless-batch-into-stages.toml", Some(20_000))
        .expect_err("an endless batch");
    assert!(
        matches!(
            e,
            gilsim::simulation::RunError::EventLimit { events: 20_000, .. }
        ),
        "{}",
        e.report("run")
    );
}

#[test]
fn a_time_slice_past_the_end_of_the_clock_never_ends() {
    let o = regression("time-slice-of-584-years.toml").expect("the 30 s window ends it");
    assert_eq!(o.end, 30_000_000_000);
    // A slice that ends past the clock runs like one that ends past the
    // window: no boundary comes in either.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions/time-slice-of-584-years.toml");
    let text = std::fs::read_to_string(&path)
        .expect("the regression scenario")
        .replace("\"18446744073s\"", "\"100000s\"");
    let study = gilsim::scenario::parse_study_str(&text, &path, &[]).expect("it validates");
    let s = &study.points[0].scenario;
    let long = gilsim::simulation::run(s, s.seed, gilsim::simulation::RunOptions::default())
        .expect("the 30 s window ends it");
    assert_eq!((long.events, &long.workloads), (o.events, &o.workloads));
}
