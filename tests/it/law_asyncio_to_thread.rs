//! Law: `asyncio.to_thread` with pure `cpu` steps gains nothing over running
//! them on the loop (the executor threads and the loop share one GIL); with
//! `cpu_nogil` steps it scales with the cores, up to the default executor's
//! `min(32, cores + 4)` threads.

use crate::common::*;

use gilsim::engine::time::MS;

/// The makespan of 64 coroutines each running `step`, on `cores` cores.
fn makespan(step: StepSpec, cores: u32) -> f64 {
    let b = ScenarioBuilder::new("to-thread")
        .seed(9)
        .cores(cores)
        .workload(
            WorkloadBuilder::new("jobs")
                .tasks(64)
                .steps(vec![step])
                .asyncio(),
        );
    let o = simulate_loop(&build(b));
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 64);
    o.workloads[0].sim_time_s
}

#[test]
fn to_thread_cpu_gains_nothing() {
    let pooled = makespan(step::to_thread(vec![step::cpu(10 * MS)]), 4);
    let on_loop = makespan(step::cpu(10 * MS), 4);
    println!("64 × 10 ms cpu: to_thread {pooled:.4} s, on the loop {on_loop:.4} s");
    assert!(pooled >= 0.95 * on_loop, "{pooled} vs {on_loop}");
}

#[test]
fn to_thread_cpu_nogil_scales_with_cores_up_to_the_executor() {
    let nogil = || step::to_thread(vec![step::cpu_nogil(10 * MS)]);
    let on_loop = makespan(step::cpu_nogil(10 * MS), 4);
    for cores in [1u32, 2, 4, 8] {
        let t = makespan(nogil(), cores);
        let speedup = on_loop / t;
        println!("cpu_nogil to_thread on {cores} cores: {t:.4} s, speed-up {speedup:.2}");
        assert!(speedup > 0.8 * f64::from(cores), "{cores} cores: {speedup}");
        assert!(
            speedup <= f64::from(cores) + 0.1,
            "{cores} cores: {speedup}"
        );
    }
    // 64 cores: the executor has 32 threads, so at most 32 run at once.
    let t = makespan(nogil(), 64);
    let speedup = on_loop / t;
    println!("cpu_nogil to_thread on 64 cores (32 executor threads): speed-up {speedup:.2}");
    assert!(speedup > 20.0 && speedup <= 32.1, "{speedup}");
}
