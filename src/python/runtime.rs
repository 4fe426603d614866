//! The Python runtime model: threads running compiled programs on the
//! machine, contending for the GIL, locks and semaphores.
//!
//! Each Python thread is an OS thread of [`crate::machine::Machine`] (same
//! index). A thread's [`Next`] says what it does the next time the machine
//! hands it control ([`Notice::Started`] after a wake-up, or
//! [`Notice::BurstDone`]). [`Runtime::proceed`] runs that action and every
//! zero-time action after it, until the thread starts a CPU burst or blocks.
//!
//! Pools follow python/cpython `Lib/concurrent/futures/thread.py`: a worker is
//! started on `submit` only when no worker is idle and fewer than
//! `max_workers` exist (`_adjust_thread_count`); idle workers block in
//! `work_queue.get()` with the GIL released.
//!
//! When asked ([`Runtime::record_timeline`]), the runtime records a
//! [`Timeline`](crate::results::timeline::Timeline) of a window: after each
//! event inside it, the states of the threads that may have changed are
//! derived again and their lanes updated (`runtime/record.rs`).

mod aio;
mod events;
mod procs;
mod record;
mod stages;

pub use aio::{CallbackKind, LoopRecord};
pub use stages::StageCounts;

use std::collections::VecDeque;

use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::engine::{EventQueue, Model, Stream};
use crate::machine::MachineConfig;
use crate::machine::{Machine, MachineEvent, Notice, ThreadId};
use crate::results::latency::LatencyStats;
use crate::results::timeline::MarkKind;
use crate::results::{Accounting, Deadlock, SyncStat, WorkloadResult};
use crate::workload::{
    Arrival, Model as RunModel, RunWindow, SemaphoreDef, SyncDef, Workers, Workload,
};

use super::config::{Build, PythonConfig};
use super::gil::Gil;
use super::program::{Op, compile};
use super::sync::{Lock, Occupancy, Semaphore, Waitable};

/// What the runtime simulates: the machine, the interpreter's settings, the
/// program's workloads and synchronisation objects, and the statistics window.
#[derive(Debug, Clone, Copy)]
pub struct System<'a> {
    /// Cores and OS scheduler.
    pub machine: &'a MachineConfig,
    /// Interpreter and GIL.
    pub python: &'a PythonConfig,
    /// `duration` and `warmup`.
    pub window: RunWindow,
    /// Semaphores, in file order.
    pub semaphores: &'a [SemaphoreDef],
    /// Lock names, in order of first use.
    pub locks: &'a [String],
    /// Events, then conditions.
    pub syncs: &'a [SyncDef],
    /// Workloads, in file order.
    pub workloads: &'a [Workload],
}

/// Events of the Python runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An event of the machine (cores, scheduler).
    Machine(MachineEvent),
    /// Tasks of `workload` arrive.
    Arrival { workload: usize },
    /// A GIL wait's timed wait expires (stale unless `epoch` matches).
    GilTimeout { thread: ThreadId, epoch: u64 },
    /// A blocking call (I/O, sleep) of `thread` returns (stale unless `epoch` matches).
    CallReturn { thread: ThreadId, epoch: u64 },
    /// The warm-up ends: counters are snapshotted.
    WarmupEnd,
    /// A coroutine's awaited I/O completes (asyncio).
    AioDone { coro: usize },
}

impl From<MachineEvent> for Event {
    fn from(e: MachineEvent) -> Self {
        Event::Machine(e)
    }
}

/// What a thread does the next time it has control of its core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// A new thread's start-up (`thread_start`, without the GIL).
    Bootstrap,
    /// Take the GIL if needed, then run the operation at `pc`.
    Run,
    /// The burst of the operation at `pc` is complete.
    StepDone,
    /// A GIL-releasing call's burst is complete.
    CallDone,
    /// Back from a GIL-releasing call: pay its return cost, then run.
    ReturnCost,
    /// Woken from the GIL's condition variable (signalled or timed out).
    GilRecheck { timed_out: bool },
    /// Woken from `switch_cond` after a drop that had to wait for the switch.
    SwitchWoken,
    /// Woken after a lock release: try the lock again (without the GIL).
    LockRecheck(usize),
}

/// What a blocked thread waits for (for deadlock reports and timelines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Not blocked.
    None,
    /// On the GIL's condition variable.
    Gil,
    /// On `switch_cond`, for another thread to take the GIL.
    Switch,
    /// In blocking I/O or a sleep.
    Call,
    /// On a lock.
    Lock(usize),
    /// On a semaphore.
    Semaphore(usize),
    /// An idle pool worker waiting for a task.
    Idle,
    /// On an event's `set` or a condition's `notify` (`Scenario::syncs` index).
    Sync(usize),
    /// A multiprocessing notifier waiting for the sleepers it woke (`_woken_count`).
    Woken(usize),
    /// A producer in `put` on the full queue of this stage (`not_full.wait()`).
    QueueFull(usize),
}

/// A GIL-releasing call a thread makes after dropping the GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Nogil(Nanos),
    Io(Nanos),
    Sleep(Nanos),
    Lock(usize),
    Semaphore(usize),
    Idle,
    /// A `recv` on a channel (a pipe or a queue) with nothing to read yet.
    Recv(usize),
    /// Waiting for another process (the forkserver's reply), no core and no GIL.
    Await,
    /// Moves the thread to another interpreter (`_interpreters.exec` entering or leaving).
    Switch(usize),
    /// The event loop's `select` that waits, with its timeout (`None`: forever).
    Poll(Option<Nanos>),
    /// The blocking acquire of a condition's waiter lock (`Condition.wait`).
    SyncWait(usize),
    /// A multiprocessing notifier's `_woken_count.acquire()`.
    Woken(usize),
    /// `queue.Queue.put` on a full queue: (stage, upstream slot).
    QueuePut(usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BurstKind {
    /// Pure-Python CPU: a drop request truncates it at the next check point.
    Python,
    /// Anything else: runs to its end.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A pool worker (or the main thread of a sequential workload).
    Worker,
    /// One thread per task; exits after it.
    PerTask,
    /// Loops the program forever.
    Forever,
    /// A process model's submitting thread: the parent's main thread.
    ProcMain,
    /// `Pool`'s `_task_handler` thread in the parent.
    TaskHandler,
    /// `Pool`'s `_result_handler` thread in the parent.
    ResultHandler,
    /// `ProcessPoolExecutor`'s `_ExecutorManagerThread` in the parent.
    Manager,
    /// The call queue's feeder thread (`multiprocessing.Queue._feed`) in the parent.
    Feeder,
    /// A stage's `multiprocessing.Queue` feeder thread in a producer's process.
    StageFeeder,
    /// The main thread of a pool's worker process.
    ProcWorker,
    /// The main thread of a `multiprocessing.Process` started for one task.
    ProcTask,
    /// The forkserver's main thread.
    ForkServer,
    /// An `InterpreterPoolExecutor` worker thread: it runs each task in its own subinterpreter.
    SubWorker,
    /// The thread running the asyncio event loop (the main thread, in `asyncio.run`).
    Loop,
    /// A thread of the event loop's default executor (`to_thread`).
    Executor,
}

#[derive(Debug, Clone)]
struct PyThread {
    workload: usize,
    /// The interpreter the thread runs in now (index into `Runtime::interps`).
    interp: usize,
    /// A subinterpreter worker's own interpreter (0 otherwise).
    home: usize,
    role: Role,
    task: Option<Nanos>,
    pc: usize,
    holds_gil: bool,
    next: Next,
    burst: BurstKind,
    /// Rest of a `cpu` step interrupted at a check point.
    split_rest: Option<Nanos>,
    /// The call to make once a switch wait ends.
    pending_call: Option<Call>,
    saved_switch: u64,
    /// When the current GIL wait pass times out.
    gil_deadline: Nanos,
    epoch: u64,
    wait: Wait,
    gil_wait_since: Option<Nanos>,
    /// Since when, and on which lock or semaphore ([`Runtime::sync_index`]), it waits.
    sync_wait_since: Option<(Nanos, usize)>,
    born: Nanos,
    alive: bool,
    /// Creation order over the run (a reused slot gets a new serial).
    serial: u64,
    /// Creation order within the workload: the `1` of `io/1`.
    index: u32,
    /// True for the threads of a process model, which follow `plan`.
    agent: bool,
    /// What an agent thread does next, front first.
    plan: VecDeque<procs::Act>,
    /// The message an agent thread holds (received, or being sent).
    msg: Option<procs::Msg>,
    /// Puts of the finished task's results already made (pipeline stages).
    puts_done: usize,
    /// A stage worker took an item: its `get` cost is still to pay.
    get_due: stages::Get,
    /// Where a thread's put into a `Pipe` stage is: 0 before pickling, 1
    /// pickled (the write is next), 2 written.
    put_phase: u8,
    /// When the item of the put in progress entered its queue.
    put_entered: Nanos,
    /// A GIL-releasing call outside the program (a stage's pipe read or
    /// write): its return must not move `pc`.
    stage_call: bool,
    /// The thread has put into a stage's queue (its life counts in `putter_life_ns`).
    putter: bool,
    /// Since when, and on which stage's full queue, it waits in `put`.
    put_wait_since: Option<(Nanos, usize)>,
}

/// Per-workload state and statistics.
struct WorkloadState {
    name: String,
    ops: Vec<Op>,
    arrival: Arrival,
    model: RunModel,
    workers: Workers,
    memory: u64,
    steps_rng: Stream,
    arrivals_rng: Stream,
    runtime_rng: Stream,
    queue: VecDeque<Nanos>,
    idle: VecDeque<ThreadId>,
    threads: u32,
    /// Threads ever created.
    spawned: u32,
    arrived: u64,
    completed: u64,
    completed_in_window: u64,
    latency: LatencyStats,
    gil_wait_ns: u128,
    thread_life_ns: u128,
    /// Summed lifetime in the window of the threads that put into a stage.
    putter_life_ns: u128,
    /// Coroutine lifetime in the window, summed over its coroutines (asyncio).
    coro_life_ns: u128,
    /// Thread time blocked on each lock, then each semaphore, in the window.
    sync_wait_ns: Vec<u128>,
    /// Thread time blocked in `put` on each stage's full queue, in the window.
    put_blocked_ns: Vec<u128>,
    /// Draws of message costs (pickling, pipes): `workload/NAME/ipc`.
    ipc_rng: Stream,
    /// Core time spent on the workload's messages (pickling, unpickling,
    /// pipe syscalls, shared-memory blocks), over the whole run.
    ipc_cpu: Nanos,
    /// The process pool, for a process model.
    pool: Option<procs::PoolState>,
}

/// Counters snapshotted at the end of the warm-up.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    busy: Nanos,
    context_switches: u64,
}

/// One interpreter: its GIL and the GIL's counters at the end of the warm-up.
struct Interp {
    gil: Gil,
    snapshot_held: Nanos,
    snapshot_switches: u64,
}

impl Interp {
    fn new(gil: Gil) -> Self {
        Interp {
            gil,
            snapshot_held: 0,
            snapshot_switches: 0,
        }
    }

    /// GIL held time and switches in the window ending at `end`.
    fn window(&self, end: Nanos) -> (Nanos, u64) {
        (
            self.gil.held_time(end).saturating_sub(self.snapshot_held),
            self.gil.switch_number() - self.snapshot_switches,
        )
    }
}

/// The whole simulated Python program: machine, interpreter, workloads.
pub struct Runtime {
    python: PythonConfig,
    machine: Machine,
    /// Interpreters: 0 is the main (parent) interpreter; process pools add one per worker process.
    interps: Vec<Interp>,
    /// Whether GIL logs are recorded (for interpreters created later, too).
    record_gil: bool,
    threads: Vec<PyThread>,
    free_threads: Vec<ThreadId>,
    workloads: Vec<WorkloadState>,
    locks: Vec<Lock>,
    lock_names: Vec<String>,
    /// The scenario's locks come first in `locks`; the runtime's own follow.
    scenario_locks: usize,
    /// Busy time of each scenario lock, then each semaphore ([`Runtime::sync_index`]).
    sync_busy: Vec<Occupancy>,
    semaphores: Vec<Semaphore>,
    semaphore_names: Vec<String>,
    /// Events and conditions, in `Scenario::syncs` order (`runtime/events.rs`).
    syncs: Vec<Waitable>,
    warmup: Nanos,
    duration: Option<Nanos>,
    cpu_scale: f64,
    slack_rng: Stream,
    batch_left: u64,
    open_loop: bool,
    last_completion: Nanos,
    live_threads: u64,
    /// Live processes, the main one included.
    live_processes: u64,
    /// Resident memory of subinterpreters, in bytes.
    subinterpreters_rss: u64,
    /// Pipes and queues between threads and processes.
    channels: Vec<procs::Channel>,
    seed: u64,
    tasks_memory: u64,
    peak_rss: u64,
    snapshot: Snapshot,
    draining: bool,
    step_cpu: Nanos,
    overhead_cpu: Nanos,
    /// Whether a `multiprocessing.Pool()` of the program has imported
    /// its modules (`python.pool_import`: paid once per program).
    pool_imported: bool,
    bytes_pickled: u64,
    bytes_unpickled: u64,
    /// Threads ever created.
    spawned: u64,
    /// The timeline being recorded, if asked for.
    recorder: Option<Box<record::Recorder>>,
    /// The asyncio event loop, if a workload runs on it.
    aio: Option<Box<aio::EventLoop>>,
    /// Per workload: its stage queue, when it has `after`.
    stages: Vec<Option<stages::StageState>>,
    /// Per workload: the stages it feeds, with its slot among their upstreams.
    successors: Vec<Vec<(usize, usize)>>,
    /// The feeder threads of `multiprocessing.Queue` stages, one per producer process and stage.
    stage_feeders: Vec<stages::StageFeeder>,
    /// Live coroutines (asyncio tasks).
    live_coros: u64,
}

impl Runtime {
    /// Builds the runtime for one run of `scenario` with `seed`.
    pub fn new(scenario: System<'_>, seed: u64) -> Self {
        let python = scenario.python.clone();
        let cpu_scale = if python.build == Build::FreeThreaded {
            python.free_threaded_overhead
        } else {
            1.0
        };
        let workloads: Vec<WorkloadState> = scenario
            .workloads
            .iter()
            .map(|w| WorkloadState {
                name: w.name.clone(),
                ops: compile(&w.steps),
                arrival: w.arrival.clone(),
                model: w.model.clone(),
                workers: w.workers,
                memory: w.memory_bytes,
                steps_rng: Stream::new(seed, &format!("workload/{}/steps", w.name)),
                arrivals_rng: Stream::new(seed, &format!("workload/{}/arrivals", w.name)),
                runtime_rng: Stream::new(seed, &format!("workload/{}/runtime", w.name)),
                queue: VecDeque::new(),
                idle: VecDeque::new(),
                threads: 0,
                spawned: 0,
                arrived: 0,
                completed: 0,
                completed_in_window: 0,
                latency: LatencyStats::new(),
                gil_wait_ns: 0,
                thread_life_ns: 0,
                putter_life_ns: 0,
                coro_life_ns: 0,
                sync_wait_ns: vec![0; scenario.locks.len() + scenario.semaphores.len()],
                put_blocked_ns: vec![0; scenario.workloads.len()],
                ipc_rng: Stream::new(seed, &format!("workload/{}/ipc", w.name)),
                ipc_cpu: 0,
                pool: None,
            })
            .collect();
        let batch_left = scenario
            .workloads
            .iter()
            .map(|w| {
                if let Arrival::Batch(n) = w.arrival {
                    n
                } else {
                    0
                }
            })
            .sum();
        let open_loop = scenario
            .workloads
            .iter()
            .any(|w| !matches!(w.arrival, Arrival::Batch(_) | Arrival::After { .. }));
        let mut runtime = Runtime {
            interps: vec![Interp::new(Gil::new(
                python.gil_handoff,
                seed,
                "interpreter/main/gil",
            ))],
            record_gil: false,
            python,
            machine: Machine::new(scenario.machine.clone(), seed),
            threads: Vec::new(),
            free_threads: Vec::new(),
            workloads,
            locks: scenario.locks.iter().map(|_| Lock::default()).collect(),
            lock_names: scenario.locks.to_vec(),
            scenario_locks: scenario.locks.len(),
            sync_busy: vec![Occupancy::default(); scenario.locks.len() + scenario.semaphores.len()],
            semaphores: scenario
                .semaphores
                .iter()
                .map(|s| Semaphore::new(s.capacity))
                .collect(),
            semaphore_names: scenario.semaphores.iter().map(|s| s.name.clone()).collect(),
            syncs: Vec::new(),
            warmup: scenario.window.warmup,
            duration: scenario.window.duration,
            cpu_scale,
            slack_rng: Stream::new(seed, "interpreter/main/timers"),
            batch_left,
            open_loop,
            last_completion: 0,
            live_threads: 0,
            live_processes: 1,
            subinterpreters_rss: 0,
            channels: Vec::new(),
            seed,
            tasks_memory: 0,
            peak_rss: 0,
            snapshot: Snapshot::default(),
            draining: false,
            step_cpu: 0,
            overhead_cpu: 0,
            pool_imported: false,
            bytes_pickled: 0,
            bytes_unpickled: 0,
            spawned: 0,
            recorder: None,
            aio: None,
            stages: Vec::new(),
            successors: Vec::new(),
            stage_feeders: Vec::new(),
            live_coros: 0,
        };
        runtime.events_new(scenario);
        runtime.aio_new(scenario.machine.cores, seed);
        runtime.stages_new(scenario);
        runtime
    }

    /// Records every GIL acquisition and release (for tests and timelines).
    pub fn record_gil(&mut self) {
        self.record_gil = true;
        for i in &mut self.interps {
            i.gil.record();
        }
    }

    /// The GIL's `(time, thread, acquired)` log, when recorded.
    pub fn gil_log(&self) -> Option<&[(Nanos, ThreadId, bool)]> {
        self.interps[0].gil.log()
    }

    /// Every interpreter's GIL log, by interpreter (0 = main), when recorded.
    pub fn gil_logs(&self) -> Option<Vec<Vec<(Nanos, ThreadId, bool)>>> {
        self.interps
            .iter()
            .map(|i| i.gil.log().map(<[_]>::to_vec))
            .collect()
    }

    /// The most holders each semaphore ever had at once, in `[semaphores]` order.
    pub fn semaphore_max_holders(&self) -> Vec<u32> {
        self.semaphores.iter().map(|s| s.max_holders).collect()
    }

    /// Schedules the first events: arrivals, forever loops, the warm-up end.
    pub fn start(&mut self, q: &mut EventQueue<Event>) {
        self.update_rss();
        self.aio_start(q);
        if self.warmup > 0 {
            q.schedule_at(self.warmup, Event::WarmupEnd);
        }
        for w in 0..self.workloads.len() {
            match self.workloads[w].arrival {
                Arrival::Batch(_) | Arrival::Rate(_) => {
                    q.schedule_at(0, Event::Arrival { workload: w })
                }
                // Fed by its upstreams' puts (runtime/stages.rs); a stage on
                // processes starts its workers at once.
                Arrival::After { .. } => {
                    if matches!(self.workloads[w].model, RunModel::Processes(_)) {
                        self.arrive_processes(0, w, 0, q);
                    }
                }
                // Started with the loop (aio_start).
                Arrival::Forever if self.workloads[w].model == RunModel::Asyncio => {}
                Arrival::Forever
                    if matches!(
                        self.workloads[w].model,
                        RunModel::Processes(_) | RunModel::Subinterpreters(_)
                    ) =>
                {
                    self.arrive_processes(0, w, 0, q);
                }
                Arrival::Forever => {
                    let n = match (&self.workloads[w].model, self.workloads[w].workers) {
                        (RunModel::Sequential, _) => 1,
                        (_, Workers::Fixed(n)) => n,
                        (_, Workers::PerTask | Workers::Unlimited) => 1,
                    };
                    for _ in 0..n {
                        let tid = self.spawn(0, w, Role::Forever, Some(0), q);
                        self.workloads[w].arrived += 1;
                        self.add_task_memory(w);
                        let _ = tid;
                    }
                }
            }
        }
    }

    /// Keeps the run going after the last task, until no event is left.
    pub fn set_draining(&mut self) {
        self.draining = true;
    }

    /// True once every batch task is done and nothing else can arrive.
    pub fn all_done(&self) -> bool {
        !self.open_loop && self.batch_left == 0
    }

    /// Tasks still unfinished (arrived or not).
    pub fn unfinished(&self) -> bool {
        self.batch_left > 0 || self.workloads.iter().any(|w| w.arrived > w.completed)
    }

    /// Describes the blocked threads, for a deadlock report.
    pub fn deadlock(&self, at: Nanos) -> Deadlock {
        let mut blocked: Vec<String> = self
            .threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.alive && t.task.is_some() && t.wait != Wait::None)
            .map(|(i, t)| {
                let what = match t.wait {
                    Wait::Lock(l) => match self.locks[l].holder {
                        Some(h) => format!("lock `{}` held by thread {h}", self.lock_names[l]),
                        None => format!("lock `{}`", self.lock_names[l]),
                    },
                    Wait::Semaphore(s) => format!("semaphore `{}`", self.semaphore_names[s]),
                    Wait::Gil => "the GIL".to_string(),
                    Wait::Switch => "a GIL switch".to_string(),
                    Wait::Call => "a blocking call".to_string(),
                    Wait::Idle => "a task".to_string(),
                    Wait::Sync(_) | Wait::Woken(_) => self.sync_wait_what(t.wait),
                    Wait::QueueFull(d) => format!(
                        "room in the queue of stage `{}` (a full queue.Queue)",
                        self.workloads[d].name
                    ),
                    Wait::None => "nothing".to_string(),
                };
                format!(
                    "thread {i} of workload `{}` waits for {what}",
                    self.workloads[t.workload].name
                )
            })
            .collect();
        blocked.extend(self.aio_deadlock());
        blocked.extend(self.sync_deadlock_lines());
        Deadlock { at, blocked }
    }

    /// CPU accounting totals at `now`.
    pub fn accounting(&self, now: Nanos) -> Accounting {
        Accounting {
            step_cpu: self.step_cpu,
            overhead_cpu: self.overhead_cpu,
            switch_cpu: self.machine.counters().switch_time,
            busy: self.machine.busy_time(now),
            bytes_pickled: self.bytes_pickled,
            bytes_unpickled: self.bytes_unpickled,
        }
    }

    /// The end of the statistics window: `duration`, else the last completion.
    pub fn end_time(&self) -> Nanos {
        self.duration.unwrap_or(self.last_completion)
    }

    /// Per-workload results for the window `[warmup, end]`.
    pub fn results(&mut self, end: Nanos, events: u64) -> Vec<WorkloadResult> {
        // Close the open intervals of live threads at `end`.
        for tid in 0..self.threads.len() {
            if self.threads[tid].alive {
                self.close_thread_intervals(tid, end);
            }
        }
        self.aio_close_intervals(end);
        let window = end.saturating_sub(self.warmup);
        let window_s = window as f64 / 1e9;
        let cores = self.machine.cores() as u32;
        let frac = |x: f64, d: f64| if d > 0.0 { x / d } else { 0.0 };
        let busy = self
            .machine
            .busy_time(end)
            .saturating_sub(self.snapshot.busy);
        let cpu_utilization = frac(busy as f64, f64::from(cores) * window as f64);
        let run_busy = self.machine.busy_time(end);
        let gil = self.python.gil_enabled;
        let (gil_held, switches) = self.interps[0].window(end);
        let context_switches =
            self.machine.counters().context_switches - self.snapshot.context_switches;
        let peak_rss_mb = self.peak_rss as f64 / 1e6;
        let worker_gil: Vec<Option<(f64, u64)>> = (0..self.workloads.len())
            .map(|w| self.worker_gil_stats(w, end))
            .collect();
        let loop_owner = self.aio_owner();
        let owner_gil: Vec<(u128, u128)> = self
            .workloads
            .iter()
            .map(|w| (w.gil_wait_ns, w.thread_life_ns))
            .collect();
        let lags: Vec<Option<f64>> = (0..self.workloads.len())
            .map(|w| self.loop_lag_p99_ms(w))
            .collect();
        self.workloads
            .iter()
            .zip(worker_gil)
            .enumerate()
            .map(|(i, (w, worker_gil))| {
                let ms = |ns: f64| ns / 1e6;
                let latency_ms = w.latency.mean().map(|mean| {
                    let q = |p: f64| ms(w.latency.quantile(p).unwrap_or(0) as f64);
                    [
                        ms(mean),
                        q(0.5),
                        q(0.95),
                        q(0.99),
                        ms(w.latency.max().unwrap_or(0) as f64),
                    ]
                });
                WorkloadResult {
                    workload: w.name.clone(),
                    model: w.model.name().to_string(),
                    workers: match (&w.model, w.workers) {
                        (RunModel::Sequential, _) => "1".to_string(),
                        (_, Workers::Fixed(n)) => n.to_string(),
                        (_, Workers::PerTask) => "per-task".to_string(),
                        // An asyncio stage without `workers`: one consumer (aio/queue.rs).
                        (RunModel::Asyncio, Workers::Unlimited) if self.stages[i].is_some() => {
                            "1".to_string()
                        }
                        (_, Workers::Unlimited) => "unlimited".to_string(),
                    },
                    cores,
                    tasks_completed: w.completed_in_window,
                    sim_time_s: end as f64 / 1e9,
                    throughput_per_s: frac(w.completed_in_window as f64, window_s),
                    latency_ms,
                    cpu_utilization,
                    gil_held_fraction: gil.then(|| match worker_gil {
                        Some((held, _)) => held,
                        None => frac(gil_held as f64, window as f64),
                    }),
                    gil_wait_fraction: gil.then(|| {
                        // asyncio: the loop's threads (the loop and executor
                        // threads) belong to the first asyncio workload.
                        let (wait, life) = match (&w.model, loop_owner) {
                            (RunModel::Asyncio, Some(o)) => owner_gil[o],
                            _ => (w.gil_wait_ns, w.thread_life_ns),
                        };
                        frac(wait as f64, life as f64)
                    }),
                    gil_switches: gil.then_some(worker_gil.map_or(switches, |(_, s)| s)),
                    context_switches,
                    peak_rss_mb,
                    events,
                    tasks_in_flight: w.arrived - w.completed,
                    loop_lag_p99_ms: lags[i],
                    ipc_cpu_fraction: w
                        .pool
                        .is_some()
                        .then(|| frac(w.ipc_cpu as f64, run_busy as f64)),
                    sync: self.busiest_sync(w, end),
                    queue: self.queue_result(i, end),
                    blocked_on_stage: w
                        .put_blocked_ns
                        .iter()
                        .enumerate()
                        .filter(|(_, ns)| **ns > 0)
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                        .map(|(d, ns)| {
                            (
                                self.workloads[d].name.clone(),
                                // A process pool's puts come from a few of its
                                // threads (the result handler, or a stage's workers).
                                frac(
                                    *ns as f64,
                                    if w.pool.is_some() && w.putter_life_ns > 0 {
                                        w.putter_life_ns
                                    } else {
                                        self.producer_life_ns(i)
                                    } as f64,
                                ),
                            )
                        }),
                }
            })
            .collect()
    }

    // ----- threads -------------------------------------------------------

    fn spawn(
        &mut self,
        now: Nanos,
        w: usize,
        role: Role,
        task: Option<Nanos>,
        q: &mut EventQueue<Event>,
    ) -> ThreadId {
        self.spawn_in(now, w, role, task, 0, q)
    }

    /// Starts a thread of workload `w` in interpreter `interp`.
    fn spawn_in(
        &mut self,
        now: Nanos,
        w: usize,
        role: Role,
        task: Option<Nanos>,
        interp: usize,
        q: &mut EventQueue<Event>,
    ) -> ThreadId {
        let main_thread = self.workloads[w].model == RunModel::Sequential
            || role == Role::ProcMain
            || role == Role::Loop;
        let thread = PyThread {
            workload: w,
            interp,
            home: 0,
            role,
            task,
            pc: 0,
            holds_gil: false,
            next: if main_thread {
                Next::Run
            } else {
                Next::Bootstrap
            },
            burst: BurstKind::Other,
            split_rest: None,
            pending_call: None,
            saved_switch: 0,
            gil_deadline: 0,
            epoch: 0,
            wait: Wait::None,
            gil_wait_since: None,
            sync_wait_since: None,
            born: now,
            alive: true,
            serial: self.spawned,
            index: self.workloads[w].spawned,
            agent: procs::is_agent(role),
            plan: VecDeque::new(),
            msg: None,
            puts_done: 0,
            get_due: stages::Get::None,
            put_phase: 0,
            put_entered: 0,
            stage_call: false,
            putter: false,
            put_wait_since: None,
        };
        self.spawned += 1;
        self.workloads[w].spawned += 1;
        let tid = match self.free_threads.pop() {
            Some(tid) => {
                // Keep counting epochs: a stale timeout of the slot's previous
                // thread must never match the new one.
                let epoch = self.threads[tid].epoch + 1;
                self.threads[tid] = PyThread { epoch, ..thread };
                self.machine.reset_thread(tid);
                tid
            }
            None => {
                let tid = self.machine.add_thread();
                debug_assert_eq!(tid, self.threads.len());
                self.threads.push(thread);
                tid
            }
        };
        self.workloads[w].threads += 1;
        self.live_threads += 1;
        self.update_rss();
        self.machine.wake(now, tid, q);
        tid
    }

    fn block(&mut self, now: Nanos, tid: ThreadId, wait: Wait, q: &mut EventQueue<Event>) {
        self.threads[tid].wait = wait;
        if let Some(i) = self.sync_index(wait) {
            self.threads[tid].sync_wait_since = Some((now, i));
        }
        if let Wait::QueueFull(stage) = wait {
            self.threads[tid].put_wait_since = Some((now, stage));
        }
        self.machine.block(now, tid, q);
    }

    /// Gives lock `l` to `holder` (or frees it) at `now`, counting its busy time.
    fn set_lock_holder(&mut self, l: usize, holder: Option<ThreadId>, now: Nanos) {
        self.locks[l].holder = holder;
        self.note_sync_busy(Wait::Lock(l), holder.is_some(), now);
    }

    /// A scenario lock or semaphore became busy (held, or every permit
    /// taken) or free at `now`; the runtime's own locks are not counted.
    pub(super) fn note_sync_busy(&mut self, on: Wait, busy: bool, now: Nanos) {
        if let Some(i) = self.sync_index(on) {
            self.sync_busy[i].set(busy, now, self.warmup);
        }
    }

    /// Where a lock or semaphore wait is counted in `sync_wait_ns`.
    fn sync_index(&self, wait: Wait) -> Option<usize> {
        // Locks past the scenario's are the runtime's own (a pool's queue locks).
        let locks = self.scenario_locks;
        match wait {
            Wait::Lock(l) if l < locks => Some(l),
            Wait::Semaphore(s) if s < self.semaphore_names.len() => Some(locks + s),
            _ => None,
        }
    }

    /// Ends a thread's lock or semaphore wait at `now`, counting its part in the window.
    fn end_sync_wait(&mut self, tid: ThreadId, now: Nanos) {
        if let Some((since, i)) = self.threads[tid].sync_wait_since.take() {
            let w = self.threads[tid].workload;
            self.workloads[w].sync_wait_ns[i] += u128::from(overlap(since, now, self.warmup));
        }
    }

    fn wake(&mut self, now: Nanos, tid: ThreadId, next: Next, q: &mut EventQueue<Event>) {
        self.end_sync_wait(tid, now);
        self.end_put_wait(tid, now);
        self.threads[tid].wait = Wait::None;
        self.threads[tid].next = next;
        self.machine.wake(now, tid, q);
    }

    fn burst(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        cpu: Nanos,
        kind: BurstKind,
        next: Next,
        q: &mut EventQueue<Event>,
    ) {
        self.threads[tid].burst = kind;
        self.threads[tid].next = next;
        self.machine.run_burst(now, tid, cpu, q);
    }

    fn overhead(&mut self, tid: ThreadId, dist: Dist) -> Nanos {
        let w = self.threads[tid].workload;
        let d = dist.sample(&mut self.workloads[w].runtime_rng);
        self.overhead_cpu += d;
        d
    }

    fn step_duration(&mut self, tid: ThreadId, dist: Dist, scale: f64) -> Nanos {
        let w = self.steps_workload(tid);
        let d = dist.sample(&mut self.workloads[w].steps_rng);
        if scale == 1.0 {
            d
        } else {
            libm::round(d as f64 * scale) as Nanos
        }
    }

    /// Runs the thread's pending action and every zero-time action after it.
    fn proceed(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        loop {
            let next = std::mem::replace(&mut self.threads[tid].next, Next::Run);
            let more = match next {
                Next::Bootstrap => {
                    let d = match self.child_start(tid) {
                        Some(dist) => self.start_overhead(tid, dist),
                        None => self.overhead(tid, self.python.thread_start),
                    };
                    self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                    false
                }
                Next::ReturnCost => {
                    let d = self.overhead(tid, self.python.release_overhead);
                    self.burst(now, tid, d, BurstKind::Other, Next::Run, q);
                    false
                }
                Next::StepDone => {
                    self.advance(tid);
                    true
                }
                Next::CallDone => {
                    self.advance(tid);
                    self.threads[tid].next = Next::ReturnCost;
                    true
                }
                Next::GilRecheck { timed_out } => {
                    // take_gil's loop, after COND_TIMED_WAIT returned.
                    let i = self.threads[tid].interp;
                    if timed_out
                        && self.interps[i].gil.locked()
                        && self.interps[i].gil.switch_number() == self.threads[tid].saved_switch
                    {
                        self.record_mark(now, tid, MarkKind::DropRequest);
                        self.request_drop(now, i, q);
                    }
                    self.take_gil(now, tid, q)
                }
                Next::SwitchWoken => match self.threads[tid].pending_call.take() {
                    Some(call) => self.start_call(now, tid, call, q),
                    None => true,
                },
                Next::LockRecheck(l) => {
                    if self.locks[l].holder.is_none() {
                        self.set_lock_holder(l, Some(tid), now);
                        self.advance(tid);
                        self.threads[tid].next = Next::ReturnCost;
                        true
                    } else {
                        self.locks[l].waiters.push_back(tid);
                        self.threads[tid].next = Next::LockRecheck(l);
                        self.block(now, tid, Wait::Lock(l), q);
                        false
                    }
                }
                Next::Run => self.run(now, tid, q),
            };
            if !more {
                return;
            }
        }
    }

    /// Takes the GIL if needed, answers a pending drop request, then runs the operation at `pc`.
    fn run(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        if self.python.gil_enabled {
            if !self.threads[tid].holds_gil {
                return self.take_gil(now, tid, q);
            }
            let i = self.threads[tid].interp;
            if self.interps[i].gil.drop_requested() && self.at_check_point(tid) {
                // An eval-breaker check point with a drop request: a forced drop.
                return self.release_for(now, tid, None, q);
            }
        }
        if self.threads[tid].agent {
            if Self::is_aio_role(self.threads[tid].role) {
                return self.run_aio(now, tid, q);
            }
            return self.run_agent(now, tid, q);
        }
        let t = &self.threads[tid];
        let w = t.workload;
        if t.task.is_none() {
            return self.next_task(now, tid, q);
        }
        if t.get_due != stages::Get::None {
            return self.run_get(now, tid, q);
        }
        let t = &self.threads[tid];
        let Some(&op) = self.workloads[w].ops.get(t.pc) else {
            return self.complete_task(now, tid, q);
        };
        self.run_op(now, tid, op, q)
    }

    /// Runs one operation of a task's program, with the GIL taken if needed.
    fn run_op(&mut self, now: Nanos, tid: ThreadId, op: Op, q: &mut EventQueue<Event>) -> bool {
        match op {
            Op::Cpu(d) => {
                let d = match self.threads[tid].split_rest.take() {
                    Some(rest) => rest,
                    None => {
                        let d = self.step_duration(tid, d, self.cpu_scale);
                        self.step_cpu += d;
                        d
                    }
                };
                self.burst(now, tid, d, BurstKind::Python, Next::StepDone, q);
                false
            }
            Op::CpuHeld(d) => {
                let d = self.step_duration(tid, d, self.cpu_scale);
                self.step_cpu += d;
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            Op::CpuNogil(d) => {
                let d = self.step_duration(tid, d, 1.0);
                self.step_cpu += d;
                self.release_for(now, tid, Some(Call::Nogil(d)), q)
            }
            Op::Io(d) | Op::BlockingIo(d) => {
                let d = self.step_duration(tid, d, 1.0);
                self.release_for(now, tid, Some(Call::Io(d)), q)
            }
            // Only coroutines run these (runtime/aio.rs); the parser keeps them there.
            Op::ToThread(_) | Op::ToThreadEnd => {
                self.advance(tid);
                true
            }
            Op::Sleep(d) => {
                let d = self.step_duration(tid, d, 1.0);
                self.release_for(now, tid, Some(Call::Sleep(d)), q)
            }
            Op::LockAcquire(l) => {
                if self.locks[l].holder.is_none() {
                    self.set_lock_holder(l, Some(tid), now);
                    self.advance(tid);
                    true
                } else {
                    self.release_for(now, tid, Some(Call::Lock(l)), q)
                }
            }
            Op::LockRelease(l) => {
                debug_assert_eq!(self.locks[l].holder, Some(tid));
                self.set_lock_holder(l, None, now);
                if let Some(waiter) = self.locks[l].waiters.pop_front() {
                    self.wake(now, waiter, Next::LockRecheck(l), q);
                }
                self.advance(tid);
                true
            }
            Op::SemAcquire(s) => {
                if self.semaphores[s].try_acquire() {
                    let full = self.semaphores[s].holders >= self.semaphores[s].capacity;
                    self.note_sync_busy(Wait::Semaphore(s), full, now);
                    self.advance(tid);
                    true
                } else {
                    self.release_for(now, tid, Some(Call::Semaphore(s)), q)
                }
            }
            Op::SemRelease(s) => {
                let waiter = self.semaphores[s].release();
                self.note_sync_busy(Wait::Semaphore(s), false, now);
                if let Some(waiter) = waiter {
                    self.wake(now, waiter, Next::ReturnCost, q);
                }
                self.advance(tid);
                true
            }
            Op::SyncEnter(_)
            | Op::SyncRestore(_)
            | Op::SyncExit(_)
            | Op::EventWait(_)
            | Op::EventSet(_)
            | Op::EventClear(_)
            | Op::CondWait(_)
            | Op::CondNotify(..) => self.run_sync_op(now, tid, op, q),
        }
    }

    /// True when the thread's next operation passes an eval-breaker check
    /// point (a loop back edge or a Python function's `RESUME`) before
    /// anything else. An operation that starts with a call into C (`io`,
    /// `sleep`, `cpu_nogil`, `lock.acquire`/`release`) does not: the call
    /// drops the GIL itself, and `drop_gil` then waits for the switch if a
    /// request is pending (python/cpython `Python/ceval_gil.c`, FORCE_SWITCHING).
    fn at_check_point(&self, tid: ThreadId) -> bool {
        let t = &self.threads[tid];
        if t.agent
            && let Some(at) = self.agent_check_point(tid)
        {
            return at;
        }
        if t.task.is_none() {
            return true;
        }
        match self.workloads[t.workload].ops.get(t.pc) {
            Some(Op::CpuNogil(_) | Op::Io(_) | Op::Sleep(_) | Op::BlockingIo(_)) => false,
            Some(Op::ToThread(_) | Op::ToThreadEnd) => true,
            Some(Op::LockAcquire(_) | Op::LockRelease(_)) => false,
            Some(Op::Cpu(_) | Op::CpuHeld(_) | Op::SemAcquire(_) | Op::SemRelease(_)) => true,
            // `Event` and `Condition` methods are Python functions (`RESUME`).
            Some(
                Op::SyncEnter(_)
                | Op::SyncRestore(_)
                | Op::SyncExit(_)
                | Op::EventWait(_)
                | Op::EventSet(_)
                | Op::EventClear(_)
                | Op::CondWait(_)
                | Op::CondNotify(..),
            ) => true,
            None => true,
        }
    }

    /// `take_gil`: acquire a free GIL at once, or wait on its condition variable.
    fn take_gil(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        if !self.python.gil_enabled {
            return true;
        }
        let i = self.threads[tid].interp;
        if !self.interps[i].gil.locked() {
            if let Some(dropper) = self.interps[i].gil.acquire(now, tid) {
                // COND_SIGNAL(gil->switch_cond): the forced dropper may go on.
                self.wake(now, dropper, Next::SwitchWoken, q);
            }
            let t = &mut self.threads[tid];
            t.holds_gil = true;
            t.next = Next::Run;
            if let Some(since) = t.gil_wait_since.take() {
                let w = t.workload;
                self.workloads[w].gil_wait_ns += u128::from(overlap(since, now, self.warmup));
            }
            return true;
        }
        let interval = self.python.switch_interval();
        let slack = self.slack();
        let t = &mut self.threads[tid];
        t.saved_switch = self.interps[i].gil.switch_number();
        t.epoch += 1;
        t.gil_wait_since.get_or_insert(now);
        let epoch = t.epoch;
        t.gil_deadline = now + interval + slack;
        self.interps[i].gil.wait(tid);
        q.schedule_at(t.gil_deadline, Event::GilTimeout { thread: tid, epoch });
        self.block(now, tid, Wait::Gil, q);
        false
    }

    /// `SET_GIL_DROP_REQUEST`: the holder notices at its next check point,
    /// within `check_latency` of CPU for a `cpu` step, at the end otherwise.
    fn request_drop(&mut self, now: Nanos, interp: usize, q: &mut EventQueue<Event>) {
        self.interps[interp].gil.request_drop();
        let Some(holder) = self.interps[interp].gil.holder() else {
            return;
        };
        let t = &self.threads[holder];
        if t.burst != BurstKind::Python || t.next != Next::StepDone {
            return;
        }
        let Some(remaining) = self.machine.burst_remaining(now, holder) else {
            return;
        };
        let check = self.overhead_free_sample(holder, self.python.check_latency);
        if remaining > check {
            self.threads[holder].split_rest = Some(remaining - check);
            self.threads[holder].next = Next::Run;
            self.machine.shorten_burst(now, holder, check, q);
        }
    }

    fn overhead_free_sample(&mut self, tid: ThreadId, dist: Dist) -> Nanos {
        let w = self.threads[tid].workload;
        dist.sample(&mut self.workloads[w].runtime_rng)
    }

    /// `drop_gil` before `call` (a voluntary drop), or at a check point with
    /// `call = None` (a forced drop). Waits on `switch_cond` when a drop request is pending.
    fn release_for(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        call: Option<Call>,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if !self.python.gil_enabled {
            return match call {
                Some(call) => self.start_call(now, tid, call, q),
                None => true,
            };
        }
        let i = self.threads[tid].interp;
        let dropped = self.interps[i].gil.drop(now, tid, false);
        self.threads[tid].holds_gil = false;
        if let Some(waiter) = dropped.signalled {
            self.threads[waiter].epoch += 1;
            self.wake(now, waiter, Next::GilRecheck { timed_out: false }, q);
        }
        if dropped.must_wait_for_switch {
            let t = &mut self.threads[tid];
            t.pending_call = call;
            t.next = Next::SwitchWoken;
            if call.is_none() {
                t.gil_wait_since.get_or_insert(now);
            }
            self.block(now, tid, Wait::Switch, q);
            return false;
        }
        match call {
            Some(call) => self.start_call(now, tid, call, q),
            None => true,
        }
    }

    /// Makes a call with the GIL released.
    fn start_call(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        call: Call,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match call {
            Call::Nogil(d) => {
                self.burst(now, tid, d, BurstKind::Other, Next::CallDone, q);
                false
            }
            Call::Io(d) | Call::Sleep(d) => {
                let late = if matches!(call, Call::Sleep(_)) {
                    self.slack()
                } else {
                    0
                };
                self.advance(tid);
                let t = &mut self.threads[tid];
                t.epoch += 1;
                t.next = Next::ReturnCost;
                let epoch = t.epoch;
                q.schedule_at(now + d + late, Event::CallReturn { thread: tid, epoch });
                self.block(now, tid, Wait::Call, q);
                false
            }
            Call::Lock(l) => {
                if self.locks[l].holder.is_none() {
                    self.set_lock_holder(l, Some(tid), now);
                    self.advance(tid);
                    self.threads[tid].next = Next::ReturnCost;
                    return true;
                }
                self.locks[l].waiters.push_back(tid);
                self.threads[tid].next = Next::LockRecheck(l);
                self.block(now, tid, Wait::Lock(l), q);
                false
            }
            Call::QueuePut(stage, slot) => self.wait_not_full(now, tid, stage, slot, q),
            Call::Semaphore(s) => {
                self.threads[tid].next = Next::ReturnCost;
                if self.semaphores[s].holders < self.semaphores[s].capacity {
                    return true;
                }
                self.semaphores[s].waiters.push_back(tid);
                self.block(now, tid, Wait::Semaphore(s), q);
                false
            }
            Call::Recv(ch) => self.recv_blocking(now, tid, ch, q),
            Call::SyncWait(s) => self.sync_wait_call(now, tid, s, q),
            Call::Woken(s) => self.woken_call(now, tid, s, q),
            Call::Poll(timeout) => self.start_poll(now, tid, timeout, q),
            Call::Switch(interp) => {
                self.threads[tid].interp = interp;
                self.advance(tid);
                self.threads[tid].next = Next::Run;
                true
            }
            Call::Await => {
                self.threads[tid].next = Next::ReturnCost;
                self.block(now, tid, Wait::Call, q);
                false
            }
            Call::Idle => {
                let w = self.threads[tid].workload;
                self.workloads[w].idle.push_back(tid);
                self.threads[tid].next = Next::ReturnCost;
                self.block(now, tid, Wait::Idle, q);
                false
            }
        }
    }

    fn slack(&mut self) -> Nanos {
        self.machine
            .config()
            .timer_slack
            .sample(&mut self.slack_rng)
    }

    /// The last operation is done: record the task and find the next one.
    fn complete_task(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        let w = self.threads[tid].workload;
        if !self.successors[w].is_empty() && !self.put_results(now, tid, q) {
            return false;
        }
        let t = &mut self.threads[tid];
        let w = t.workload;
        let arrival = t.task.take().unwrap_or(now);
        t.pc = 0;
        let role = t.role;
        self.count_completion(now, w, arrival);
        self.complete_role(now, tid, w, role, q)
    }

    /// Counts a completed task of workload `w` that arrived at `arrival`.
    fn count_completion(&mut self, now: Nanos, w: usize, arrival: Nanos) {
        let wl = &mut self.workloads[w];
        wl.completed += 1;
        if now >= self.warmup {
            wl.completed_in_window += 1;
            wl.latency.record(now - arrival);
        }
        if matches!(wl.arrival, Arrival::Batch(_) | Arrival::After { .. }) {
            self.batch_left -= 1;
        }
        self.last_completion = now;
        self.tasks_memory -= self.workloads[w].memory;
    }

    /// What a thread does once its task is complete.
    fn complete_role(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        w: usize,
        role: Role,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match role {
            Role::Forever => {
                self.threads[tid].task = Some(now);
                self.workloads[w].arrived += 1;
                self.add_task_memory(w);
                true
            }
            Role::Worker => self.next_task(now, tid, q),
            Role::PerTask
            | Role::ProcMain
            | Role::TaskHandler
            | Role::ResultHandler
            | Role::Manager
            | Role::Feeder
            | Role::StageFeeder
            | Role::ProcWorker
            | Role::ProcTask
            | Role::ForkServer
            | Role::SubWorker
            | Role::Loop
            | Role::Executor => {
                self.retire_thread(now, tid, q);
                false
            }
        }
    }

    /// A thread's end: its GIL is dropped without waiting (the thread state is
    /// deleted, `drop_gil(tstate = NULL)`), and its core and slot are freed.
    pub(super) fn retire_thread(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        if self.threads[tid].holds_gil {
            let i = self.threads[tid].interp;
            let dropped = self.interps[i].gil.drop(now, tid, true);
            self.threads[tid].holds_gil = false;
            if let Some(waiter) = dropped.signalled {
                self.threads[waiter].epoch += 1;
                self.wake(now, waiter, Next::GilRecheck { timed_out: false }, q);
            }
        }
        self.close_thread_intervals(tid, now);
        let w = self.threads[tid].workload;
        self.threads[tid].alive = false;
        self.workloads[w].threads -= 1;
        self.live_threads -= 1;
        self.update_rss();
        self.machine.exit(now, tid, q);
        self.free_threads.push(tid);
    }

    /// The scenario lock or semaphore `w`'s program uses that was busiest
    /// in the window ending at `end`.
    fn busiest_sync(&self, w: &WorkloadState, end: Nanos) -> Option<SyncStat> {
        let window = end.saturating_sub(self.warmup);
        let used = w.ops.iter().filter_map(|op| match *op {
            Op::LockAcquire(l) => self.sync_index(Wait::Lock(l)),
            Op::SemAcquire(s) => self.sync_index(Wait::Semaphore(s)),
            _ => None,
        });
        let (i, busy) = used
            .map(|i| (i, self.sync_busy[i].busy_until(end, self.warmup)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let locks = self.scenario_locks;
        let what = if i < locks {
            format!("lock `{}`", self.lock_names[i])
        } else {
            format!("semaphore `{}`", self.semaphore_names[i - locks])
        };
        let frac = |x: f64, d: f64| if d > 0.0 { x / d } else { 0.0 };
        Some(SyncStat {
            what,
            busy_fraction: frac(busy as f64, window as f64),
            wait_fraction: (w.model != RunModel::Asyncio)
                .then(|| frac(w.sync_wait_ns[i] as f64, w.thread_life_ns as f64)),
        })
    }

    /// A pool worker without a task takes the next queued one or goes idle.
    fn next_task(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        let w = self.threads[tid].workload;
        match self.take_queued(now, w, q) {
            Some(arrival) => {
                self.threads[tid].task = Some(arrival);
                self.note_get(tid);
                true
            }
            None => self.release_for(now, tid, Some(Call::Idle), q),
        }
    }

    fn close_thread_intervals(&mut self, tid: ThreadId, now: Nanos) {
        if let Some((_, i)) = self.threads[tid].sync_wait_since {
            self.end_sync_wait(tid, now);
            self.threads[tid].sync_wait_since = Some((now, i));
        }
        if let Some((_, stage)) = self.threads[tid].put_wait_since {
            self.end_put_wait(tid, now);
            self.threads[tid].put_wait_since = Some((now, stage));
        }
        let t = &mut self.threads[tid];
        let w = t.workload;
        if let Some(since) = t.gil_wait_since.take() {
            self.workloads[w].gil_wait_ns += u128::from(overlap(since, now, self.warmup));
        }
        let life = u128::from(overlap(t.born, now, self.warmup));
        self.workloads[w].thread_life_ns += life;
        if t.putter {
            self.workloads[w].putter_life_ns += life;
        }
        t.born = now;
    }

    fn add_task_memory(&mut self, w: usize) {
        self.tasks_memory += self.workloads[w].memory;
        self.update_rss();
    }

    fn update_rss(&mut self) {
        let rss = self.python.process_rss * self.live_processes
            + self.subinterpreters_rss
            + self.python.thread_rss * self.live_threads
            + self.python.asyncio.coroutine_rss * self.live_coros
            + self.tasks_memory;
        self.peak_rss = self.peak_rss.max(rss);
    }

    fn arrive(&mut self, now: Nanos, w: usize, q: &mut EventQueue<Event>) {
        let count = match self.workloads[w].arrival {
            Arrival::Batch(n) => n,
            Arrival::Rate(per_s) => {
                let gap = self.workloads[w].arrivals_rng.exp(1e9 / per_s);
                let at = now.saturating_add(libm::round(gap) as Nanos);
                if self.duration.is_none_or(|d| at <= d) {
                    q.schedule_at(at, Event::Arrival { workload: w });
                }
                1
            }
            Arrival::Forever | Arrival::After { .. } => 0,
        };
        if matches!(
            self.workloads[w].model,
            RunModel::Processes(_) | RunModel::Subinterpreters(_)
        ) {
            self.arrive_processes(now, w, count, q);
            return;
        }
        if self.workloads[w].model == RunModel::Asyncio {
            for _ in 0..count {
                self.aio_arrive_one(now, w, q);
            }
            return;
        }
        for _ in 0..count {
            self.workloads[w].arrived += 1;
            self.add_task_memory(w);
            self.enqueue_task(now, w, q);
        }
    }

    /// A task of a thread workload arrived (counted) at `now`: into the
    /// pool's work queue, to an idle worker or a new one, or to a thread of
    /// its own (`per-task`).
    fn enqueue_task(&mut self, now: Nanos, w: usize, q: &mut EventQueue<Event>) {
        self.workloads[w].queue.push_back(now);
        self.dispatch_task(now, w, q);
    }

    /// The task last pushed on `w`'s work queue goes to an idle worker or a
    /// new one, or to a thread of its own (`per-task`).
    fn dispatch_task(&mut self, now: Nanos, w: usize, q: &mut EventQueue<Event>) {
        if self.stages[w]
            .as_ref()
            .is_some_and(|s| s.channel == crate::workload::StageChannel::AsyncioQueue)
        {
            // An asyncio stage's item: its `asyncio.Queue` (aio/queue.rs).
            self.aio_queue_wakeup_getter(w);
            return;
        }
        match (&self.workloads[w].model, self.workloads[w].workers) {
            (RunModel::Threads, Workers::PerTask) => {
                let task = self.take_queued(now, w, q);
                let tid = self.spawn(now, w, Role::PerTask, task, q);
                self.note_get(tid);
            }
            (model, workers) => {
                let max = match (model, workers) {
                    (RunModel::Sequential, _) => 1,
                    (_, Workers::Fixed(n)) => n,
                    (_, Workers::PerTask | Workers::Unlimited) => 1,
                };
                if let Some(idle) = self.workloads[w].idle.pop_front() {
                    if let Some(task) = self.take_queued(now, w, q) {
                        self.threads[idle].task = Some(task);
                        self.note_get(idle);
                    }
                    self.wake(now, idle, Next::ReturnCost, q);
                } else if self.workloads[w].threads < max {
                    self.spawn(now, w, Role::Worker, None, q);
                }
            }
        }
    }
}

/// Length of `[from, to]` inside `[warmup, ∞)`.
fn overlap(from: Nanos, to: Nanos, warmup: Nanos) -> Nanos {
    to.saturating_sub(from.max(warmup))
}

impl Model for Runtime {
    type Event = Event;

    fn handle(&mut self, now: Nanos, event: Event, q: &mut EventQueue<Event>) {
        if self.recorder.is_some() {
            self.record_before(now);
        }
        let mut proceeded = None;
        match event {
            Event::Machine(e) => match self.machine.handle(now, e, q) {
                Some(Notice::Started(tid)) | Some(Notice::BurstDone(tid)) => {
                    self.proceed(now, tid, q);
                    proceeded = Some(tid);
                }
                None => {}
            },
            Event::Arrival { workload } => self.arrive(now, workload, q),
            Event::GilTimeout { thread, epoch } => {
                let i = self.threads[thread].interp;
                if self.threads[thread].epoch == epoch && self.interps[i].gil.time_out(thread) {
                    debug_assert_eq!(
                        now, self.threads[thread].gil_deadline,
                        "a stale GIL timeout matched thread {thread}"
                    );
                    self.wake(now, thread, Next::GilRecheck { timed_out: true }, q);
                }
            }
            Event::CallReturn { thread, epoch } => {
                if self.threads[thread].epoch == epoch {
                    self.aio_poll_returned(thread);
                    self.wake(now, thread, Next::ReturnCost, q);
                }
            }
            Event::AioDone { coro } => self.aio_io_done(now, coro, q),
            Event::WarmupEnd => {
                self.snapshot = Snapshot {
                    busy: self.machine.busy_time(now),
                    context_switches: self.machine.counters().context_switches,
                };
                for i in &mut self.interps {
                    i.snapshot_held = i.gil.held_time(now);
                    i.snapshot_switches = i.gil.switch_number();
                }
                self.stages_warmup_end();
            }
        }
        if self.recorder.is_some() {
            self.record_after(now, proceeded);
        }
    }

    fn finished(&self) -> bool {
        !self.draining && self.duration.is_none() && self.all_done()
    }
}
