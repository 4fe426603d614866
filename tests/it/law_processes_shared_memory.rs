//! Law: `transfer = "shared_memory"` pays for large payloads and not for
//! small ones: it replaces pickling and piping the payload (about 8 ns per
//! byte on both sides) with a block's creation and one copy in the sender
//! (85 µs plus 1.2 ns per byte) and an attach in the receiver, and only a
//! handle travels.

use crate::common::*;

use gilsim::engine::time::MS;
use gilsim::workload::Transfer;

/// 200 tasks of 1 ms whose arguments are `args_bytes`, moved by
/// `transfer`, on a pool of 4 processes (one task per message) on 4 cores.
fn run(args_bytes: u64, transfer: Transfer) -> (f64, u64) {
    let b = ScenarioBuilder::new("shm").seed(12).cores(4).workload(
        WorkloadBuilder::new("jobs")
            .tasks(200)
            .args_bytes(args_bytes)
            .steps(vec![step::cpu(MS)])
            .processes(4)
            .chunksize(1)
            .transfer(transfer),
    );
    let s = build(b);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 200);
    assert_eq!(o.accounting.bytes_pickled, o.accounting.bytes_unpickled);
    (o.workloads[0].sim_time_s, o.accounting.bytes_pickled)
}

#[test]
fn shared_memory_pays_for_large_payloads_only() {
    let (small_pickle, _) = run(1_000, Transfer::Pickle);
    let (small_shm, _) = run(1_000, Transfer::SharedMemory);
    let (large_pickle, pickled) = run(2_000_000, Transfer::Pickle);
    let (large_shm, handles) = run(2_000_000, Transfer::SharedMemory);
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
