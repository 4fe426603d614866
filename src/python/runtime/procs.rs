//! Process models: worker processes with interpreters and GILs of their
//! own, fed through pipes (DESIGN 1.5).
//!
//! The threads of a process model are *agents*: each follows a plan of
//! [`Act`]s, refilled by its role when empty. What they model:
//!
//! - `multiprocessing.Pool` (python/cpython `Lib/multiprocessing/pool.py`):
//!   `Pool.__init__` starts `processes` workers one after another
//!   (`_repopulate_pool`), then the `_task_handler` and `_result_handler`
//!   threads. `map` cuts the batch into chunks of `chunksize` (default
//!   `divmod(len(iterable), len(self._pool) * 4)`, rounded up) and puts them
//!   on `_taskqueue`; the task handler pickles each chunk and writes it to
//!   the one shared `_inqueue` (`put = self._inqueue._writer.send`). Every
//!   worker's `get()` reads under the inqueue's `_rlock`, one reader at a
//!   time, then unpickles; `worker()` runs the chunk and `put`s the list of
//!   results on `_outqueue` (a `SimpleQueue`: pickled first, then written
//!   under `_wlock`, python/cpython `Lib/multiprocessing/queues.py`). The
//!   result handler reads and unpickles each and completes its tasks. The
//!   `_worker_handler` thread, which only wakes every 0.1 s to replace dead
//!   workers, is left out.
//! - `ProcessPoolExecutor` (python/cpython `Lib/concurrent/futures/process.py`):
//!   `submit` (CPU with the main GIL) adds a work item and wakes the
//!   `_ExecutorManagerThread`, which moves work items into the call queue
//!   while it has room (`max_workers + EXTRA_QUEUED_CALLS`, `EXTRA_QUEUED_CALLS
//!   = 1`) and otherwise waits for a result. The call queue is a
//!   `multiprocessing.Queue`: its feeder thread (`Queue._feed`) pickles and
//!   writes each call; a worker's `get()` frees a slot (`self._sem.release()`).
//!   Workers start one per `submit` while fewer than `max_workers` exist
//!   (`_adjust_process_count`), except with `fork`, where all start on the
//!   first `submit` (`_launch_processes`). `Executor.map` submits every task
//!   up front with chunksize 1.
//! - `workers = "per-task"`: one `multiprocessing.Process` per task; with
//!   `spawn` and `forkserver` the parent pickles the process object with its
//!   arguments and writes it to the child (`popen_spawn_posix.py`,
//!   `popen_forkserver.py`); with `fork` the child inherits them. Each child
//!   pickles its result onto a queue the main thread reads.
//! - Start methods: `fork` and `spawn` pay a parent-side cost (with the
//!   parent's GIL) and a child-side start-up before the first task; the
//!   `forkserver` is a process of its own, started on the first request
//!   (`ForkServer.ensure_running`), and the parent blocks until the server
//!   replies with the child's pid (`read_signed`).
//!
//! - `InterpreterPoolExecutor` (python/cpython
//!   `Lib/concurrent/futures/interpreter.py`): a `ThreadPoolExecutor`
//!   whose workers each create an interpreter (`WorkerContext.initialize`).
//!   `submit` pickles `(fn, args, kwargs)` in the caller (`resolve_task`);
//!   the worker takes it from the work queue in the main interpreter, then
//!   `_interpreters.exec` moves it into its own interpreter, where
//!   `_run_pickled_func` unpickles, runs and pickles the result onto the
//!   results queue; back in the main interpreter `run` unpickles it.
//!
//! A message costs: pickling (CPU with the sender's GIL), a pipe `write`
//! (CPU, GIL released, python/cpython `Lib/multiprocessing/connection.py`
//! `_send_bytes`), a `read` by the receiver (GIL released), and unpickling
//! (CPU with the receiver's GIL); pipe costs grow faster per byte past the
//! pipe's buffer. Every cost is a lognormal draw from the workload's
//! `workload/NAME/ipc` stream, so thread-only scenarios draw nothing new.

use std::collections::VecDeque;

use crate::engine::EventQueue;
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::{
    Arrival, Model as RunModel, ProcessApi, ProcessRun, StartMethod, Transfer, Workers,
};

use super::super::gil::Gil;
use super::super::program::Op;
use super::super::sync::Lock;
use super::{Call, Event, Interp, Next, Role, Runtime, Wait};

/// A cost an agent pays; its size comes from the message it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cost {
    /// `pickle.dumps` of the held message.
    Pickle,
    /// `pickle.loads` of the held message.
    Unpickle,
    /// The pipe `write` of the held message.
    Write,
    /// The pipe `read` of the held message.
    Read,
    /// Pickling one task's arguments (a per-task process object).
    PickleArgs,
    /// Writing one task's arguments to a new child.
    WriteArgs,
    /// The parent's side of starting a process.
    StartParent,
    /// The first `Pool()`'s imports (`python.pool_import`).
    PoolImport,
    /// The forkserver's `os.fork()`.
    Fork,
    /// `Executor.submit`.
    Submit,
    /// Creating a shared memory block and copying the held message's payload into it.
    ShmCreate,
    /// Creating a block for one task's arguments (a per-task process object).
    ShmCreateArgs,
    /// Attaching to a shared memory block by name.
    ShmAttach,
    /// `multiprocessing.Queue.put`: the item appended to the buffer under
    /// `_notempty`, the feeder notified (`queue_put`).
    QueuePut,
}

/// One thing an agent thread does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Act {
    /// CPU with the GIL held (C code: the pickler, `fork`).
    Held(Cost),
    /// A syscall with the GIL released.
    Nogil(Cost),
    /// The workload's program for one task submitted at this time.
    Program(Nanos),
    /// A `lock.acquire()` or `lock.release()` on a pool's internal lock.
    Lock(Op),
    /// `recv` a message from a channel, blocking (GIL released) while it is empty.
    Recv(usize),
    /// Puts the held message on a channel.
    Send(usize),
    /// Drops the held message.
    Discard,
    /// Starts a worker process (fork or spawn): a pool worker, or a per-task child.
    StartChild(Option<Nanos>),
    /// Asks the forkserver (started if needed) for a child.
    ForkRequest(Option<Nanos>),
    /// The forkserver forks the requested child.
    ForkChild,
    /// Starts a thread of the parent (a pool's handler threads).
    StartThread(Role),
    /// `Pool.map`: the queued tasks become chunks on the task queue.
    Submit,
    /// `Executor.submit` of the next queued task: a pending work item.
    Enqueue,
    /// The manager thread moves pending work items into the call queue.
    Fill,
    /// A worker's `get()` frees a call queue slot.
    Credit,
    /// The held chunk's tasks: one [`Act::Program`] each, then its result.
    Tasks,
    /// Completes the held message's tasks (the result reached the parent).
    Complete,
    /// A per-task child exits.
    Exit,
    /// Blocks for good (the main thread in `map`'s `get()`).
    Block,
    /// The main thread submits the next arrival (`apply_async` or `submit`).
    SubmitNext,
    /// A `repeat = "forever"` worker starts an iteration of the program.
    Iterate,
    /// An iteration that started at this time is done.
    IterationDone(Nanos),
    /// A subinterpreter worker enters its interpreter (`_interpreters.exec`)
    /// or returns to the main one, dropping the GIL it holds.
    Switch,
    /// The event loop's `select` (asyncio, `runtime/aio.rs`).
    Poll,
    /// The loop reads I/O events and due timers into `_ready`.
    Collect,
    /// The loop runs this many more ready callbacks.
    Run(usize),
    /// CPU with the GIL held, already drawn (a loop callback's cost).
    Burn(Nanos),
    /// A coroutine's operations, on the loop thread, until it awaits.
    Coro(usize),
    /// A `to_thread` body of a coroutine, on an executor thread (at its `pc`).
    Slice(usize),
    /// A stage's worker took the held item (`_sem.release()` inside `get`).
    StageTake,
    /// The held item's task: its program, its puts downstream, its completion.
    StageTask,
    /// The task's put into the `k`-th stage it feeds.
    StagePut(usize),
    /// The held item is written: the stage's consumers can read it.
    StageDeliver(usize),
}

/// A message: the tasks it carries (their submission times) and its pickled size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Msg {
    /// Submission times of the tasks it carries.
    pub tasks: Vec<Nanos>,
    /// Pickled size in bytes.
    pub bytes: u64,
}

/// A pipe or queue: messages written and not yet read, and blocked readers.
#[derive(Debug, Default)]
pub(super) struct Channel {
    msgs: VecDeque<Msg>,
    waiters: VecDeque<ThreadId>,
}

/// A workload's process pool (or its per-task processes).
#[derive(Debug)]
pub(super) struct PoolState {
    run: ProcessRun,
    /// An `InterpreterPoolExecutor` rather than processes.
    sub: bool,
    /// Open-loop arrivals: the main thread submits each as it arrives.
    rate: bool,
    /// `repeat = "forever"`: every worker loops the program.
    forever: bool,
    /// A pipeline stage: every worker loops get, program, puts.
    stage: bool,
    /// Arrivals waiting for the main thread to submit them.
    subq: usize,
    /// Tasks submitted so far.
    submitted: u64,
    /// Executors' idle worker semaphore (`_idle_worker_semaphore`,
    /// `_idle_semaphore`): released once per completed work item.
    idle: u64,
    per_task: bool,
    workers: u32,
    /// `Pool._taskqueue`, or the call queue's buffer read by its feeder.
    taskq: usize,
    /// The pipe workers read tasks from.
    inq: usize,
    /// The pipe workers write results to.
    outq: usize,
    fork_requests: usize,
    fork_replies: usize,
    rlock: usize,
    wlock: usize,
    /// Interpreters of the worker processes.
    pub interps: Vec<usize>,
    /// Executor: submitted work items not yet in the call queue.
    pending: VecDeque<Vec<Nanos>>,
    /// Executor: free call queue slots.
    credit: u64,
    manager: Option<ThreadId>,
    forkserver: bool,
    /// Processes started so far (names their interpreters).
    processes: u32,
    /// When the parent last forked a child (start method fork): arguments
    /// that arrived at or before it live in pages shared copy-on-write.
    last_fork: Option<Nanos>,
}

/// True for the roles of a process model.
pub(super) fn is_agent(role: Role) -> bool {
    !matches!(role, Role::Worker | Role::PerTask | Role::Forever)
}

fn method_index(m: StartMethod) -> usize {
    match m {
        StartMethod::Fork => 0,
        StartMethod::Spawn => 1,
        StartMethod::Forkserver => 2,
    }
}

impl PoolState {
    /// The pipe its workers read tasks (or a stage's items) from.
    pub(super) fn inq(&self) -> usize {
        self.inq
    }
}

impl Runtime {
    fn pool(&self, w: usize) -> &PoolState {
        match self.workloads[w].pool.as_ref() {
            Some(p) => p,
            None => unreachable!("workload {w} has no process pool"),
        }
    }

    fn pool_mut(&mut self, w: usize) -> &mut PoolState {
        match self.workloads[w].pool.as_mut() {
            Some(p) => p,
            None => unreachable!("workload {w} has no process pool"),
        }
    }

    pub(super) fn new_channel(&mut self) -> usize {
        self.channels.push(Channel::default());
        self.channels.len() - 1
    }

    pub(super) fn new_lock(&mut self, name: String) -> usize {
        self.locks.push(Lock::default());
        self.lock_names.push(name);
        self.locks.len() - 1
    }

    /// Tasks of a process workload arrive: the first batch creates the
    /// pool and its main thread, whose plan starts the workers and submits.
    pub(super) fn arrive_processes(
        &mut self,
        now: Nanos,
        w: usize,
        count: u64,
        q: &mut EventQueue<Event>,
    ) {
        let (RunModel::Processes(run) | RunModel::Subinterpreters(run)) = self.workloads[w].model
        else {
            return;
        };
        let sub = matches!(self.workloads[w].model, RunModel::Subinterpreters(_));
        for _ in 0..count {
            self.workloads[w].arrived += 1;
            self.add_task_memory(w);
            self.workloads[w].queue.push_back(now);
        }
        let rate = matches!(self.workloads[w].arrival, Arrival::Rate(_));
        if self.workloads[w].pool.is_some() {
            if rate {
                self.notify_arrival(now, w, q);
            }
            return;
        }
        let (per_task, workers) = match self.workloads[w].workers {
            Workers::Fixed(n) => (false, n),
            Workers::PerTask => (true, 0),
            Workers::Unlimited => unreachable!("unlimited workers on a process model"),
        };
        let name = self.workloads[w].name.clone();
        let pool = PoolState {
            run,
            sub,
            rate,
            forever: matches!(self.workloads[w].arrival, Arrival::Forever),
            stage: matches!(self.workloads[w].arrival, Arrival::After { .. }),
            subq: self.new_channel(),
            submitted: 0,
            idle: 0,
            per_task,
            workers,
            taskq: self.new_channel(),
            inq: self.new_channel(),
            outq: self.new_channel(),
            fork_requests: self.new_channel(),
            fork_replies: self.new_channel(),
            rlock: self.new_lock(format!("{name}: the inqueue's _rlock")),
            wlock: self.new_lock(format!("{name}: the outqueue's _wlock")),
            interps: Vec::new(),
            pending: VecDeque::new(),
            credit: u64::from(workers) + 1,
            manager: None,
            forkserver: false,
            processes: 0,
            last_fork: None,
        };
        self.workloads[w].pool = Some(pool);
        let plan = self.main_plan(w);
        self.pool_imported |= plan
            .iter()
            .any(|a| matches!(a, Act::Held(Cost::PoolImport)));
        let main = self.spawn_in(now, w, Role::ProcMain, None, 0, q);
        self.threads[main].plan = plan;
        if rate {
            self.notify_arrival(now, w, q);
        }
    }

    /// An open-loop arrival wakes the main thread, which submits it.
    fn notify_arrival(&mut self, now: Nanos, w: usize, q: &mut EventQueue<Event>) {
        let subq = self.pool(w).subq;
        let msg = Msg {
            tasks: Vec::new(),
            bytes: 0,
        };
        self.deliver(now, subq, msg, q);
    }

    /// What the parent's main thread does: start the pool and submit the batch.
    fn main_plan(&self, w: usize) -> VecDeque<Act> {
        let pool = self.pool(w);
        let n = self.workloads[w].queue.len() as u64;
        let mut plan = VecDeque::new();
        if pool.forever || pool.stage {
            for _ in 0..pool.workers {
                if pool.sub {
                    plan.push_back(Act::StartThread(Role::SubWorker));
                } else {
                    self.start_acts(w, None, &mut plan);
                }
            }
            plan.push_back(Act::Block);
            return plan;
        }
        if pool.per_task && pool.rate {
            // The main thread starts a process per arrival; a thread of
            // the parent reads the results queue.
            plan.push_back(Act::StartThread(Role::ResultHandler));
            return plan;
        }
        if pool.per_task {
            for &arrival in &self.workloads[w].queue {
                self.start_acts(w, Some(arrival), &mut plan);
            }
            // Then the main thread reads the results (refilled as a result reader).
            return plan;
        }
        if !pool.sub && pool.run.api == ProcessApi::Pool {
            // context.py: the program's first Pool() imports
            // multiprocessing.pool (and SimpleQueue multiprocessing.queues)
            // before any worker starts.
            if !self.pool_imported {
                plan.push_back(Act::Held(Cost::PoolImport));
            }
            for _ in 0..pool.workers {
                self.start_acts(w, None, &mut plan);
            }
            plan.push_back(Act::StartThread(Role::TaskHandler));
            plan.push_back(Act::StartThread(Role::ResultHandler));
            if pool.rate {
                // Then apply_async per arrival (refilled as a submitter).
                return plan;
            }
            plan.push_back(Act::Submit);
        } else if !pool.rate {
            let items = if pool.sub {
                n
            } else {
                n.div_ceil(pool.run.chunksize.unwrap_or(1).max(1))
            };
            for i in 0..items {
                // Nothing is idle while the batch is submitted.
                plan.extend(self.submit_acts(w, i, i < u64::from(pool.workers)));
            }
        } else {
            return plan;
        }
        plan.push_back(Act::Block);
        plan
    }

    /// The main thread's acts for the `i`-th `apply_async` or `submit`.
    /// `spawn`: whether this submit starts a worker (none idle, fewer than `workers`).
    fn submit_acts(&self, w: usize, i: u64, spawn: bool) -> Vec<Act> {
        let pool = self.pool(w);
        let mut acts = vec![Act::Held(Cost::Submit)];
        if pool.sub {
            // ThreadPoolExecutor.submit: resolve_task pickles (fn, args,
            // kwargs) in the caller; _adjust_thread_count starts a worker
            // while none is idle and fewer than max_workers exist.
            acts.extend([Act::Held(Cost::PickleArgs), Act::Enqueue]);
            if spawn {
                acts.push(Act::StartThread(Role::SubWorker));
            }
            return acts;
        }
        acts.push(Act::Enqueue);
        if pool.run.api == ProcessApi::Executor {
            let mut starts = VecDeque::new();
            let fork = pool.run.start_method == StartMethod::Fork;
            if !fork && spawn {
                self.start_acts(w, None, &mut starts);
            }
            if i == 0 {
                if fork {
                    for _ in 0..pool.workers {
                        self.start_acts(w, None, &mut starts);
                    }
                }
                starts.push_back(Act::StartThread(Role::Manager));
                starts.push_back(Act::StartThread(Role::Feeder));
            }
            acts.extend(starts);
        }
        acts
    }

    /// The parent's acts to start one process (a pool worker, or the child of `task`).
    fn start_acts(&self, w: usize, task: Option<Nanos>, plan: &mut VecDeque<Act>) {
        let method = self.pool(w).run.start_method;
        plan.push_back(Act::Held(Cost::StartParent));
        match method {
            StartMethod::Fork | StartMethod::Spawn => plan.push_back(Act::StartChild(task)),
            StartMethod::Forkserver => {
                plan.push_back(Act::ForkRequest(task));
                plan.push_back(Act::Recv(self.pool(w).fork_replies));
                plan.push_back(Act::Discard);
            }
        }
        if task.is_some() && method != StartMethod::Fork {
            if self.pool(w).run.transfer == Transfer::SharedMemory {
                plan.push_back(Act::Held(Cost::ShmCreateArgs));
            }
            plan.push_back(Act::Held(Cost::PickleArgs));
            plan.push_back(Act::Nogil(Cost::WriteArgs));
        }
    }

    /// The next loop of an agent whose plan ran out.
    fn refill(&mut self, tid: ThreadId) {
        let t = &self.threads[tid];
        if t.role == Role::StageFeeder {
            let acts = self.stage_feeder_loop(tid);
            self.threads[tid].plan.extend(acts);
            return;
        }
        let pool = self.pool(t.workload);
        let executor = pool.run.api == ProcessApi::Executor;
        let shm = pool.run.transfer == Transfer::SharedMemory;
        let receive = |ch: usize| {
            let mut v = vec![
                Act::Recv(ch),
                Act::Nogil(Cost::Read),
                Act::Held(Cost::Unpickle),
            ];
            if shm {
                v.push(Act::Held(Cost::ShmAttach));
            }
            v
        };
        if pool.forever && matches!(t.role, Role::ProcWorker | Role::SubWorker) {
            if t.interp == 0 && t.role == Role::SubWorker {
                self.threads[tid].plan.push_back(Act::Switch);
            }
            self.threads[tid].plan.push_back(Act::Iterate);
            return;
        }
        let acts: Vec<Act> = match t.role {
            Role::TaskHandler | Role::Feeder => {
                let mut v = vec![Act::Recv(pool.taskq)];
                if shm {
                    v.push(Act::Held(Cost::ShmCreate));
                }
                v.extend([
                    Act::Held(Cost::Pickle),
                    Act::Nogil(Cost::Write),
                    Act::Send(pool.inq),
                ]);
                v
            }
            Role::ProcMain if pool.rate => {
                vec![Act::Recv(pool.subq), Act::Discard, Act::SubmitNext]
            }
            Role::ResultHandler | Role::ProcMain => {
                let mut v = receive(pool.outq);
                v.push(Act::Complete);
                v
            }
            Role::Manager => {
                let mut v = vec![Act::Fill];
                v.extend(receive(pool.outq));
                v.push(Act::Complete);
                v
            }
            Role::ProcWorker if pool.stage => {
                // Queue.get / Connection.recv (Lib/multiprocessing/queues.py):
                // recv_bytes under `_rlock`, `_sem.release()`, then loads.
                vec![
                    Act::Lock(Op::LockAcquire(pool.rlock)),
                    Act::Recv(pool.inq),
                    Act::Nogil(Cost::Read),
                    Act::StageTake,
                    Act::Lock(Op::LockRelease(pool.rlock)),
                    Act::Held(Cost::Unpickle),
                    Act::StageTask,
                ]
            }
            Role::ProcWorker => {
                let mut v = vec![
                    Act::Lock(Op::LockAcquire(pool.rlock)),
                    Act::Recv(pool.inq),
                    Act::Nogil(Cost::Read),
                ];
                if executor {
                    // Queue.get releases its `_sem` inside `with self._rlock`.
                    v.push(Act::Credit);
                }
                v.extend([
                    Act::Lock(Op::LockRelease(pool.rlock)),
                    Act::Held(Cost::Unpickle),
                ]);
                if shm {
                    v.push(Act::Held(Cost::ShmAttach));
                }
                v.push(Act::Tasks);
                v
            }
            Role::SubWorker => vec![
                Act::Recv(pool.taskq),
                Act::Switch,
                Act::Held(Cost::Unpickle),
                Act::Tasks,
            ],
            Role::ForkServer => vec![
                Act::Recv(pool.fork_requests),
                Act::Held(Cost::Fork),
                Act::ForkChild,
                Act::Send(pool.fork_replies),
            ],
            Role::ProcTask | Role::Worker | Role::PerTask | Role::Forever | Role::StageFeeder => {
                vec![Act::Exit]
            }
            Role::Loop | Role::Executor => unreachable!("asyncio threads refill in runtime/aio.rs"),
        };
        self.threads[tid].plan.extend(acts);
    }

    /// The acts a worker does after running a chunk: pickle and send its results.
    fn result_acts(&self, w: usize, per_task: bool) -> Vec<Act> {
        let pool = self.pool(w);
        if pool.sub {
            // _run_pickled_func puts the pickled result on the results
            // queue; back in the main interpreter, run() unpickles it.
            return vec![
                Act::Held(Cost::Pickle),
                Act::Switch,
                Act::Held(Cost::Unpickle),
                Act::Complete,
            ];
        }
        let mut acts = if pool.run.transfer == Transfer::SharedMemory {
            vec![Act::Held(Cost::ShmCreate)]
        } else {
            Vec::new()
        };
        acts.extend(if per_task {
            vec![
                Act::Held(Cost::Pickle),
                Act::Nogil(Cost::Write),
                Act::Send(pool.outq),
                Act::Exit,
            ]
        } else {
            vec![
                Act::Held(Cost::Pickle),
                Act::Lock(Op::LockAcquire(pool.wlock)),
                Act::Nogil(Cost::Write),
                Act::Send(pool.outq),
                Act::Lock(Op::LockRelease(pool.wlock)),
            ]
        });
        acts
    }

    /// Whether an agent's next act passes an eval-breaker check point:
    /// `Some(true)` for Python code and the pickler, `Some(false)` for calls
    /// into C that drop the GIL themselves, `None` inside a task's program.
    pub(super) fn agent_check_point(&self, tid: ThreadId) -> Option<bool> {
        if Self::is_aio_role(self.threads[tid].role) {
            return Some(self.aio_check_point(tid));
        }
        match self.threads[tid].plan.front() {
            None | Some(Act::Held(_)) => Some(true),
            Some(Act::Program(_)) => None,
            Some(_) => Some(false),
        }
    }

    /// Moves a thread past its current operation: the next program
    /// operation, or an agent's next act.
    pub(super) fn advance(&mut self, tid: ThreadId) {
        if Self::is_aio_role(self.threads[tid].role) {
            return self.aio_advance(tid);
        }
        let t = &mut self.threads[tid];
        if t.stage_call {
            t.stage_call = false;
            return;
        }
        if t.agent && !matches!(t.plan.front(), Some(Act::Program(_))) {
            t.plan.pop_front();
        } else {
            t.pc += 1;
        }
    }

    /// The start-up cost of a new process's main thread, if `tid` is one.
    pub(super) fn child_start(&self, tid: ThreadId) -> Option<Dist> {
        let t = &self.threads[tid];
        let p = &self.python.process;
        match t.role {
            Role::ProcWorker | Role::ProcTask => {
                let m = self.pool(t.workload).run.start_method;
                Some(p.start_child[method_index(m)])
            }
            Role::ForkServer => Some(p.forkserver_start),
            Role::SubWorker => Some(p.interpreter_start),
            _ => None,
        }
    }

    /// Draws a start-up cost from the workload's IPC stream, as overhead CPU.
    pub(super) fn start_overhead(&mut self, tid: ThreadId, dist: Dist) -> Nanos {
        let w = self.threads[tid].workload;
        let d = dist.sample(&mut self.workloads[w].ipc_rng);
        self.overhead_cpu += d;
        d
    }

    /// Draws the CPU time of `cost` for `tid`, as overhead CPU.
    fn cost(&mut self, tid: ThreadId, cost: Cost) -> Nanos {
        let t = &self.threads[tid];
        let w = t.workload;
        if cost == Cost::QueuePut {
            let d = self.python.queue_put.sample(&mut self.workloads[w].ipc_rng);
            self.overhead_cpu += d;
            return d;
        }
        if t.role == Role::StageFeeder || self.workloads[w].pool.is_none() {
            let bytes = t.msg.as_ref().map_or(0, |m| m.bytes);
            return self.item_cost(w, cost, bytes);
        }
        let run = self.pool(w).run;
        let p = &self.python.process;
        let payload = t.msg.as_ref().map_or(0, |m| m.bytes);
        // An empty payload (no `result_bytes`) needs no block.
        let shm = run.transfer == Transfer::SharedMemory && payload > 0;
        if matches!(cost, Cost::ShmCreate | Cost::ShmAttach) && !shm {
            return 0;
        }
        // With shared memory only handles are pickled and piped: one per task.
        let handles = |tasks: usize| p.shm_handle_bytes * tasks as u64;
        let held = match &t.msg {
            Some(m) if shm => handles(m.tasks.len()),
            _ => payload,
        };
        let args = if run.transfer == Transfer::SharedMemory {
            handles(1)
        } else {
            run.args_bytes
        };
        let lognormal = |median: f64| Dist::LogNormal {
            median: libm::round(median) as Nanos,
            sigma: p.ipc_sigma,
        };
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        let fork = run.start_method == StartMethod::Fork && !self.pool(w).sub;
        let memory = self.workloads[w].memory;
        // popen_fork.py: os.fork() copies the parent's page tables, which
        // grow with the arguments it holds (arrived, not completed).
        // start_parent covers a bare interpreter; the forkserver's own
        // fork (Cost::Fork) has nothing more.
        let fork_extra = if cost == Cost::StartParent && fork {
            let wl = &self.workloads[w];
            let held = wl.arrived.saturating_sub(wl.completed);
            p.fork_ns_per_mib * mib(memory.saturating_mul(held))
        } else {
            0.0
        };
        // pool.py _handle_tasks (or the executor's feeder) pickles each
        // task once, in the parent: the reference counts it writes fault
        // and copy the pages of the arguments built before the last fork.
        // Children pickling results, and spawn or forkserver, share nothing.
        // With shared memory the arguments are serialised into the block
        // just before (ShmCreate, same thread): charged here all the same.
        // Once per page holds because the parent pickles each task once.
        let cow_extra = match (&t.msg, self.pool(w).last_fork) {
            (Some(m), Some(at))
                if cost == Cost::Pickle
                    && fork
                    && memory > 0
                    && matches!(t.role, Role::TaskHandler | Role::Feeder) =>
            {
                let shared = m.tasks.iter().filter(|&&a| a <= at).count() as u64;
                p.cow_ns_per_mib * mib(memory.saturating_mul(shared))
            }
            _ => 0.0,
        };
        let dist = match cost {
            Cost::StartParent => p.start_parent[method_index(run.start_method)],
            Cost::Fork => p.start_parent[method_index(StartMethod::Fork)],
            Cost::Submit => p.submit,
            Cost::PoolImport => p.pool_import,
            Cost::QueuePut => self.python.queue_put,
            Cost::ShmCreate | Cost::ShmCreateArgs => {
                let bytes = if cost == Cost::ShmCreate {
                    payload
                } else {
                    run.args_bytes
                };
                lognormal(p.shm_create as f64 + bytes as f64 * p.shm_ns_per_byte)
            }
            Cost::ShmAttach => lognormal(p.shm_attach as f64),
            Cost::Pickle | Cost::PickleArgs => {
                let bytes = if cost == Cost::Pickle { held } else { args } as f64;
                lognormal(p.pickle_message as f64 + bytes * p.pickle_ns_per_byte + cow_extra)
            }
            Cost::Unpickle => message_dist(p, Cost::Unpickle, held),
            Cost::Write | Cost::Read => message_dist(p, cost, held),
            Cost::WriteArgs => message_dist(p, Cost::Write, args),
        };
        match cost {
            Cost::Pickle => self.bytes_pickled += held,
            Cost::PickleArgs => self.bytes_pickled += args,
            Cost::Unpickle => self.bytes_unpickled += held,
            _ => {}
        }
        let d = dist.sample(&mut self.workloads[w].ipc_rng) + libm::round(fork_extra) as Nanos;
        self.overhead_cpu += d;
        if !matches!(
            cost,
            Cost::StartParent | Cost::Fork | Cost::Submit | Cost::PoolImport
        ) {
            self.workloads[w].ipc_cpu += d;
        }
        d
    }

    /// Draws the CPU time of pickling, unpickling, writing or reading one
    /// stage item of `bytes` for a thread of `w`, as overhead CPU.
    pub(super) fn item_cost(&mut self, w: usize, cost: Cost, bytes: u64) -> Nanos {
        let dist = message_dist(&self.python.process, cost, bytes);
        match cost {
            Cost::Pickle => self.bytes_pickled += bytes,
            Cost::Unpickle => self.bytes_unpickled += bytes,
            _ => {}
        }
        let d = dist.sample(&mut self.workloads[w].ipc_rng);
        self.overhead_cpu += d;
        self.workloads[w].ipc_cpu += d;
        d
    }

    /// Runs an agent's next act, holding its GIL (taken by [`Runtime::run`]).
    pub(super) fn run_agent(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let Some(act) = self.threads[tid].plan.front().copied() else {
            self.refill(tid);
            return true;
        };
        let w = self.threads[tid].workload;
        match act {
            Act::Program(arrival) => {
                let t = &mut self.threads[tid];
                t.task = Some(arrival);
                match self.workloads[w].ops.get(t.pc).copied() {
                    Some(op) => self.run_op(now, tid, op, q),
                    None => {
                        t.pc = 0;
                        t.task = None;
                        t.plan.pop_front();
                        true
                    }
                }
            }
            Act::Held(cost) => {
                let d = self.cost(tid, cost);
                self.burst(now, tid, d, super::BurstKind::Other, Next::StepDone, q);
                false
            }
            Act::Nogil(cost) => {
                let d = self.cost(tid, cost);
                self.release_for(now, tid, Some(Call::Nogil(d)), q)
            }
            Act::Lock(op) => self.run_op(now, tid, op, q),
            Act::Recv(ch) => {
                if self.threads[tid].msg.is_none() {
                    match self.channels[ch].msgs.pop_front() {
                        Some(m) => self.threads[tid].msg = Some(m),
                        None if self.manager_has_work(tid, ch) => {
                            // Woken by a submit: fill the call queue first.
                            self.threads[tid].plan.clear();
                            return true;
                        }
                        None => return self.release_for(now, tid, Some(Call::Recv(ch)), q),
                    }
                }
                self.threads[tid].plan.pop_front();
                true
            }
            Act::Send(ch) => {
                self.threads[tid].plan.pop_front();
                if let Some(msg) = self.threads[tid].msg.take() {
                    self.deliver(now, ch, msg, q);
                }
                true
            }
            Act::Discard => {
                self.threads[tid].plan.pop_front();
                self.threads[tid].msg = None;
                true
            }
            Act::StartChild(task) => {
                self.threads[tid].plan.pop_front();
                let pool = self.pool(w);
                if pool.run.start_method == StartMethod::Fork && !pool.sub {
                    self.pool_mut(w).last_fork = Some(now);
                }
                self.start_child(now, w, task, q);
                true
            }
            Act::ForkRequest(task) => {
                self.threads[tid].plan.pop_front();
                if !self.pool(w).forkserver {
                    self.pool_mut(w).forkserver = true;
                    let interp = self.new_interp(w, "forkserver", true);
                    self.spawn_in(now, w, Role::ForkServer, None, interp, q);
                }
                let ch = self.pool(w).fork_requests;
                let msg = Msg {
                    tasks: task.into_iter().collect(),
                    bytes: 0,
                };
                self.deliver(now, ch, msg, q);
                true
            }
            Act::ForkChild => {
                self.threads[tid].plan.pop_front();
                let task = self.threads[tid].msg.as_mut().and_then(|m| m.tasks.pop());
                self.start_child(now, w, task, q);
                true
            }
            Act::StartThread(role) => {
                self.threads[tid].plan.pop_front();
                let home = if role == Role::SubWorker {
                    let k = self.pool(w).processes;
                    self.pool_mut(w).processes += 1;
                    let interp = self.new_interp(w, &format!("interpreter/{k}"), false);
                    self.pool_mut(w).interps.push(interp);
                    interp
                } else {
                    0
                };
                let t = self.spawn_in(now, w, role, None, 0, q);
                self.threads[t].home = home;
                if role == Role::Manager {
                    self.pool_mut(w).manager = Some(t);
                }
                true
            }
            Act::Submit => {
                self.threads[tid].plan.pop_front();
                let pool = self.pool(w);
                let (taskq, workers, chunksize) = (pool.taskq, pool.workers, pool.run.chunksize);
                let tasks: Vec<Nanos> = self.workloads[w].queue.drain(..).collect();
                let size = chunksize.unwrap_or_else(|| default_chunksize(tasks.len(), workers));
                let args = self.pool(w).run.args_bytes;
                for chunk in tasks.chunks(size.max(1) as usize) {
                    let msg = Msg {
                        tasks: chunk.to_vec(),
                        bytes: args * chunk.len() as u64,
                    };
                    self.deliver(now, taskq, msg, q);
                }
                true
            }
            Act::Enqueue => {
                self.threads[tid].plan.pop_front();
                let Some(arrival) = self.workloads[w].queue.pop_front() else {
                    return true;
                };
                if self.pool(w).sub || self.pool(w).run.api == ProcessApi::Pool {
                    // A task for a worker thread, or Pool.apply_async's one-task job.
                    let msg = Msg {
                        tasks: vec![arrival],
                        bytes: self.pool(w).run.args_bytes,
                    };
                    let taskq = self.pool(w).taskq;
                    self.deliver(now, taskq, msg, q);
                    return true;
                }
                // Executor.map with a chunksize: one work item per chunk (_process_chunk).
                let mut item = vec![arrival];
                let size = if self.pool(w).rate {
                    1
                } else {
                    self.pool(w).run.chunksize.unwrap_or(1)
                };
                while (item.len() as u64) < size {
                    match self.workloads[w].queue.pop_front() {
                        Some(a) => item.push(a),
                        None => break,
                    }
                }
                self.pool_mut(w).pending.push_back(item);
                let (outq, manager) = (self.pool(w).outq, self.pool(w).manager);
                if let Some(m) = manager
                    && let Some(i) = self.channels[outq].waiters.iter().position(|&x| x == m)
                {
                    // `_executor_manager_thread_wakeup.wakeup()`.
                    self.channels[outq].waiters.remove(i);
                    self.wake(now, m, Next::ReturnCost, q);
                }
                true
            }
            Act::Fill => {
                self.threads[tid].plan.pop_front();
                let args = self.pool(w).run.args_bytes;
                while self.pool(w).credit > 0 {
                    let Some(tasks) = self.pool_mut(w).pending.pop_front() else {
                        break;
                    };
                    self.pool_mut(w).credit -= 1;
                    let taskq = self.pool(w).taskq;
                    let msg = Msg {
                        bytes: args * tasks.len() as u64,
                        tasks,
                    };
                    self.deliver(now, taskq, msg, q);
                }
                true
            }
            Act::Credit => {
                self.threads[tid].plan.pop_front();
                self.pool_mut(w).credit += 1;
                true
            }
            Act::Tasks => {
                self.threads[tid].plan.pop_front();
                let per_task = self.threads[tid].role == Role::ProcTask;
                let mut acts = self.result_acts(w, per_task);
                let result = self.pool(w).run.result_bytes;
                let t = &mut self.threads[tid];
                let tasks = t.msg.as_ref().map_or(Vec::new(), |m| m.tasks.clone());
                if let Some(m) = t.msg.as_mut() {
                    m.bytes = result * tasks.len() as u64;
                }
                for (i, &arrival) in tasks.iter().enumerate() {
                    acts.insert(i, Act::Program(arrival));
                }
                for a in acts.into_iter().rev() {
                    t.plan.push_front(a);
                }
                true
            }
            Act::Complete => {
                self.threads[tid].plan.pop_front();
                if self.pool(w).sub || self.pool(w).run.api == ProcessApi::Executor {
                    self.pool_mut(w).idle += 1;
                }
                let Some(msg) = self.threads[tid].msg.take() else {
                    return true;
                };
                let puts = self.successors[w].len();
                if puts == 0 {
                    for arrival in msg.tasks {
                        self.count_completion(now, w, arrival);
                    }
                    return true;
                }
                // The parent puts each result into the stages it feeds
                // (`for r in pool.imap(...): q.put(r)`), then it is done.
                let t = &mut self.threads[tid];
                for &arrival in msg.tasks.iter().rev() {
                    t.plan.push_front(Act::IterationDone(arrival));
                    for k in (0..puts).rev() {
                        t.plan.push_front(Act::StagePut(k));
                    }
                }
                true
            }
            Act::Exit => {
                self.exit_process(now, tid, q);
                false
            }
            Act::Block => self.release_for(now, tid, Some(Call::Await), q),
            Act::Iterate => {
                let t = &mut self.threads[tid];
                t.plan.pop_front();
                t.plan.push_front(Act::IterationDone(now));
                t.plan.push_front(Act::Program(now));
                self.workloads[w].arrived += 1;
                self.add_task_memory(w);
                true
            }
            Act::IterationDone(started) => {
                self.threads[tid].plan.pop_front();
                self.count_completion(now, w, started);
                true
            }
            Act::SubmitNext => {
                self.threads[tid].plan.pop_front();
                if self.pool(w).per_task {
                    let mut acts = VecDeque::new();
                    let arrival = self.workloads[w].queue.pop_front();
                    self.start_acts(w, Some(arrival.unwrap_or(now)), &mut acts);
                    let t = &mut self.threads[tid];
                    for a in acts.into_iter().rev() {
                        t.plan.push_front(a);
                    }
                    return true;
                }
                let i = self.pool(w).submitted;
                self.pool_mut(w).submitted += 1;
                // _adjust_process_count / _adjust_thread_count: no new worker
                // if the idle semaphore can be taken without blocking.
                let pool = self.pool_mut(w);
                let spawn = if pool.idle > 0 {
                    pool.idle -= 1;
                    false
                } else {
                    pool.processes < pool.workers
                };
                let acts = self.submit_acts(w, i, spawn);
                let t = &mut self.threads[tid];
                for a in acts.into_iter().rev() {
                    t.plan.push_front(a);
                }
                true
            }
            Act::Switch => {
                let t = &self.threads[tid];
                let to = if t.interp == 0 { t.home } else { 0 };
                self.release_for(now, tid, Some(Call::Switch(to)), q)
            }
            Act::StageTake => {
                self.threads[tid].plan.pop_front();
                let entered = self.threads[tid]
                    .msg
                    .as_ref()
                    .and_then(|m| m.tasks.first().copied());
                if let Some(entered) = entered {
                    self.stage_taken(now, w, entered, q);
                }
                true
            }
            Act::StageTask => {
                self.threads[tid].plan.pop_front();
                let entered = self.threads[tid]
                    .msg
                    .take()
                    .and_then(|m| m.tasks.first().copied());
                let Some(entered) = entered else {
                    return true;
                };
                let puts = self.successors[w].len();
                let t = &mut self.threads[tid];
                t.plan.push_front(Act::IterationDone(entered));
                for k in (0..puts).rev() {
                    t.plan.push_front(Act::StagePut(k));
                }
                t.plan.push_front(Act::Program(entered));
                true
            }
            Act::StagePut(k) => self.agent_stage_put(now, tid, k, q),
            Act::StageDeliver(stage) => {
                self.threads[tid].plan.pop_front();
                if let Some(msg) = self.threads[tid].msg.take() {
                    self.stage_ready(now, stage, msg, q);
                }
                true
            }
            Act::Poll
            | Act::Collect
            | Act::Run(_)
            | Act::Burn(_)
            | Act::Coro(_)
            | Act::Slice(_) => unreachable!("asyncio acts run in runtime/aio.rs"),
        }
    }

    /// True when the executor's manager, about to wait for a result, has
    /// work items it can move into the call queue.
    fn manager_has_work(&self, tid: ThreadId, ch: usize) -> bool {
        let t = &self.threads[tid];
        if t.role != Role::Manager {
            return false;
        }
        let pool = self.pool(t.workload);
        ch == pool.outq && pool.credit > 0 && !pool.pending.is_empty()
    }

    /// A `recv` that found its channel empty, after dropping the GIL.
    pub(super) fn recv_blocking(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        ch: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.threads[tid].next = Next::ReturnCost;
        if self.manager_has_work(tid, ch) {
            return true;
        }
        if let Some(m) = self.channels[ch].msgs.pop_front() {
            self.threads[tid].msg = Some(m);
            return true;
        }
        self.channels[ch].waiters.push_back(tid);
        let wait = if self.threads[tid].role == Role::ProcMain {
            Wait::Call
        } else {
            Wait::Idle
        };
        self.block(now, tid, wait, q);
        false
    }

    /// Writes `msg` to channel `ch`: straight to its first blocked reader, if any.
    pub(super) fn deliver(&mut self, now: Nanos, ch: usize, msg: Msg, q: &mut EventQueue<Event>) {
        match self.channels[ch].waiters.pop_front() {
            Some(reader) => {
                self.threads[reader].msg = Some(msg);
                self.wake(now, reader, Next::ReturnCost, q);
            }
            None => self.channels[ch].msgs.push_back(msg),
        }
    }

    /// A new interpreter of workload `w` with its own GIL: a process's, or a subinterpreter.
    fn new_interp(&mut self, w: usize, what: &str, process: bool) -> usize {
        let name = format!("workload/{}/{what}/gil", self.workloads[w].name);
        let mut gil = Gil::new(self.python.gil_handoff, self.seed, &name);
        if self.record_gil {
            gil.record();
        }
        self.interps.push(Interp::new(gil));
        if process {
            self.live_processes += 1;
        } else {
            self.subinterpreters_rss += self.python.process.interpreter_rss;
        }
        self.update_rss();
        self.interps.len() - 1
    }

    /// Starts a worker process: a pool worker, or the child of `task`.
    fn start_child(
        &mut self,
        now: Nanos,
        w: usize,
        task: Option<Nanos>,
        q: &mut EventQueue<Event>,
    ) {
        let k = self.pool(w).processes;
        self.pool_mut(w).processes += 1;
        let interp = self.new_interp(w, &format!("process/{k}"), true);
        self.pool_mut(w).interps.push(interp);
        let role = if task.is_some() {
            Role::ProcTask
        } else {
            Role::ProcWorker
        };
        let tid = self.spawn_in(now, w, role, None, interp, q);
        if let Some(arrival) = task {
            let run = self.pool(w).run;
            let msg = Msg {
                tasks: vec![arrival],
                bytes: run.args_bytes,
            };
            let t = &mut self.threads[tid];
            if run.start_method != StartMethod::Fork {
                // The process object and its arguments, written by the parent.
                t.plan
                    .extend([Act::Nogil(Cost::Read), Act::Held(Cost::Unpickle)]);
                if run.transfer == Transfer::SharedMemory {
                    t.plan.push_back(Act::Held(Cost::ShmAttach));
                }
            }
            t.msg = Some(msg);
            t.plan.push_back(Act::Tasks);
        }
    }

    /// A per-task child's end: its thread and its process go away.
    fn exit_process(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        self.threads[tid].plan.clear();
        self.live_processes -= 1;
        self.retire_thread(now, tid, q);
    }

    /// For a process workload: the mean GIL held fraction over its worker
    /// interpreters and their summed switches, in the window ending at `end`.
    pub(super) fn worker_gil_stats(&self, w: usize, end: Nanos) -> Option<(f64, u64)> {
        let pool = self.workloads[w].pool.as_ref()?;
        let window = end.saturating_sub(self.warmup) as f64;
        if pool.interps.is_empty() {
            return Some((0.0, 0));
        }
        let (mut held, mut switches) = (0.0, 0);
        for &i in &pool.interps {
            let (h, s) = self.interps[i].window(end);
            held += if window > 0.0 { h as f64 / window } else { 0.0 };
            switches += s;
        }
        Some((held / pool.interps.len() as f64, switches))
    }

    /// The label of an agent thread's timeline lane.
    pub(super) fn agent_label(&self, tid: ThreadId) -> String {
        let t = &self.threads[tid];
        if Self::is_aio_role(t.role) {
            return self.aio_label(tid);
        }
        let name = &self.workloads[t.workload].name;
        let what = match t.role {
            Role::ProcMain => "main".to_string(),
            Role::TaskHandler => "task-handler".to_string(),
            Role::ResultHandler => "result-handler".to_string(),
            Role::Manager => "manager".to_string(),
            Role::Feeder => "feeder".to_string(),
            Role::StageFeeder => format!(
                "queue-feeder-{}-p{}",
                self.workloads[self.stage_feeder_target(tid)].name,
                t.interp
            ),
            Role::ForkServer => "forkserver".to_string(),
            Role::SubWorker => format!("interpreter-{}", t.home),
            _ => format!("process-{}", t.interp),
        };
        format!("{name}/{what}")
    }
}

/// The draw of a message's pickling, unpickling or pipe transfer of
/// `bytes` (pipe costs grow faster per byte past the pipe's buffer).
fn message_dist(p: &super::super::config::ProcessConfig, cost: Cost, bytes: u64) -> Dist {
    let lognormal = |median: f64| Dist::LogNormal {
        median: libm::round(median) as Nanos,
        sigma: p.ipc_sigma,
    };
    let b = bytes as f64;
    match cost {
        Cost::Pickle => lognormal(p.pickle_message as f64 + b * p.pickle_ns_per_byte),
        Cost::Unpickle => lognormal(p.pickle_message as f64 + b * p.unpickle_ns_per_byte),
        _ => {
            let buffer = p.pipe_buffer as f64;
            lognormal(
                p.pipe_syscall as f64
                    + b.min(buffer) * p.pipe_ns_per_byte_small
                    + (b - buffer).max(0.0) * p.pipe_ns_per_byte_large,
            )
        }
    }
}

/// `Pool.map`'s default chunksize: `ceil(len / (4 × workers))`.
pub(super) fn default_chunksize(len: usize, workers: u32) -> u64 {
    let per = 4 * u64::from(workers.max(1));
    (len as u64).div_ceil(per)
}
