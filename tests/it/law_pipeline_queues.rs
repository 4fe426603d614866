//! Pipeline stages linked by `queue.Queue`: capacity, exactly-once
//! delivery, conservation across fan-out and fan-in, backpressure.

use crate::common::{assert_single_holder, row, scenario, simulate};

const PRODUCER_CONSUMER: &str = r#"
name = "pc"
seed = 7
[machine]
cores = 4
[[workload]]
name = "produce"
tasks = 400
steps = [ { cpu = "100us" }, { io = "1ms" } ]
[workload.run]
model = "threads"
workers = 4
[[workload]]
name = "consume"
after = "produce"
queue = 5
steps = [ { cpu = "200us" }, { io = "4ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

#[test]
fn a_bounded_queue_never_holds_more_than_its_capacity() {
    for capacity in [1, 5, 50] {
        let s = scenario(&PRODUCER_CONSUMER.replace("queue = 5", &format!("queue = {capacity}")));
        let o = simulate(&s);
        let c = o.stages[1].expect("consume is a stage");
        assert!(
            c.most_held <= capacity,
            "capacity {capacity}: {} items held at once",
            c.most_held
        );
        let q = row(&o, "consume").queue.expect("queue figures");
        assert!(q.len_max <= capacity, "capacity {capacity}: {q:?}");
        // The consumer is the bottleneck: the queue fills up.
        assert_eq!(q.len_max, capacity, "capacity {capacity}: {q:?}");
        assert_single_holder(&o);
    }
}

#[test]
fn every_item_is_consumed_exactly_once() {
    let o = simulate(&scenario(PRODUCER_CONSUMER));
    let c = o.stages[1].expect("consume is a stage");
    assert_eq!(c.put, 400);
    assert_eq!(c.taken, 400);
    assert_eq!(row(&o, "produce").tasks_completed, 400);
    assert_eq!(row(&o, "consume").tasks_completed, 400);
    assert_eq!(o.stages[0], None, "produce is not a stage");
}

#[test]
fn a_full_queue_blocks_the_producer_and_an_unbounded_one_does_not() {
    let bounded = simulate(&scenario(PRODUCER_CONSUMER));
    let unbounded = simulate(&scenario(&PRODUCER_CONSUMER.replace("queue = 5\n", "")));
    let b = row(&bounded, "consume").queue.expect("queue figures");
    let u = row(&unbounded, "consume").queue.expect("queue figures");
    assert!(b.blocked_put_fraction > 0.5, "{b:?}");
    assert_eq!(u.blocked_put_fraction, 0.0, "{u:?}");
    assert!(u.len_max > 300, "the producers run ahead: {u:?}");
    // Backpressure: a bounded producer's task waits for the consumers.
    let (tp_b, tp_u) = (
        row(&bounded, "produce").latency_ms.expect("latency")[4],
        row(&unbounded, "produce").latency_ms.expect("latency")[4],
    );
    assert!(tp_b > 5.0 * tp_u, "bounded {tp_b} ms, unbounded {tp_u} ms");
    // Either way the consumers set the pace: 2 workers of 4.2 ms.
    for o in [&bounded, &unbounded] {
        let tp = row(o, "consume").throughput_per_s;
        assert!(tp <= 2.0 / 0.0042 * 1.01, "{tp}");
        assert!(tp >= 2.0 / 0.0042 * 0.9, "{tp}");
    }
}

const FAN: &str = r#"
name = "fan"
seed = 3
[machine]
cores = 8
[[workload]]
name = "source"
tasks = 300
steps = [ { cpu = "50us" } ]
[workload.run]
model = "threads"
workers = 2
[[workload]]
name = "left"
after = "source"
queue = 3
steps = [ { io = "2ms" } ]
[workload.run]
model = "threads"
workers = 4
[[workload]]
name = "right"
after = "source"
steps = [ { io = { exp = "1ms" } } ]
[workload.run]
model = "threads"
workers = 2
[[workload]]
name = "join"
after = ["left", "right"]
queue = 2
steps = [ { cpu = "20us" } ]
"#;

#[test]
fn fan_out_copies_and_fan_in_joins_conserve_items() {
    let o = simulate(&scenario(FAN));
    for stage in ["left", "right", "join"] {
        assert_eq!(row(&o, stage).tasks_completed, 300, "{stage}");
    }
    let left = o.stages[1].expect("stage");
    let right = o.stages[2].expect("stage");
    let join = o.stages[3].expect("stage");
    assert_eq!((left.put, left.taken), (300, 300));
    assert_eq!((right.put, right.taken), (300, 300));
    // One item from each upstream per joined task.
    assert_eq!((join.put, join.taken), (600, 300));
    assert!(
        left.most_held <= 3 && join.most_held <= 2,
        "{left:?} {join:?}"
    );
    assert_single_holder(&o);
}

#[test]
fn a_cycle_never_reaches_the_runtime() {
    let text = FAN.replace("tasks = 300", "after = \"join\"");
    let e = gilsim::scenario::parse_str(&text, std::path::Path::new("fan.toml"), &[])
        .expect_err("a cycle");
    let msg = e.to_string();
    assert!(
        msg.contains("cycle: source -> left -> join -> source"),
        "{msg}"
    );
}
