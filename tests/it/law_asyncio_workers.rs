//! Law: `workers = N` on asyncio is an `asyncio.Semaphore(N)` around each
//! task: at most N tasks are past their start at once, so N-wide waves of
//! awaited I/O; without `workers` every task waits at once.

use crate::common::*;

const WAVES: &str = r#"
name = "waves"
seed = 12
[machine]
cores = 2
[[workload]]
name = "calls"
tasks = 30
steps = [ { io = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 3
"#;

#[test]
fn workers_limit_the_tasks_in_progress() {
    let limited = simulate_loop(&scenario(WAVES));
    let t3 = row(&limited, "calls").sim_time_s;
    let free = simulate_loop(&scenario(&WAVES.replace("workers = 3\n", "")));
    let w = row(&free, "calls");
    println!(
        "30 × 10 ms awaited: workers = 3 {t3:.4} s, unlimited {:.4} s ({})",
        w.sim_time_s, w.workers
    );
    assert_eq!(w.workers, "unlimited");
    // Ten waves of three, each 10 ms plus the loop's passes.
    assert!((0.100..0.115).contains(&t3), "{t3}");
    assert!((0.010..0.012).contains(&w.sim_time_s), "{}", w.sim_time_s);
}
