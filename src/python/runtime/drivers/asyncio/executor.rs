//! `asyncio.to_thread`: the loop's default executor (`ThreadPoolExecutor`,
//! `min(32, cores + 4)` threads started lazily) running a coroutine's
//! `to_thread` body, and handing the result back with
//! `call_soon_threadsafe`.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

use super::*;
use crate::python::runtime::interp::Cursor;

impl Runtime {
    /// `run_in_executor`: an idle executor thread takes the job, or a new one starts.
    pub(in crate::python::runtime) fn exec_submit(
        &mut self,
        now: Nanos,
        c: usize,
        start: usize,
        q: &mut EventQueue<Event>,
    ) {
        let owner = self.lp().owner;
        // The body starts at `start`: kept in the coroutine until a thread takes it.
        self.lp().coros[c].pc = start;
        if let Some(idle) = self.workloads[owner].idle.pop_front() {
            self.assign_job(idle, c);
            self.wake(now, idle, Next::ReturnCost, q);
            return;
        }
        let l = self.lp();
        if l.exec_threads < l.exec_max {
            l.exec_threads += 1;
            let tid = self.spawn(now, owner, Role::Executor, None, q);
            self.assign_job(tid, c);
        } else {
            l.exec_queue.push_back(c);
        }
    }

    pub(in crate::python::runtime) fn assign_job(&mut self, tid: ThreadId, c: usize) {
        let co = self.lp().coros[c];
        let t = &mut self.threads[tid];
        t.pc = co.pc;
        t.task = Some(co.task);
        self.models.agents[tid].plan.clear();
        self.models.agents[tid].plan.push_back(Act::Slice(c));
    }

    /// An executor thread without a job takes the next one or goes idle.
    pub(in crate::python::runtime) fn executor_next(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match self.lp().exec_queue.pop_front() {
            Some(c) => {
                self.assign_job(tid, c);
                true
            }
            None => self.release_for(now, tid, Some(Call::Idle), q),
        }
    }

    /// Runs a `to_thread` body on an executor thread.
    pub(in crate::python::runtime) fn run_slice(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.run_program(now, tid, Cursor::Slice(tid, c), q)
    }

    /// The body is done: the result goes back to the loop, and the
    /// coroutine resumes after the body's end.
    pub(in crate::python::runtime) fn slice_end(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let t = &mut self.threads[tid];
        let pc = t.pc;
        self.models.agents[tid].plan.pop_front();
        t.task = None;
        t.pc = 0;
        let l = self.lp();
        l.coros[c].pc = pc + 1;
        // call_soon_threadsafe(future.set_result): straight into
        // `_ready`, and a byte on the self-pipe wakes the poll.
        self.call_soon(Cb::Done(c));
        self.loop_notify(now, q);
        true
    }
}
