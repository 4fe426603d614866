//! Law: processes scale pure-Python `cpu` work with workers up to the core
//! count, and not beyond it (docs/MODEL.md#processes): each worker process has a GIL of
//! its own, so only cores limit it.

use crate::common::*;

use gilsim::engine::time::{MS, S};
use gilsim::workload::ProcessApi;

/// The makespan of 160 tasks of 10 ms of Python on 4 cores, run as `run` says.
fn makespan(run: impl FnOnce(WorkloadBuilder) -> WorkloadBuilder) -> f64 {
    let jobs = WorkloadBuilder::new("jobs")
        .tasks(160)
        .steps(vec![step::cpu(10 * MS)]);
    let s = build(
        ScenarioBuilder::new("scale")
            .seed(5)
            .cores(4)
            .workload(run(jobs)),
    );
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 160);
    assert_eq!(o.workloads[0].tasks_in_flight, 0);
    o.workloads[0].sim_time_s
}

#[test]
fn four_processes_on_four_cores_are_at_least_3_5_times_one() {
    for api in [ProcessApi::Pool, ProcessApi::Executor] {
        let one = makespan(|w| w.processes(1).api(api));
        let four = makespan(|w| w.processes(4).api(api));
        let api = api.name();
        println!(
            "{api}: 1 worker {one:.4} s, 4 workers {four:.4} s, speed-up {:.3}",
            one / four
        );
        assert!(one / four >= 3.5, "{api}: speed-up {} < 3.5", one / four);
        assert!(
            one / four <= 4.0,
            "{api}: speed-up {} above the core count",
            one / four
        );
    }
}

#[test]
fn processes_do_not_scale_beyond_the_cores() {
    let four = makespan(|w| w.processes(4));
    let eight = makespan(|w| w.processes(8));
    let one = makespan(|w| w.processes(1));
    println!("1: {one:.4} s, 4: {four:.4} s, 8: {eight:.4} s");
    assert!(
        one / eight <= 4.0,
        "8 workers on 4 cores: speed-up {}",
        one / eight
    );
    assert!(
        eight >= four * 0.97,
        "8 workers {eight} well below 4 workers {four}"
    );
}

#[test]
fn threads_do_not_scale_where_processes_do() {
    let threads = makespan(|w| w.threads(4));
    let processes = makespan(|w| w.processes(4));
    assert!(
        threads > 3.0 * processes,
        "threads {threads} s against processes {processes} s"
    );
}

#[test]
fn forever_workers_each_loop_in_their_own_process() {
    for model in ["processes", "threads"] {
        let b = ScenarioBuilder::new("spin")
            .seed(5)
            .duration(S)
            .warmup(100 * MS)
            .cores(4)
            .workload(on_model(
                WorkloadBuilder::new("spin")
                    .forever()
                    .steps(vec![step::cpu(10 * MS)]),
                model,
                4,
            ));
        let s = build(b);
        let o = simulate(&s);
        assert_single_holder(&o);
        let t = o.workloads[0].throughput_per_s;
        println!("{model}: {t:.1} iterations/s");
        if model == "processes" {
            assert!((t - 400.0).abs() < 15.0, "4 processes: {t}");
        } else {
            assert!(t < 110.0, "4 threads: {t}");
        }
    }
}
