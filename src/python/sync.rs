//! `threading.Lock`, `threading.Semaphore`, and the events and conditions
//! of `threading`, `multiprocessing` and `asyncio`.
//!
//! A `Lock` is a POSIX semaphore in CPython (python/cpython
//! `Python/thread_pthread.h`, `USE_SEMAPHORES`): `acquire` first tries without
//! releasing the GIL, then releases it around a blocking `sem_wait`. A release
//! wakes one waiter, which must run again to take the lock; a thread that
//! arrives in between takes it first (no hand-off, no fairness).
//!
//! A `Semaphore` is Python code (python/cpython `Lib/threading.py`): a
//! counter under a `Condition`; a blocked `acquire` waits in `Condition.wait`
//! (GIL released), `release` increments and `notify`s one waiter, which
//! re-checks the counter once it holds the GIL again.

use std::collections::VecDeque;

use crate::engine::time::Nanos;
use crate::machine::ThreadId;

/// A `threading.Lock`.
#[derive(Debug, Default)]
pub struct Lock {
    /// The thread that holds it.
    pub holder: Option<ThreadId>,
    /// Threads blocked in `acquire`, in futex order.
    pub waiters: VecDeque<ThreadId>,
}

/// A `threading.Semaphore`.
#[derive(Debug)]
pub struct Semaphore {
    /// Holders admitted at once.
    pub capacity: u32,
    /// Current holders.
    pub holders: u32,
    /// The most holders ever seen at once.
    pub max_holders: u32,
    /// Threads waiting in `Condition.wait`, in notify order.
    pub waiters: VecDeque<ThreadId>,
}

impl Semaphore {
    /// A semaphore admitting `capacity` holders.
    pub fn new(capacity: u32) -> Self {
        Semaphore {
            capacity,
            holders: 0,
            max_holders: 0,
            waiters: VecDeque::new(),
        }
    }

    /// Takes a slot if one is free.
    pub fn try_acquire(&mut self) -> bool {
        if self.holders < self.capacity {
            self.holders += 1;
            self.max_holders = self.max_holders.max(self.holders);
            true
        } else {
            false
        }
    }

    /// Frees a slot; returns the waiter `notify` wakes.
    pub fn release(&mut self) -> Option<ThreadId> {
        debug_assert!(self.holders > 0);
        self.holders = self.holders.saturating_sub(1);
        self.waiters.pop_front()
    }
}

/// How long a lock was held, or a semaphore had every permit taken, inside
/// the statistics window: a lock busy nearly all the time caps throughput
/// at one holder at a time, whatever the worker count.
#[derive(Debug, Default, Clone, Copy)]
pub struct Occupancy {
    since: Option<Nanos>,
    busy_ns: Nanos,
}

impl Occupancy {
    /// Records that the primitive is (or is no longer) busy from `now`;
    /// time before `window_start` is not counted.
    pub fn set(&mut self, busy: bool, now: Nanos, window_start: Nanos) {
        match (busy, self.since) {
            (true, None) => self.since = Some(now),
            (false, Some(since)) => {
                self.busy_ns += now.saturating_sub(since.max(window_start));
                self.since = None;
            }
            _ => {}
        }
    }

    /// Busy time inside `[window_start, end]`.
    pub fn busy_until(&self, end: Nanos, window_start: Nanos) -> Nanos {
        self.busy_ns
            + self
                .since
                .map_or(0, |since| end.saturating_sub(since.max(window_start)))
    }
}

/// Which library's object an event or condition is, from the context that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// `threading.Event` / `threading.Condition` (python/cpython `Lib/threading.py`).
    Threading,
    /// `multiprocessing.Event` / `Condition` over `SemLock`s shared by the
    /// processes (python/cpython `Lib/multiprocessing/synchronize.py`).
    Multiprocessing,
    /// `asyncio.Event` / `asyncio.Condition` (python/cpython `Lib/asyncio/locks.py`).
    Asyncio,
}

/// An `Event` or a `Condition`: the condition's lock, the event's flag and
/// the waiters in notify (FIFO) order.
///
/// `threading.Event` is a `Condition(Lock())` and a flag; a waiter appends a
/// waiter lock to `_waiters`, releases the condition's lock and blocks
/// acquiring its waiter lock (GIL released); `notify(n)` releases the first
/// `n` waiter locks, `set()` is `notify_all()`. A woken waiter retakes the GIL,
/// then the condition's lock (`_acquire_restore`).
#[derive(Debug)]
pub struct Waitable {
    /// Its name in `[events]` or `[conditions]`.
    pub name: String,
    /// True for an event, false for a condition.
    pub event: bool,
    /// The library it comes from.
    pub kind: SyncKind,
    /// The condition's lock: an index into the runtime's locks (asyncio: the loop's locks).
    pub lock: usize,
    /// The event's flag.
    pub flag: bool,
    /// Threads (asyncio: coroutines) waiting, in notify order.
    pub waiters: VecDeque<usize>,
    /// Threads notified before they blocked (between dropping the GIL and `sem_wait`).
    pub early: Vec<ThreadId>,
    /// multiprocessing: the notifier waiting in `_woken_count.acquire()`.
    pub notifier: Option<ThreadId>,
    /// multiprocessing: sleepers the notifier still waits for.
    pub woken_needed: u32,
    /// multiprocessing: `_woken_count.release()`s not yet consumed by the notifier.
    pub woken_posted: u32,
}

impl Waitable {
    /// A new event (`flag`: initially set) or condition of `kind`, whose lock is `lock`.
    pub fn new(name: String, event: bool, flag: bool, kind: SyncKind, lock: usize) -> Self {
        Waitable {
            name,
            event,
            kind,
            lock,
            flag,
            waiters: VecDeque::new(),
            early: Vec::new(),
            notifier: None,
            woken_needed: 0,
            woken_posted: 0,
        }
    }

    /// Removes the first `n` waiters (`None`: all), in FIFO order.
    pub fn take_waiters(&mut self, n: Option<u32>) -> Vec<usize> {
        let k = n.map_or(self.waiters.len(), |n| self.waiters.len().min(n as usize));
        self.waiters.drain(..k).collect()
    }

    /// What this object is called in messages: ``event `go` ``.
    pub fn describe(&self) -> String {
        let what = if self.event { "event" } else { "condition" };
        format!("{what} `{}`", self.name)
    }
}
