//! Law: `asyncio.to_thread` with pure `cpu` steps gains nothing over running
//! them on the loop (the executor threads and the loop share one GIL); with
//! `cpu_nogil` steps it scales with the cores, up to the default executor's
//! `min(32, cores + 4)` threads.

use crate::common::*;

const JOBS: &str = r#"
name = "to-thread"
seed = 9
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 64
steps = [ { to_thread = true, steps = [ { cpu = "10ms" } ] } ]
[workload.run]
model = "asyncio"
"#;

fn makespan(toml: &str, sets: &[&str]) -> f64 {
    let o = simulate_loop(&scenario_with(toml, sets));
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 64);
    o.workloads[0].sim_time_s
}

#[test]
fn to_thread_cpu_gains_nothing() {
    let pooled = makespan(JOBS, &[]);
    let on_loop = makespan(
        &JOBS.replace(
            "{ to_thread = true, steps = [ { cpu = \"10ms\" } ] }",
            "{ cpu = \"10ms\" }",
        ),
        &[],
    );
    println!("64 × 10 ms cpu: to_thread {pooled:.4} s, on the loop {on_loop:.4} s");
    assert!(pooled >= 0.95 * on_loop, "{pooled} vs {on_loop}");
}

#[test]
fn to_thread_cpu_nogil_scales_with_cores_up_to_the_executor() {
    let nogil = JOBS.replace("{ cpu = \"10ms\" }", "{ cpu_nogil = \"10ms\" }");
    let on_loop = makespan(
        &JOBS.replace(
            "{ to_thread = true, steps = [ { cpu = \"10ms\" } ] }",
            "{ cpu_nogil = \"10ms\" }",
        ),
        &[],
    );
    for cores in [1u32, 2, 4, 8] {
        let t = makespan(&nogil, &[&format!("machine.cores={cores}")]);
        let speedup = on_loop / t;
        println!("cpu_nogil to_thread on {cores} cores: {t:.4} s, speed-up {speedup:.2}");
        assert!(speedup > 0.8 * f64::from(cores), "{cores} cores: {speedup}");
        assert!(
            speedup <= f64::from(cores) + 0.1,
            "{cores} cores: {speedup}"
        );
    }
    // 64 cores: the executor has 32 threads, so at most 32 run at once.
    let t = makespan(&nogil, &["machine.cores=64"]);
    let speedup = on_loop / t;
    println!("cpu_nogil to_thread on 64 cores (32 executor threads): speed-up {speedup:.2}");
    assert!(speedup > 20.0 && speedup <= 32.1, "{speedup}");
}
