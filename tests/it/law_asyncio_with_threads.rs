//! Law: an asyncio server and a thread in the same interpreter share the
//! main GIL: a CPU-bound background thread slows the loop (each poll's
//! return must win the GIL back, the convoy effect, docs/MODEL.md#the-convoy-effect), and never
//! do two threads hold the GIL at once.

use crate::common::*;

const SERVER: &str = r#"
name = "server-and-thread"
seed = 4
duration = "5s"
[machine]
cores = 2
[[workload]]
name = "server"
rate = "100/s"
steps = [ { io = "2ms" }, { cpu = "100us" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "spinner"
repeat = "forever"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 1
"#;

#[test]
fn a_background_thread_and_the_loop_share_the_gil() {
    let both = simulate_loop(&scenario(SERVER));
    assert_single_holder(&both);
    let alone = simulate_loop(&scenario(
        &SERVER.replace("\"10ms\"", "\"1us\" }, { sleep = \"1s\""),
    ));
    let p50 = |o: &gilsim::simulation::RunOutput| row(o, "server").latency_ms.unwrap()[1];
    println!(
        "server p50 {:.3} ms beside a CPU-bound thread, {:.3} ms with an idle one",
        p50(&both),
        p50(&alone)
    );
    // Two GIL hand-offs per request (the I/O's callback and the task step
    // are separate passes, each after a poll): a few ms each at a 5 ms interval.
    assert!(p50(&both) > p50(&alone) + 2.0);
    assert!(row(&both, "spinner").tasks_completed > 100);
}
