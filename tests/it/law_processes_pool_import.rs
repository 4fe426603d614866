//! Law: a program's first `multiprocessing.Pool()` imports
//! `multiprocessing.pool` and `multiprocessing.queues`
//! (`Lib/multiprocessing/context.py`) in its main thread, with the GIL,
//! before it starts a worker (`python.pool_import`). Nothing else can run
//! meanwhile, so the whole run moves later by about that time (not
//! exactly: the other core idles longer, and draws fall in another
//! order), and the overhead CPU grows by it. A
//! `ProcessPoolExecutor` imported its modules with its own module and pays
//! nothing, and a program's later pools find the modules imported.

use crate::common::*;

const POOL: &str = r#"
name = "pool-import"
seed = 3
[machine]
cores = 2
[[workload]]
name = "jobs"
tasks = 30
steps = [ { cpu = "200us" } ]
args_bytes = "1KB"
result_bytes = "8B"
[workload.run]
model = "processes"
api = "pool"
workers = 2
chunksize = 1
start_method = "fork"
"#;

/// (makespan ns, overhead CPU ns) with `sets` applied.
fn run(toml: &str, sets: &[&str]) -> (u64, u64) {
    let s = scenario_with(toml, sets);
    let o = simulate(&s);
    assert_single_holder(&o);
    assert_eq!(o.workloads[0].tasks_completed, 30);
    (
        (o.workloads[0].sim_time_s * 1e9).round() as u64,
        o.accounting.overhead_cpu,
    )
}

#[test]
fn the_first_pool_pays_its_imports_before_any_worker_starts() {
    let (none, none_cpu) = run(POOL, &["python.pool_import=\"0ns\""]);
    let (some, some_cpu) = run(POOL, &["python.pool_import=\"7ms\""]);
    println!("Pool.map: {none} ns without imports, {some} ns with 7 ms of imports");
    let later = some as f64 - none as f64;
    assert!(
        (later - 7e6).abs() < 0.35e6,
        "the run moves later by the imports: {later} ns"
    );
    let cpu = some_cpu as f64 - none_cpu as f64;
    assert!(
        (cpu - 7e6).abs() < 0.1e6,
        "charged as CPU once: {cpu} ns more"
    );
}

#[test]
fn the_default_import_is_charged_and_an_executor_pays_none() {
    let (none, _) = run(POOL, &["python.pool_import=\"0ns\""]);
    let (default, _) = run(POOL, &[]);
    assert!(
        default > none + 4_000_000,
        "the default (a lognormal around 8 ms) is charged: {default} vs {none}"
    );
    let executor = POOL.replace("api = \"pool\"", "api = \"executor\"");
    let a = run(&executor, &["python.pool_import=\"0ns\""]);
    let b = run(&executor, &["python.pool_import=\"50ms\""]);
    assert_eq!(a, b, "ProcessPoolExecutor does not import at its creation");
}

#[test]
fn a_program_imports_once_however_many_pools_it_creates() {
    let second = POOL.to_string()
        + "[[workload]]\nname = \"more\"\ntasks = 30\nsteps = [ { cpu = \"200us\" } ]\n\
           [workload.run]\nmodel = \"processes\"\napi = \"pool\"\nworkers = 2\n";
    let cpu = |sets: &[&str]| {
        simulate(&scenario_with(&second, sets))
            .accounting
            .overhead_cpu
    };
    let extra =
        cpu(&["python.pool_import=\"9ms\""]) as f64 - cpu(&["python.pool_import=\"0ns\""]) as f64;
    println!("two pools: {extra} ns of imports");
    assert!(
        (extra - 9e6).abs() < 0.2e6,
        "one import for two pools: {extra} ns"
    );
}
