//! Recording a timeline changes no result: the same run with and without a
//! trace window produces the same workloads, events, accounting and GIL log.

use crate::common::*;

use std::fs;
use std::path::Path;

use gilsim::engine::time::MS;
use gilsim::scenario::parse_str;
use gilsim::simulation::{RunOptions, run};

#[test]
fn results_are_identical_with_and_without_a_trace_window() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        for sets in [vec![], vec!["machine.cores=1".to_string()]] {
            let s = parse_str(&text, &path, &sets).unwrap_or_else(|e| panic!("{e}"));
            let plain = simulate(&s);
            assert!(plain.timeline.is_none());
            for (start, end) in [
                (s.window.warmup, u64::MAX),
                (0, 10 * MS),
                (150 * MS, 151 * MS),
            ] {
                let mut traced = simulate_traced(&s, start, end);
                assert!(traced.timeline.is_some());
                traced.timeline = None;
                assert_eq!(
                    plain, traced,
                    "{} {sets:?}: window [{start}, {end})",
                    s.name
                );
            }
            // Without the GIL log and the drain, too (the CLI's options).
            let default = run(&s, s.seed, RunOptions::default()).unwrap();
            let mut traced = run(
                &s,
                s.seed,
                RunOptions {
                    trace_window: Some((0, u64::MAX)),
                    ..RunOptions::default()
                },
            )
            .unwrap();
            traced.timeline = None;
            assert_eq!(default, traced, "{} {sets:?}", s.name);
        }
    }
}
