//! Pipeline flow laws: Little's law per stage, and a pipeline runs at the
//! pace of its slowest stage, less when the stages share one GIL.

use crate::common;

use crate::common::{row, scenario, simulate};

#[test]
fn littles_law_holds_in_each_stage_queue() {
    let o = simulate(&scenario(
        r#"
name = "little"
seed = 11
duration = "120s"
warmup = "5s"
[machine]
cores = 4
[[workload]]
name = "arrive"
rate = "300/s"
steps = [ { cpu = "50us" } ]
[workload.run]
model = "threads"
workers = 2
[[workload]]
name = "serve"
after = "arrive"
steps = [ { io = { exp = "2.5ms" } } ]
[workload.run]
model = "threads"
workers = 1
"#,
    ));
    common::assert_littles_law(row(&o, "serve"), 0.02);
}

/// Three stages of blocking I/O on 8 cores: a stage's capacity is its
/// workers over its task time.
const CHAIN: &str = r#"
name = "chain"
seed = 5
[machine]
cores = 8
[[workload]]
name = "fetch"
tasks = 2000
steps = [ { io = "10ms" } ]
[workload.run]
model = "threads"
workers = 8
[[workload]]
name = "parse"
after = "fetch"
queue = 20
steps = [ { io = "10ms" } ]
[workload.run]
model = "threads"
workers = 2
[[workload]]
name = "store"
after = "parse"
queue = 20
steps = [ { io = "10ms" } ]
[workload.run]
model = "threads"
workers = 4
"#;

#[test]
fn a_pipeline_runs_at_its_slowest_stage_when_nothing_is_shared() {
    let o = simulate(&scenario(CHAIN));
    let slowest = 2.0 / 0.010;
    for stage in ["fetch", "parse", "store"] {
        let tp = row(&o, stage).throughput_per_s;
        assert!(tp <= slowest * 1.001, "{stage}: {tp}/s above {slowest}/s");
        assert!(
            tp >= slowest * 0.95,
            "{stage}: {tp}/s below 95% of {slowest}/s"
        );
    }
    // Upstream of the bottleneck the producers wait on a full queue;
    // downstream the queue stays short.
    let parse = row(&o, "parse").queue.expect("queue");
    let store = row(&o, "store").queue.expect("queue");
    assert!(parse.blocked_put_fraction > 0.5, "{parse:?}");
    assert!(
        store.blocked_put_fraction == 0.0 && store.len_mean < 1.0,
        "{store:?}"
    );
}

#[test]
fn stages_that_share_the_gil_run_slower_than_their_slowest_and_the_gil_says_why() {
    // Alone, parse (4 workers × 3 ms of Python) could run 333/s, store
    // (4 × 2 ms) 500/s; on one GIL they run one at a time: 5 ms an item.
    let text = CHAIN
        .replace("tasks = 2000", "tasks = 600")
        .replace(
            "workers = 2\n[[workload]]\nname = \"store\"",
            "workers = 4\n[[workload]]\nname = \"store\"",
        )
        .replacen(
            "steps = [ { io = \"10ms\" } ]",
            "steps = [ { io = \"1ms\" } ]",
            1,
        )
        .replacen(
            "steps = [ { io = \"10ms\" } ]",
            "steps = [ { cpu = \"3ms\" } ]",
            1,
        )
        .replacen(
            "steps = [ { io = \"10ms\" } ]",
            "steps = [ { cpu = \"2ms\" } ]",
            1,
        );
    let o = simulate(&scenario(&text));
    let parse = row(&o, "parse");
    let tp = parse.throughput_per_s;
    assert!(tp < 333.0 * 0.7, "{tp}/s");
    assert!(
        (200.0 * 0.9..=200.0 * 1.01).contains(&tp),
        "{tp}/s, 200/s on one GIL"
    );
    assert!(parse.gil_held_fraction.expect("GIL") > 0.95, "{parse:?}");
    assert!(parse.gil_wait_fraction.expect("GIL") > 0.3, "{parse:?}");
}
