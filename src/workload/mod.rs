//! Workloads: what a task does (its steps), how tasks arrive, and how they are run.

pub mod pipeline;
pub mod step;

pub use step::Step;

use crate::engine::time::Nanos;

/// How tasks of a workload arrive (docs/MODEL.md#arrivals).
#[derive(Debug, Clone, PartialEq)]
pub enum Arrival {
    /// `tasks = N`: a batch of N tasks submitted at time 0.
    Batch(u64),
    /// `rate = "R/s"`: Poisson arrivals (open loop), R tasks per second.
    Rate(f64),
    /// `repeat = "forever"`: each worker loops the program; one iteration is one task.
    Forever,
    /// `after = ["a", ...]`: a pipeline stage. Each task that finishes in
    /// every `upstream` workload puts one item into this stage's queue
    /// (of `maxsize = capacity`; `None`: unbounded); with several
    /// upstreams a task needs one item from each (a join).
    After {
        /// Indices of the upstream workloads, as written.
        upstream: Vec<usize>,
        /// Items each upstream may have waiting in the queue (`queue`).
        capacity: Option<u64>,
        /// What carries the items, chosen from the models on both ends.
        channel: StageChannel,
        /// One item's pickled size (the stage's `args_bytes`): what a
        /// `multiprocessing.Queue` or `Pipe` pickles, writes, reads and unpickles.
        item_bytes: u64,
    },
}

/// What carries a stage's items from its upstreams (docs/MODEL.md#pipelines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageChannel {
    /// `queue.Queue`: both ends are threads of the main interpreter.
    Queue,
    /// `multiprocessing.Queue`: either end is a process workload.
    MpQueue,
    /// `asyncio.Queue`: both ends are coroutines on the one event loop.
    AsyncioQueue,
    /// `multiprocessing.Pipe` (`channel = "pipe"`).
    Pipe,
}

impl StageChannel {
    /// The Python class, for messages and charts.
    pub fn python_name(self) -> &'static str {
        match self {
            StageChannel::Queue => "queue.Queue",
            StageChannel::MpQueue => "multiprocessing.Queue",
            StageChannel::AsyncioQueue => "asyncio.Queue",
            StageChannel::Pipe => "multiprocessing.Pipe",
        }
    }
}

/// The way a workload's tasks are run (`[workload.run]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// One thread runs the tasks one after another.
    Sequential,
    /// A `ThreadPoolExecutor` in the main interpreter.
    Threads,
    /// Worker processes, each with its own interpreter and GIL (docs/MODEL.md#processes).
    Processes(ProcessRun),
    /// An `InterpreterPoolExecutor` (3.14): worker threads of one process,
    /// each with an interpreter and a GIL of its own. Only the run's
    /// `args_bytes` and `result_bytes` are used.
    Subinterpreters(ProcessRun),
    /// Coroutines on one `asyncio` event loop in a thread of the main interpreter.
    Asyncio,
}

/// How a process model runs (`[workload.run]` keys of `model = "processes"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessRun {
    /// `multiprocessing.Pool` or `ProcessPoolExecutor` (ignored with `workers = "per-task"`).
    pub api: ProcessApi,
    /// Tasks per message; `None` is the API's default (Pool: `ceil(len / (4 × workers))`; executor: 1).
    pub chunksize: Option<u64>,
    /// How worker processes start.
    pub start_method: StartMethod,
    /// Pickled size of one task's arguments, in bytes (`args_bytes`).
    pub args_bytes: u64,
    /// Pickled size of one task's result, in bytes (`result_bytes`).
    pub result_bytes: u64,
    /// How payloads travel (`transfer`).
    pub transfer: Transfer,
}

/// How a process model moves arguments and results (`transfer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// Pickled through the pipe.
    Pickle,
    /// Copied into a `multiprocessing.shared_memory` block; only its handle is pickled.
    SharedMemory,
}

/// The process pool API (`api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessApi {
    /// `multiprocessing.Pool.map`.
    Pool,
    /// `concurrent.futures.ProcessPoolExecutor.map`.
    Executor,
}

impl ProcessApi {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            ProcessApi::Pool => "pool",
            ProcessApi::Executor => "executor",
        }
    }
}

/// `multiprocessing` start methods (`start_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartMethod {
    /// `os.fork()`: the child inherits the parent's memory.
    Fork,
    /// A fresh interpreter (`fork_exec` of `python -c 'from multiprocessing.spawn import spawn_main'`).
    Spawn,
    /// A server process, started once, forks each child.
    Forkserver,
}

impl StartMethod {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Spawn => "spawn",
            StartMethod::Forkserver => "forkserver",
        }
    }
}

impl Model {
    /// The name used in scenario files and in `results.csv`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Threads => "threads",
            Model::Processes(_) => "processes",
            Model::Subinterpreters(_) => "subinterpreters",
            Model::Asyncio => "asyncio",
        }
    }
}

/// How many workers run a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// A pool of this many workers.
    Fixed(u32),
    /// `workers = "per-task"`: one new thread per task, paying the thread start cost.
    PerTask,
    /// No limit (asyncio's default: no semaphore around the tasks).
    Unlimited,
}

/// One `[[workload]]` of a scenario, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Unique name, used in `results.csv` and in sweep keys.
    pub name: String,
    /// How tasks arrive.
    pub arrival: Arrival,
    /// The program each task runs.
    pub steps: Vec<Step>,
    /// How the tasks run.
    pub model: Model,
    /// Worker count.
    pub workers: Workers,
    /// Memory held by each task in flight, in bytes.
    pub memory_bytes: u64,
}

impl Workload {
    /// Mean CPU time of one task, in nanoseconds.
    pub fn mean_task_cpu(&self) -> f64 {
        self.steps.iter().map(Step::mean_cpu).sum()
    }

    /// The worker count as written in `results.csv`.
    pub fn workers_label(&self) -> String {
        match self.workers {
            Workers::Fixed(n) => n.to_string(),
            Workers::PerTask => "per-task".to_string(),
            Workers::Unlimited => "unlimited".to_string(),
        }
    }
}

/// Durations shared by all workloads of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindow {
    /// Stop at this simulated time; `None` runs until every task is done.
    pub duration: Option<Nanos>,
    /// Statistics exclude completions before this time.
    pub warmup: Nanos,
}

/// A named counting semaphore from `[semaphores]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaphoreDef {
    /// Its name, as used in `semaphore` steps.
    pub name: String,
    /// How many holders it admits at once.
    pub capacity: u32,
}

/// An event from `[events]` or a condition from `[conditions]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDef {
    /// Its name, as used in the steps.
    pub name: String,
    /// `Some(initially set)` for an event, `None` for a condition.
    pub event: Option<bool>,
}
