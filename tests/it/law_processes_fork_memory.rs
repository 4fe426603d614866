//! Law: a fork pool pays for the arguments its parent holds. `os.fork()`
//! copies page tables that grow with the parent's memory
//! (`python.fork_ns_per_mib`), and pickling arguments built before the fork
//! writes their reference counts, faulting and copying each shared page once
//! (`python.cow_ns_per_mib`). Spawn children share nothing, and arguments
//! built after the pool's forks live in private pages: neither pays.

use crate::common::*;

/// Parent-bound: tiny tasks and pickles, so the task handler's copy-on-write
/// faults are the makespan's difference. Chunksize 1: one lognormal draw
/// per task (Pool.map's default of 5 here would average only 8 draws).
const MAP: &str = r#"
name = "fork-memory"
seed = 5
[machine]
cores = 4
[[workload]]
name = "jobs"
tasks = 40
steps = [ { cpu = "10us" } ]
args_bytes = "1KB"
result_bytes = "8B"
[workload.run]
model = "processes"
api = "pool"
workers = 2
chunksize = 1
start_method = "fork"
"#;

const MIB: f64 = 1024.0 * 1024.0;

/// (makespan s, overhead CPU s, the scenario's memory per task in MiB, cow and fork ns per MiB).
fn run(toml: &str, sets: &[&str]) -> (f64, f64, f64, f64, f64) {
    let s = scenario_with(toml, sets);
    let o = simulate(&s);
    assert_single_holder(&o);
    let w = &o.workloads[0];
    assert_eq!(w.tasks_in_flight, 0);
    let p = &s.python.process;
    (
        w.sim_time_s,
        o.accounting.overhead_cpu as f64 / 1e9,
        s.workloads[0].memory_bytes as f64 / MIB,
        p.cow_ns_per_mib,
        p.fork_ns_per_mib,
    )
}

#[test]
fn a_fork_pool_pays_copy_on_write_for_arguments_built_before_it() {
    let (plain, plain_cpu, none, ..) = run(MAP, &[]);
    assert_eq!(none, 0.0);
    let (heavy, heavy_cpu, mib, cow, fork) = run(MAP, &["workload.jobs.memory=1MB"]);
    assert!(cow > 0.0 && fork > 0.0, "the defaults charge something");
    // Every task pickled once by the task handler after both forks; each
    // of the 2 forks copies the page tables of all 40 tasks' memory.
    let tasks = 40.0;
    let expected = (tasks * mib * cow + 2.0 * tasks * mib * fork) / 1e9;
    let (extra, extra_cpu) = (heavy - plain, heavy_cpu - plain_cpu);
    println!(
        "fork pool: no memory {plain:.4} s, 1 MB per task {heavy:.4} s: +{extra:.4} s \
         (overhead CPU +{extra_cpu:.4} s), expected about {expected:.4} s"
    );
    // The CoW is a scaled lognormal median (sigma 0.2): its mean over 40
    // draws is within a few percent of the median's.
    assert!(
        extra_cpu > 0.85 * expected && extra_cpu < 1.2 * expected,
        "overhead CPU +{extra_cpu} s, expected {expected} s"
    );
    assert!(
        extra > 0.7 * expected && extra < 1.3 * expected,
        "makespan +{extra} s, expected {expected} s"
    );
}

#[test]
fn spawn_children_share_nothing() {
    let spawn = "workload.jobs.run.start_method=spawn";
    let (plain, plain_cpu, ..) = run(MAP, &[spawn]);
    let (heavy, heavy_cpu, ..) = run(MAP, &[spawn, "workload.jobs.memory=1MB"]);
    println!("spawn pool: no memory {plain:.6} s, 1 MB per task {heavy:.6} s");
    assert_eq!(plain.to_bits(), heavy.to_bits(), "makespan");
    assert_eq!(plain_cpu.to_bits(), heavy_cpu.to_bits(), "overhead CPU");
    // The same for forkserver: the server forks, holding none of the tasks.
    let fs = "workload.jobs.run.start_method=forkserver";
    let (a, ..) = run(MAP, &[fs]);
    let (b, ..) = run(MAP, &[fs, "workload.jobs.memory=1MB"]);
    assert_eq!(a.to_bits(), b.to_bits(), "forkserver makespan");
}

#[test]
fn arguments_arriving_after_the_forks_are_private() {
    let open = MAP.replace("tasks = 40", "rate = \"200/s\"").replace(
        "name = \"fork-memory\"\n",
        "name = \"fork-memory\"\nduration = \"1s\"\n",
    );
    let (_, plain_cpu, ..) = run(&open, &[]);
    let (_, heavy_cpu, mib, cow, fork) = run(&open, &["workload.jobs.memory=1MB"]);
    // The first arrival creates the pool, so it was built before the forks
    // and pays; about 200 later ones must not. Both forks copy at most the
    // tables of that one task (a second arrival in 2 ms is unlikely but
    // allowed for).
    let one = (mib * cow + 2.0 * 2.0 * mib * fork) / 1e9;
    let extra = heavy_cpu - plain_cpu;
    println!(
        "open loop at 200/s: overhead CPU +{extra:.5} s with 1 MB per task (one task's CoW {one:.5} s)"
    );
    assert!(extra >= 0.0, "no memory costs nothing: {extra}");
    assert!(
        extra < 2.0 * one,
        "+{extra} s: tasks arriving after the forks paid copy-on-write"
    );
}

#[test]
fn the_costs_are_python_keys_and_zero_costs_change_nothing() {
    let s = scenario_with(
        MAP,
        &["python.fork_ns_per_mib=7", "python.cow_ns_per_mib=9"],
    );
    assert_eq!(s.python.process.fork_ns_per_mib, 7.0);
    assert_eq!(s.python.process.cow_ns_per_mib, 9.0);
    let zero = ["python.fork_ns_per_mib=0", "python.cow_ns_per_mib=0"];
    let (plain, plain_cpu, ..) = run(MAP, &zero);
    let (heavy, heavy_cpu, ..) = run(MAP, &[zero[0], zero[1], "workload.jobs.memory=1MB"]);
    assert_eq!(plain.to_bits(), heavy.to_bits(), "makespan");
    assert_eq!(plain_cpu.to_bits(), heavy_cpu.to_bits(), "overhead CPU");
    // Each key alone: only the page-table copy, or only the faults.
    let (fork_only, ..) = run(
        MAP,
        &["python.cow_ns_per_mib=0", "workload.jobs.memory=1MB"],
    );
    let (cow_only, ..) = run(
        MAP,
        &["python.fork_ns_per_mib=0", "workload.jobs.memory=1MB"],
    );
    println!("zero costs {plain:.4} s; fork slope only {fork_only:.4} s; CoW only {cow_only:.4} s");
    assert!(plain < fork_only && fork_only < cow_only);
}
