//! The thread models: `sequential` (the main thread), a
//! `ThreadPoolExecutor` of `workers` threads, one thread per task
//! (`per-task`), and `repeat = "forever"` threads.

use super::Driver;
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
        if !self.models.successors[w].is_empty() && !self.put_results(now, tid, q) {
            return false;
        }
        let t = &mut self.threads[tid];
        let w = t.workload;
        let task = t.task.take();
        t.pc = 0;
        let interp = t.interp;
        let task = task.unwrap_or_else(|| self.new_task(now).picked_at(now));
        if self.workloads[w].driver.is_shape() {
            self.shape_done(w, interp);
        }
        self.count_completion(now, w, task);
        self.after_task(now, tid, w, q)
    }

    /// A pool worker without a task takes the next queued one or goes idle.
    #[inline]
    pub(in crate::python::runtime) fn next_task(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = self.threads[tid].workload;
        if self.workloads[w].driver.is_shape() {
            return self.shape_next_task(now, tid, q);
        }
        match self.take_queued(now, w, q) {
            Some(task) => {
                self.threads[tid].task = Some(task);
                self.note_get(tid);
                true
            }
            None => self.release_for(now, tid, Some(Call::Idle), q),
        }
    }

    /// `task` of a thread workload arrived (counted) at `now`: into the
    /// pool's work queue, to an idle worker or a new one, or to a thread of
    /// its own (`per-task`).
    pub(in crate::python::runtime) fn enqueue_task(
        &mut self,
        now: Nanos,
        w: usize,
        task: Task,
        q: &mut EventQueue<Event>,
    ) {
        self.workloads[w].queue.push_back(task);
        self.dispatch_task(now, w, q);
    }

    /// Whether a task pushed on `w`'s work queue now would go to an idle
    /// worker or a new one (a pool or the sequential main thread).
    pub(in crate::python::runtime) fn can_dispatch(&self, w: usize) -> bool {
        let max = match self.workloads[w].driver {
            Driver::ThreadPool(n) => n,
            _ => 1,
        };
        !self.workloads[w].idle.is_empty() || self.workloads[w].threads < max
    }

    /// The task last pushed on `w`'s work queue goes to an idle worker or a
    /// new one, or to a thread of its own (`per-task`).
    pub(in crate::python::runtime) fn dispatch_task(
        &mut self,
        now: Nanos,
        w: usize,
        q: &mut EventQueue<Event>,
    ) {
        if self.models.stages[w]
            .as_ref()
            .is_some_and(|s| s.channel == crate::workload::StageChannel::AsyncioQueue)
        {
            // An asyncio stage's item: its `asyncio.Queue` (aio/queue.rs).
            self.aio_queue_wakeup_getter(w);
            return;
        }
        let max = match self.workloads[w].driver {
            Driver::ThreadPerTask => {
                let task = self.take_queued(now, w, q);
                let tid = self.spawn(now, w, Role::PerTask, task, q);
                self.note_get(tid);
                return;
            }
            Driver::ThreadPool(n) => n,
            _ => 1,
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
