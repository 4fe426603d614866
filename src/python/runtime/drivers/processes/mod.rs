//! Process models: worker processes with interpreters and GILs of their
//! own, fed through pipes (docs/MODEL.md#processes).
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

mod acts;
mod costs;
mod roles;

use std::collections::VecDeque;

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::{Arrival, Model as RunModel, ProcessRun, StartMethod, Transfer, Workers};

use crate::python::gil::Gil;
use crate::python::program::Op;
use crate::python::runtime::drivers::Driver;
use crate::python::runtime::plan::{Act, Channel, Cost, Msg};
use crate::python::runtime::{Call, Event, Interp, Next, Role, Runtime, Task, Wait};
use crate::python::sync::Lock;

/// A workload's process pool (or its per-task processes).
#[derive(Debug)]
pub(in crate::python::runtime) struct PoolState {
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
    pending: VecDeque<Vec<Task>>,
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

impl PoolState {
    /// The pipe its workers read tasks (or a stage's items) from.
    pub(in crate::python::runtime) fn inq(&self) -> usize {
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

    pub(in crate::python::runtime) fn new_channel(&mut self) -> usize {
        self.models.channels.push(Channel::default());
        self.models.channels.len() - 1
    }

    pub(in crate::python::runtime) fn new_lock(&mut self, name: String) -> usize {
        self.locks.push(Lock::default());
        self.lock_names.push(name);
        self.locks.len() - 1
    }

    /// Tasks of a process workload arrive: the first batch creates the
    /// pool and its main thread, whose plan starts the workers and submits.
    pub(in crate::python::runtime) fn arrive_processes(
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
        let sub = self.workloads[w].driver == Driver::Subinterpreters;
        for _ in 0..count {
            self.workloads[w].arrived += 1;
            self.add_task_memory(w);
            let task = self.new_task(now);
            self.workloads[w].queue.push_back(task);
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
        self.models.pool_imported |= plan
            .iter()
            .any(|a| matches!(a, Act::Held(Cost::PoolImport)));
        let main = self.spawn_in(now, w, Role::ProcMain, None, 0, q);
        self.models.agents[main].plan = plan;
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
    pub(in crate::python::runtime) fn recv_blocking(
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
        if let Some(m) = self.models.channels[ch].msgs.pop_front() {
            self.models.agents[tid].msg = Some(m);
            return true;
        }
        self.models.channels[ch].waiters.push_back(tid);
        let wait = if self.threads[tid].role == Role::ProcMain {
            Wait::Call
        } else {
            Wait::Idle
        };
        self.block(now, tid, wait, q);
        false
    }

    /// Writes `msg` to channel `ch`: straight to its first blocked reader, if any.
    pub(in crate::python::runtime) fn deliver(
        &mut self,
        now: Nanos,
        ch: usize,
        msg: Msg,
        q: &mut EventQueue<Event>,
    ) {
        match self.models.channels[ch].waiters.pop_front() {
            Some(reader) => {
                self.models.agents[reader].msg = Some(msg);
                self.wake(now, reader, Next::ReturnCost, q);
            }
            None => self.models.channels[ch].msgs.push_back(msg),
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
            self.subinterpreters_rss = self
                .subinterpreters_rss
                .saturating_add(self.python.process.interpreter_rss);
        }
        self.update_rss();
        self.interps.len() - 1
    }

    /// Starts a worker process: a pool worker, or the child of `task`.
    fn start_child(&mut self, now: Nanos, w: usize, task: Option<Task>, q: &mut EventQueue<Event>) {
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
        if let Some(task) = task {
            let run = self.pool(w).run;
            let msg = Msg {
                tasks: vec![task],
                bytes: run.args_bytes,
            };
            if run.start_method != StartMethod::Fork {
                // The process object and its arguments, written by the parent.
                self.models.agents[tid]
                    .plan
                    .extend([Act::Nogil(Cost::Read), Act::Held(Cost::Unpickle)]);
                if run.transfer == Transfer::SharedMemory {
                    self.models.agents[tid]
                        .plan
                        .push_back(Act::Held(Cost::ShmAttach));
                }
            }
            self.models.agents[tid].msg = Some(msg);
            self.models.agents[tid].plan.push_back(Act::Tasks);
        }
    }

    /// A per-task child's end: its thread and its process go away.
    fn exit_process(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) {
        self.models.agents[tid].plan.clear();
        self.live_processes -= 1;
        self.retire_thread(now, tid, q);
    }

    /// For a process workload: the mean GIL held fraction over its worker
    /// interpreters and their summed switches, in the window ending at `end`.
    pub(in crate::python::runtime) fn worker_gil_stats(
        &self,
        w: usize,
        end: Nanos,
    ) -> Option<(f64, u64)> {
        if self.workloads[w].shape.is_some() {
            return self.shape_gil_stats(w, end);
        }
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
    pub(in crate::python::runtime) fn agent_label(&self, tid: ThreadId) -> String {
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
            Role::SubWorker => format!("interpreter-{}", self.models.agents[tid].home),
            _ => format!("process-{}", t.interp),
        };
        format!("{name}/{what}")
    }
}

/// `Pool.map`'s default chunksize: `ceil(len / (4 × workers))`.
pub(in crate::python::runtime) fn default_chunksize(len: usize, workers: u32) -> u64 {
    let per = 4 * u64::from(workers.max(1));
    (len as u64).div_ceil(per)
}
