//! Law: processes scale pure-Python `cpu` work with workers up to the core
//! count, and not beyond it (docs/MODEL.md#processes): each worker process has a GIL of
//! its own, so only cores limit it.

use crate::common::*;

const POOL: &str = r#"
name = "scale"
seed = 5
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 160
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "processes"
api = "pool"
workers = 1
"#;

fn makespan(model: &str, workers: u32, extra: &[&str]) -> f64 {
    let mut sets = vec![
        format!("workload.jobs.run.model={model}"),
        format!("workload.jobs.run.workers={workers}"),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let toml = if model == "threads" {
        POOL.replace("api = \"pool\"\n", "")
    } else {
        POOL.to_string()
    };
    let s = scenario_with(&toml, &sets);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 160);
    assert_eq!(o.workloads[0].tasks_in_flight, 0);
    o.workloads[0].sim_time_s
}

#[test]
fn four_processes_on_four_cores_are_at_least_3_5_times_one() {
    for api in ["pool", "executor"] {
        let api = format!("workload.jobs.run.api={api}");
        let one = makespan("processes", 1, &[&api]);
        let four = makespan("processes", 4, &[&api]);
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
    let four = makespan("processes", 4, &[]);
    let eight = makespan("processes", 8, &[]);
    let one = makespan("processes", 1, &[]);
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
    let threads = makespan("threads", 4, &[]);
    let processes = makespan("processes", 4, &[]);
    assert!(
        threads > 3.0 * processes,
        "threads {threads} s against processes {processes} s"
    );
}

#[test]
fn forever_workers_each_loop_in_their_own_process() {
    let toml = r#"
name = "spin"
seed = 5
duration = "1s"
warmup = "100ms"
[machine]
cores = 4
[[workload]]
name = "spin"
repeat = "forever"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "processes"
workers = 4
"#;
    for model in ["processes", "threads"] {
        let s = scenario_with(toml, &[&format!("workload.spin.run.model={model}")]);
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
