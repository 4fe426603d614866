//! Coroutines on the loop thread: a task's steps until it awaits, the
//! asyncio versions of locks, semaphores, events and conditions, and the
//! task's end.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::workload::Arrival;

use super::*;
use crate::python::runtime::interp::Cursor;

impl Runtime {
    /// Suspends the running coroutine: its task step ends.
    pub(in crate::python::runtime) fn suspend(&mut self, tid: ThreadId) -> bool {
        debug_assert!(matches!(
            self.models.agents[tid].plan.front(),
            Some(Act::Coro(_))
        ));
        self.models.agents[tid].plan.pop_front();
        true
    }

    /// Runs a coroutine's operations on the loop thread until it awaits.
    pub(in crate::python::runtime) fn run_coro(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let co = self.lp().coros[c];
        let w = co.workload;
        if co.consumer && !co.holding {
            return self.aio_get(now, tid, c, q);
        }
        if !co.admitted {
            // `async with sem:` around the task (`workers`).
            if let Some(n) = self.aio_limit(w) {
                let lim = &mut self.lp().limits[w];
                if lim.holders >= n {
                    lim.waiters.push_back(c);
                    return self.suspend(tid);
                }
                lim.holders += 1;
            }
            // Its lifetime (for blocked puts) counts from here: a task
            // waiting for a permit is not yet running.
            let co = &mut self.lp().coros[c];
            co.admitted = true;
            co.born = now;
        }
        // Picked up: its first step starts on the loop (after its permit).
        let task = &mut self.lp().coros[c].task;
        if task.picked.is_none() {
            task.picked = Some(now);
            self.workloads[w].picked += 1;
        }
        self.run_program(now, tid, Cursor::Coro(c), q)
    }

    /// `await` of an I/O: the future resolves when it completes (an
    /// [`Event::AioDone`] read by the next poll).
    pub(in crate::python::runtime) fn coro_io(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        d: Nanos,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.coro_advance(c);
        let lp = self.cur_loop();
        q.schedule_at(now.saturating_add(d), Event::AioDone { lp, coro: c });
        self.suspend(tid)
    }

    /// `await asyncio.sleep(d)`: a timer of the loop.
    pub(in crate::python::runtime) fn coro_sleep(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        d: Nanos,
    ) -> bool {
        let l = self.lp();
        l.coros[c].pc += 1;
        if d == 0 {
            // asyncio.sleep(0): a bare yield, the step is rescheduled.
            self.call_soon(Cb::Step(c));
        } else {
            l.timers.insert((now.saturating_add(d), l.timer_seq), c);
            l.timer_seq += 1;
        }
        self.suspend(tid)
    }

    /// `await asyncio.to_thread(...)`: the body, from the next operation, goes
    /// to the default executor; the coroutine resumes after the body's end
    /// once the result is back.
    pub(in crate::python::runtime) fn coro_to_thread(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let start = self.coro_pc(c) + 1;
        self.exec_submit(now, c, start, q);
        let d = self.loop_cost(self.python.process.submit);
        // The submit's cost ends the step: the task awaits the future.
        self.models.agents[tid].plan[0] = Act::Burn(d);
        true
    }

    /// `await lock.acquire()` on an `asyncio.Lock`: taken at once if free
    /// and nobody waits, else the coroutine waits in FIFO order.
    pub(in crate::python::runtime) fn aio_lock_acquire(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        k: usize,
    ) -> bool {
        let l = self.lp();
        l.coros[c].pc += 1;
        let lock = &mut l.locks[k];
        if lock.holder.is_none() && lock.waiters.is_empty() {
            lock.holder = Some(c);
            self.note_sync_busy(Wait::Lock(k), true, now);
            true
        } else {
            lock.waiters.push_back(c);
            self.suspend(tid)
        }
    }

    /// `lock.release()` on an `asyncio.Lock`: the first waiter gets it.
    pub(in crate::python::runtime) fn aio_lock_release(
        &mut self,
        now: Nanos,
        c: usize,
        k: usize,
    ) -> bool {
        let l = self.lp();
        l.coros[c].pc += 1;
        let lock = &mut l.locks[k];
        lock.holder = lock.waiters.pop_front();
        let next = lock.holder;
        self.note_sync_busy(Wait::Lock(k), next.is_some(), now);
        if let Some(next) = next {
            self.call_soon(Cb::Step(next));
        }
        true
    }

    /// `await sem.acquire()` on an `asyncio.Semaphore`.
    pub(in crate::python::runtime) fn aio_sem_acquire(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        s: usize,
    ) -> bool {
        let cap = self.semaphores[s].capacity;
        let l = self.lp();
        l.coros[c].pc += 1;
        let sem = &mut l.sems[s];
        if sem.holders < cap && sem.waiters.is_empty() {
            sem.holders += 1;
            let holders = sem.holders;
            self.semaphores[s].max_holders = self.semaphores[s].max_holders.max(holders);
            self.note_sync_busy(Wait::Semaphore(s), holders >= cap, now);
            true
        } else {
            sem.waiters.push_back(c);
            self.suspend(tid)
        }
    }

    /// `sem.release()` on an `asyncio.Semaphore`.
    pub(in crate::python::runtime) fn aio_sem_release(
        &mut self,
        now: Nanos,
        c: usize,
        s: usize,
    ) -> bool {
        let l = self.lp();
        l.coros[c].pc += 1;
        match l.sems[s].waiters.pop_front() {
            // The permit passes to the first waiter.
            Some(next) => self.call_soon(Cb::Step(next)),
            None => {
                l.sems[s].holders -= 1;
                self.note_sync_busy(Wait::Semaphore(s), false, now);
            }
        }
        true
    }

    /// An `asyncio.Condition`'s `async with cond:` and the re-acquire after
    /// its wait are its `asyncio.Lock`'s acquire and release.
    pub(in crate::python::runtime) fn aio_condition_lock(&self, op: Op) -> Op {
        match op {
            Op::SyncEnter(s) | Op::SyncRestore(s) if !self.syncs[s].event => {
                Op::LockAcquire(self.syncs[s].lock)
            }
            Op::SyncExit(s) if !self.syncs[s].event => Op::LockRelease(self.syncs[s].lock),
            op => op,
        }
    }

    /// `asyncio.Event` and `asyncio.Condition` (python/cpython
    /// `Lib/asyncio/locks.py`): a waiter appends a future to `_waiters` and
    /// awaits it (a condition's wait first releases its lock, and re-acquires
    /// it after); `set` resolves every waiter's future and `notify(n)` the
    /// first `n`, each `set_result` scheduling that task's step with
    /// `call_soon`, so the woken coroutines resume one callback each, in
    /// FIFO order, on later passes. An `asyncio.Event` has no lock.
    pub(in crate::python::runtime) fn aio_sync_op(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
        op: Op,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match op {
            Op::SyncEnter(_) | Op::SyncRestore(_) | Op::SyncExit(_) => {
                self.lp().coros[c].pc += 1;
                true
            }
            Op::EventWait(s) if self.syncs[s].flag => {
                // `if self._value: return True`.
                let d = self.loop_cost(self.python.sync_call);
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            Op::EventWait(s) | Op::CondWait(s) => {
                if !self.syncs[s].event {
                    let k = self.syncs[s].lock;
                    let lock = &mut self.lp().locks[k];
                    lock.holder = lock.waiters.pop_front();
                    if let Some(next) = lock.holder {
                        self.call_soon(Cb::Step(next));
                    }
                }
                self.syncs[s].waiters.push_back(c);
                self.lp().coros[c].pc += 1;
                self.suspend(tid)
            }
            Op::EventSet(s) | Op::CondNotify(s, _) | Op::EventClear(s) => {
                let n = match op {
                    Op::EventSet(_) => {
                        self.syncs[s].flag = true;
                        None
                    }
                    Op::CondNotify(_, n) => n,
                    _ => {
                        self.syncs[s].flag = false;
                        Some(0)
                    }
                };
                let woken = self.syncs[s].take_waiters(n);
                let mut d = self.loop_cost(self.python.sync_call);
                for w in woken {
                    d += self.loop_cost(self.python.sync_wake);
                    self.call_soon(Cb::Step(w));
                }
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            _ => unreachable!("not an event or condition operation"),
        }
    }

    /// The coroutine returned: the task completes (or loops, for `repeat`;
    /// a stage consumer goes back to its `get`).
    pub(in crate::python::runtime) fn complete_coro(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        c: usize,
    ) -> bool {
        let co = self.lp().coros[c];
        let w = co.workload;
        self.count_completion(now, w, co.task);
        if co.consumer {
            let l = self.lp();
            l.coros[c].holding = false;
            l.coros[c].pc = 0;
            return true;
        }
        if self.workloads[w].arrival == Arrival::Forever {
            self.workloads[w].arrived += 1;
            self.add_task_memory(w);
            let index = self.next_index(w);
            let task = self.new_task(now);
            let l = self.lp();
            l.coros[c].task = Task {
                index: Some(index),
                ..task
            };
            l.coros[c].pc = 0;
            return true;
        }
        if self.workloads[w].driver.is_shape() {
            let interp = self.threads[tid].interp;
            self.shape_done(w, interp);
        }
        if self.aio_limit(w).is_some() {
            match self.lp().limits[w].waiters.pop_front() {
                // The permit passes to the first waiter.
                Some(next) => {
                    let co = &mut self.lp().coros[next];
                    co.admitted = true;
                    co.born = now;
                    self.call_soon(Cb::Step(next));
                }
                None => self.lp().limits[w].holders -= 1,
            }
        }
        let warmup = self.warmup;
        let l = self.lp();
        l.coros[c].live = false;
        l.free.push(c);
        self.workloads[w].coro_life_ns +=
            u128::from(crate::python::runtime::overlap(co.born, now, warmup));
        self.live_coros -= 1;
        self.update_rss();
        self.suspend(tid)
    }
}
