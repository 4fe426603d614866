//! Law: a process pool's handler threads live in the parent and compete for
//! its GIL, so a busy parent slows dispatch; and open-loop (`rate`) work is
//! submitted by the main thread (`apply_async` / `submit`) and completes at
//! the rate it arrives while the pool keeps up.

use crate::common::*;

use gilsim::engine::time::{MS, S, US};
use gilsim::workload::{ProcessApi, StartMethod};

/// How a workload runs: sets its `[workload.run]`.
type Run = fn(WorkloadBuilder) -> WorkloadBuilder;

/// The parent's scenario: seed 21, 8 cores.
fn parent() -> ScenarioBuilder {
    ScenarioBuilder::new("parent").seed(21).cores(8)
}

/// Tasks of 200 µs of Python on a pool of 4 processes, one task per message.
fn jobs() -> WorkloadBuilder {
    WorkloadBuilder::new("jobs")
        .steps(vec![step::cpu(200 * US)])
        .processes(4)
        .chunksize(1)
}

fn makespan_of(o: &gilsim::simulation::RunOutput, name: &str) -> f64 {
    let w = o
        .workloads
        .iter()
        .find(|w| w.workload == name)
        .expect("workload");
    assert_eq!(w.tasks_in_flight, 0);
    // The last completion of this workload: its latency max (a batch submitted at 0).
    w.latency_ms.expect("completions")[4] / 1e3
}

#[test]
fn a_busy_parent_gil_slows_the_pool() {
    let alone = parent().workload(jobs().tasks(2000));
    let busy = alone.clone().workload(
        WorkloadBuilder::new("busy")
            .tasks(4)
            .steps(vec![step::cpu(500 * MS)])
            .threads(2),
    );
    let alone = simulate(&build(alone));
    assert_single_holder(&alone);
    let busy = simulate(&build(busy));
    assert_single_holder(&busy);
    let (a, b) = (makespan_of(&alone, "jobs"), makespan_of(&busy, "jobs"));
    println!("pool alone {a:.4} s, beside CPU-bound threads in the parent {b:.4} s");
    assert!(b > 2.0 * a, "busy parent {b} against {a}");
}

#[test]
fn open_loop_work_completes_at_its_rate() {
    for api in [ProcessApi::Pool, ProcessApi::Executor] {
        let b = parent()
            .duration(2 * S)
            .warmup(200 * MS)
            .workload(jobs().rate(2000.0).api(api));
        let api = api.name();
        let o = simulate(&build(b));
        assert_single_holder(&o);
        let w = &o.workloads[0];
        println!(
            "{api}: {:.0} tasks/s, latency mean {:.3} ms, in flight {}",
            w.throughput_per_s,
            w.latency_ms.expect("completions")[0],
            w.tasks_in_flight
        );
        assert!(
            (w.throughput_per_s - 2000.0).abs() < 150.0,
            "{api}: {}",
            w.throughput_per_s
        );
        assert!(
            w.latency_ms.expect("completions")[1] >= 0.2,
            "{api}: faster than the work"
        );
        assert!(w.tasks_in_flight < 50, "{api}: the pool falls behind");
    }
}

#[test]
fn a_lightly_loaded_executor_starts_only_the_workers_it_needs() {
    // ProcessPoolExecutor (spawn) and InterpreterPoolExecutor reuse an idle
    // worker before starting another (_adjust_process_count, _adjust_thread_count).
    let runs: [(&str, Run); 2] = [
        ("processes", |w| {
            w.processes(4)
                .api(ProcessApi::Executor)
                .start_method(StartMethod::Spawn)
        }),
        ("subinterpreters", |w| w.subinterpreters(4)),
    ];
    for (model, run) in runs {
        let b = ScenarioBuilder::new("light")
            .seed(3)
            .duration(3 * S)
            .cores(4)
            .python("version", "3.14")
            .workload(run(WorkloadBuilder::new("jobs")
                .rate(5.0)
                .steps(vec![step::cpu(200 * US)])));
        let o = simulate(&build(b));
        assert_single_holder(&o);
        let interpreters = o.gil_logs.as_ref().expect("logs").len();
        println!("{model}: {interpreters} interpreters for 5 tasks/s");
        assert!(o.workloads[0].tasks_completed >= 8, "{model}");
        assert!(interpreters <= 3, "{model}: {interpreters} interpreters");
    }
}

#[test]
fn per_task_processes_take_open_loop_work() {
    let at_50 = |run: Run| {
        ScenarioBuilder::new("per-task-rate")
            .seed(3)
            .duration(2 * S)
            .warmup(200 * MS)
            .cores(4)
            .workload(
                run(WorkloadBuilder::new("jobs")
                    .rate(50.0)
                    .steps(vec![step::cpu(2 * MS)]))
                .start_method(StartMethod::Fork),
            )
    };
    let per_task = simulate(&build(at_50(|w| w.per_task_processes())));
    assert_single_holder(&per_task);
    let pool = simulate(&build(at_50(|w| w.processes(4))));
    let (a, b) = (&per_task.workloads[0], &pool.workloads[0]);
    let (la, lb) = (
        a.latency_ms.expect("completions"),
        b.latency_ms.expect("completions"),
    );
    println!(
        "at 50/s: per-task fork {:.1} tasks/s, latency mean {:.2} ms; pool {:.1} tasks/s, {:.2} ms",
        a.throughput_per_s, la[0], b.throughput_per_s, lb[0]
    );
    // The same arrivals complete either way; each per-task process pays a
    // fork (0.8 ms in the parent, 2.5 ms in the child) before its 2 ms.
    assert_eq!(a.tasks_completed, b.tasks_completed);
    assert!(a.tasks_in_flight <= 1);
    assert!(
        la[1] > lb[1] + 2.0,
        "p50 {} ms against the pool's {} ms",
        la[1],
        lb[1]
    );
}
