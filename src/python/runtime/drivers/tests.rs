//! Unit tests of the drivers: each run model starts the threads and
//! interpreters its Python counterpart starts, and completes every task.

use crate::engine::random::Dist;
use crate::engine::time::MS;
use crate::engine::{self, EventQueue};
use crate::machine::MachineConfig;
use crate::python::config::PythonConfig;
use crate::python::runtime::{Event, Runtime, System};
use crate::workload::{
    Arrival, Model, ProcessApi, ProcessRun, RunWindow, StartMethod, Step, Transfer, Workers,
    Workload,
};

use super::Driver;

fn workload(model: Model, workers: Workers, tasks: u64, steps: Vec<Step>) -> Workload {
    Workload {
        name: "w".to_string(),
        arrival: Arrival::Batch(tasks),
        steps,
        model,
        workers,
        memory_bytes: 0,
    }
}

fn pool(api: ProcessApi) -> ProcessRun {
    ProcessRun {
        api,
        chunksize: None,
        start_method: StartMethod::Fork,
        args_bytes: 100,
        result_bytes: 100,
        transfer: Transfer::Pickle,
    }
}

/// Runs `w` alone on 2 cores to its end and returns the runtime.
fn run(w: Workload) -> Runtime {
    let machine = MachineConfig {
        cores: 2,
        ..MachineConfig::default()
    };
    let python = PythonConfig::default();
    let workloads = [w];
    let system = System {
        machine: &machine,
        python: &python,
        window: RunWindow {
            duration: None,
            warmup: 0,
        },
        semaphores: &[],
        locks: &[],
        syncs: &[],
        shared: &[],
        workloads: &workloads,
    };
    let mut runtime = Runtime::new(system, 1);
    let mut queue: EventQueue<Event> = EventQueue::new();
    runtime.start(&mut queue);
    engine::run(&mut runtime, &mut queue, None, engine::Budget::default());
    assert!(!runtime.unfinished(), "{:?}", runtime.deadlock(queue.now()));
    runtime
}

fn cpu(ms: u64) -> Step {
    Step::Cpu(Dist::Const(ms * MS))
}

fn io(ms: u64) -> Step {
    Step::Io(Dist::Const(ms * MS))
}

#[test]
fn each_run_model_gets_its_driver() {
    let p = pool(ProcessApi::Pool);
    assert_eq!(
        Driver::of(&Model::Sequential, Workers::Fixed(8)),
        Driver::Sequential
    );
    assert_eq!(
        Driver::of(&Model::Threads, Workers::Fixed(8)),
        Driver::ThreadPool(8)
    );
    assert_eq!(
        Driver::of(&Model::Threads, Workers::PerTask),
        Driver::ThreadPerTask
    );
    assert_eq!(
        Driver::of(&Model::Processes(p), Workers::Fixed(2)),
        Driver::Processes
    );
    assert_eq!(
        Driver::of(&Model::Subinterpreters(p), Workers::Fixed(2)),
        Driver::Subinterpreters
    );
    assert_eq!(
        Driver::of(&Model::Asyncio, Workers::Unlimited),
        Driver::Asyncio
    );
}

#[test]
fn sequential_runs_every_task_on_the_main_thread() {
    let r = run(workload(
        Model::Sequential,
        Workers::Fixed(4),
        5,
        vec![cpu(1)],
    ));
    assert_eq!(r.spawned, 1);
    assert_eq!(r.workloads[0].completed, 5);
    assert_eq!(r.last_completion, r.workloads[0].latency.max().unwrap_or(0));
    assert!(r.last_completion >= 5 * MS);
    assert_eq!(r.workers_label(0), "1");
}

#[test]
fn a_thread_pool_starts_at_most_its_workers() {
    let r = run(workload(
        Model::Threads,
        Workers::Fixed(3),
        10,
        vec![io(10)],
    ));
    assert_eq!(r.spawned, 3);
    assert_eq!(r.workloads[0].completed, 10);
    assert_eq!(r.workers_label(0), "3");
}

#[test]
fn per_task_threads_start_one_thread_per_task() {
    let r = run(workload(Model::Threads, Workers::PerTask, 6, vec![io(1)]));
    assert_eq!(r.spawned, 6);
    assert_eq!(r.workloads[0].completed, 6);
    assert_eq!(r.live_threads, 0);
    assert_eq!(r.workers_label(0), "per-task");
}

#[test]
fn a_process_pool_has_one_interpreter_per_worker_process() {
    let model = Model::Processes(pool(ProcessApi::Pool));
    let r = run(workload(model, Workers::Fixed(2), 8, vec![cpu(2)]));
    assert_eq!(r.interps.len(), 1 + 2);
    assert_eq!(r.workloads[0].completed, 8);
    // The parent's main thread, Pool's task and result handlers, two workers.
    assert_eq!(r.spawned, 5);
    assert!(r.bytes_pickled > 0 && r.bytes_unpickled > 0);
}

#[test]
fn subinterpreters_run_in_one_process_with_an_interpreter_per_worker() {
    let model = Model::Subinterpreters(pool(ProcessApi::Executor));
    let r = run(workload(model, Workers::Fixed(2), 6, vec![cpu(1)]));
    assert_eq!(r.interps.len(), 1 + 2);
    assert_eq!(r.live_processes, 1);
    assert_eq!(r.workloads[0].completed, 6);
}

#[test]
fn asyncio_runs_every_task_as_a_coroutine_on_one_thread() {
    let r = run(workload(
        Model::Asyncio,
        Workers::Unlimited,
        20,
        vec![io(5)],
    ));
    assert_eq!(r.spawned, 1, "only the loop thread");
    assert_eq!(r.workloads[0].completed, 20);
    assert_eq!(r.live_coros, 0);
    // The 20 awaits overlap: far less than 20 × 5 ms.
    assert!(r.last_completion < 20 * MS, "{}", r.last_completion);
}

#[test]
fn asyncio_to_thread_starts_executor_threads_lazily() {
    let steps = vec![Step::ToThread(vec![io(5)])];
    let r = run(workload(Model::Asyncio, Workers::Unlimited, 3, steps));
    // The loop thread, and one executor thread per overlapping body.
    assert_eq!(r.spawned, 1 + 3);
    assert_eq!(r.workloads[0].completed, 3);
}
