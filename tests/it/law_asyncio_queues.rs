//! Pipeline stages linked by `asyncio.Queue` between asyncio workloads (one
//! event loop): capacity, exactly-once delivery, backpressure, joins,
//! Little's law per stage, and a batch run that ends with its consumers
//! still waiting in `get`.

use crate::common;

use crate::common::{assert_single_holder, row, scenario, simulate};

const PRODUCER_CONSUMER: &str = r#"
name = "aio-pc"
seed = 7
[machine]
cores = 4
[[workload]]
name = "produce"
tasks = 400
steps = [ { cpu = "100us" }, { io = "1ms" } ]
[workload.run]
model = "asyncio"
workers = 4
[[workload]]
name = "consume"
after = "produce"
queue = 5
steps = [ { cpu = "200us" }, { io = "4ms" } ]
[workload.run]
model = "asyncio"
workers = 2
"#;

#[test]
fn a_bounded_asyncio_queue_never_holds_more_than_its_capacity() {
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
        // The consumers are the bottleneck: the queue fills up.
        assert_eq!(q.len_max, capacity, "capacity {capacity}: {q:?}");
        assert_single_holder(&o);
    }
}

#[test]
fn every_item_is_consumed_exactly_once() {
    for queue in ["queue = 5\n", "queue = 1\n", ""] {
        let o = simulate(&scenario(&PRODUCER_CONSUMER.replace("queue = 5\n", queue)));
        let c = o.stages[1].expect("consume is a stage");
        assert_eq!((c.put, c.taken), (400, 400), "{queue}");
        assert_eq!(row(&o, "produce").tasks_completed, 400, "{queue}");
        assert_eq!(row(&o, "consume").tasks_completed, 400, "{queue}");
        assert_eq!(row(&o, "consume").tasks_in_flight, 0, "{queue}");
        assert_eq!(o.stages[0], None, "produce is not a stage");
    }
}

#[test]
fn a_full_asyncio_queue_suspends_the_producer_and_an_unbounded_one_does_not() {
    let bounded = simulate(&scenario(PRODUCER_CONSUMER));
    let unbounded = simulate(&scenario(&PRODUCER_CONSUMER.replace("queue = 5\n", "")));
    let b = row(&bounded, "consume").queue.expect("queue figures");
    let u = row(&unbounded, "consume").queue.expect("queue figures");
    assert!(b.blocked_put_fraction > 0.5, "{b:?}");
    assert_eq!(u.blocked_put_fraction, 0.0, "{u:?}");
    assert!(u.len_max > 300, "the producers run ahead: {u:?}");
    // The producer's own column names the stage it waits on.
    let (stage, frac) = row(&bounded, "produce")
        .blocked_on_stage
        .clone()
        .expect("produce waits on consume");
    assert_eq!(stage, "consume");
    assert!((frac - b.blocked_put_fraction).abs() < 1e-9, "{frac} {b:?}");
    let (tp_b, tp_u) = (
        row(&bounded, "produce").latency_ms.expect("latency")[4],
        row(&unbounded, "produce").latency_ms.expect("latency")[4],
    );
    assert!(tp_b > 5.0 * tp_u, "bounded {tp_b} ms, unbounded {tp_u} ms");
    // Either way the two consumers set the pace: 4.2 ms per item each.
    for o in [&bounded, &unbounded] {
        let tp = row(o, "consume").throughput_per_s;
        assert!(tp <= 2.0 / 0.0042 * 1.01, "{tp}");
        assert!(tp >= 2.0 / 0.0042 * 0.9, "{tp}");
    }
}

/// An open-loop producer far faster than one slow consumer behind `queue = 2`.
const BACKPRESSURE: &str = r#"
name = "aio-backpressure"
seed = 5
duration = "20s"
warmup = "2s"
[machine]
cores = 2
[[workload]]
name = "fast"
repeat = "forever"
steps = [ { io = "1ms" } ]
[workload.run]
model = "asyncio"
workers = 4
[[workload]]
name = "slow"
after = "fast"
queue = 2
steps = [ { io = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 1
"#;

#[test]
fn a_slow_consumer_behind_a_small_queue_sets_the_producers_pace() {
    let o = simulate(&scenario(BACKPRESSURE));
    let fast = row(&o, "fast").throughput_per_s;
    let slow = row(&o, "slow").throughput_per_s;
    // Alone, 4 producers of 1 ms would run at about 4000/s.
    assert!((95.0..=100.0 * 1.001).contains(&slow), "slow {slow}/s");
    assert!(
        (fast - slow).abs() <= 0.01 * slow,
        "fast {fast}/s follows slow {slow}/s"
    );
    let q = row(&o, "slow").queue.expect("queue figures");
    assert!(q.blocked_put_fraction > 0.8, "{q:?}");
    assert!(q.len_mean > 1.5 && q.len_max == 2, "{q:?}");
    let c = o.stages[1].expect("stage");
    assert!(c.most_held <= 2, "{c:?}");
    // Without the bound the producers run at their own pace.
    let free = simulate(&scenario(&BACKPRESSURE.replace("queue = 2\n", "")));
    assert!(row(&free, "fast").throughput_per_s > 20.0 * slow);
}

#[test]
fn littles_law_holds_in_an_asyncio_stage_queue() {
    let o = simulate(&scenario(
        r#"
name = "aio-little"
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
model = "asyncio"
[[workload]]
name = "serve"
after = "arrive"
steps = [ { io = { exp = "2.5ms" } } ]
[workload.run]
model = "asyncio"
workers = 1
"#,
    ));
    common::assert_littles_law(row(&o, "serve"), 0.02);
}

const FAN: &str = r#"
name = "aio-fan"
seed = 3
[machine]
cores = 2
[[workload]]
name = "source"
tasks = 300
steps = [ { cpu = "50us" } ]
[workload.run]
model = "asyncio"
workers = 2
[[workload]]
name = "left"
after = "source"
queue = 3
steps = [ { io = "2ms" } ]
[workload.run]
model = "asyncio"
workers = 4
[[workload]]
name = "right"
after = "source"
steps = [ { io = { exp = "1ms" } } ]
[workload.run]
model = "asyncio"
workers = 2
[[workload]]
name = "join"
after = ["left", "right"]
queue = 2
steps = [ { cpu = "20us" } ]
[workload.run]
model = "asyncio"
"#;

#[test]
fn asyncio_fan_out_copies_and_fan_in_joins_conserve_items() {
    let o = simulate(&scenario(FAN));
    for stage in ["source", "left", "right", "join"] {
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
    // Without `workers`, an asyncio stage has one consumer coroutine.
    assert_eq!(row(&o, "join").workers, "1");
    assert_eq!(row(&o, "left").workers, "4");
    assert_single_holder(&o);
}

#[test]
fn a_batch_run_ends_with_its_consumers_waiting_in_get() {
    // Without `drain`, the run stops at the last completion; with it, it
    // runs out of events: either way no deadlock is reported.
    let s = scenario(PRODUCER_CONSUMER);
    let o = gilsim::simulation::run(&s, s.seed, gilsim::simulation::RunOptions::default())
        .expect("no deadlock");
    assert_eq!(row(&o, "consume").tasks_completed, 400);
    let drained = simulate(&s);
    assert_eq!(row(&drained, "consume").tasks_completed, 400);
    assert_eq!(
        row(&o, "consume").sim_time_s,
        row(&drained, "consume").sim_time_s
    );
}

#[test]
fn asyncio_stages_are_deterministic() {
    let s = scenario(FAN);
    let a = simulate(&s);
    let b = simulate(&s);
    assert_eq!(format!("{:?}", a.workloads), format!("{:?}", b.workloads));
}

/// Three stages of awaited I/O: a stage's capacity is its consumers over
/// its task time, and the loop is nearly idle.
const CHAIN: &str = r#"
name = "aio-chain"
seed = 5
[machine]
cores = 2
[[workload]]
name = "fetch"
tasks = 2000
steps = [ { io = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 8
[[workload]]
name = "parse"
after = "fetch"
queue = 20
steps = [ { io = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 2
[[workload]]
name = "store"
after = "parse"
queue = 20
steps = [ { io = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 4
"#;

#[test]
fn an_asyncio_pipeline_runs_at_its_slowest_stage() {
    let o = simulate(&scenario(CHAIN));
    let slowest = 2.0 / 0.010;
    for stage in ["fetch", "parse", "store"] {
        let r = row(&o, stage);
        assert_eq!(r.tasks_completed, 2000, "{stage}");
        let tp = r.throughput_per_s;
        assert!(tp <= slowest * 1.001, "{stage}: {tp}/s above {slowest}/s");
        assert!(
            tp >= slowest * 0.95,
            "{stage}: {tp}/s below 95% of {slowest}/s"
        );
    }
    // Upstream of the bottleneck the producers wait on a full queue;
    // downstream the queue stays short and nobody waits to put.
    let parse = row(&o, "parse").queue.expect("queue");
    let store = row(&o, "store").queue.expect("queue");
    assert!(parse.blocked_put_fraction > 0.5, "{parse:?}");
    assert!(parse.len_max == 20, "{parse:?}");
    assert!(
        store.blocked_put_fraction == 0.0 && store.len_mean < 1.0,
        "{store:?}"
    );
    assert_eq!(row(&o, "parse").blocked_on_stage, None, "parse never waits");
}

#[test]
fn a_stuck_consumer_is_a_deadlock_that_names_the_full_asyncio_queue() {
    let s = scenario(
        r#"
name = "aio-stuck"
[[workload]]
name = "produce"
tasks = 6
steps = [ { cpu = "10us" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "stuck"
after = "produce"
queue = 1
steps = [ { lock = "x", steps = [ { lock = "x", steps = [ { cpu = "1ms" } ] } ] } ]
[workload.run]
model = "asyncio"
workers = 1
"#,
    );
    let d = gilsim::simulation::run(&s, s.seed, gilsim::simulation::RunOptions::default())
        .expect_err("the consumer waits for its own lock");
    let d = d.deadlock().expect("stopped by a deadlock");
    // One item taken (stuck in the lock), one in the queue, four producers suspended.
    assert_eq!(
        d.blocked,
        vec![
            "1 coroutine(s) wait for asyncio.Lock `x`".to_string(),
            "4 coroutine(s) wait for room in the queue of stage `stuck` (a full asyncio.Queue)"
                .to_string(),
        ]
    );
}

#[test]
fn an_asyncio_pipeline_timeline_keeps_its_invariants_and_changes_nothing() {
    let s = scenario(FAN);
    let traced = common::simulate_traced(&s, 0, 50_000_000);
    common::assert_timeline_invariants(&s, &traced);
    let plain = simulate(&s);
    assert_eq!(
        format!("{:?}", traced.workloads),
        format!("{:?}", plain.workloads)
    );
}

#[test]
fn asyncio_stages_keep_the_loop_laws_and_conserve_work() {
    use gilsim::python::runtime::LoopRecord;
    let s = scenario(FAN);
    let o = common::simulate_loop(&s);
    let log = o.loop_log.as_ref().expect("loop recorded");
    let mut passes = 0;
    for (i, r) in log.iter().enumerate() {
        if let LoopRecord::Pass {
            ntodo, ready_below, ..
        } = *r
        {
            passes += 1;
            let seqs: Vec<u64> = log[i + 1..]
                .iter()
                .take_while(|r| !matches!(r, LoopRecord::Pass { .. }))
                .filter_map(|r| match r {
                    LoopRecord::Callback { seq, .. } => Some(*seq),
                    _ => None,
                })
                .collect();
            let want: Vec<u64> = (ready_below - ntodo as u64..ready_below).collect();
            assert_eq!(seqs, want, "FIFO, and only what was ready at the start");
        }
    }
    assert!(passes > 100, "{passes} passes");
    let a = o.accounting;
    assert_eq!(a.busy, a.step_cpu + a.overhead_cpu + a.switch_cpu, "{a:?}");
    // Every source and join step ran once per item (constant durations).
    assert_eq!(a.step_cpu, 300 * (50_000 + 20_000), "{a:?}");
}
