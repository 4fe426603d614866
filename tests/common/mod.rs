//! Helpers shared by the integration tests: scenarios from TOML text, one-run shortcuts.
#![allow(dead_code)]

use std::path::Path;

use gilsim::scenario::{Scenario, parse_str};
use gilsim::simulation::{RunOptions, RunOutput, run};

/// Parses a scenario from TOML text, panicking with the rendered diagnostic on error.
pub fn scenario(toml: &str) -> Scenario {
    match parse_str(toml, Path::new("test.toml"), &[]) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse:\n{e}"),
    }
}

/// Parses with `--set` overrides.
pub fn scenario_with(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match parse_str(toml, Path::new("test.toml"), &sets) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse:\n{e}"),
    }
}

/// Runs once with the scenario's seed, recording GIL hand-offs.
pub fn simulate(s: &Scenario) -> RunOutput {
    match run(
        s,
        s.seed,
        RunOptions {
            record_gil: true,
            drain: true,
        },
    ) {
        Ok(o) => o,
        Err(d) => panic!("unexpected deadlock: {d:?}"),
    }
}

/// Throughput of the named workload.
pub fn throughput(o: &RunOutput, workload: &str) -> f64 {
    o.workloads
        .iter()
        .find(|w| w.workload == workload)
        .map(|w| w.throughput_per_s)
        .unwrap_or_else(|| panic!("no workload {workload}"))
}

/// Checks that the GIL log alternates acquire and release and that each
/// release is by the thread that acquired: never two holders at once.
pub fn assert_single_holder(o: &RunOutput) {
    let log = o.gil_log.as_ref().expect("GIL log recorded");
    let mut holder: Option<usize> = None;
    let mut last_t = 0;
    for &(t, tid, acquired) in log {
        assert!(t >= last_t, "GIL log goes back in time");
        last_t = t;
        if acquired {
            assert_eq!(
                holder, None,
                "thread {tid} took the GIL at {t} while {holder:?} held it"
            );
            holder = Some(tid);
        } else {
            assert_eq!(
                holder,
                Some(tid),
                "thread {tid} released a GIL it did not hold at {t}"
            );
            holder = None;
        }
    }
}
