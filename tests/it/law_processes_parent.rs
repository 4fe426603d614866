//! Law: a process pool's handler threads live in the parent and compete for
//! its GIL, so a busy parent slows dispatch; and open-loop (`rate`) work is
//! submitted by the main thread (`apply_async` / `submit`) and completes at
//! the rate it arrives while the pool keeps up.

use crate::common::*;

const POOL: &str = r#"
name = "parent"
seed = 21
[machine]
cores = 8
[[workload]]
name = "jobs"
tasks = 2000
steps = [ { cpu = "200us" } ]
[workload.run]
model = "processes"
workers = 4
chunksize = 1
"#;

const BUSY_PARENT: &str = r#"
[[workload]]
name = "busy"
tasks = 4
steps = [ { cpu = "500ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;

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
    let alone = simulate(&scenario(POOL));
    assert_single_holder(&alone);
    let busy = simulate(&scenario(&format!("{POOL}{BUSY_PARENT}")));
    assert_single_holder(&busy);
    let (a, b) = (makespan_of(&alone, "jobs"), makespan_of(&busy, "jobs"));
    println!("pool alone {a:.4} s, beside CPU-bound threads in the parent {b:.4} s");
    assert!(b > 2.0 * a, "busy parent {b} against {a}");
}

#[test]
fn open_loop_work_completes_at_its_rate() {
    for api in ["pool", "executor"] {
        let s = scenario_with(
            &POOL.replace("tasks = 2000", "rate = \"2000/s\"").replace(
                "name = \"parent\"\n",
                "name = \"parent\"\nduration = \"2s\"\nwarmup = \"200ms\"\n",
            ),
            &[&format!("workload.jobs.run.api={api}")],
        );
        let o = simulate(&s);
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
    for (model, extra) in [
        (
            "processes",
            "api = \"executor\"\nstart_method = \"spawn\"\n",
        ),
        ("subinterpreters", ""),
    ] {
        let s = scenario(&format!(
            "name = \"light\"\nseed = 3\nduration = \"3s\"\n[machine]\ncores = 4\n[python]\nversion = \"3.14\"\n\
             [[workload]]\nname = \"jobs\"\nrate = \"5/s\"\nsteps = [ {{ cpu = \"200us\" }} ]\n\
             [workload.run]\nmodel = \"{model}\"\nworkers = 4\n{extra}"
        ));
        let o = simulate(&s);
        assert_single_holder(&o);
        let interpreters = o.gil_logs.as_ref().expect("logs").len();
        println!("{model}: {interpreters} interpreters for 5 tasks/s");
        assert!(o.workloads[0].tasks_completed >= 8, "{model}");
        assert!(interpreters <= 3, "{model}: {interpreters} interpreters");
    }
}

#[test]
fn per_task_processes_take_open_loop_work() {
    let toml = "name = \"per-task-rate\"\nseed = 3\nduration = \"2s\"\nwarmup = \"200ms\"\n[machine]\ncores = 4\n\
         [[workload]]\nname = \"jobs\"\nrate = \"50/s\"\nsteps = [ { cpu = \"2ms\" } ]\n\
         [workload.run]\nmodel = \"processes\"\nworkers = \"per-task\"\nstart_method = \"fork\"\n";
    let per_task = simulate(&scenario(toml));
    assert_single_holder(&per_task);
    let pool = simulate(&scenario_with(toml, &["workload.jobs.run.workers=4"]));
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
