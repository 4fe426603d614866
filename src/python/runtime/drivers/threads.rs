//! The thread models: `sequential` (the main thread), a
//! `ThreadPoolExecutor` of `workers` threads, one thread per task
//! (`per-task`), and `repeat = "forever"` threads.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::python::runtime::*;

impl Runtime {
    /// The last operation is done: record the task and find the next one.
    pub(in crate::python::runtime) fn complete_task(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
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

    /// What a thread does once its task is complete.
    pub(in crate::python::runtime) fn complete_role(
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

    /// A pool worker without a task takes the next queued one or goes idle.
    pub(in crate::python::runtime) fn next_task(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
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

    pub(in crate::python::runtime) fn arrive(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) {
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
    pub(in crate::python::runtime) fn enqueue_task(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) {
        self.workloads[w].queue.push_back(now);
        self.dispatch_task(now, w, q);
    }

    /// The task last pushed on `w`'s work queue goes to an idle worker or a
    /// new one, or to a thread of its own (`per-task`).
    pub(in crate::python::runtime) fn dispatch_task(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) {
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
