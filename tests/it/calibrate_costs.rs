//! Process and asyncio costs derived from probe output, and the validation
//! chart, on made-up numbers (no real timing).

use gilsim::calibrate::chart;
use gilsim::calibrate::costs::{FLOOR_NS, derive_aio, derive_procs};
use gilsim::calibrate::stats::summarize;
use gilsim::calibrate::validate::Row;

fn map(text: &str) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => panic!("test JSON is an object"),
    }
}

fn get(d: &[(String, &'static str, f64)], k: &str) -> f64 {
    d.iter()
        .find(|(n, _, _)| n == k)
        .map(|x| x.2)
        .unwrap_or_else(|| panic!("{k} missing from {d:?}"))
}

const PROCS: &str = r#"{"tasks": 1000, "big_chunk": 16, "pickle_ns_per_byte": 2.5,
  "unpickle_ns_per_byte": 4.0, "pipe_pair_ns": 1200, "conn_message_ns": 6000,
  "rt_16_ns": 20000, "rt_65536_ns": 33100, "rt_1048576_ns": 1066776,
  "start_fork_parent_ns": 1000000, "start_fork_total_ns": 3500000,
  "forkserver_first_ns": 70000000, "start_forkserver_parent_ns": 1500000,
  "start_forkserver_total_ns": 13000000, "submit_ns": 30000,
  "map_1_s": 0.05, "map_16_s": 0.012}"#;

#[test]
fn process_costs_follow_their_documented_formulas() {
    let d = derive_procs(&map(PROCS), &[16, 65_536, 1 << 20]).expect("derives");
    assert_eq!(get(&d, "proc.pipe_syscall_ns"), 600.0);
    // Without a stream measurement, the isolated one.
    assert_eq!(get(&d, "proc.pickle_ns_per_byte"), 2.5);
    let streamed = PROCS.replace(
        "\"tasks\": 1000,",
        "\"tasks\": 1000, \"stream_pickle_ns_per_byte\": 5.0, \"stream_unpickle_ns_per_byte\": 2.0,",
    );
    let ds = derive_procs(&map(&streamed), &[16, 65_536]).expect("derives");
    assert_eq!(get(&ds, "proc.pickle_ns_per_byte"), 5.0);
    assert_eq!(get(&ds, "proc.unpickle_ns_per_byte"), 2.0);
    assert_eq!(get(&ds, "proc.unpickle_isolated_ns_per_byte"), 4.0);
    // (6000 - 1.5 * 1200) / 2
    assert_eq!(get(&d, "proc.pickle_message_direct_ns"), 2100.0);
    let small = get(&d, "proc.pipe_ns_per_byte_small");
    assert!((small - 13_100.0 / 65_520.0 / 2.0).abs() < 1e-12, "{small}");
    let large = get(&d, "proc.pipe_ns_per_byte_large");
    assert!(
        (large - 1_033_676.0 / 983_040.0 / 2.0).abs() < 1e-12,
        "{large}"
    );
    assert_eq!(get(&d, "proc.start_fork_child_ns"), 2_500_000.0);
    assert_eq!(get(&d, "proc.start_forkserver_child_ns"), 11_500_000.0);
    assert_eq!(get(&d, "proc.forkserver_server_ns"), 57_000_000.0);
    assert_eq!(get(&d, "proc.map_chunk1_per_task_ns"), 50_000.0);
    assert_eq!(get(&d, "proc.map_chunk16_s"), 0.012);
    // Three sizes from 64 KiB up: the least-squares slope (collinear here: 1 ns/B).
    let text = PROCS.replace(
        "\"rt_1048576_ns\": 1066776",
        "\"rt_1048576_ns\": 1016140, \"rt_4194304_ns\": 4161868",
    );
    let d3 = derive_procs(&map(&text), &[16, 65_536, 1 << 20, 4 << 20]).expect("derives");
    let large = get(&d3, "proc.pipe_ns_per_byte_large");
    assert!((large - 0.5).abs() < 1e-9, "{large}");
    // spawn was not measured: no entry, no error.
    assert!(!d.iter().any(|(k, _, _)| k.contains("spawn")));
    // Fork and copy-on-write slopes: absent from older probes (no entry),
    // else taken as measured, a negative (noisy) difference floored at 0.
    assert!(!d.iter().any(|(k, _, _)| k.contains("per_mib")));
    let slopes = PROCS.replace(
        "\"tasks\": 1000,",
        "\"tasks\": 1000, \"fork_ns_per_mib\": 33000.0, \"cow_ns_per_mib\": -5.0,",
    );
    let dm = derive_procs(&map(&slopes), &[16, 65_536]).expect("derives");
    assert_eq!(get(&dm, "proc.fork_ns_per_mib"), 33_000.0);
    assert_eq!(get(&dm, "proc.cow_ns_per_mib"), 0.0);
}

#[test]
fn a_missing_process_field_is_an_error_naming_it() {
    let text = PROCS.replace("\"submit_ns\": 30000,", "");
    let e = derive_procs(&map(&text), &[16, 65_536])
        .unwrap_err()
        .to_string();
    assert!(e.contains("procs.py") && e.contains("submit_ns"), "{e}");
}

#[test]
fn asyncio_costs_are_differences_floored_at_100_ns() {
    let d = derive_aio(&map(
        r#"{"call_soon_ns": 1000, "callback_ns": 500, "pass_ns": 3000,
            "sleep0_ns": 3800, "create_ns": 4000}"#,
    ))
    .expect("derives");
    assert_eq!(get(&d, "aio.loop_callback_ns"), 1500.0);
    assert_eq!(get(&d, "aio.loop_poll_ns"), 1500.0);
    assert_eq!(get(&d, "aio.task_step_ns"), 800.0);
    assert_eq!(get(&d, "aio.coroutine_create_ns"), 3000.0);
    let noisy = derive_aio(&map(
        r#"{"call_soon_ns": 1000, "callback_ns": 500, "pass_ns": 1200,
            "sleep0_ns": 1100, "create_ns": 900}"#,
    ))
    .expect("derives");
    for k in [
        "aio.loop_poll_ns",
        "aio.task_step_ns",
        "aio.coroutine_create_ns",
    ] {
        assert_eq!(get(&noisy, k), FLOOR_NS, "{k}");
    }
}

fn row(name: &str, metric: &str, real: &[f64], sim: f64, range: Option<(f64, f64)>) -> Row {
    Row {
        workload: name.into(),
        metric: metric.into(),
        real: Some(summarize(real, "s", false)),
        simulated: Some(sim),
        simulated_range: range,
        background_cores: Some(0.0),
        status: "ok".into(),
    }
}

#[test]
fn the_validation_chart_has_one_labelled_point_per_workload_and_a_panel_per_metric() {
    let rows = vec![
        row("cpu-pool-1", "makespan_s", &[0.1, 0.12, 0.11], 0.1, None),
        row("process-map", "makespan_s", &[0.05, 0.06], 0.04, None),
        row(
            "convoy-2core",
            "io_calls_per_s",
            &[9000.0, 12000.0],
            11000.0,
            Some((9500.0, 12500.0)),
        ),
        Row {
            workload: "refused".into(),
            metric: "makespan_s".into(),
            real: None,
            simulated: Some(1.0),
            simulated_range: None,
            background_cores: None,
            status: "not validated".into(),
        },
    ];
    let svg = chart::render_svg(&rows, "validation").expect("draws");
    for name in ["cpu-pool-1", "process-map", "convoy-2core"] {
        assert_eq!(svg.matches(name).count(), 1, "{name} labelled once");
    }
    assert!(!svg.contains("refused"), "an unvalidated row has no point");
    assert!(svg.contains("real median (makespan_s)"));
    assert!(svg.contains("real median (io_calls_per_s)"));
    let png = chart::render_png(&rows, "validation").expect("draws");
    assert_eq!(&png[1..4], b"PNG");
    // Nothing validated: still a chart, saying so.
    let empty = chart::render_svg(&rows[3..], "validation").expect("draws");
    assert!(empty.contains("no workload validated"));
}
