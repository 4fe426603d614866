//! The asyncio model (docs/MODEL.md#asyncio): one event loop on one thread of the main
//! interpreter, coroutines as small state machines over the compiled ops,
//! and the loop's default executor for `to_thread`.
//!
//! The loop thread is an agent (`Role::Loop`) whose plan repeats
//! `BaseEventLoop._run_once` (python/cpython `Lib/asyncio/base_events.py`):
//!
//! 1. [`Act::Poll`]: the timeout is 0 when callbacks are ready (or I/O events
//!    wait to be read), else until the earliest timer, else infinite.
//!    `self._selector.select(timeout)` releases the GIL: a poll that does not
//!    wait costs `loop_poll` of CPU; one that waits blocks the thread (no core,
//!    no GIL) until an I/O completion, a `call_soon_threadsafe` (the self-pipe)
//!    or the timeout, rounded up to whole milliseconds as
//!    `selectors.EpollSelector.select` does (python/cpython `Lib/selectors.py`:
//!    `math.ceil(timeout * 1e3) * 1e-3`), plus the kernel's timer slack; its
//!    return pays the wake-up latency, the return cost and `take_gil`.
//! 2. [`Act::Collect`]: `_process_events` appends the I/O callbacks to
//!    `_ready`, then every timer whose deadline has passed moves to `_ready`
//!    (the heap is ordered by (deadline, sequence): equal deadlines fire in
//!    `call_later` order); `ntodo = len(self._ready)`.
//! 3. [`Act::Run`]: exactly `ntodo` callbacks, FIFO; a callback scheduled
//!    meanwhile (`call_soon`) waits for the next pass. Each costs
//!    `loop_callback` of CPU with the GIL; a `Task.__step` (python/cpython
//!    `Lib/asyncio/tasks.py`) `task_step` more, then runs the coroutine's
//!    operations until it awaits.
//!
//! Awaiting: `io` schedules its completion, whose callback (the future's
//! `set_result`) is read by the next poll and schedules the task's wake-up
//! step with `call_soon`; `sleep` is `call_later(delay,
//! futures._set_result_unless_cancelled, ...)` (`Lib/asyncio/tasks.py`,
//! `sleep`): the timer callback, then the wake-up step; `asyncio.sleep(0)`
//! yields once (`call_soon` of the step). `asyncio.Lock` and
//! `asyncio.Semaphore` (`Lib/asyncio/locks.py`): a release wakes the first
//! waiter (`fut.set_result`, so its step is a `call_soon`) and the waiter
//! owns the lock or permit when it runs; a free lock with waiters is not
//! taken by a newcomer. `workers = N` is an `asyncio.Semaphore(N)` around
//! each task. `blocking_io` and `cpu_nogil` block the loop thread itself
//! (GIL released); `cpu` and `cpu_held` run on it with the GIL.
//!
//! `to_thread` (`Lib/asyncio/threads.py`: `loop.run_in_executor(None,
//! func_call)`): `run_in_executor` (`Lib/asyncio/base_events.py`) creates
//! the default `ThreadPoolExecutor` lazily; its threads
//! (`min(32, (os.cpu_count() or 1) + 4)`, `Lib/concurrent/futures/thread.py`)
//! start one per submit while none is idle, run the nested steps as any
//! thread of the main interpreter (competing with the loop thread for the
//! GIL), and hand the result back with `call_soon_threadsafe`, which appends
//! the callback to `_ready` and writes to the self-pipe, waking the poll.
//! `submit` costs the executor's `submit` (as `ThreadPoolExecutor.submit`) on
//! the loop thread.
//!
//! Every asyncio workload of a scenario runs on the one loop; the loop
//! thread and the executor threads belong to the first. Loop costs are drawn
//! from `workload/NAME/loop` (NAME: the first asyncio workload), step
//! durations from each coroutine's own workload's steps stream.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos};
use crate::engine::{EventQueue, Stream};
use crate::machine::ThreadId;
use crate::results::latency::LatencyStats;
use crate::workload::{Arrival, Workers};

use crate::python::program::Op;
use crate::python::runtime::drivers::Driver;
use crate::python::runtime::plan::Act;
use crate::python::runtime::{BurstKind, Call, Event, NO_TASK, Next, Role, Runtime, Task, Wait};

mod coro;
mod event_loop;
mod executor;
mod queue;

/// A callback in the loop's ready queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cb {
    /// A new task: the coroutine and its `Task` are created, the first step is scheduled.
    Spawn(usize),
    /// `Task.__step` of a coroutine.
    Step(usize),
    /// A `sleep` timer of a coroutine, due at `deadline`.
    Timer { coro: usize, deadline: Nanos },
    /// A future's `set_result` (awaited I/O done, or a `to_thread` result): schedules the step.
    Done(usize),
}

/// The kind of a callback, in [`LoopRecord::Callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackKind {
    /// A task's creation.
    Spawn,
    /// A `Task.__step`.
    Step,
    /// A timer's callback.
    Timer,
    /// A future's `set_result`.
    Done,
}

/// What the loop did, when recorded (tests and laws).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopRecord {
    /// A `_run_once` pass starts running `ntodo` callbacks at `at`; every
    /// callback ready then has a sequence number below `ready_below`.
    Pass {
        at: Nanos,
        ntodo: usize,
        ready_below: u64,
    },
    /// A callback starts at `at`: its ready-queue sequence number, kind and coroutine serial.
    Callback {
        at: Nanos,
        seq: u64,
        kind: CallbackKind,
        coro: u64,
    },
    /// A timer's callback ran at `at` for a deadline of `deadline`.
    Timer { deadline: Nanos, at: Nanos },
    /// A `blocking_io` call blocked the loop thread over `[from, to)`.
    Blocking { from: Nanos, to: Nanos },
}

/// One coroutine (a `Task`).
#[derive(Debug, Clone, Copy)]
struct Coro {
    workload: usize,
    /// Its task (a stage consumer: the item it holds, from when it entered the queue).
    task: Task,
    /// The next operation; past the ops, the puts already made into the
    /// stages it feeds (`pc - ops.len()`, see `queue.rs`).
    pc: usize,
    /// Inside the workload's `workers` semaphore.
    admitted: bool,
    /// Creation order over the run.
    serial: u64,
    /// A stage's consumer coroutine, looping `item = await q.get()` (`queue.rs`).
    consumer: bool,
    /// A consumer holds an item (its get returned).
    holding: bool,
    /// Since when its lifetime (from its admission into the `workers`
    /// semaphore) is not yet counted in the workload's `coro_life_ns`.
    born: Nanos,
    /// Not yet returned (false for a free slot).
    live: bool,
    /// Since when, and on which stage's full `asyncio.Queue`, it waits in `put`.
    put_wait_since: Option<(Nanos, usize)>,
}

#[derive(Debug, Default)]
struct AioLock {
    holder: Option<usize>,
    waiters: VecDeque<usize>,
}

#[derive(Debug, Default)]
struct AioSem {
    holders: u32,
    waiters: VecDeque<usize>,
}

/// The event loop, its coroutines and its default executor.
pub(in crate::python::runtime) struct EventLoop {
    owner: usize,
    thread: Option<ThreadId>,
    rng: Stream,
    coros: Vec<Coro>,
    free: Vec<usize>,
    serials: u64,
    /// `_ready`: callbacks with their sequence numbers.
    ready: VecDeque<(u64, Cb)>,
    ready_seq: u64,
    /// I/O events not yet read by a poll.
    events: VecDeque<Cb>,
    /// `_scheduled`: (deadline, sequence) → coroutine.
    timers: BTreeMap<(Nanos, u64), usize>,
    timer_seq: u64,
    /// The loop thread is blocked in a poll that waits.
    polling: bool,
    exec_queue: VecDeque<usize>,
    exec_threads: u32,
    exec_max: u32,
    locks: Vec<AioLock>,
    sems: Vec<AioSem>,
    /// Per workload: the `workers` semaphore (admitted count, waiters).
    limits: Vec<AioSem>,
    /// Per stage workload: its `asyncio.Queue`'s `_getters` (consumer coroutines).
    getters: Vec<VecDeque<usize>>,
    /// Per stage workload: its `_putters`, (upstream slot, coroutine), FIFO.
    putters: Vec<VecDeque<(usize, usize)>>,
    lag: LatencyStats,
    log: Option<Vec<LoopRecord>>,
}

/// `selectors.EpollSelector.select`: the timeout rounded up to whole milliseconds.
fn ceil_ms(ns: Nanos) -> Nanos {
    ns.div_ceil(MS) * MS
}

impl Runtime {
    /// Creates the loop if a workload runs on asyncio.
    pub(in crate::python::runtime) fn aio_new(&mut self, cores: u32, seed: u64) {
        let Some(owner) = self
            .workloads
            .iter()
            .position(|w| w.driver == Driver::Asyncio)
        else {
            return;
        };
        let name = format!("workload/{}/loop", self.workloads[owner].name);
        self.models.aio = Some(Box::new(self.new_loop(owner, cores, seed, &name)));
    }

    /// An event loop owned by workload `owner`, its costs drawn from `stream`.
    fn new_loop(&self, owner: usize, cores: u32, seed: u64, stream: &str) -> EventLoop {
        EventLoop {
            owner,
            thread: None,
            rng: Stream::new(seed, stream),
            coros: Vec::new(),
            free: Vec::new(),
            serials: 0,
            ready: VecDeque::new(),
            ready_seq: 0,
            events: VecDeque::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            polling: false,
            exec_queue: VecDeque::new(),
            exec_threads: 0,
            // ThreadPoolExecutor's default max_workers (3.8+).
            exec_max: cores.saturating_add(4).min(32),
            locks: self.locks.iter().map(|_| AioLock::default()).collect(),
            sems: self.semaphores.iter().map(|_| AioSem::default()).collect(),
            limits: self.workloads.iter().map(|_| AioSem::default()).collect(),
            getters: self.workloads.iter().map(|_| VecDeque::new()).collect(),
            putters: self.workloads.iter().map(|_| VecDeque::new()).collect(),
            lag: LatencyStats::new(),
            log: None,
        }
    }

    /// Starts the event loop of a shape's worker process `k` (workload
    /// `w`, interpreter `interp`): its loop thread is the process's main
    /// thread. Returns the loop's index among the shapes' loops.
    pub(in crate::python::runtime) fn aio_new_shape_loop(
        &mut self,
        w: usize,
        k: u32,
        interp: usize,
        q: &mut EventQueue<Event>,
    ) -> usize {
        let name = format!("workload/{}/process/{k}/loop", self.workloads[w].name);
        let cores = self.machine.cores() as u32;
        let l = self.new_loop(w, cores, self.seed, &name);
        self.models.loops.push(l);
        let i = self.models.loops.len() - 1;
        let tid = self.spawn_in(0, w, Role::Loop, None, interp, q);
        self.models.loops[i].thread = Some(tid);
        i
    }

    /// Makes `lp` the loop the asyncio code works on: `None` the program's
    /// own loop, `Some(k)` the loop of a shape's worker process.
    pub(in crate::python::runtime) fn enter_loop(&self, lp: Option<usize>) {
        self.models.cur_loop.set(lp);
    }

    /// Makes the loop of thread `tid` (a loop or executor thread) current.
    #[inline]
    pub(in crate::python::runtime) fn enter_loop_of(&self, tid: ThreadId) {
        if self.models.loops.is_empty() || self.threads[tid].role != Role::Loop {
            // Executor threads belong to the program's own loop.
            if self.threads[tid].role == Role::Executor {
                self.enter_loop(None);
            }
            if self.models.loops.is_empty() {
                return;
            }
        }
        if self.threads[tid].role == Role::Loop {
            let k = self.models.loops.iter().position(|l| l.thread == Some(tid));
            self.enter_loop(k);
        }
    }

    /// The current loop ([`Runtime::enter_loop`]).
    fn cur(&self) -> Option<&EventLoop> {
        match self.models.cur_loop.get() {
            None => self.models.aio.as_deref(),
            Some(k) => self.models.loops.get(k),
        }
    }

    fn lp(&mut self) -> &mut EventLoop {
        let l = match self.models.cur_loop.get() {
            None => self.models.aio.as_deref_mut(),
            Some(k) => self.models.loops.get_mut(k),
        };
        match l {
            Some(l) => l,
            None => unreachable!("no event loop"),
        }
    }

    /// Whether shape loop `k`'s thread waits in a poll.
    pub(in crate::python::runtime) fn loop_polling(&self, k: usize) -> bool {
        self.models.loops.get(k).is_some_and(|l| l.polling)
    }

    /// The current loop's index for [`Runtime::enter_loop`].
    pub(in crate::python::runtime) fn cur_loop(&self) -> Option<usize> {
        self.models.cur_loop.get()
    }

    /// The `asyncio.Semaphore` around each task of workload `w`, if any:
    /// `workers` of an asyncio workload, a shape's per-process `workers`.
    fn aio_limit(&self, w: usize) -> Option<u32> {
        match (self.workloads[w].driver, self.workloads[w].workers) {
            (Driver::Shape(crate::workload::PerProcess::Asyncio(m)), _) => m,
            (_, Workers::Fixed(n)) => Some(n),
            _ => None,
        }
    }

    /// The workload that owns the loop thread and the executor threads.
    pub(in crate::python::runtime) fn aio_owner(&self) -> Option<usize> {
        self.models.aio.as_deref().map(|l| l.owner)
    }

    /// Records what the loop does ([`LoopRecord`]).
    pub fn record_loop(&mut self) {
        if let Some(l) = self.models.aio.as_deref_mut() {
            l.log = Some(Vec::new());
        }
    }

    /// The loop's record, when recorded.
    pub fn loop_log(&self) -> Option<&[LoopRecord]> {
        self.models.aio.as_deref().and_then(|l| l.log.as_deref())
    }

    fn log(&mut self, r: LoopRecord) {
        if let Some(log) = self.lp().log.as_mut() {
            log.push(r);
        }
    }

    /// p99 of the timers' lateness in the window, in ms (asyncio workloads
    /// only; a shape's: the worst of its processes' loops).
    pub(in crate::python::runtime) fn loop_lag_p99_ms(&self, w: usize) -> Option<f64> {
        if self.workloads[w].driver.is_shape() {
            return self
                .models
                .loops
                .iter()
                .filter(|l| l.owner == w)
                .filter_map(|l| l.lag.quantile(0.99))
                .max()
                .map(|ns| ns as f64 / 1e6);
        }
        if self.workloads[w].driver != Driver::Asyncio {
            return None;
        }
        let l = self.models.aio.as_deref()?;
        l.lag.quantile(0.99).map(|ns| ns as f64 / 1e6)
    }

    /// Starts the loop thread (the main thread, running `asyncio.run`) and `repeat` coroutines.
    pub(in crate::python::runtime) fn aio_start(&mut self, q: &mut EventQueue<Event>) {
        let Some(owner) = self.models.aio.as_deref().map(|l| l.owner) else {
            return;
        };
        self.enter_loop(None);
        let tid = self.spawn(0, owner, Role::Loop, None, q);
        self.lp().thread = Some(tid);
        for w in 0..self.workloads.len() {
            if self.workloads[w].driver != Driver::Asyncio
                || self.workloads[w].arrival != Arrival::Forever
            {
                continue;
            }
            let n = match self.workloads[w].workers {
                Workers::Fixed(n) => n,
                _ => 1,
            };
            for _ in 0..n {
                self.aio_arrive_one(0, w, q);
            }
        }
        self.aio_start_consumers(q);
    }

    /// A task of an asyncio workload arrives: a coroutine to create on the loop.
    pub(in crate::python::runtime) fn aio_arrive_one(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) {
        self.enter_loop(None);
        self.workloads[w].arrived += 1;
        self.tasks_memory = self.tasks_memory.saturating_add(self.workloads[w].memory);
        let task = self.new_task(now);
        self.new_coro(now, Some(task), w, false, q);
    }

    /// Creates a coroutine of `w` on the loop at `now` for `task` (its
    /// `Task` spawn is an I/O event read by the next poll); a `consumer`
    /// (`task: None`) loops on its stage's queue.
    pub(in crate::python::runtime) fn new_coro(
        &mut self,
        now: Nanos,
        task: Option<Task>,
        w: usize,
        consumer: bool,
        q: &mut EventQueue<Event>,
    ) {
        self.live_coros += 1;
        self.update_rss();
        let index = (!consumer).then(|| self.next_index(w));
        // A consumer holds no task until it takes its first item.
        let task = task.unwrap_or(Task::arrived(now, NO_TASK));
        let l = self.lp();
        let coro = Coro {
            workload: w,
            task: Task { index, ..task },
            pc: 0,
            // A consumer is one of the stage's `workers`, not inside a semaphore.
            admitted: consumer,
            serial: l.serials,
            consumer,
            holding: false,
            born: now,
            live: true,
            put_wait_since: None,
        };
        l.serials += 1;
        let c = match l.free.pop() {
            Some(c) => {
                l.coros[c] = coro;
                c
            }
            None => {
                l.coros.push(coro);
                l.coros.len() - 1
            }
        };
        l.events.push_back(Cb::Spawn(c));
        self.loop_notify(now, q);
    }

    /// An awaited I/O of coroutine `coro` of loop `lp` completed: its
    /// event waits for the next poll.
    pub(in crate::python::runtime) fn aio_io_done(
        &mut self,
        now: Nanos,
        lp: Option<usize>,
        coro: usize,
        q: &mut EventQueue<Event>,
    ) {
        self.enter_loop(lp);
        self.lp().events.push_back(Cb::Done(coro));
        self.loop_notify(now, q);
    }

    /// Wakes the loop thread if it is blocked in a poll that waits.
    fn loop_notify(&mut self, now: Nanos, q: &mut EventQueue<Event>) {
        let l = self.lp();
        if !l.polling {
            return;
        }
        l.polling = false;
        let Some(tid) = l.thread else { return };
        self.end_timed_wait(tid, q);
        self.wake(now, tid, Next::ReturnCost, q);
    }

    /// The loop thread's poll timed out (a `CallReturn` of its thread).
    pub(in crate::python::runtime) fn aio_poll_returned(&mut self, tid: ThreadId) {
        let main = self.models.aio.as_deref_mut().into_iter();
        for l in main.chain(self.models.loops.iter_mut()) {
            if l.thread == Some(tid) {
                l.polling = false;
            }
        }
    }

    fn call_soon(&mut self, cb: Cb) {
        let l = self.lp();
        l.ready.push_back((l.ready_seq, cb));
        l.ready_seq += 1;
    }

    fn loop_cost(&mut self, dist: Dist) -> Nanos {
        let d = dist.sample(&mut self.lp().rng);
        self.overhead_cpu = self.overhead_cpu.saturating_add(d);
        d
    }

    /// True for the threads this module drives.
    #[inline]
    pub(in crate::python::runtime) fn is_aio_role(role: Role) -> bool {
        matches!(role, Role::Loop | Role::Executor)
    }

    /// The workload of coroutine `c`.
    pub(in crate::python::runtime) fn coro_workload(&self, c: usize) -> usize {
        self.cur().map_or(0, |l| l.coros[c].workload)
    }

    /// Coroutine `c`'s position in its program (past the end: the puts made).
    pub(in crate::python::runtime) fn coro_pc(&self, c: usize) -> usize {
        self.cur().map_or(0, |l| l.coros[c].pc)
    }

    /// Moves coroutine `c` to operation `pc` (a `one_of`'s branch or its end).
    pub(in crate::python::runtime) fn coro_set_pc(&mut self, c: usize, pc: usize) {
        self.lp().coros[c].pc = pc;
    }

    /// Coroutine `c`'s task, if it holds one.
    pub(in crate::python::runtime) fn coro_task(&self, c: usize) -> Option<Task> {
        self.cur()
            .map(|l| l.coros[c].task)
            .filter(|t| t.id != NO_TASK)
    }

    /// The arrival order of coroutine `c`'s task.
    pub(in crate::python::runtime) fn coro_task_index(&self, c: usize) -> Option<u64> {
        self.cur().and_then(|l| l.coros[c].task.index)
    }

    /// Records the `one_of` branch coroutine `c`'s task took.
    pub(in crate::python::runtime) fn coro_set_branch(&mut self, c: usize, b: u16) {
        self.lp().coros[c].task.branch = Some(b);
    }

    /// Moves coroutine `c` past its current operation.
    #[inline]
    pub(in crate::python::runtime) fn coro_advance(&mut self, c: usize) {
        self.lp().coros[c].pc += 1;
    }

    /// True when consumer coroutine `c` is about to `get` its next item
    /// (Python code of `Lib/asyncio/queues.py`, not its program).
    pub(in crate::python::runtime) fn coro_at_get(&self, c: usize) -> bool {
        self.cur()
            .is_some_and(|l| l.coros[c].consumer && !l.coros[c].holding)
    }

    /// Records a `blocking_io` call that blocks the loop thread from `now` for `d`.
    pub(in crate::python::runtime) fn log_blocking(&mut self, now: Nanos, d: Nanos) {
        self.log(LoopRecord::Blocking {
            from: now,
            to: now.saturating_add(d),
        });
    }

    /// One line per lock or semaphore that coroutines wait on, for a deadlock report.
    pub(in crate::python::runtime) fn aio_deadlock(&self) -> Vec<String> {
        let Some(l) = self.models.aio.as_deref() else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for (k, lock) in l.locks.iter().enumerate() {
            if !lock.waiters.is_empty() {
                lines.push(format!(
                    "{} coroutine(s) wait for asyncio.Lock `{}`",
                    lock.waiters.len(),
                    self.lock_names[k]
                ));
            }
        }
        for (k, sem) in l.sems.iter().enumerate() {
            if !sem.waiters.is_empty() {
                lines.push(format!(
                    "{} coroutine(s) wait for asyncio.Semaphore `{}`",
                    sem.waiters.len(),
                    self.semaphore_names[k]
                ));
            }
        }
        lines.extend(self.aio_queue_deadlock());
        lines
    }

    /// Lane label of the loop and executor threads.
    pub(in crate::python::runtime) fn aio_label(&self, tid: ThreadId) -> String {
        let t = &self.threads[tid];
        let name = &self.workloads[t.workload].name;
        let shape_loop = self.models.loops.iter().position(|l| l.thread == Some(tid));
        match (t.role, shape_loop) {
            // A shape's worker process K: its loop thread.
            (Role::Loop, Some(k)) => format!("{name}/event-loop-{k}"),
            (Role::Loop, None) => format!("{name}/event-loop"),
            (_, _) => format!("{name}/executor-{}", t.index),
        }
    }
}
