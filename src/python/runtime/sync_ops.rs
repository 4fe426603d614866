//! Events and conditions on threads and processes (docs/MODEL.md#events-and-conditions): `wait_event`,
//! `set_event`, `clear_event`, `wait` and `notify` steps.
//!
//! Each step is `with cond:` around the call ([`Op::SyncEnter`], the call,
//! [`Op::SyncRestore`] after a wait, [`Op::SyncExit`]); an event is a
//! condition and a flag, so both share one model:
//!
//! - `threading` (python/cpython `Lib/threading.py`): `Event` is
//!   `Condition(Lock())` and `_flag`. `Condition.wait` appends a waiter lock
//!   to `_waiters`, releases the condition's lock (`_release_save`) and
//!   blocks acquiring the waiter lock, GIL released, no core. `notify(n)`
//!   releases the first `n` waiter locks in FIFO order; `Event.set` sets the
//!   flag and calls `notify_all()`. A released waiter is runnable at once
//!   (a futex wake: it then pays the OS wake-up latency), returns from the
//!   call, must retake the GIL (so a herd of waiters gets it one at a time,
//!   through the GIL model), and then retakes the condition's lock
//!   (`_acquire_restore`), a second serialisation. An event found set passes
//!   without waiting.
//! - `multiprocessing` (python/cpython `Lib/multiprocessing/synchronize.py`):
//!   the same over `SemLock`s shared by the processes; each waiter retakes
//!   its own process's GIL, so the herd spreads over cores. What differs:
//!   `Condition.notify` waits, still holding the condition's lock, until
//!   every sleeper it woke has run `_woken_count.release()`
//!   (`for i in range(sleepers): self._woken_count.acquire()`, each a
//!   blocking `sem_wait` with the GIL released); the woken sleepers then
//!   queue on the condition's lock until the notifier leaves `with cond:`.
//!
//! Costs: `set`, `clear`, `notify` and a `wait` on an event found set pay
//! `sync_call` of CPU with the GIL, plus `sync_wake` per waiter woken; a
//! wait that blocks pays only the return from the blocking call
//! (`release_overhead`). All waiters of one `set` become
//! runnable at the instant the call starts; its per-waiter cost follows.
//! The asyncio versions are in `runtime/aio.rs`.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;
use crate::python::program::Op;
use crate::python::sync::{Lock, SyncKind, Waitable};
use crate::workload::Step;

use super::{BurstKind, Call, Driver, Event, Next, Runtime, System, Wait, overlap};

/// The events and conditions each step of `steps` uses.
fn uses(steps: &[Step], out: &mut Vec<usize>) {
    for step in steps {
        match step {
            Step::WaitEvent(s)
            | Step::SetEvent(s)
            | Step::ClearEvent(s)
            | Step::Wait(s)
            | Step::Notify { condition: s, .. } => out.push(*s),
            Step::Lock { steps, .. }
            | Step::Semaphore { steps, .. }
            | Step::ToThread(steps)
            | Step::Repeat { steps, .. } => uses(steps, out),
            Step::Named { step, .. } => uses(std::slice::from_ref(step), out),
            Step::OneOf(branches) => {
                for b in branches {
                    uses(&b.steps, out);
                }
            }
            Step::Cpu(_)
            | Step::CpuHeld(_)
            | Step::CpuNogil(_)
            | Step::Io(_)
            | Step::Sleep(_)
            | Step::BlockingIo(_)
            | Step::Update(_) => {}
        }
    }
}

impl Runtime {
    /// `lock.acquire()` on a thread: taken at once if free, else a blocking
    /// acquire with the GIL released ([`Call::Lock`]).
    pub(super) fn lock_acquire(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        l: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if self.locks[l].holder.is_none() {
            self.set_lock_holder(l, Some(tid), now);
            self.advance(tid);
            true
        } else {
            self.release_for(now, tid, Some(Call::Lock(l)), q)
        }
    }

    /// `lock.release()` on a thread: the first waiter is woken to try again.
    pub(super) fn lock_release(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        l: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        debug_assert_eq!(self.locks[l].holder, Some(tid));
        self.set_lock_holder(l, None, now);
        if let Some(waiter) = self.locks[l].waiters.pop_front() {
            self.wake(now, waiter, Next::LockRecheck(l), q);
        }
        self.advance(tid);
        true
    }

    /// `sem.acquire()` on a thread: a permit at once, else a blocking
    /// acquire with the GIL released ([`Call::Semaphore`]).
    pub(super) fn sem_acquire(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        if self.semaphores[s].try_acquire() {
            let full = self.semaphores[s].holders >= self.semaphores[s].capacity;
            self.note_sync_busy(Wait::Semaphore(s), full, now);
            self.advance(tid);
            true
        } else {
            self.release_for(now, tid, Some(Call::Semaphore(s)), q)
        }
    }

    /// `sem.release()` on a thread: the permit passes to the first waiter.
    pub(super) fn sem_release(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let waiter = self.semaphores[s].release();
        self.note_sync_busy(Wait::Semaphore(s), false, now);
        if let Some(waiter) = waiter {
            self.wake(now, waiter, Next::ReturnCost, q);
        }
        self.advance(tid);
        true
    }

    /// Gives lock `l` to `holder` (or frees it) at `now`, counting its busy time.
    #[inline]
    pub(super) fn set_lock_holder(&mut self, l: usize, holder: Option<ThreadId>, now: Nanos) {
        self.locks[l].holder = holder;
        self.note_sync_busy(Wait::Lock(l), holder.is_some(), now);
    }

    /// A scenario lock or semaphore became busy (held, or every permit
    /// taken) or free at `now`; the runtime's own locks are not counted.
    #[inline]
    pub(super) fn note_sync_busy(&mut self, on: Wait, busy: bool, now: Nanos) {
        if let Some(i) = self.sync_index(on) {
            self.sync_busy[i].set(busy, now, self.warmup);
        }
    }

    /// Where a lock or semaphore wait is counted in `sync_wait_ns`.
    #[inline]
    pub(super) fn sync_index(&self, wait: Wait) -> Option<usize> {
        // Locks past the scenario's are the runtime's own (a pool's queue locks).
        let locks = self.scenario_locks;
        match wait {
            Wait::Lock(l) if l < locks => Some(l),
            Wait::Semaphore(s) if s < self.semaphore_names.len() => Some(locks + s),
            _ => None,
        }
    }

    /// Ends a thread's lock or semaphore wait at `now`, counting its part in the window.
    #[inline]
    pub(super) fn end_sync_wait(&mut self, tid: ThreadId, now: Nanos) {
        if let Some((since, i)) = self.threads[tid].sync_wait_since.take() {
            let w = self.threads[tid].workload;
            self.workloads[w].sync_wait_ns[i] += u128::from(overlap(since, now, self.warmup));
        }
    }

    /// Creates the scenario's events and conditions, each with the lock of
    /// its condition, and picks their library from the workloads using them:
    /// asyncio for coroutines, multiprocessing if a process workload uses
    /// it, else threading.
    pub(super) fn events_new(&mut self, scenario: System<'_>) {
        let mut kinds = vec![SyncKind::Threading; scenario.syncs.len()];
        for w in scenario.workloads {
            let mut used = Vec::new();
            uses(&w.steps, &mut used);
            for s in used {
                match Driver::of(&w.model, w.workers).sync_kind() {
                    Some(SyncKind::Asyncio) => kinds[s] = SyncKind::Asyncio,
                    Some(SyncKind::Multiprocessing) if kinds[s] == SyncKind::Threading => {
                        kinds[s] = SyncKind::Multiprocessing
                    }
                    _ => {}
                }
            }
        }
        for (def, kind) in scenario.syncs.iter().zip(kinds) {
            let waitable = Waitable::new(
                def.name.clone(),
                def.event.is_some(),
                def.event.unwrap_or(false),
                kind,
                self.locks.len(),
            );
            self.locks.push(Lock::default());
            self.lock_names
                .push(format!("the lock of {}", waitable.describe()));
            self.syncs.push(waitable);
        }
    }

    /// Runs an event or condition operation on a thread (its GIL held).
    pub(super) fn run_sync_op(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        op: Op,
        q: &mut EventQueue<Event>,
    ) -> bool {
        match op {
            Op::SyncEnter(s) => {
                let l = self.syncs[s].lock;
                self.lock_acquire(now, tid, l, q)
            }
            Op::SyncExit(s) => {
                let l = self.syncs[s].lock;
                self.lock_release(now, tid, l, q)
            }
            Op::SyncRestore(s) => {
                let l = self.syncs[s].lock;
                if self.locks[l].holder == Some(tid) {
                    // An event found set: no wait, nothing to restore.
                    self.advance(tid);
                    return true;
                }
                if self.syncs[s].kind == SyncKind::Multiprocessing {
                    self.post_woken(now, s, q);
                }
                self.lock_acquire(now, tid, l, q)
            }
            Op::EventWait(s) if self.syncs[s].flag => {
                let d = self.overhead(tid, self.python.sync_call);
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            Op::EventWait(s) | Op::CondWait(s) => self.start_wait(now, tid, s, q),
            Op::EventSet(s) | Op::CondNotify(s, _) if self.syncs[s].notifier == Some(tid) => {
                self.await_woken(now, tid, s, q)
            }
            Op::EventSet(s) => {
                self.syncs[s].flag = true;
                self.notify(now, tid, s, None, q)
            }
            Op::CondNotify(s, n) => self.notify(now, tid, s, n, q),
            Op::EventClear(s) => {
                self.syncs[s].flag = false;
                let d = self.overhead(tid, self.python.sync_call);
                self.burst(now, tid, d, BurstKind::Other, Next::StepDone, q);
                false
            }
            _ => unreachable!("not an event or condition operation"),
        }
    }

    /// `Condition.wait`: joins the waiters, releases the condition's lock,
    /// then blocks with the GIL released ([`Call::SyncWait`]).
    fn start_wait(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.syncs[s].waiters.push_back(tid);
        self.advance(tid);
        let l = self.syncs[s].lock;
        debug_assert_eq!(self.locks[l].holder, Some(tid));
        self.locks[l].holder = None;
        if let Some(waiter) = self.locks[l].waiters.pop_front() {
            self.wake(now, waiter, Next::LockRecheck(l), q);
        }
        self.release_for(now, tid, Some(Call::SyncWait(s)), q)
    }

    /// The blocking acquire of the waiter lock, after the GIL is dropped; a
    /// waiter notified meanwhile finds its lock released and goes on.
    pub(super) fn sync_wait_call(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.threads[tid].next = Next::ReturnCost;
        if let Some(i) = self.syncs[s].early.iter().position(|&t| t == tid) {
            self.syncs[s].early.swap_remove(i);
            return true;
        }
        self.block(now, tid, Wait::Sync(s), q);
        false
    }

    /// `notify(n)` (`None`: `notify_all`): releases the first waiters, then
    /// pays the call's CPU; a multiprocessing notifier then waits for them.
    fn notify(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        n: Option<u32>,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let woken = self.syncs[s].take_waiters(n);
        let mut d = self.overhead(tid, self.python.sync_call);
        for &w in &woken {
            d += self.overhead(tid, self.python.sync_wake);
            if self.threads[w].wait == Wait::Sync(s) {
                self.wake(now, w, Next::ReturnCost, q);
            } else {
                self.syncs[s].early.push(w);
            }
        }
        let next = if self.syncs[s].kind == SyncKind::Multiprocessing && !woken.is_empty() {
            self.syncs[s].notifier = Some(tid);
            self.syncs[s].woken_needed = woken.len() as u32;
            // The same operation again: waiting for the sleepers to wake.
            Next::Run
        } else {
            Next::StepDone
        };
        self.burst(now, tid, d, BurstKind::Other, next, q);
        false
    }

    /// multiprocessing: `_woken_count.acquire()` until every woken sleeper
    /// has released it; blocks (GIL released) while none is pending.
    fn await_woken(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let w = &mut self.syncs[s];
        let take = w.woken_posted.min(w.woken_needed);
        w.woken_posted -= take;
        w.woken_needed -= take;
        if w.woken_needed == 0 {
            w.notifier = None;
            self.advance(tid);
            return true;
        }
        self.release_for(now, tid, Some(Call::Woken(s)), q)
    }

    /// The notifier's blocking `_woken_count.acquire()`, after the GIL is dropped.
    pub(super) fn woken_call(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        s: usize,
        q: &mut EventQueue<Event>,
    ) -> bool {
        self.threads[tid].next = Next::ReturnCost;
        if self.syncs[s].woken_posted > 0 {
            return true;
        }
        self.block(now, tid, Wait::Woken(s), q);
        false
    }

    /// A woken multiprocessing sleeper's `_woken_count.release()`: wakes the
    /// notifier if it is blocked on it.
    fn post_woken(&mut self, now: Nanos, s: usize, q: &mut EventQueue<Event>) {
        self.syncs[s].woken_posted += 1;
        if let Some(n) = self.syncs[s].notifier
            && self.threads[n].wait == Wait::Woken(s)
        {
            self.wake(now, n, Next::ReturnCost, q);
        }
    }

    /// What a thread blocked on an event or condition waits for, for a deadlock report.
    pub(super) fn sync_wait_what(&self, wait: Wait) -> String {
        match wait {
            Wait::Sync(s) if self.syncs[s].event => {
                format!("{} to be set", self.syncs[s].describe())
            }
            Wait::Sync(s) => format!("a `notify` of {}", self.syncs[s].describe()),
            Wait::Woken(s) => format!(
                "the waiters it woke on {} (multiprocessing `notify`)",
                self.syncs[s].describe()
            ),
            _ => String::new(),
        }
    }

    /// One line per asyncio event or condition that coroutines wait on, for a deadlock report.
    pub(super) fn sync_deadlock_lines(&self) -> Vec<String> {
        self.syncs
            .iter()
            .filter(|s| s.kind == SyncKind::Asyncio && !s.waiters.is_empty())
            .map(|s| {
                let what = if s.event {
                    format!("asyncio.Event `{}` to be set", s.name)
                } else {
                    format!("a `notify` of asyncio.Condition `{}`", s.name)
                };
                format!("{} coroutine(s) wait for {what}", s.waiters.len())
            })
            .collect()
    }
}
