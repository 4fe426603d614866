//! Law: a CPU-heavy handler on the loop raises the other requests' p99
//! latency and `loop_lag_p99_ms` (how late a 10 ms monitoring ticker's
//! timers fire) by about its CPU burst: while it runs, nothing else on the
//! loop does.

use crate::common::*;

const SERVER: &str = r#"
name = "heavy"
seed = 5
duration = "20s"
[machine]
cores = 4
[[workload]]
name = "fast"
rate = "200/s"
steps = [ { io = "5ms" }, { cpu = "200us" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "heavy"
rate = "2/s"
steps = [ { io = "5ms" }, { cpu = "50ms" } ]
[workload.run]
model = "asyncio"
[[workload]]
name = "ticker"
repeat = "forever"
steps = [ { sleep = "10ms" } ]
[workload.run]
model = "asyncio"
workers = 1
"#;

#[test]
fn a_cpu_heavy_handler_delays_everyone_by_its_burst() {
    let heavy = simulate_loop(&scenario(SERVER));
    assert_single_holder(&heavy);
    let light = simulate_loop(&scenario(&SERVER.replace("\"50ms\"", "\"200us\"")));
    let p99 = |o: &gilsim::simulation::RunOutput| row(o, "fast").latency_ms.unwrap()[3];
    let lag = |o: &gilsim::simulation::RunOutput| row(o, "fast").loop_lag_p99_ms.unwrap();
    println!(
        "fast p99: {:.3} ms with a 50 ms handler, {:.3} ms without; loop lag p99 {:.3} ms against {:.3} ms",
        p99(&heavy),
        p99(&light),
        lag(&heavy),
        lag(&light)
    );
    let raise = p99(&heavy) - p99(&light);
    assert!((25.0..75.0).contains(&raise), "p99 raised by {raise} ms");
    let raise = lag(&heavy) - lag(&light);
    assert!(
        (25.0..75.0).contains(&raise),
        "loop lag raised by {raise} ms"
    );
    // Every asyncio row reports the one loop's lag; a loop-less model none.
    assert_eq!(row(&heavy, "ticker").loop_lag_p99_ms, Some(lag(&heavy)));
}

#[test]
fn no_loop_no_lag() {
    let s = scenario(
        r#"
name = "t"
[[workload]]
name = "jobs"
tasks = 3
steps = [ { sleep = "1ms" } ]
[workload.run]
model = "threads"
"#,
    );
    assert_eq!(simulate(&s).workloads[0].loop_lag_p99_ms, None);
}
