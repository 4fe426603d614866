//! Law: `transfer = "shared_memory"` pays for large payloads and not for
//! small ones: it replaces pickling and piping the payload (about 8 ns per
//! byte on both sides) with a block's creation and one copy in the sender
//! (85 µs plus 1.2 ns per byte) and an attach in the receiver, and only a
//! handle travels.

use crate::common::*;

const BATCH: &str = r#"
name = "shm"
seed = 12
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 200
args_bytes = "1KB"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
workers = 4
chunksize = 1
"#;

fn run(args: &str, transfer: &str) -> (f64, u64) {
    let s = scenario_with(
        BATCH,
        &[
            &format!("workload.jobs.args_bytes={args}"),
            &format!("workload.jobs.run.transfer={transfer}"),
        ],
    );
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 200);
    assert_eq!(o.accounting.bytes_pickled, o.accounting.bytes_unpickled);
    (o.workloads[0].sim_time_s, o.accounting.bytes_pickled)
}

#[test]
fn shared_memory_pays_for_large_payloads_only() {
    let (small_pickle, _) = run("1KB", "pickle");
    let (small_shm, _) = run("1KB", "shared_memory");
    let (large_pickle, pickled) = run("2MB", "pickle");
    let (large_shm, handles) = run("2MB", "shared_memory");
    println!(
        "1KB: pickle {small_pickle:.4} s, shared memory {small_shm:.4} s; \
         2MB: pickle {large_pickle:.4} s, shared memory {large_shm:.4} s"
    );
    assert!(
        small_shm > small_pickle,
        "1KB: shared memory should not pay"
    );
    assert!(
        large_shm < large_pickle / 2.0,
        "2MB: shared memory should pay"
    );
    assert_eq!(pickled, 200 * 2_000_000);
    assert_eq!(
        handles,
        200 * 100,
        "only handles are pickled; empty results need none"
    );
}
