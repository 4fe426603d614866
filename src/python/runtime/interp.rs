//! The op interpreter: runs the next compiled operation of whatever a thread
//! executes, after taking the GIL and answering a drop request at a check point.

use super::*;
use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

impl Runtime {
    /// Takes the GIL if needed, answers a pending drop request, then runs the operation at `pc`.
    pub(super) fn run(&mut self, now: Nanos, tid: ThreadId, q: &mut EventQueue<Event>) -> bool {
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
    pub(super) fn run_op(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        op: Op,
        q: &mut EventQueue<Event>,
    ) -> bool {
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
    pub(super) fn at_check_point(&self, tid: ThreadId) -> bool {
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

    pub(super) fn step_duration(&mut self, tid: ThreadId, dist: Dist, scale: f64) -> Nanos {
        let w = self.steps_workload(tid);
        let d = dist.sample(&mut self.workloads[w].steps_rng);
        if scale == 1.0 {
            d
        } else {
            libm::round(d as f64 * scale) as Nanos
        }
    }
}
