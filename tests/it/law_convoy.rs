//! Law: an I/O thread beside a CPU-bound thread loses about one switch
//! interval per blocking call on two cores, far less on one core, and less
//! as the interval shrinks (docs/MODEL.md#the-convoy-effect; bpo-7946).

use crate::common::*;

use gilsim::engine::time::{MS, Nanos, S, US};

/// A blocking call that waits.
fn blocking_io() -> StepSpec {
    step::io(10 * US)
}

/// A call that releases the GIL without waiting (a pipe write with room).
fn non_waiting_call() -> StepSpec {
    step::cpu_nogil(US)
}

/// The I/O thread's calls per second: it loops 2 µs of Python and `call`,
/// beside a CPU-bound thread when `with_cpu_thread`, on `cores` cores
/// with a switch interval of `interval`.
fn io_rate(call: StepSpec, with_cpu_thread: bool, cores: u32, interval: Nanos) -> f64 {
    let loop_forever =
        |name: &str, steps| WorkloadBuilder::new(name).forever().steps(steps).threads(1);
    let mut b = ScenarioBuilder::new("convoy")
        .seed(11)
        .duration(2 * S)
        .warmup(100 * MS)
        .cores(cores)
        .switch_interval(interval)
        .workload(loop_forever("io", vec![step::cpu(2 * US), call]));
    if with_cpu_thread {
        b = b.workload(loop_forever("cpu", vec![step::cpu(10 * MS)]));
    }
    let o = simulate(&build(b));
    assert_single_holder(&o);
    throughput(&o, "io")
}

#[test]
fn blocking_io_loses_about_one_interval_per_call_on_two_cores() {
    for (interval, ns, secs) in [("5ms", 5 * MS, 0.005), ("1ms", MS, 0.001)] {
        let rate = io_rate(blocking_io(), true, 2, ns);
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
        let alone = io_rate(non_waiting_call(), false, cores, 5 * MS);
        let beside_cpu = io_rate(non_waiting_call(), true, cores, 5 * MS);
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
    for call in [blocking_io(), non_waiting_call()] {
        let at_5ms = io_rate(call.clone(), true, 2, 5 * MS);
        let at_100us = io_rate(call.clone(), true, 2, 100 * US);
        assert!(
            at_100us / at_5ms >= 10.0,
            "{}: 0.1 ms recovers only {}x",
            call.to_toml(),
            at_100us / at_5ms
        );
    }
}
