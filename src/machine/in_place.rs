//! Events due at once, handled at their place in the event order
//! (docs/MODEL.md#time-events-and-determinism): while a model's handler
//! runs, a zero-length burst's end or a free dispatch is placed rather than
//! queued, and the model handles it in the same handler when no queued
//! event comes before it.

use crate::engine::EventQueue;
use crate::engine::time::Nanos;

use super::{CoreTimer, Machine, MachineEvent, SchedState, ThreadId};

/// At most this many events are handled at their place in one handler;
/// the next is queued. A program that loops at one instant (a `forever`
/// thread of zero-length steps) then still goes through the queue, where
/// `--max-events` and `--max-wall` can stop it.
const IN_PLACE_MAX: u32 = 64;

impl Machine {
    /// Called at the start of each of the model's handlers: from now until
    /// [`Machine::due_now`] returns `None`, a dispatch or burst end due at
    /// once (a zero-length burst, a free context switch) takes its place in
    /// the event order without being queued.
    pub fn begin_handler(&mut self) {
        self.placing = self.may_place;
        self.in_place = 0;
    }

    /// At the end of a handler whose last act was to give running thread
    /// `tid` a zero-length burst: settles (as [`Machine::settle`]) and, if
    /// that burst's end is what [`Machine::due_now`] would hand over next,
    /// ends it at once, as handling it would, and returns true: the model
    /// goes on with the thread in the same handler. Otherwise returns false
    /// and changes nothing more (a second settle then does nothing).
    pub fn settle_and_end_own_burst<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
        go_on: bool,
    ) -> bool {
        let SchedState::Running(core) = self.threads[tid].state else {
            return false;
        };
        if !matches!(
            self.cores[core].timer,
            Some(CoreTimer::Placed(_, MachineEvent::BurstEnd { .. }))
        ) {
            return false;
        }
        self.settle(now, q);
        // Settling may have preempted the thread, cancelling its burst end.
        let Some(CoreTimer::Placed(place, MachineEvent::BurstEnd { epoch, .. })) =
            self.cores[core].timer
        else {
            return false;
        };
        let first = self.placed.iter().all(|&c| match self.cores[c].timer {
            Some(CoreTimer::Placed(p, _)) => p >= place,
            _ => true,
        });
        if !(go_on
            && first
            && self.in_place < IN_PLACE_MAX
            && epoch == self.cores[core].epoch
            && q.is_next(place))
        {
            return false;
        }
        self.in_place += 1;
        self.placed.retain(|&c| c != core);
        self.cores[core].timer = None;
        q.take(place);
        self.account(now, core);
        self.threads[tid].burst = None;
        true
    }

    /// Gives running thread `tid` a zero-length burst that is the last
    /// thing it does before the model would ask
    /// [`Machine::settle_and_end_own_burst`], and ends it at once when that
    /// would: nothing else placed (its place would come first), no core to
    /// reschedule (settling only re-arms the slice timer, which places
    /// nothing), and no queued event before its place. Then the burst is
    /// never placed, and the answer is true: the model goes on with the
    /// thread. Otherwise the burst runs as [`Machine::run_burst`] runs it,
    /// at the same place in the event order, and the answer is false.
    pub fn zero_burst_at_once<E: From<MachineEvent>>(
        &mut self,
        now: Nanos,
        tid: ThreadId,
        q: &mut EventQueue<E>,
        go_on: bool,
    ) -> bool {
        if let SchedState::Running(core) = self.threads[tid].state
            && go_on
            && self.placing
            && self.placed.is_empty()
            && self.resched.is_empty()
            && self.cores[core].timer.is_none()
            && self.in_place < IN_PLACE_MAX
        {
            self.account(now, core);
            self.settle(now, q);
            if q.take_place_if_next() {
                self.cores[core].epoch += 1;
                self.threads[tid].burst = None;
                self.in_place += 1;
                return true;
            }
        }
        self.run_burst(now, tid, 0, q);
        false
    }

    /// Queues every event from now on, even those due at once (the same
    /// run, with more events).
    pub fn queue_every_event(&mut self) {
        self.may_place = false;
    }

    /// True when an event due at once waits at its place (cheap: the model
    /// asks before [`Machine::due_now`] or [`Machine::settle_and_end_own_burst`]).
    #[inline]
    pub fn has_placed(&self) -> bool {
        !self.placed.is_empty()
    }

    /// Ends placing until the next [`Machine::begin_handler`], when no
    /// event is placed ([`Machine::has_placed`] is false).
    #[inline]
    pub fn end_handler(&mut self) {
        debug_assert!(self.placed.is_empty());
        self.placing = false;
    }

    /// Called at the end of a handler, after [`Machine::settle`]: the
    /// placed event that comes first, if no queued event comes before it
    /// and `go_on` (the model is not finished): the model handles it now,
    /// as the next event, and calls this again. Otherwise every placed
    /// event is queued at its place, placing stops until the next
    /// [`Machine::begin_handler`], and the answer is `None`. Either way the
    /// events run in the order they would have run had they been queued.
    pub fn due_now<E: From<MachineEvent>>(
        &mut self,
        q: &mut EventQueue<E>,
        go_on: bool,
    ) -> Option<MachineEvent> {
        let first = self
            .placed
            .iter()
            .enumerate()
            .filter_map(|(i, &core)| match self.cores[core].timer {
                Some(CoreTimer::Placed(place, event)) => Some((place, i, event)),
                _ => None,
            })
            .min_by_key(|&(place, _, _)| place);
        if let Some((place, i, event)) = first
            && go_on
            && self.in_place < IN_PLACE_MAX
            && q.is_next(place)
        {
            self.in_place += 1;
            let core = self.placed.swap_remove(i);
            self.cores[core].timer = None;
            q.take(place);
            return Some(event);
        }
        for core in self.placed.drain(..) {
            if let Some(CoreTimer::Placed(place, event)) = self.cores[core].timer {
                self.cores[core].timer =
                    Some(CoreTimer::Queued(q.schedule_placed(place, event.into())));
            }
        }
        self.placing = false;
        None
    }
}
