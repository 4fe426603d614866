//! The Python runtime: the shared core every run model stands on.
//!
//! ```text
//!   engine event ─► Runtime::handle ─► machine (cores, run queue) ─► Notice::Started / BurstDone
//!                                          │
//!        thread.rs: Runtime::proceed runs the thread's Next action and every
//!        zero-time action after it, until it starts a CPU burst or blocks
//!                                          │
//!        interp.rs: take the GIL (gil_calls.rs), answer a drop request at a
//!        check point, then run the next op of a program ─── or ─── a driver's act
//!                                          │                    (drivers/: threads,
//!        sync_ops.rs: locks, semaphores, events, conditions     processes, asyncio, stages)
//!        accounting.rs: completions, waits, memory, results;  record.rs: timelines
//! ```
//!
//! The core owns the OS threads (each Python thread is the machine thread of
//! the same index, [`crate::machine::Machine`]), the interpreters and their
//! GILs, locks, semaphores, events and conditions, and the accounting. What
//! depends on the run model is behind `drivers::Driver`; a thread's
//! `Next` says what it does the next time the machine hands it control.
//! The semantics are in docs/MODEL.md.

mod accounting;
mod drivers;
mod gil_calls;
mod interp;
mod plan;
mod record;
mod shared;
mod sync_ops;
mod task_queue;
mod thread;

pub use drivers::asyncio::{CallbackKind, LoopRecord};
pub use drivers::stages::StageCounts;

use drivers::{Driver, processes as procs, stages};
pub(crate) use task_queue::{NO_TASK, Task};

use std::collections::VecDeque;

use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::engine::{EventQueue, Model, Stream, Timer};
use crate::machine::MachineConfig;
use crate::machine::{Machine, MachineEvent, Notice, ThreadId};
use crate::results::latency::LatencyStats;
use crate::results::timeline::MarkKind;
use crate::results::{Accounting, Deadlock, SyncStat, WorkloadResult};
use crate::workload::{
    Arrival, Model as RunModel, RunWindow, SemaphoreDef, SharedDef, SyncDef, Workers, Workload,
};

use super::config::{Build, PythonConfig};
use super::gil::Gil;
use super::program::{Op, Program, compile_program};
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
    /// `[shared]` variables, in file order.
    pub shared: &'a [SharedDef],
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
    /// A coroutine's awaited I/O completes (asyncio), on the program's loop
    /// (`lp` `None`) or a shape process's.
    AioDone { lp: Option<usize>, coro: usize },
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
    /// The burst of a GIL-releasing call outside the program (a stage's
    /// pipe read or write) is complete: the program does not move.
    AsideDone,
    /// Back from a GIL-releasing call: pay its return cost, then run.
    ReturnCost,
    /// A GIL-releasing call's burst with its return cost in it is complete
    /// ([`Runtime::one_burst_call`]): the program moves past the call, then runs.
    ReturnDone,
    /// Woken from the GIL's condition variable (signalled or timed out).
    GilRecheck { timed_out: bool },
    /// Woken from `switch_cond` after a drop that had to wait for the switch.
    SwitchWoken,
    /// Woken after a lock release: try the lock again (without the GIL).
    LockRecheck(usize),
    /// The burst of an `update` loop is complete.
    UpdateDone,
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
    /// A C call that releases the GIL outside the program (a stage's pipe
    /// read or write): its return does not move the program.
    NogilAside(Nanos),
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
    role: Role,
    /// The task whose program it runs, if any.
    task: Option<Task>,
    pc: usize,
    holds_gil: bool,
    next: Next,
    burst: BurstKind,
    /// Rest of a `cpu` step interrupted at a check point.
    split_rest: Option<Nanos>,
    /// The `update` loop it runs, if any.
    update: Option<shared::UpdateRun>,
    /// The call to make once a switch wait ends.
    pending_call: Option<Call>,
    saved_switch: u64,
    /// When the current GIL wait pass times out.
    gil_deadline: Nanos,
    epoch: u64,
    /// The pending GIL timeout or call return, cancelled when the wait ends otherwise.
    timer: Option<Timer>,
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
    /// True for the threads that follow a plan of their model's acts
    /// (`Runtime::agents`) rather than a task's program.
    agent: bool,
}

/// Per-workload state and statistics.
struct WorkloadState {
    name: String,
    ops: Vec<Op>,
    /// The names of the steps `ops` came from (its `ops` moved to `ops`).
    step_names: Program,
    arrival: Arrival,
    model: RunModel,
    /// How its tasks run ([`Driver`]).
    driver: Driver,
    workers: Workers,
    memory: u64,
    steps_rng: Stream,
    arrivals_rng: Stream,
    runtime_rng: Stream,
    /// Draws of `one_of` branches: `workload/NAME/mix`, a sub-stream per task.
    mix_rng: Stream,
    /// Tasks given their arrival order ([`Task::index`]).
    indexed: u64,
    /// Per `one_of` branch (of its one `one_of` step): the tasks completed
    /// in the window that took it, and their latencies, waits and services.
    branches: Vec<BranchStats>,
    /// Tasks arrived and not yet taken by a worker.
    queue: task_queue::TaskQueue,
    idle: VecDeque<ThreadId>,
    threads: u32,
    /// Threads ever created.
    spawned: u32,
    arrived: u64,
    completed: u64,
    completed_in_window: u64,
    latency: LatencyStats,
    /// Tasks picked up by a worker (their queue wait ended).
    picked: u64,
    /// `arrived`, `completed` and `picked` at the end of the warm-up.
    at_warmup: [u64; 3],
    /// Queue waits (arrival to pickup) of the tasks completed in the window.
    wait: LatencyStats,
    /// Service times (pickup to completion) of the tasks completed in the window.
    service: LatencyStats,
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
    /// The worker processes, for a deployment shape.
    shape: Option<Box<drivers::shapes::ShapeState>>,
}

/// The tasks of one `one_of` branch completed in the window.
#[derive(Default)]
struct BranchStats {
    completed: u64,
    latency: LatencyStats,
    wait: LatencyStats,
    service: LatencyStats,
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
    /// Live threads in this interpreter now ([`Runtime::alone`]).
    threads: u32,
    snapshot_held: Nanos,
    snapshot_switches: u64,
}

impl Interp {
    fn new(gil: Gil) -> Self {
        Interp {
            gil,
            threads: 0,
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
    /// `[shared]` variables, in file order.
    shared: Vec<shared::SharedVar>,
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
    /// Resident memory of the apps deployment shapes import, in bytes.
    shapes_rss: u64,
    seed: u64,
    tasks_memory: u64,
    peak_rss: u64,
    snapshot: Snapshot,
    draining: bool,
    step_cpu: Nanos,
    overhead_cpu: Nanos,
    /// GIL timeouts and call returns that came after their wait had ended.
    stale_events: u64,
    bytes_pickled: u64,
    bytes_unpickled: u64,
    /// Threads ever created.
    spawned: u64,
    /// Tasks ever arrived: the next task's id ([`Task::id`]).
    task_ids: u64,
    /// The timeline being recorded, if asked for.
    recorder: Option<Box<record::Recorder>>,
    /// Live coroutines (asyncio tasks).
    live_coros: u64,
    /// What the drivers keep beside the core ([`drivers::ModelState`]).
    models: drivers::ModelState,
    /// Why the run stopped growing past [`crate::workload::limits`], if it did.
    too_large: Option<String>,
    /// False when a thread alone in its interpreter releases and retakes
    /// its GIL in steps of their own, as any other ([`Runtime::alone`]).
    elide_alone_gil: bool,
    /// GIL releases and retakes of threads alone in their interpreter
    /// made without steps of their own.
    gil_elided: u64,
    /// False when a call's return cost is a burst of its own even in a
    /// program of one thread ([`Runtime::one_burst_call`]).
    merge_returns: bool,
    /// Calls whose return cost ran in the call's burst.
    returns_merged: u64,
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
            .map(|w| {
                let mut step_names = compile_program(&w.steps);
                (w, std::mem::take(&mut step_names.ops), step_names)
            })
            .map(|(w, ops, step_names)| WorkloadState {
                branches: step_names.mixes.first().map_or(Vec::new(), |m| {
                    m.labels.iter().map(|_| BranchStats::default()).collect()
                }),
                name: w.name.clone(),
                ops,
                step_names,
                arrival: w.arrival.clone(),
                model: w.model.clone(),
                driver: Driver::of(&w.model, w.workers),
                workers: w.workers,
                memory: w.memory_bytes,
                steps_rng: Stream::new(seed, &format!("workload/{}/steps", w.name)),
                arrivals_rng: Stream::new(seed, &format!("workload/{}/arrivals", w.name)),
                runtime_rng: Stream::new(seed, &format!("workload/{}/runtime", w.name)),
                mix_rng: Stream::new(seed, &format!("workload/{}/mix", w.name)),
                indexed: 0,
                queue: task_queue::TaskQueue::default(),
                idle: VecDeque::new(),
                threads: 0,
                spawned: 0,
                arrived: 0,
                completed: 0,
                completed_in_window: 0,
                latency: LatencyStats::new(),
                picked: 0,
                at_warmup: [0; 3],
                wait: LatencyStats::new(),
                service: LatencyStats::new(),
                gil_wait_ns: 0,
                thread_life_ns: 0,
                putter_life_ns: 0,
                coro_life_ns: 0,
                sync_wait_ns: vec![0; scenario.locks.len() + scenario.semaphores.len()],
                put_blocked_ns: vec![0; scenario.workloads.len()],
                ipc_rng: Stream::new(seed, &format!("workload/{}/ipc", w.name)),
                ipc_cpu: 0,
                pool: None,
                shape: None,
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
            .fold(0u64, u64::saturating_add);
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
            shared: scenario
                .shared
                .iter()
                .map(|v| shared::SharedVar::new(&v.name, v.initial, seed))
                .collect(),
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
            shapes_rss: 0,
            seed,
            tasks_memory: 0,
            peak_rss: 0,
            snapshot: Snapshot::default(),
            draining: false,
            step_cpu: 0,
            overhead_cpu: 0,
            stale_events: 0,
            bytes_pickled: 0,
            bytes_unpickled: 0,
            spawned: 0,
            task_ids: 0,
            recorder: None,
            live_coros: 0,
            models: drivers::ModelState::default(),
            too_large: None,
            elide_alone_gil: true,
            gil_elided: 0,
            merge_returns: true,
            returns_merged: 0,
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
                    self.start_workload(w, q);
                    q.schedule_at(0, Event::Arrival { workload: w })
                }
                Arrival::After { .. } | Arrival::Forever => self.start_workload(w, q),
            }
        }
        self.machine.settle(0, q);
    }

    /// Why the run was stopped for holding more than gilsim holds at once
    /// ([`crate::workload::limits`]): an open-loop workload whose arrivals
    /// outgrow it while it runs.
    pub fn too_large(&self) -> Option<&str> {
        self.too_large.as_deref()
    }

    /// Stops the run (the first reason is kept).
    fn stop_too_large(&mut self, why: String) {
        self.too_large.get_or_insert(why);
    }

    /// Queues every event, even the dispatches and burst ends due at once
    /// (`RunOptions::queue_every_event`).
    pub fn queue_every_event(&mut self) {
        self.machine.queue_every_event();
    }

    /// Releases and retakes the GIL of a thread alone in its interpreter in
    /// steps of their own, as for any thread (`RunOptions::keep_gil_steps`).
    pub fn keep_gil_steps(&mut self) {
        self.elide_alone_gil = false;
    }

    /// GIL releases and retakes made without steps of their own, by
    /// threads alone in their interpreter.
    pub fn gil_steps_elided(&self) -> u64 {
        self.gil_elided
    }

    /// Runs a call's return cost in a burst of its own after the call's,
    /// also in a program of one thread (`RunOptions::keep_return_bursts`).
    pub fn keep_return_bursts(&mut self) {
        self.merge_returns = false;
    }

    /// Calls whose return cost ran in the call's burst.
    pub fn returns_merged(&self) -> u64 {
        self.returns_merged
    }

    /// True when a GIL-releasing call of `d` > 0 ns made at `now` and its
    /// return cost can be one burst (docs/MODEL.md, "A program of one
    /// thread"): the program has one workload and one live thread, and the
    /// workload starts no thread on an event (an event loop or a sequential
    /// program: only that thread can start another), so no other thread
    /// can run, wait or draw from its streams between the call's end and
    /// the return cost's start, and no other event can
    /// depend on the return cost's draw being made at the call's end
    /// rather than its start; and the call's end is an event the run would
    /// handle (before its horizon, not past its last task), so the return
    /// cost is drawn in both cases. A timeline shows the call's step until
    /// the burst ends.
    #[inline]
    fn one_burst_call(&self, now: Nanos, d: Nanos) -> bool {
        self.merge_returns
            && d > 0
            && self.live_threads == 1
            && self.workloads.len() == 1
            && matches!(
                self.workloads[0].driver,
                Driver::Asyncio | Driver::Sequential
            )
            && !self.finished()
            && self.duration.is_none_or(|h| now.saturating_add(d) <= h)
    }

    /// True when `tid` is the only live thread of its interpreter (and the
    /// elision is on). Invariant: then no other thread of that interpreter
    /// can wait on its GIL's `cond` or `switch_cond`, so releasing the GIL
    /// around a call and taking it back signals no one, finds no drop
    /// request and counts no switch (docs/MODEL.md, "The GIL of a thread
    /// alone"): the runtime makes them without steps of their own, at the
    /// same simulated times, with the same CPU costs, and the GIL's state
    /// (holder, held time, log) moves as it would.
    #[inline]
    fn alone(&self, tid: ThreadId) -> bool {
        self.elide_alone_gil && self.interps[self.threads[tid].interp].threads == 1
    }

    /// Keeps the run going after the last task, until no event is left.
    pub fn set_draining(&mut self) {
        self.draining = true;
    }

    /// True once every batch task is done and nothing else can arrive.
    pub fn all_done(&self) -> bool {
        !self.open_loop && self.batch_left == 0
    }

    /// `count` new tasks: the id of the first (the others follow it).
    fn new_task_ids(&mut self, count: u64) -> u64 {
        let first = self.task_ids;
        self.task_ids = self.task_ids.saturating_add(count);
        first
    }

    /// A new task arriving at `at`.
    fn new_task(&mut self, at: Nanos) -> Task {
        Task::arrived(at, self.new_task_ids(1))
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
                let step = match self.workloads[t.workload].step_names.name_at(t.pc) {
                    Some(name) if !t.agent => format!(" in step `{name}`"),
                    _ => String::new(),
                };
                format!(
                    "thread {i} of workload `{}` waits for {what}{step}",
                    self.workloads[t.workload].name
                )
            })
            .collect();
        blocked.extend(self.model_deadlock_lines());
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

    /// Events handled that changed nothing because what they were for had
    /// changed meanwhile (their epoch no longer matched).
    pub fn stale_events(&self) -> u64 {
        self.stale_events + self.machine.counters().stale_events
    }

    /// The end of the statistics window: the last completion once every
    /// batch task is done and nothing else arrives (a `duration` is then
    /// only an upper bound), else `duration`.
    pub fn end_time(&self) -> Nanos {
        match self.duration {
            Some(d) if !self.all_done() => d,
            Some(d) => self.last_completion.min(d),
            None => self.last_completion,
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
        self.machine.begin_handler();
        let mut event = event;
        loop {
            self.handle_one(now, event, q);
            // The dispatches and burst ends this event made due at once (a
            // zero-length burst, a free switch), each handled here when no
            // queued event comes before it: the same events in the same
            // order as through the queue, without queueing them.
            if !self.machine.has_placed() {
                self.machine.end_handler();
                return;
            }
            match self.machine.due_now(q, !self.finished()) {
                Some(e) => event = Event::Machine(e),
                None => return,
            }
        }
    }

    fn finished(&self) -> bool {
        (!self.draining && self.duration.is_none() && self.all_done()) || self.too_large.is_some()
    }
}

impl Runtime {
    /// Handles one event, then lets the machine settle (see [`Model::handle`]).
    fn handle_one(&mut self, now: Nanos, event: Event, q: &mut EventQueue<Event>) {
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
                if self.threads[thread].epoch == epoch {
                    self.threads[thread].timer = None;
                }
                let i = self.threads[thread].interp;
                if self.threads[thread].epoch == epoch && self.interps[i].gil.time_out(thread) {
                    debug_assert_eq!(
                        now, self.threads[thread].gil_deadline,
                        "a stale GIL timeout matched thread {thread}"
                    );
                    self.wake(now, thread, Next::GilRecheck { timed_out: true }, q);
                } else {
                    self.stale_events += 1;
                }
            }
            Event::CallReturn { thread, epoch } => {
                if self.threads[thread].epoch == epoch {
                    self.threads[thread].timer = None;
                    self.aio_poll_returned(thread);
                    self.wake(now, thread, Next::ReturnCost, q);
                } else {
                    self.stale_events += 1;
                }
            }
            Event::AioDone { lp, coro } => self.aio_io_done(now, lp, coro, q),
            Event::WarmupEnd => {
                self.snapshot = Snapshot {
                    busy: self.machine.busy_time(now),
                    context_switches: self.machine.counters().context_switches,
                };
                for i in &mut self.interps {
                    i.snapshot_held = i.gil.held_time(now);
                    i.snapshot_switches = i.gil.switch_number();
                }
                for w in &mut self.workloads {
                    w.at_warmup = [w.arrived, w.completed, w.picked];
                }
                self.stages_warmup_end();
            }
        }
        self.machine.settle(now, q);
        if self.recorder.is_some() {
            self.record_after(now, proceeded);
        }
    }
}
