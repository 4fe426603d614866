//! Sweeps and charts that must be refused: a bad sweep key, a wrong value
//! type, an empty list, a bad `--set sweep.*`, a chart naming an unknown
//! column. Each names the file, line and column (or the argument) and the key.

use std::path::Path;

use gilsim::scenario::{ScenarioError, Study, parse_study_str};

const PATH: &str = "scenarios/sweep.toml";

const BASE: &str = r#"name = "t"

[[workload]]
name = "jobs"
tasks = 4
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

fn parse(extra: &str, sets: &[&str]) -> Result<Study, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    parse_study_str(&format!("{BASE}{extra}"), Path::new(PATH), &sets)
}

#[track_caller]
fn fails(extra: &str, sets: &[&str]) -> ScenarioError {
    match parse(extra, sets) {
        Ok(s) => panic!("expected an error, got {} points", s.points.len()),
        Err(e) => e,
    }
}

/// Line of `needle`'s first occurrence in the whole file (1-based).
fn line_of(extra: &str, needle: &str) -> usize {
    let text = format!("{BASE}{extra}");
    let at = text.find(needle).expect("needle in file");
    text[..at].matches('\n').count() + 1
}

#[track_caller]
fn assert_at(e: &ScenarioError, line: usize, column: usize, key: &str, words: &str) {
    let text = e.to_string();
    assert_eq!(e.location(), Some((line, column)), "location in:\n{text}");
    assert!(
        text.contains(&format!("{PATH}:{line}:{column}")),
        "no position in:\n{text}"
    );
    assert_eq!(e.key(), Some(key), "key in:\n{text}");
    assert!(text.contains(words), "no `{words}` in:\n{text}");
}

#[test]
fn a_sweep_expands_in_order_with_the_last_key_fastest() {
    let s = parse(
        "\n[sweep]\n\"machine.cores\" = [1, 2]\n\"workload.jobs.run.workers\" = [1, 3, 5]\n",
        &[],
    )
    .expect("valid sweep");
    assert_eq!(s.sweep_keys, ["machine.cores", "workload.jobs.run.workers"]);
    assert_eq!(s.points.len(), 6);
    let got: Vec<(u32, String)> = s
        .points
        .iter()
        .map(|p| {
            (
                p.scenario.machine.cores,
                p.scenario.workloads[0].workers_label(),
            )
        })
        .collect();
    let want: Vec<(u32, String)> = [(1, "1"), (1, "3"), (1, "5"), (2, "1"), (2, "3"), (2, "5")]
        .iter()
        .map(|&(c, w)| (c, w.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(s.points[4].values, ["2", "3"]);
}

#[test]
fn dotted_keys_in_the_sweep_table_work_like_quoted_ones() {
    let s = parse("\n[sweep]\nmachine.cores = [1, 4]\n", &[]).expect("valid");
    assert_eq!(s.sweep_keys, ["machine.cores"]);
    assert_eq!(s.points[1].scenario.machine.cores, 4);
}

#[test]
fn an_unknown_sweep_key_points_at_it() {
    let extra = "\n[sweep]\n\"machine.coress\" = [1, 2]\n";
    let e = fails(extra, &[]);
    // The key part `coress`, inside the quotes.
    assert_at(
        &e,
        line_of(extra, "\"machine.coress\""),
        10,
        "machine.coress",
        "unknown key `coress`",
    );
}

#[test]
fn an_unknown_workload_in_a_sweep_key_points_at_the_name() {
    let extra = "\n[sweep]\n\"workload.job.run.workers\" = [1, 2]\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "\"workload.job"),
        11,
        "workload.job.run.workers",
        "no workload named `job`",
    );
}

#[test]
fn a_wrong_value_type_points_at_the_value() {
    let extra = "\n[sweep]\n\"machine.cores\" = [1, \"two\"]\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "\"machine.cores\""),
        23,
        "machine.cores",
        "expected an integer",
    );
}

#[test]
fn a_bad_duration_in_a_sweep_names_the_unit() {
    let extra = "\n[sweep]\n\"python.switch_interval\" = [\"5ms\", \"1mz\"]\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "\"python.switch"),
        36,
        "python.switch_interval",
        "unknown unit \"mz\"",
    );
}

#[test]
fn an_empty_sweep_list_is_refused() {
    let extra = "\n[sweep]\n\"machine.cores\" = []\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "\"machine.cores\""),
        19,
        "sweep.machine.cores",
        "is empty",
    );
}

#[test]
fn a_sweep_value_that_is_not_a_list_is_refused() {
    let extra = "\n[sweep]\n\"machine.cores\" = 4\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "\"machine.cores\""),
        19,
        "sweep.machine.cores",
        "expected a list of values",
    );
}

#[test]
fn set_replaces_or_adds_a_sweep_list_and_pins_a_swept_key() {
    let extra = "\n[sweep]\n\"machine.cores\" = [1, 2]\n";
    let s = parse(extra, &["sweep.machine.cores=[1,2,4,8]"]).expect("valid");
    assert_eq!(s.points.len(), 4);
    let s = parse(extra, &["sweep.workload.jobs.run.workers=[1,2,3]"]).expect("valid");
    assert_eq!(s.points.len(), 6);
    assert_eq!(s.sweep_keys[1], "workload.jobs.run.workers");
    let s = parse(extra, &["machine.cores=3"]).expect("valid");
    assert_eq!(s.points.len(), 1);
    assert!(s.sweep_keys.is_empty());
    assert_eq!(s.points[0].scenario.machine.cores, 3);
}

#[test]
fn a_bad_set_of_a_sweep_list_points_at_the_argument() {
    let e = fails("", &["sweep.machine.cores=[]"]);
    assert_eq!(e.location(), None);
    assert_eq!(e.set_argument(), Some("sweep.machine.cores=[]"));
    assert!(e.to_string().contains("is empty"), "{e}");
    let e = fails("", &["sweep.machine.corez=[1,2]"]);
    assert_eq!(e.set_argument(), Some("sweep.machine.corez=[1,2]"));
    assert!(e.to_string().contains("unknown key `corez`"), "{e}");
    let e = fails("", &["sweep=[1]"]);
    assert!(e.to_string().contains("needs the key to sweep"), "{e}");
}

#[test]
fn replications_are_accepted_up_to_a_bound() {
    let s = parse_study_str(
        &BASE.replace("name = \"t\"\n", "name = \"t\"\nreplications = 5\n"),
        Path::new(PATH),
        &[],
    )
    .expect("valid");
    assert_eq!(s.points[0].scenario.replications, 5);
    let e = parse_study_str(
        &BASE.replace("name = \"t\"\n", "name = \"t\"\nreplications = 0\n"),
        Path::new(PATH),
        &[],
    )
    .expect_err("zero");
    assert_eq!(e.location(), Some((2, 16)));
}

#[test]
fn a_swept_model_lets_the_sequential_point_ignore_workers() {
    let s = parse(
        "\n[sweep]\n\"workload.jobs.run.model\" = [\"sequential\", \"threads\"]\n",
        &[],
    )
    .expect("valid");
    assert_eq!(s.points[0].scenario.workloads[0].workers_label(), "1");
    assert_eq!(s.points[1].scenario.workloads[0].workers_label(), "2");
}

#[test]
fn a_chart_naming_an_unknown_column_is_refused() {
    let extra = "\n[sweep]\n\"machine.cores\" = [1, 2]\n\n[[chart]]\nx = \"machine.cores\"\ny = \"throughput\"\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "y = \"throughput\""),
        5,
        "chart[0].y",
        "unknown column `throughput`",
    );
    assert!(
        e.to_string().contains("throughput_per_s"),
        "lists the columns: {e}"
    );

    let extra = "\n[[chart]]\nx = \"machine.cpus\"\ny = \"throughput_per_s\"\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "x = \"machine.cpus\""),
        5,
        "chart[0].x",
        "unknown column `machine.cpus`",
    );

    let extra = "\n[[chart]]\nx = \"cores\"\ny = \"workload\"\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "y = \"workload\""),
        5,
        "chart[0].y",
        "not a numeric",
    );

    let extra = "\n[[chart]]\nx = \"cores\"\ny = \"throughput_per_s\"\ncolour = \"red\"\n";
    let e = fails(extra, &[]);
    assert_at(
        &e,
        line_of(extra, "colour"),
        1,
        "chart[0].colour",
        "unknown key `colour`",
    );
}

#[test]
fn a_valid_chart_table_is_kept() {
    let extra = "\n[sweep]\n\"machine.cores\" = [1, 2]\n\n[[chart]]\nname = \"util\"\nx = \"machine.cores\"\ny = \"cpu_utilization\"\nseries = \"workload\"\nlog_y = true\n";
    let s = parse(extra, &[]).expect("valid");
    assert_eq!(s.charts.len(), 1);
    let c = &s.charts[0];
    assert_eq!(
        (c.name.as_str(), c.x.as_str(), c.y.as_str()),
        ("util", "machine.cores", "cpu_utilization")
    );
    assert_eq!(c.series.as_deref(), Some("workload"));
    assert_eq!((c.log_x, c.log_y), (None, Some(true)));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Random `[sweep]` and `[[chart]]` bodies never panic, and an error
        /// always carries a location (in the file or in a --set argument).
        #[test]
        fn sweep_and_chart_tables_never_panic(
            body in "[a-z_.\"\\[\\]=, 0-9\\n-]{0,120}",
            chart in "[a-z_.\"=\\n ]{0,60}",
            set in "(sweep\\.)?[a-z_.]{0,20}=[\\[\\]0-9a-z\",]{0,12}",
        ) {
            let extra = format!("\n[sweep]\n{body}\n\n[[chart]]\n{chart}\n");
            for sets in [vec![], vec![set.as_str()]] {
                if let Err(e) = parse(&extra, &sets) {
                    prop_assert!(e.location().is_some() || e.set_argument().is_some(), "{e}");
                }
            }
        }
    }
}

#[test]
fn chart_labels_name_the_series_values_and_must_match_their_count() {
    let extra = "\n[sweep]\n\"machine.cores\" = [1, 2]\n\n[[chart]]\nx = \"cores\"\ny = \"throughput_per_s\"\nseries = \"machine.cores\"\nlabels = [\"one core\", \"two cores\"]\n";
    let s = parse(extra, &[]).expect("valid");
    assert_eq!(
        s.charts[0].labels.as_deref(),
        Some(&["one core".to_string(), "two cores".to_string()][..])
    );
    let bad = extra.replace(", \"two cores\"", "");
    let e = fails(&bad, &[]);
    assert_at(
        &e,
        line_of(&bad, "labels ="),
        10,
        "chart[0].labels",
        "1 labels for 2 values",
    );
    let no_series = extra.replace("series = \"machine.cores\"\n", "");
    let e = fails(&no_series, &[]);
    assert_at(
        &e,
        line_of(&no_series, "labels ="),
        1,
        "chart[0].labels",
        "no `series`",
    );
}
