//! Law: work is conserved. Busy core time equals the steps' CPU plus the
//! overheads the model charges (thread start, GIL release and return,
//! context switches), to the nanosecond; and every task completes once.

use crate::common::*;

#[test]
fn busy_core_time_is_step_cpu_plus_overheads() {
    let s = scenario(
        r#"
name = "work"
seed = 9
[machine]
cores = 2
[semaphores]
pool = 2
[[workload]]
name = "mixed"
tasks = 300
steps = [ { cpu = "3ms" }, { cpu_held = "500us" }, { cpu_nogil = "1ms" }, { io = { exp = "2ms" } },
          { semaphore = "pool", steps = [ { cpu = "200us" } ] } ]
[workload.run]
model = "threads"
workers = 6
"#,
    );
    let o = simulate(&s);
    let a = o.accounting;
    assert_eq!(o.workloads[0].tasks_completed, 300);
    assert_eq!(
        a.step_cpu,
        300 * (3_000_000 + 500_000 + 1_000_000 + 200_000),
        "step CPU must match the program"
    );
    assert_eq!(
        a.busy,
        a.step_cpu + a.overhead_cpu + a.switch_cpu,
        "busy {a:?}"
    );
}

#[test]
fn free_threaded_steps_cost_the_build_overhead() {
    let s = scenario(
        r#"
name = "ft"
seed = 9
[machine]
cores = 4
[python]
version = "3.14"
build = "free-threaded"
[[workload]]
name = "cpu"
tasks = 40
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 4
"#,
    );
    let o = simulate(&s);
    assert_eq!(
        o.accounting.step_cpu,
        (40.0 * 10e6 * 1.08_f64).round() as u64
    );
    let w = &o.workloads[0];
    assert_eq!(w.gil_held_fraction, None, "no GIL on a free-threaded build");
    // 4 threads on 4 cores in parallel: about 10 tasks of 10.8 ms each.
    assert!(w.sim_time_s < 0.12, "makespan {}", w.sim_time_s);
}
