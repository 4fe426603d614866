//! Law: 10,000 concurrent `asyncio.sleep("10ms")` coroutines take about
//! 10 ms plus their creation and scheduling costs (each coroutine: its
//! creation, two task steps and a timer callback on the one loop thread),
//! not 10,000 × 10 ms; and they hold far less memory than 10,000 threads.

use crate::common::*;

const FANOUT: &str = r#"
name = "fanout"
seed = 3
[machine]
cores = 4
[[workload]]
name = "sleepers"
tasks = 10000
steps = [ { sleep = "10ms" } ]
[workload.run]
model = "asyncio"
"#;

#[test]
fn ten_thousand_sleeps_overlap() {
    let s = scenario(FANOUT);
    let o = simulate_loop(&s);
    let w = row(&o, "sleepers");
    assert_eq!(w.tasks_completed, 10_000);
    let a = &s.python.asyncio;
    // Medians of the loop's costs per coroutine: create + callback, two
    // task steps (callback + step), one timer callback.
    let per = a.coroutine_create.mean() + 4.0 * a.loop_callback.mean() + 2.0 * a.task_step.mean();
    let bound = 0.010 + 10_000.0 * per / 1e9;
    println!(
        "10,000 sleep(10ms): makespan {:.4} s (10 ms + costs ≈ {:.4} s); loop lag p99 {:?} ms; peak {} MB",
        w.sim_time_s, bound, w.loop_lag_p99_ms, w.peak_rss_mb
    );
    assert!(w.sim_time_s >= 0.010, "nothing wakes before its timer");
    assert!(
        w.sim_time_s <= 1.2 * bound,
        "{} s beyond 10 ms + costs {bound}",
        w.sim_time_s
    );
    assert!(w.sim_time_s < 100.0 / 100.0, "far from 10,000 × 10 ms");

    // A few coroutines: about 10 ms.
    let few = simulate_loop(&scenario_with(FANOUT, &["workload.sleepers.tasks=10"]));
    let t = row(&few, "sleepers").sim_time_s;
    println!("10 sleep(10ms): makespan {t:.5} s");
    assert!((0.010..0.0125).contains(&t), "{t}");
}

#[test]
fn coroutines_hold_less_memory_than_threads() {
    let coros = simulate_loop(&scenario(FANOUT));
    let threads = simulate_loop(&scenario_with(
        FANOUT,
        &[
            "workload.sleepers.run.model=threads",
            "workload.sleepers.run.workers=per-task",
        ],
    ));
    let c = row(&coros, "sleepers").peak_rss_mb;
    let t = row(&threads, "sleepers").peak_rss_mb;
    println!("10,000 connections: coroutines {c:.1} MB, threads {t:.1} MB");
    // 12 MiB process + 10,000 × 2 KiB against 10,000 × 64 KiB of stacks.
    assert!(c < 40.0, "{c}");
    assert!(t > 10.0 * (c - 12.6), "{t} vs {c}");
}
