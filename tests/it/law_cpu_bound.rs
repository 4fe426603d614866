//! Law: pure-Python `cpu` work on threads does not get faster with more
//! threads or cores; `cpu_nogil` and `io` work does (docs/MODEL.md#the-gil-and-its-races).

use crate::common::*;

use gilsim::engine::time::{MS, US};

/// The makespan of 40 tasks of `steps` on a pool of `workers` threads and `cores` cores.
fn makespan(steps: Vec<StepSpec>, cores: u32, workers: u32) -> f64 {
    let b = ScenarioBuilder::new("cpu").seed(3).cores(cores).workload(
        WorkloadBuilder::new("jobs")
            .tasks(40)
            .steps(steps)
            .threads(workers),
    );
    let s = build(b);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 40);
    o.workloads[0].sim_time_s
}

#[test]
fn cpu_work_does_not_scale_with_threads_or_cores() {
    let one = makespan(vec![step::cpu(10 * MS)], 1, 1);
    for (cores, workers) in [(1, 4), (2, 2), (4, 4), (4, 8)] {
        let m = makespan(vec![step::cpu(10 * MS)], cores, workers);
        assert!(
            m >= one * 0.999,
            "{workers} threads on {cores} cores: makespan {m} < 1 thread {one}"
        );
        assert!(
            m < one * 1.2,
            "{workers} threads on {cores} cores: makespan {m} far above {one}"
        );
    }
}

#[test]
fn cpu_nogil_work_scales_with_threads_and_cores() {
    let one = makespan(vec![step::cpu_nogil(10 * MS)], 4, 1);
    let four = makespan(vec![step::cpu_nogil(10 * MS)], 4, 4);
    assert!(one / four >= 3.5, "speed-up {} < 3.5", one / four);
    let on_two = makespan(vec![step::cpu_nogil(10 * MS)], 2, 4);
    assert!(
        one / on_two > 1.9 && one / on_two <= 2.0 + 1e-9,
        "4 threads on 2 cores: speed-up {}",
        one / on_two
    );
}

#[test]
fn io_work_scales_with_threads_even_on_one_core() {
    let steps = || vec![step::cpu(100 * US), step::io(10 * MS)];
    let one = makespan(steps(), 1, 1);
    let eight = makespan(steps(), 1, 8);
    assert!(
        one / eight > 6.0,
        "io speed-up with 8 threads: {}",
        one / eight
    );
}
