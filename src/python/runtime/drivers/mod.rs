//! One driver per run model: how a workload's tasks arrive, which threads
//! it starts, what those threads do besides running the workload's program,
//! what a finished task's thread does next, and what the model adds to the
//! results and to a deadlock report.
//!
//! [`Driver`] is picked once per workload from its `[workload.run]` table;
//! every decision that depends on the run model goes through it, here.
//! The runtime's core (threads on the machine, interpreters and their GILs,
//! locks, accounting) knows no model. The drivers' own files:
//!
//! ```text
//! threads.rs      sequential, ThreadPoolExecutor, per-task and forever threads
//! processes/      multiprocessing.Pool, ProcessPoolExecutor, per-task Process,
//!                 start methods, InterpreterPoolExecutor (subinterpreters)
//! asyncio/        the event loop, coroutines, to_thread, asyncio.Queue stages
//! shapes.rs       deployment shapes: worker processes, each running threads
//!                 or a sync worker, fed by the kernel's accept balancing
//! stages.rs       queue.Queue, multiprocessing.Queue and Pipe between workloads
//! ```

pub(super) mod asyncio;
pub(super) mod processes;
pub(super) mod shapes;
pub(super) mod stages;
pub(super) mod threads;

use crate::engine::EventQueue;
use crate::engine::random::round_ns;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::python::sync::SyncKind;
use crate::workload::{Arrival, Model as RunModel, PerProcess, Workers, limits};

use super::plan::{AgentState, Channel};
use super::{Event, Role, Runtime, Task};
use asyncio::EventLoop;
use stages::{StageFeeder, StageState, StageThread};

/// What the drivers keep beside the core: agent threads' plans, threads'
/// part in stages, pipes and queues, the event loop, the stage queues and
/// links.
#[derive(Default)]
pub(super) struct ModelState {
    /// Per thread slot: the plan and message of a thread that follows its
    /// model's acts (process models, stage feeders, the event loop).
    pub(super) agents: Vec<AgentState>,
    /// Per thread slot: a thread's part in pipeline stages (its puts and gets).
    pub(super) stage_threads: Vec<StageThread>,
    /// Pipes and queues between threads and processes.
    pub(super) channels: Vec<Channel>,
    /// Whether a `multiprocessing.Pool()` of the program has imported its
    /// modules (`python.pool_import`: paid once per program).
    pub(super) pool_imported: bool,
    /// The asyncio event loop, if a workload runs on it.
    pub(super) aio: Option<Box<EventLoop>>,
    /// The event loops of shapes' worker processes (`per_process` asyncio).
    pub(super) loops: Vec<EventLoop>,
    /// The loop the asyncio code works on now: `None` is `aio`, `Some(k)`
    /// is `loops[k]` (set where a loop's work enters: its threads, its I/O
    /// completions, its arrivals).
    pub(super) cur_loop: std::cell::Cell<Option<usize>>,
    /// Per workload: its stage queue, when it has `after`.
    pub(super) stages: Vec<Option<StageState>>,
    /// Per workload: the stages it feeds, with its slot among their upstreams.
    pub(super) successors: Vec<Vec<(usize, usize)>>,
    /// The feeder threads of `multiprocessing.Queue` stages, one per
    /// producer process and stage.
    pub(super) stage_feeders: Vec<StageFeeder>,
}

/// How a workload's tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Driver {
    /// `sequential`: the main thread runs the tasks one after another.
    Sequential,
    /// `threads`: a `ThreadPoolExecutor` of at most this many threads.
    ThreadPool(u32),
    /// `threads` with `workers = "per-task"`: a `threading.Thread` per task.
    ThreadPerTask,
    /// `processes`: worker processes (`drivers/processes`).
    Processes,
    /// `subinterpreters`: an `InterpreterPoolExecutor` (`drivers/processes`).
    Subinterpreters,
    /// `asyncio`: coroutines on the one event loop (`drivers/asyncio`).
    Asyncio,
    /// A deployment shape: worker processes each running this (`drivers/shapes.rs`).
    Shape(PerProcess),
}

impl Driver {
    /// The driver of a workload run as `model` with `workers`.
    pub(super) fn of(model: &RunModel, workers: Workers) -> Driver {
        match (model, workers) {
            (RunModel::Sequential, _) => Driver::Sequential,
            (RunModel::Threads, Workers::PerTask) => Driver::ThreadPerTask,
            (RunModel::Threads, Workers::Fixed(n)) => Driver::ThreadPool(n),
            (RunModel::Threads, Workers::Unlimited) => Driver::ThreadPool(1),
            (RunModel::Processes(_), _) => Driver::Processes,
            (RunModel::Subinterpreters(_), _) => Driver::Subinterpreters,
            (RunModel::Asyncio, _) => Driver::Asyncio,
            (RunModel::Shape(s), _) => Driver::Shape(s.per_process),
        }
    }

    /// Whether the workload's threads are a process model's agents
    /// (processes or subinterpreters).
    pub(super) fn pools_interpreters(self) -> bool {
        matches!(self, Driver::Processes | Driver::Subinterpreters)
    }

    /// Whether the tasks run on the program's main thread, started with the
    /// program (no `thread_start`).
    pub(super) fn runs_on_main_thread(self) -> bool {
        matches!(
            self,
            Driver::Sequential | Driver::Shape(PerProcess::Sequential)
        )
    }

    /// Whether the tasks are coroutines: they wait without blocking a
    /// thread, so their waits and lifetimes are counted per coroutine.
    pub(super) fn coroutines(self) -> bool {
        matches!(
            self,
            Driver::Asyncio | Driver::Shape(PerProcess::Asyncio(_))
        )
    }

    /// The library whose events and conditions the workload uses.
    pub(super) fn sync_kind(self) -> Option<SyncKind> {
        match self {
            Driver::Asyncio => Some(SyncKind::Asyncio),
            Driver::Processes => Some(SyncKind::Multiprocessing),
            _ => None,
        }
    }
}

impl Runtime {
    /// Starts what workload `w` runs on before its first arrival: the
    /// `forever` threads, a stage's or a `forever` workload's worker
    /// processes. Arrivals are scheduled by the caller.
    pub(super) fn start_workload(&mut self, w: usize, q: &mut EventQueue<Event>) {
        let driver = self.workloads[w].driver;
        match self.workloads[w].arrival {
            Arrival::Batch(_) | Arrival::Rate(_) => {
                if let RunModel::Shape(spec) = self.workloads[w].model {
                    self.start_shape(w, spec, q);
                }
            }
            // Fed by its upstreams' puts (drivers/stages.rs); a stage on
            // processes starts its workers at once.
            Arrival::After { .. } => {
                if driver == Driver::Processes {
                    self.arrive_processes(0, w, 0, q);
                }
            }
            // Started with the loop (`aio_start`).
            Arrival::Forever if driver == Driver::Asyncio => {}
            Arrival::Forever if driver.pools_interpreters() => self.arrive_processes(0, w, 0, q),
            Arrival::Forever => {
                let n = match driver {
                    Driver::ThreadPool(n) => n,
                    _ => 1,
                };
                for _ in 0..n {
                    let task = Task {
                        index: Some(self.next_index(w)),
                        ..self.new_task(0).picked_at(0)
                    };
                    self.spawn(0, w, Role::Forever, Some(task), q);
                    self.workloads[w].arrived += 1;
                    self.add_task_memory(w);
                }
            }
        }
    }

    /// Tasks of workload `w` arrive at `now` (a batch, or the next Poisson
    /// arrival, which schedules the one after it).
    pub(super) fn arrive(&mut self, now: Nanos, w: usize, q: &mut EventQueue<Event>) {
        let count = match self.workloads[w].arrival {
            Arrival::Batch(n) => n,
            Arrival::Rate(per_s) => {
                let gap = self.workloads[w].arrivals_rng.exp(1e9 / per_s);
                let at = now.saturating_add(round_ns(gap));
                if self.duration.is_none_or(|d| at <= d) {
                    q.schedule_at(at, Event::Arrival { workload: w });
                }
                1
            }
            Arrival::Forever | Arrival::After { .. } => 0,
        };
        self.arrive_tasks(now, w, count, q);
        if matches!(self.workloads[w].arrival, Arrival::Rate(_)) {
            self.check_in_flight(now, w);
        }
    }

    /// Stops the run once the program holds more tasks in flight than
    /// gilsim holds ([`limits::MAX_HELD_TASKS`]): an open-loop workload
    /// whose tasks arrive faster than they are done, up to `duration`.
    fn check_in_flight(&mut self, now: Nanos, w: usize) {
        let in_flight: u64 = self
            .workloads
            .iter()
            .map(|x| x.arrived.saturating_sub(x.completed))
            .chain(self.models.stages.iter().flatten().map(|s| s.waiting()))
            .fold(0, u64::saturating_add);
        if in_flight > limits::MAX_HELD_TASKS {
            self.stop_too_large(format!(
                "the program holds {in_flight} tasks in flight at t = {:.6} s, more than gilsim holds at once ({}): the tasks of `{}` (workload.{}.rate) arrive faster than they are done; lower the rate or shorten duration",
                now as f64 / 1e9,
                limits::MAX_HELD_TASKS,
                self.workloads[w].name,
                self.workloads[w].name,
            ));
        }
    }

    /// `count` tasks of workload `w` arrive at `now`.
    pub(super) fn arrive_tasks(
        &mut self,
        now: Nanos,
        w: usize,
        count: u64,
        q: &mut EventQueue<Event>,
    ) {
        match self.workloads[w].driver {
            Driver::Processes | Driver::Subinterpreters => self.arrive_processes(now, w, count, q),
            Driver::Shape(_) => self.arrive_shape(now, w, count, q),
            Driver::Asyncio => {
                for _ in 0..count {
                    self.aio_arrive_one(now, w, q);
                }
            }
            Driver::ThreadPerTask => {
                for _ in 0..count {
                    self.workloads[w].arrived += 1;
                    self.add_task_memory(w);
                    let task = self.new_task(now);
                    self.enqueue_task(now, w, task, q);
                }
            }
            Driver::Sequential | Driver::ThreadPool(_) => {
                // The batch waits as a count: a task is materialised when a
                // worker takes it. Arriving one by one, only the first tasks
                // would find an idle worker or room for a new one; the rest
                // would wait in the queue, as they do here.
                let first_id = self.new_task_ids(count);
                let wl = &mut self.workloads[w];
                wl.arrived = wl.arrived.saturating_add(count);
                wl.queue.push_many(now, first_id, count);
                let memory = count.saturating_mul(wl.memory);
                self.tasks_memory = self.tasks_memory.saturating_add(memory);
                self.update_rss();
                for _ in 0..count {
                    if !self.can_dispatch(w) {
                        break;
                    }
                    self.dispatch_task(now, w, q);
                }
            }
        }
    }

    /// Runs the next act of a thread that follows a plan of its model
    /// (process and subinterpreter pools, stage feeders, the event loop and
    /// its executor) rather than a task's program.
    #[inline]
    pub(super) fn run_act(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
        if Self::is_aio_role(self.threads[tid].role) {
            self.run_aio(now, tid, q)
        } else {
            self.run_agent(now, tid, q)
        }
    }

    /// What a thread does once its task is complete: a pool worker takes the
    /// next one, a `forever` thread loops; any other thread ends.
    #[inline]
    pub(super) fn after_task(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        w: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match self.threads[tid].role {
            Role::Forever => {
                let task = Task {
                    index: Some(self.next_index(w)),
                    ..self.new_task(now).picked_at(now)
                };
                self.threads[tid].task = Some(task);
                self.workloads[w].arrived += 1;
                self.add_task_memory(w);
                true
            }
            Role::Worker => self.next_task(now, tid, q),
            _ => {
                self.retire_thread(now, tid, q);
                false
            }
        }
    }

    /// The `workers` column of workload `w`.
    pub(super) fn workers_label(&self, w: usize) -> String {
        if let Some(label) = self.shape_label(w) {
            return label;
        }
        let wl = &self.workloads[w];
        match (wl.driver, wl.workers) {
            (Driver::Sequential, _) => "1".to_string(),
            (_, Workers::Fixed(n)) => n.to_string(),
            (_, Workers::PerTask) => "per-task".to_string(),
            // An asyncio stage without `workers`: one consumer (asyncio/queue.rs).
            (Driver::Asyncio, Workers::Unlimited) if self.models.stages[w].is_some() => {
                "1".to_string()
            }
            (_, Workers::Unlimited) => "unlimited".to_string(),
        }
    }

    /// The thread time of workload `w` waiting for the GIL, and the threads'
    /// lifetime it is a fraction of: an asyncio workload's are those of the
    /// loop's threads (the loop and executor threads belong to the first
    /// asyncio workload).
    pub(super) fn gil_wait_of(&self, w: usize) -> (u128, u128) {
        let owner = match (self.workloads[w].driver, self.aio_owner()) {
            (Driver::Asyncio, Some(o)) => o,
            _ => w,
        };
        (
            self.workloads[owner].gil_wait_ns,
            self.workloads[owner].thread_life_ns,
        )
    }

    /// The lines a deadlock report adds for what the models' own waiters
    /// (coroutines, multiprocessing notifiers) wait for.
    pub(super) fn model_deadlock_lines(&self) -> Vec<String> {
        let mut lines = self.aio_deadlock();
        lines.extend(self.sync_deadlock_lines());
        lines
    }
}

#[cfg(test)]
mod tests;
