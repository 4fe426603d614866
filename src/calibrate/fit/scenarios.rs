//! The probes as simulated scenarios, built with [`ScenarioBuilder`]: the
//! convoy, the sleep loop, the GIL hand-off, a `Pool.map` and an asyncio
//! fan-out, each with the machine and interpreter parameters being fitted
//! in place of the defaults.

use super::IoLoop;
use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos};
use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::scenario::Scenario;
use crate::scenario::builder::{ScenarioBuilder, StepSpec, WorkloadBuilder, step};
use crate::workload::{ProcessApi, StartMethod};

/// The scenario of `b` (`calibration.toml`), with `machine` and `python`
/// in place of its defaults, on `cores` cores at `interval_us`.
/// `s` with the profile's machine and interpreter, on `cores` cores.
fn on(mut s: Scenario, machine: &MachineConfig, python: &PythonConfig, cores: u32) -> Scenario {
    s.machine = machine.clone();
    s.machine.cores = cores.max(1);
    s.python = python.clone();
    s
}

fn build(
    b: ScenarioBuilder,
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    interval_us: u64,
) -> Scenario {
    let mut s = match b.path("calibration.toml").build() {
        Ok(s) => s,
        // The scenario is built here from numbers only: it always validates.
        Err(e) => unreachable!("generated calibration scenario does not parse: {e}"),
    };
    s = on(s, machine, python, cores);
    s.python.switch_interval_us = interval_us.max(1);
    s
}

/// `workers` threads each looping `steps` forever.
fn looping_threads(name: &str, workers: u32, steps: Vec<StepSpec>) -> WorkloadBuilder {
    WorkloadBuilder::new(name)
        .forever()
        .steps(steps)
        .threads(workers)
}

/// The convoy probe as a scenario: the I/O loop beside `cpu_threads`
/// CPU-bound threads, `seconds_ns` of simulated time after 100 ms of warm-up.
pub fn convoy_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    cores: u32,
    interval_us: u64,
    cpu_threads: u32,
    seconds_ns: Nanos,
) -> Scenario {
    beside_scenario(
        machine,
        python,
        io,
        cores,
        interval_us,
        cpu_threads,
        None,
        seconds_ns,
    )
}

/// The convoy probe as a scenario, its I/O thread's call either the pipe
/// write (`sleep: None`) or `time.sleep(sleep)` (`convoy.py`'s `sleep_s`).
#[allow(clippy::too_many_arguments)]
pub fn beside_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    cores: u32,
    interval_us: u64,
    cpu_threads: u32,
    sleep: Option<Nanos>,
    seconds_ns: Nanos,
) -> Scenario {
    let call = match sleep {
        Some(d) => step::sleep(d),
        None => step::cpu_nogil(Dist::LogNormal {
            median: io.call_ns.max(1),
            sigma: 0.3,
        }),
    };
    let mut b = ScenarioBuilder::new("calibrate-convoy")
        .seed(1)
        .duration(seconds_ns + 100 * MS)
        .warmup(100 * MS)
        .workload(looping_threads(
            "io",
            1,
            vec![step::cpu(io.python_ns.max(1)), call],
        ));
    if cpu_threads > 0 {
        b = b.workload(looping_threads(
            "cpu",
            cpu_threads,
            vec![step::cpu(10 * MS)],
        ));
    }
    build(b, machine, python, cores, interval_us)
}

/// The sleep probe as a scenario: one thread looping `time.sleep(1 ms)`.
pub fn sleep_scenario(machine: &MachineConfig, python: &PythonConfig, cores: u32) -> Scenario {
    let b = ScenarioBuilder::new("calibrate-sleep")
        .seed(1)
        .duration(300 * MS)
        .workload(looping_threads("s", 1, vec![step::sleep(MS)]));
    build(b, machine, python, cores, 5000)
}

/// Two CPU-bound threads at `interval_us` on `cores`, as the hand-off probe.
pub fn handoff_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    interval_us: u64,
) -> Scenario {
    let mut b = ScenarioBuilder::new("calibrate-handoff")
        .seed(1)
        .duration(1_000 * MS);
    for name in ["a", "b"] {
        b = b.workload(looping_threads(name, 1, vec![step::cpu(10 * MS)]));
    }
    build(b, machine, python, cores, interval_us)
}

/// A `multiprocessing.Pool(workers)` (fork) mapping `tasks` calls.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolMap {
    /// Worker processes.
    pub workers: u32,
    /// Tasks mapped.
    pub tasks: u32,
    /// `Pool.map`'s chunksize.
    pub chunksize: u32,
    /// The task's steps.
    pub steps: Vec<StepSpec>,
    /// Pickled size of a task's arguments.
    pub args_bytes: u64,
    /// Pickled size of a task's result.
    pub result_bytes: u64,
    /// Memory of a task's argument objects in the parent (the workload's
    /// `memory`; 0: none declared), which a fork's page-table copy and the
    /// copy-on-write faults of pickling them scale with.
    pub memory_bytes: u64,
}

/// Object memory of the list of floats that `workload.py`'s `process_map`
/// builds for a pickle of about `payload_bytes` (`count = payload_bytes // 9`
/// floats): 24 B per float, 8 B per list slot, 56 B of list header
/// (CPython 3.11, 64-bit).
pub fn float_list_memory(payload_bytes: u64) -> u64 {
    let count = (payload_bytes / 9).max(1);
    count * 24 + 56 + count * 8
}

/// A [`PoolMap`] as a scenario on `cores` cores.
pub fn pool_map_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    m: &PoolMap,
) -> Option<Scenario> {
    let mut pool = WorkloadBuilder::new("pool")
        .tasks(u64::from(m.tasks.max(1)))
        .steps(m.steps.clone())
        .args_bytes(m.args_bytes)
        .result_bytes(m.result_bytes)
        .processes(m.workers.max(1))
        .api(ProcessApi::Pool)
        .chunksize(u64::from(m.chunksize.max(1)))
        .start_method(StartMethod::Fork);
    if m.memory_bytes > 0 {
        pool = pool.memory(m.memory_bytes);
    }
    let s = ScenarioBuilder::new("calibrate-pool-map")
        .path("calibration.toml")
        .seed(1)
        .workload(pool)
        .build()
        .ok()?;
    Some(on(s, machine, python, cores))
}

/// An asyncio fan-out on one event loop: per workload, `tasks` coroutines
/// arriving at once and running `steps`; on `cores` cores.
pub fn asyncio_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    workloads: &[(u32, Vec<StepSpec>)],
) -> Option<Scenario> {
    let mut b = ScenarioBuilder::new("validate-asyncio")
        .path("validate.toml")
        .seed(1);
    for (i, (tasks, steps)) in workloads.iter().enumerate() {
        b = b.workload(
            WorkloadBuilder::new(&format!("w{i}"))
                .tasks(u64::from((*tasks).max(1)))
                .steps(steps.clone())
                .asyncio(),
        );
    }
    let s = b.build().ok()?;
    Some(on(s, machine, python, cores))
}

/// `startjoin.py` as a scenario: one `multiprocessing.Process` at a time
/// with `method`, started and joined in a loop for `length`, its target a
/// call of about `call_ns`.
pub fn start_join_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    method: StartMethod,
    call_ns: Nanos,
    length: Nanos,
) -> Option<Scenario> {
    let w = WorkloadBuilder::new("start-join")
        .forever()
        .steps(vec![step::cpu(call_ns.max(1))])
        .per_task_processes()
        .start_method(method);
    let s = ScenarioBuilder::new("validate-start-join")
        .path("calibration.toml")
        .seed(1)
        .duration(length)
        .workload(w)
        .build()
        .ok()?;
    Some(on(s, machine, python, cores))
}
