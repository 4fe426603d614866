//! Workloads: what a task does (its steps), how tasks arrive, and how they are run.

pub mod limits;
pub mod pipeline;
pub mod step;

pub use step::{Step, Update, UpdateKind};

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
    /// Whether a stage with several upstreams can join them on this channel.
    pub fn joins(self) -> bool {
        matches!(self, StageChannel::Queue | StageChannel::AsyncioQueue)
    }

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
    /// A deployment shape: `workers` server processes (`model = "processes"`
    /// with `per_process`), each running its own threads, loop or sync
    /// worker, fed by the kernel from one listening socket (docs/MODEL.md#shapes).
    Shape(Shape),
}

/// A served deployment (`[workload.run]` with `per_process`): what runs in
/// each worker process and how connections reach the processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// What each worker process runs.
    pub per_process: PerProcess,
    /// How the kernel spreads connections over the processes.
    pub balance: Balance,
    /// `preload = true`: the app is imported once in the master and shared
    /// copy-on-write by the workers (gunicorn `--preload`).
    pub preload: bool,
    /// Resident memory of the imported app in one process (`app_memory`).
    pub app_bytes: u64,
}

/// What a worker process of a [`Shape`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerProcess {
    /// One request at a time on the process's main thread (gunicorn `sync`).
    Sequential,
    /// A `ThreadPoolExecutor` of this many threads (gunicorn `gthread`).
    Threads(u32),
    /// An asyncio loop (uvicorn): `Some(n)` admits at most n requests at once.
    Asyncio(Option<u32>),
}

impl PerProcess {
    /// The model name written in `per_process`.
    pub fn name(self) -> &'static str {
        match self {
            PerProcess::Sequential => "sequential",
            PerProcess::Threads(_) => "threads",
            PerProcess::Asyncio(_) => "asyncio",
        }
    }
}

/// How connections reach the worker processes of a [`Shape`] (`balance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// One listening socket shared by every worker: a connection goes to a
    /// process ready to accept it (docs/MODEL.md#shapes).
    Accept,
    /// `SO_REUSEPORT`: a socket per worker, the kernel hashing each
    /// connection's 4-tuple to one of them, busy or not.
    Reuseport,
    /// Connections dealt to the processes in turn.
    RoundRobin,
}

impl Balance {
    /// Every name, as written in scenario files.
    pub const NAMES: [&'static str; 3] = ["accept", "reuseport", "round-robin"];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Balance::Accept => "accept",
            Balance::Reuseport => "reuseport",
            Balance::RoundRobin => "round-robin",
        }
    }
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

impl Transfer {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Transfer::Pickle => "pickle",
            Transfer::SharedMemory => "shared_memory",
        }
    }
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
    /// Every model's name, in the order messages list them.
    pub const NAMES: [&'static str; 5] = [
        "sequential",
        "threads",
        "processes",
        "asyncio",
        "subinterpreters",
    ];

    /// The name used in scenario files and in `results.csv`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Sequential => "sequential",
            Model::Threads => "threads",
            Model::Processes(_) => "processes",
            Model::Subinterpreters(_) => "subinterpreters",
            Model::Asyncio => "asyncio",
            Model::Shape(_) => "processes",
        }
    }

    /// The oldest Python that has this model, as `(major, minor)`, with the
    /// API that appeared then; `None` for models every supported version has.
    pub fn needs_python(&self) -> Option<(u32, u32, &'static str)> {
        match self {
            Model::Subinterpreters(_) => Some((3, 14, "InterpreterPoolExecutor")),
            _ => None,
        }
    }

    /// Whether the tasks are coroutines on the event loop: `io` is awaited,
    /// a blocking call blocks the loop thread, and there is no pool of
    /// workers, only an optional semaphore around the tasks.
    pub fn coroutines(&self) -> bool {
        matches!(self, Model::Asyncio)
    }

    /// Whether a task's steps run in a coroutine (asyncio, or a shape whose
    /// processes run asyncio loops): `blocking_io` then blocks a loop.
    pub fn coroutine_steps(&self) -> bool {
        match self {
            Model::Shape(s) => matches!(s.per_process, PerProcess::Asyncio(_)),
            _ => self.coroutines(),
        }
    }

    /// Whether the process pool keys (`api`, `chunksize`, `start_method`,
    /// `transfer`) apply.
    pub fn takes_pool_keys(&self) -> bool {
        matches!(self, Model::Processes(_))
    }

    /// The run's payload sizes, for the models that pickle a task's
    /// arguments and result (threads pass references).
    pub fn payloads_mut(&mut self) -> Option<&mut ProcessRun> {
        match self {
            Model::Processes(run) | Model::Subinterpreters(run) => Some(run),
            _ => None,
        }
    }

    /// The worker count when `workers` is left out, on `cores` cores:
    /// `ThreadPoolExecutor`'s `min(32, cores + 4)` (`Lib/concurrent/futures/thread.py`,
    /// also `InterpreterPoolExecutor`'s), `os.cpu_count()` processes for
    /// `Pool` and `ProcessPoolExecutor`, no limit on coroutines, one
    /// sequential worker.
    pub fn default_workers(&self, cores: u32) -> Workers {
        match self {
            Model::Threads | Model::Subinterpreters(_) => {
                Workers::Fixed(cores.saturating_add(4).min(32))
            }
            Model::Processes(_) | Model::Shape(_) => Workers::Fixed(cores),
            Model::Asyncio => Workers::Unlimited,
            Model::Sequential => Workers::Fixed(1),
        }
    }

    /// Whether the model runs on exactly one worker.
    pub fn one_worker(&self) -> bool {
        matches!(self, Model::Sequential)
    }

    /// `workers = "per-task"`: a new thread (or process) for every task.
    pub fn per_task(&self) -> Support {
        match self {
            Model::Asyncio => Support::No,
            Model::Subinterpreters(_) | Model::Shape(_) => Support::NotBuilt,
            _ => Support::Yes,
        }
    }

    /// `repeat = "forever"` or a pipeline stage: a deployment shape serves
    /// requests that arrive (`tasks` or `rate`).
    pub fn serves_only_arrivals(&self) -> bool {
        matches!(self, Model::Shape(_))
    }

    /// `repeat = "forever"` with `workers = "per-task"`.
    pub fn repeat_per_task(&self) -> Support {
        match self {
            Model::Shape(_) => Support::NotBuilt,
            _ => Support::Yes,
        }
    }

    /// `{ to_thread = true, steps = [...] }`: only a coroutine has an event
    /// loop whose default executor runs the body.
    pub fn to_thread(&self) -> Support {
        if let Model::Shape(s) = self {
            return match s.per_process {
                PerProcess::Asyncio(_) => Support::NotBuilt,
                _ => Support::No,
            };
        }
        if self.coroutines() {
            Support::Yes
        } else {
            Support::No
        }
    }

    /// Steps on events and conditions (`wait_event`, `set_event`,
    /// `clear_event`, `wait`, `notify`).
    pub fn sync_steps(&self) -> Support {
        match self {
            // A lock or event would be one per worker process.
            Model::Subinterpreters(_) | Model::Shape(_) => Support::NotBuilt,
            _ => Support::Yes,
        }
    }

    /// Which end of a stage's channel this model's workers are.
    pub fn endpoint(&self) -> Endpoint {
        match self {
            Model::Sequential | Model::Threads => Endpoint::Thread,
            Model::Processes(_) => Endpoint::Process,
            Model::Shape(_) => Endpoint::Server,
            Model::Asyncio => Endpoint::Loop,
            Model::Subinterpreters(_) => Endpoint::Interpreter,
        }
    }

    /// What carries items from a workload of this model to a `stage` of
    /// model `stage`: `pipe` when the stage asks for `channel = "pipe"`,
    /// `bounded` when its queue has a capacity. Or the link this version
    /// does not build.
    pub fn link(
        &self,
        stage: &Model,
        pipe: bool,
        bounded: bool,
    ) -> Result<StageChannel, LinkRefusal> {
        let (from, to) = (self.endpoint(), stage.endpoint());
        if from == Endpoint::Server || to == Endpoint::Server {
            return Err(LinkRefusal::Shape);
        }
        if from == Endpoint::Interpreter || to == Endpoint::Interpreter {
            return Err(LinkRefusal::Subinterpreters {
                upstream: from == Endpoint::Interpreter,
            });
        }
        if to == Endpoint::Loop && from != Endpoint::Loop {
            return Err(LinkRefusal::LoopFedByOthers);
        }
        if from == Endpoint::Loop && to == Endpoint::Thread {
            return Err(LinkRefusal::LoopToThreads);
        }
        if from == Endpoint::Loop && to == Endpoint::Process && bounded {
            return Err(LinkRefusal::LoopToBoundedQueue);
        }
        if pipe {
            if from == Endpoint::Loop {
                return Err(LinkRefusal::PipeFromLoop);
            }
            return Ok(StageChannel::Pipe);
        }
        Ok(match (from, to) {
            (Endpoint::Thread, Endpoint::Thread) => StageChannel::Queue,
            (Endpoint::Loop, Endpoint::Loop) => StageChannel::AsyncioQueue,
            _ => StageChannel::MpQueue,
        })
    }
}

/// Whether a model runs something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// It does.
    Yes,
    /// It cannot: the model has no such thing.
    No,
    /// It could, but this version of gilsim does not simulate it yet.
    NotBuilt,
}

/// Which side of a stage's channel a model's workers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Threads of the main interpreter (`sequential`, `threads`).
    Thread,
    /// Worker processes.
    Process,
    /// Coroutines on the event loop.
    Loop,
    /// Subinterpreters.
    Interpreter,
    /// The worker processes of a deployment shape.
    Server,
}

/// A link between two workloads that this version of gilsim does not build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// An end runs on subinterpreters: the upstream end when `upstream`.
    Subinterpreters {
        /// Whether it is the upstream end (else the stage).
        upstream: bool,
    },
    /// An asyncio stage fed by a workload that is not asyncio: the get
    /// would need `loop.run_in_executor`.
    LoopFedByOthers,
    /// Coroutines feeding threads: a `queue.Queue` between them.
    LoopToThreads,
    /// Coroutines feeding processes through a bounded
    /// `multiprocessing.Queue`: a full queue's `put` would block the loop.
    LoopToBoundedQueue,
    /// Coroutines writing a `multiprocessing.Pipe`.
    PipeFromLoop,
    /// An end is a deployment shape (`per_process`): its requests come
    /// from the network, not from a queue.
    Shape,
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

/// A variable from `[shared]`: a module global the threads update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedDef {
    /// Its name, as used in `update` steps.
    pub name: String,
    /// Its value at the start.
    pub initial: i64,
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
