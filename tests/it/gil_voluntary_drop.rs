//! A drop request that is pending when the holder enters a GIL-releasing
//! call is answered inside `drop_gil` (FORCE_SWITCHING): the holder waits
//! until another thread has taken the GIL, then makes its call at once,
//! without queueing for the GIL first. The entry to a C call is not an
//! eval-breaker check point (python/cpython `Python/ceval_gil.c`, `drop_gil`).
//!
//! Thread A holds the GIL for 20 ms in a C call that keeps it (`cpu_held`),
//! so B's drop request is pending when A's `io` starts. Per iteration A then
//! waits for the switch, does 1 ms of I/O, and queues one switch interval
//! for the GIL: about 20 + 1 + 5 ms. Answering the request with a forced
//! drop before the call would add a second interval (about 31 ms).

use crate::common::*;

#[test]
fn a_pending_request_at_a_blocking_call_costs_one_switch_not_two() {
    let s = scenario(
        r#"
name = "voluntary"
seed = 2
duration = "2s"
warmup = "100ms"
[machine]
cores = 2
[[workload]]
name = "a"
repeat = "forever"
steps = [ { cpu_held = "20ms" }, { io = "1ms" } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "b"
repeat = "forever"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 1
"#,
    );
    let o = simulate(&s);
    assert_single_holder(&o);
    let a = o.workloads.iter().find(|w| w.workload == "a").unwrap();
    let mean = a.latency_ms.unwrap()[0];
    assert!((25.5..28.0).contains(&mean), "iteration of A: {mean} ms");
}
