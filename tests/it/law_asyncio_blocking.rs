//! Law: a `blocking_io` step inside a coroutine stalls every coroutine on its
//! loop: no callback runs while the loop thread is blocked in the call, and
//! the other requests' latency grows by the call's length; the same wait as
//! an awaited `io` does not stall anyone.

use crate::common::*;
use gilsim::python::runtime::LoopRecord;

const SERVER: &str = r#"
name = "blocking"
seed = 11
duration = "2s"
[machine]
cores = 2
[[workload]]
name = "requests"
rate = "500/s"
steps = [ { io = "2ms" }, { cpu = "100us" }, { io = "1ms" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "blocker"
rate = "5/s"
steps = [ { cpu = "50us" }, { blocking_io = "20ms" } ]
[workload.run]
model = "asyncio"
"#;

#[test]
fn blocking_io_stalls_every_coroutine_on_the_loop() {
    let o = simulate_loop(&scenario(SERVER));
    assert_single_holder(&o);
    let log = o.loop_log.as_ref().expect("loop recorded");
    let blocks: Vec<(u64, u64)> = log
        .iter()
        .filter_map(|r| match *r {
            LoopRecord::Blocking { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert!(blocks.len() >= 5, "{} blocking calls", blocks.len());
    for r in log {
        if let LoopRecord::Callback { at, .. } = *r {
            for &(from, to) in &blocks {
                assert!(
                    !(at > from && at < to),
                    "a callback ran at {at} inside a blocking call [{from}, {to})"
                );
            }
        }
    }
    let blocked = row(&o, "requests").latency_ms.unwrap();
    let awaited = simulate_loop(&scenario(&SERVER.replace("blocking_io", "io")));
    let free = row(&awaited, "requests").latency_ms.unwrap();
    println!(
        "requests p99 {:.3} ms, max {:.3} ms with blocking_io; p99 {:.3} ms, max {:.3} ms with io",
        blocked[3], blocked[4], free[3], free[4]
    );
    // A request caught behind a 20 ms blocking call waits up to 20 ms more.
    assert!(blocked[4] > free[4] + 15.0, "{blocked:?} vs {free:?}");
    assert!(free[4] < 10.0, "awaited I/O stalls nobody: {free:?}");
}
