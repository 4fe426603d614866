//! The global interpreter lock, as CPython implements it.
//!
//! Source: python/cpython `Python/ceval_gil.c` (`take_gil`, `drop_gil`) and
//! `Include/internal/pycore_gil.h`. This is not a mutex:
//!
//! - `locked`, `last_holder` and `switch_number` (bumped only when a
//!   *different* thread takes the GIL) are the state;
//! - a waiter sleeps on the condition variable `cond` for at most the switch
//!   interval; a timed-out wait that saw no switch sets the drop request
//!   (`SET_GIL_DROP_REQUEST`, a per-thread eval-breaker bit from 3.13);
//! - `drop_gil` releases, signals one waiter (`COND_SIGNAL(gil->cond)`), and,
//!   if a drop request is pending and the dropper is still `last_holder`,
//!   clears it and waits on `switch_cond` until another thread has taken the
//!   GIL (`FORCE_SWITCHING`);
//! - `take_gil` on a free GIL acquires at once, ahead of any signalled waiter
//!   that has not run yet, and signals `switch_cond`;
//! - the waiter whose timeout set the drop request is, on a machine where
//!   the holder runs meanwhile on another core, still on its way back into
//!   `COND_TIMED_WAIT` when the holder signals: glibc's condition variable
//!   (`nptl/pthread_cond_wait.c`) lets a waiter that has registered but not
//!   yet slept in `futex_wait` take the signal before the waiter the futex
//!   wakes can run, so that requester wins the hand-off with the machine's
//!   probability `python.gil_requester_wins` (docs/MODEL.md, "The requester's race").
//!
//! This module holds the state and the pure transitions; the runtime
//! ([`crate::python::runtime`]) drives the threads through them.

use std::collections::VecDeque;

use crate::engine::Stream;
use crate::engine::time::Nanos;
use crate::machine::ThreadId;

use super::config::Handoff;

/// What a drop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// The waiter `COND_SIGNAL` woke, if any waited.
    pub signalled: Option<ThreadId>,
    /// True when the dropper must wait on `switch_cond` (FORCE_SWITCHING).
    pub must_wait_for_switch: bool,
}

/// One GIL (one per interpreter).
pub struct Gil {
    holder: Option<ThreadId>,
    last_holder: Option<ThreadId>,
    switch_number: u64,
    drop_request: bool,
    cond_waiters: VecDeque<ThreadId>,
    switch_waiters: VecDeque<ThreadId>,
    handoff: Handoff,
    rng: Stream,
    /// The waiter whose timeout set the pending drop request while the
    /// holder could run beside it: it races the futex-woken waiter.
    racing_requester: Option<ThreadId>,
    held_since: Nanos,
    held_total: Nanos,
    /// Every acquisition and release, when recording is on (for tests and timelines).
    log: Option<Vec<(Nanos, ThreadId, bool)>>,
}

impl Gil {
    /// A free GIL; `handoff` picks among the waiters a signal can wake.
    pub fn new(handoff: Handoff, seed: u64, name: &str) -> Self {
        Gil {
            holder: None,
            last_holder: None,
            switch_number: 0,
            drop_request: false,
            cond_waiters: VecDeque::new(),
            switch_waiters: VecDeque::new(),
            handoff,
            rng: Stream::new(seed, &format!("{name}/handoff")),
            racing_requester: None,
            held_since: 0,
            held_total: 0,
            log: None,
        }
    }

    /// Starts recording every acquisition and release.
    pub fn record(&mut self) {
        self.log = Some(Vec::new());
    }

    /// The recorded `(time, thread, acquired)` log, if recording.
    pub fn log(&self) -> Option<&[(Nanos, ThreadId, bool)]> {
        self.log.as_deref()
    }

    /// The thread holding the GIL.
    pub fn holder(&self) -> Option<ThreadId> {
        self.holder
    }

    /// `gil->locked`.
    pub fn locked(&self) -> bool {
        self.holder.is_some()
    }

    /// `gil->switch_number`.
    pub fn switch_number(&self) -> u64 {
        self.switch_number
    }

    /// True when a drop request is pending.
    pub fn drop_requested(&self) -> bool {
        self.drop_request
    }

    /// Total time held up to `now`.
    pub fn held_time(&self, now: Nanos) -> Nanos {
        self.held_total
            + if self.holder.is_some() {
                now - self.held_since
            } else {
                0
            }
    }

    /// The acquiring half of `take_gil` on a free GIL. Returns the thread
    /// waiting on `switch_cond`, which `COND_SIGNAL(gil->switch_cond)` wakes.
    pub fn acquire(&mut self, now: Nanos, tid: ThreadId) -> Option<ThreadId> {
        assert!(
            self.holder.is_none(),
            "two GIL holders: {:?} and {tid}",
            self.holder
        );
        self.holder = Some(tid);
        self.held_since = now;
        if self.last_holder != Some(tid) {
            self.last_holder = Some(tid);
            self.switch_number += 1;
        }
        // The new holder clears its drop request (RESET_GIL_DROP_REQUEST in take_gil).
        self.drop_request = false;
        self.racing_requester = None;
        if let Some(log) = self.log.as_mut() {
            log.push((now, tid, true));
        }
        self.switch_waiters.pop_front()
    }

    /// Puts `tid` on the condition variable's queue (`COND_TIMED_WAIT`).
    pub fn wait(&mut self, tid: ThreadId) {
        self.cond_waiters.push_back(tid);
    }

    /// Removes a waiter whose timed wait expired. Returns false if it had already been signalled.
    pub fn time_out(&mut self, tid: ThreadId) -> bool {
        match self.cond_waiters.iter().position(|&w| w == tid) {
            Some(i) => {
                self.cond_waiters.remove(i);
                true
            }
            None => false,
        }
    }

    /// `SET_GIL_DROP_REQUEST` by waiter `by`: asks the holder to drop at its
    /// next check point. `holder_running`: the holder runs (or is runnable)
    /// on a machine of several cores, so `by` races back into its wait
    /// against the holder's signal.
    pub fn request_drop(&mut self, by: ThreadId, holder_running: bool) {
        self.drop_request = true;
        if holder_running {
            self.racing_requester = Some(by);
        }
    }

    /// The waiter racing the signal of a drop by `tid`: the requester of a
    /// forced drop, still entering its wait while another waiter sleeps.
    /// Whether it wins is the runtime's draw; [`Gil::drop`] takes the answer.
    pub fn racing_requester(&self, tid: ThreadId) -> Option<ThreadId> {
        let r = self.racing_requester?;
        let forced = self.drop_request && self.last_holder == Some(tid);
        (forced && self.cond_waiters.len() > 1 && self.cond_waiters.contains(&r)).then_some(r)
    }

    /// `drop_gil`: release, signal one waiter (`first`, a racing requester
    /// that won, or the hand-off policy's), and decide whether the dropper
    /// waits for the switch. `final_release` is a thread exiting (`tstate == NULL`).
    pub fn drop(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        final_release: bool,
        first: Option<ThreadId>,
    ) -> Dropped {
        assert_eq!(
            self.holder,
            Some(tid),
            "drop_gil by a thread that does not hold it"
        );
        self.holder = None;
        self.held_total += now - self.held_since;
        if let Some(log) = self.log.as_mut() {
            log.push((now, tid, false));
        }
        let must_wait_for_switch =
            !final_release && self.drop_request && self.last_holder == Some(tid);
        self.racing_requester = None;
        let signalled = match first.and_then(|r| self.cond_waiters.iter().position(|&w| w == r)) {
            Some(i) => self.cond_waiters.remove(i),
            None => self.signal(),
        };
        if must_wait_for_switch {
            self.drop_request = false;
            self.switch_waiters.push_back(tid);
        }
        Dropped {
            signalled,
            must_wait_for_switch,
        }
    }

    /// `drop_gil` before a call by the only live thread of its interpreter
    /// (docs/MODEL.md, "The GIL of a thread alone"): no thread of the
    /// interpreter waits on `cond` or `switch_cond`, so nothing is signalled,
    /// no drop request is pending and the dropper never waits for a switch.
    /// The held time and the log move as [`Gil::drop`] moves them.
    pub fn drop_alone(&mut self, now: Nanos, tid: ThreadId) {
        debug_assert!(
            self.cond_waiters.is_empty() && self.switch_waiters.is_empty() && !self.drop_request,
            "thread {tid} is not alone with its GIL: waiters {:?}, switch waiters {:?}, drop request {}",
            self.cond_waiters,
            self.switch_waiters,
            self.drop_request
        );
        let dropped = self.drop(now, tid, false, None);
        debug_assert_eq!(
            dropped,
            Dropped {
                signalled: None,
                must_wait_for_switch: false
            }
        );
    }

    /// `take_gil` by the only live thread of its interpreter: the GIL is
    /// free and no forced dropper waits on `switch_cond` (asserted in debug
    /// builds). Counts a switch when another thread held it last, as
    /// [`Gil::acquire`] does.
    pub fn take_alone(&mut self, now: Nanos, tid: ThreadId) {
        let dropper = self.acquire(now, tid);
        debug_assert!(
            dropper.is_none() && self.cond_waiters.is_empty(),
            "thread {tid} is not alone with its GIL: {dropper:?} waits for the switch, waiters {:?}",
            self.cond_waiters
        );
    }

    /// `COND_SIGNAL(gil->cond)`: wakes one waiter, chosen by the hand-off policy.
    fn signal(&mut self) -> Option<ThreadId> {
        if self.cond_waiters.is_empty() {
            return None;
        }
        let index = match self.handoff {
            Handoff::Fifo => 0,
            Handoff::Random => self.rng.below(self.cond_waiters.len() as u64) as usize,
        };
        self.cond_waiters.remove(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_number_moves_only_for_a_different_thread() {
        let mut g = Gil::new(Handoff::Fifo, 0, "gil");
        g.acquire(0, 1);
        g.drop(5, 1, false, None);
        g.acquire(6, 1);
        assert_eq!(g.switch_number(), 1);
        g.drop(7, 1, false, None);
        g.acquire(8, 2);
        assert_eq!(g.switch_number(), 2);
        assert_eq!(g.held_time(10), 5 + 1 + 2);
    }

    #[test]
    fn forced_drop_waits_and_voluntary_drop_does_not() {
        let mut g = Gil::new(Handoff::Fifo, 0, "gil");
        g.acquire(0, 1);
        g.wait(2);
        let d = g.drop(1, 1, false, None);
        assert_eq!(
            d,
            Dropped {
                signalled: Some(2),
                must_wait_for_switch: false
            }
        );
        g.acquire(2, 2);
        g.wait(1);
        g.request_drop(1, false);
        let d = g.drop(3, 2, false, None);
        assert_eq!(
            d,
            Dropped {
                signalled: Some(1),
                must_wait_for_switch: true
            }
        );
        assert!(!g.drop_requested());
        // The next taker signals the thread waiting for the switch.
        assert_eq!(g.acquire(4, 1), Some(2));
    }

    #[test]
    #[should_panic(expected = "two GIL holders")]
    fn a_second_holder_is_refused() {
        let mut g = Gil::new(Handoff::Fifo, 0, "gil");
        g.acquire(0, 1);
        g.acquire(0, 2);
    }

    #[test]
    fn a_racing_requester_is_offered_only_on_a_forced_drop_with_another_waiter() {
        let mut g = Gil::new(Handoff::Fifo, 0, "gil");
        g.acquire(0, 1);
        g.wait(2); // the longest waiter
        g.wait(3);
        // 3 timed out while 1 ran on another core, and waits again.
        g.time_out(3);
        g.request_drop(3, true);
        g.wait(3);
        assert_eq!(g.racing_requester(1), Some(3));
        // A drop by someone else than the holder that was asked is not forced.
        assert_eq!(g.racing_requester(2), None);
        let d = g.drop(5, 1, false, Some(3));
        assert_eq!(d.signalled, Some(3), "the requester won the race");
        assert!(d.must_wait_for_switch);
        // The next holder clears the race with the request.
        g.acquire(6, 3);
        assert_eq!(g.racing_requester(3), None);
        // A request set while the holder was off its core does not race.
        g.wait(1);
        g.request_drop(2, false);
        assert_eq!(g.racing_requester(3), None);
        assert_eq!(g.drop(7, 3, false, None).signalled, Some(2));
    }
}
