//! Law: an I/O thread beside a CPU-bound thread loses about one switch
//! interval per blocking call on two cores, far less on one core, and less
//! as the interval shrinks (docs/MODEL.md#the-convoy-effect; bpo-7946).

use crate::common::*;

const HEADER: &str = r#"
name = "convoy"
seed = 11
duration = "2s"
warmup = "100ms"
[machine]
cores = 2
[python]
switch_interval = "5ms"
"#;

/// The I/O thread; `CALL` is replaced by its call step.
const IO_THREAD: &str = r#"
[[workload]]
name = "io"
repeat = "forever"
steps = [ { cpu = "2us" }, CALL ]
[workload.run]
model = "threads"
workers = 1
"#;

const CPU_THREAD: &str = r#"
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 1
"#;

const BLOCKING_IO: &str = r#"{ io = "10us" }"#;
/// A call that releases the GIL without waiting (a pipe write with room).
const NON_WAITING_CALL: &str = r#"{ cpu_nogil = "1us" }"#;

fn io_rate(call: &str, with_cpu_thread: bool, sets: &[&str]) -> f64 {
    let mut toml = format!("{HEADER}{}", IO_THREAD.replace("CALL", call));
    if with_cpu_thread {
        toml.push_str(CPU_THREAD);
    }
    let o = simulate(&scenario_with(&toml, sets));
    assert_single_holder(&o);
    throughput(&o, "io")
}

#[test]
fn blocking_io_loses_about_one_interval_per_call_on_two_cores() {
    for (interval, secs) in [("5ms", 0.005), ("1ms", 0.001)] {
        let rate = io_rate(
            BLOCKING_IO,
            true,
            &[&format!("python.switch_interval={interval}")],
        );
        let per_interval = rate * secs;
        // One call per interval; timer slack and wake-ups stretch each wait a little.
        assert!(
            (0.7..=1.1).contains(&per_interval),
            "{interval}: {per_interval} calls per interval"
        );
    }
}

#[test]
fn non_waiting_calls_convoy_on_two_cores_but_hardly_on_one() {
    for cores in [1, 2] {
        let core_set = format!("machine.cores={cores}");
        let alone = io_rate(NON_WAITING_CALL, false, &[&core_set]);
        let beside_cpu = io_rate(NON_WAITING_CALL, true, &[&core_set]);
        let slowdown = alone / beside_cpu;
        if cores == 2 {
            assert!(slowdown >= 100.0, "2 cores: slowdown {slowdown}");
        } else {
            assert!(slowdown < 10.0, "1 core: slowdown {slowdown}");
        }
    }
}

#[test]
fn a_smaller_switch_interval_shrinks_the_convoy() {
    for call in [BLOCKING_IO, NON_WAITING_CALL] {
        let at_5ms = io_rate(call, true, &["python.switch_interval=5ms"]);
        let at_100us = io_rate(call, true, &["python.switch_interval=100us"]);
        assert!(
            at_100us / at_5ms >= 10.0,
            "{call}: 0.1 ms recovers only {}x",
            at_100us / at_5ms
        );
    }
}
