//! The event queue: a min-heap ordered by `(time, insertion sequence)`,
//! with timers that can be cancelled.
//!
//! Events at equal times run in the order they were scheduled. This is the
//! only tie-break in the simulator. Models rely on it and on handlers being
//! atomic: a release and a re-acquire by the same thread in one handler
//! happen before the woken waiter runs (see `tests/it/equal_times.rs`).
//!
//! The heap holds small keys `(time, sequence, slot)`; the events wait in a
//! slab of slots, reused through a free list, so a sift moves 24 bytes
//! whatever the model's event type, and steady state allocates nothing. A
//! [`Timer`] is an event the model may withdraw before it is due (a burst
//! cut short, a timed wait that was signalled): [`EventQueue::cancel`]
//! empties its slot, and its key is dropped when it reaches the top, never
//! handed to the model nor counted as an event. The heap is the standard
//! library's binary heap: on `benches/queue.rs` a 4-ary heap with hole
//! sifts was not faster at the sizes a run has (16 to 4,096 pending), and
//! on whole runs events kept inline in the heap's entries (with a timer
//! slot and generation beside them) were about 10% slower than this slab.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::time::Nanos;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    time: Nanos,
    /// When the event was scheduled: ordering by `(time, born, seq)` is
    /// ordering by `(time, seq)`, since `seq` grows with `born`, and lets an
    /// event be placed as if it had been scheduled earlier.
    born: Nanos,
    seq: u64,
    slot: u32,
}

struct Slot<E> {
    event: Option<E>,
    generation: u32,
}

/// A handle on a scheduled event that may be cancelled. Handles of events
/// already handled or cancelled are harmless: cancelling them does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    slot: u32,
    generation: u32,
}

/// A place in the event order taken at the current time, for an event due
/// at once that the model may handle itself, in the handler that caused
/// it, when nothing comes before it ([`EventQueue::place`]). Valid only
/// until the clock moves: the handler ends by taking or queueing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    time: Nanos,
    seq: u64,
}

/// A future-event list. `E` is the model's event type; the queue knows nothing of it.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Key>>,
    slots: Vec<Slot<E>>,
    free_slots: Vec<u32>,
    next_seq: u64,
    now: Nanos,
    popped: u64,
    /// Places taken by the model without queueing their event.
    taken: u64,
    cancelled: u64,
    /// The key of the event handled last.
    last: Key,
    /// Keys in the heap whose event was cancelled.
    dead_keys: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            next_seq: 0,
            now: 0,
            popped: 0,
            taken: 0,
            cancelled: 0,
            last: Key {
                time: 0,
                born: 0,
                seq: 0,
                slot: 0,
            },
            dead_keys: 0,
        }
    }

    /// The time of the event being handled (or of the last one handled).
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Schedules `event` at absolute time `time`. Scheduling in the past is a model bug.
    #[inline]
    pub fn schedule_at(&mut self, time: Nanos, event: E) {
        self.push(time, self.now, event);
    }

    /// Schedules `event` `delay` nanoseconds from now.
    pub fn schedule_in(&mut self, delay: Nanos, event: E) {
        self.schedule_at(self.now.saturating_add(delay), event);
    }

    /// Schedules `event` at `time` like [`EventQueue::schedule_at`], and
    /// returns a handle to cancel it with.
    #[inline]
    pub fn schedule_timer(&mut self, time: Nanos, event: E) -> Timer {
        let slot = self.push(time, self.now, event);
        Timer {
            slot,
            generation: self.slots[slot as usize].generation,
        }
    }

    /// Schedules `event` at `time` as if it had been scheduled at `born`
    /// (not after now) before anything else scheduled then: among events
    /// due at `time`, it comes after those scheduled before `born` and
    /// before those scheduled at or after it. For an event that stands for
    /// one the model skipped (a time-slice end that preempted nobody).
    pub fn schedule_timer_as_if(&mut self, time: Nanos, born: Nanos, event: E) -> Timer {
        let slot = self.push_key(time, born.min(self.now), 0, event);
        Timer {
            slot,
            generation: self.slots[slot as usize].generation,
        }
    }

    /// True when an event due at `time` and scheduled at `born` (before
    /// anything else scheduled then) would already have been handled: it
    /// comes before the event being handled.
    pub fn has_passed(&self, time: Nanos, born: Nanos) -> bool {
        (time, born, 0) < (self.last.time, self.last.born, self.last.seq)
    }

    /// Takes the place in the event order of an event due now, as
    /// [`EventQueue::schedule_at`]`(now, ..)` would, without queueing it.
    /// The model then either handles the event itself when
    /// [`EventQueue::is_next`] says nothing comes first
    /// ([`EventQueue::take`]), or queues it there
    /// ([`EventQueue::schedule_placed`]): either way the events run in the
    /// order they would have run had it been queued, and a handled place
    /// saves a push and a pop.
    #[inline]
    pub fn place(&mut self) -> Place {
        let seq = self.next_seq;
        self.next_seq += 1;
        Place {
            time: self.now,
            seq,
        }
    }

    /// True when no pending event comes before the event at `place`.
    #[inline]
    pub fn is_next(&mut self, place: Place) -> bool {
        debug_assert_eq!(place.time, self.now, "a place outlived its instant");
        self.drop_dead_top();
        self.heap
            .peek()
            .is_none_or(|k| (k.0.time, k.0.born, k.0.seq) > (place.time, place.time, place.seq))
    }

    /// Takes the next place in the event order and records its event as
    /// handled, as [`EventQueue::place`] then [`EventQueue::take`] would,
    /// when no pending event comes before it; otherwise changes nothing
    /// and returns false.
    #[inline]
    pub fn take_place_if_next(&mut self) -> bool {
        let place = Place {
            time: self.now,
            seq: self.next_seq,
        };
        if !self.is_next(place) {
            return false;
        }
        self.next_seq += 1;
        self.take(place);
        true
    }

    /// Records the event at `place` as handled by the model (it must be
    /// [`EventQueue::is_next`]): it is the last handled, as if popped.
    #[inline]
    pub fn take(&mut self, place: Place) {
        debug_assert!(self.is_next(place));
        self.last = Key {
            time: place.time,
            born: place.time,
            seq: place.seq,
            slot: 0,
        };
        self.taken += 1;
    }

    /// Queues `event` at `place`, as a timer.
    #[inline]
    pub fn schedule_placed(&mut self, place: Place, event: E) -> Timer {
        let slot = self.push_key(place.time, place.time, place.seq, event);
        Timer {
            slot,
            generation: self.slots[slot as usize].generation,
        }
    }

    /// Withdraws the timer's event if it is still pending; returns whether it was.
    #[inline]
    pub fn cancel(&mut self, timer: Timer) -> bool {
        match self.slots.get_mut(timer.slot as usize) {
            Some(s) if s.generation == timer.generation && s.event.is_some() => {
                s.event = None;
                self.cancelled += 1;
                self.dead_keys += 1;
                true
            }
            _ => false,
        }
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        loop {
            let key = self.pop_key()?;
            let s = &mut self.slots[key.slot as usize];
            let event = s.event.take();
            s.generation = s.generation.wrapping_add(1);
            self.free_slots.push(key.slot);
            match event {
                Some(event) => {
                    self.now = key.time;
                    self.last = key;
                    self.popped += 1;
                    return Some((key.time, event));
                }
                None => self.dead_keys -= 1,
            }
        }
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Nanos> {
        self.drop_dead_top();
        self.heap.peek().map(|k| k.0.time)
    }

    /// Number of events handled so far.
    pub fn events_handled(&self) -> u64 {
        self.popped
    }

    /// Number of events the model handled at their place without queueing
    /// them ([`EventQueue::take`]); not in [`EventQueue::events_handled`].
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Number of timers cancelled before they were due.
    pub fn cancelled(&self) -> u64 {
        self.cancelled
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.dead_keys
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Discards cancelled keys at the top, so that the top is a live event.
    #[inline]
    fn drop_dead_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            let slot = top.0.slot;
            if self.slots[slot as usize].event.is_some() {
                return;
            }
            self.pop_key();
            let s = &mut self.slots[slot as usize];
            s.generation = s.generation.wrapping_add(1);
            self.free_slots.push(slot);
            self.dead_keys -= 1;
        }
    }

    #[inline]
    fn push(&mut self, time: Nanos, born: Nanos, event: E) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.push_key(time, born, seq, event)
    }

    #[inline]
    fn push_key(&mut self, time: Nanos, born: Nanos, seq: u64, event: E) -> u32 {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize].event = Some(event);
                slot
            }
            None => {
                self.slots.push(Slot {
                    event: Some(event),
                    generation: 0,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let key = Key {
            time,
            born,
            seq,
            slot,
        };
        self.heap.push(Reverse(key));
        slot
    }

    #[inline]
    fn pop_key(&mut self) -> Option<Key> {
        self.heap.pop().map(|k| k.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule_at(10, "b1");
        q.schedule_at(5, "a");
        q.schedule_at(10, "b2");
        q.schedule_at(10, "b3");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(5, "a"), (10, "b1"), (10, "b2"), (10, "b3")]);
    }

    #[test]
    fn clock_follows_popped_events() {
        let mut q = EventQueue::new();
        q.schedule_in(7, ());
        assert_eq!(q.pop(), Some((7, ())));
        assert_eq!(q.now(), 7);
        q.schedule_in(3, ());
        assert_eq!(q.pop(), Some((10, ())));
        assert_eq!(q.events_handled(), 2);
    }

    #[test]
    fn a_cancelled_timer_is_never_handled_and_a_stale_handle_does_nothing() {
        let mut q = EventQueue::new();
        let a = q.schedule_timer(5, "a");
        let b = q.schedule_timer(5, "b");
        q.schedule_at(3, "c");
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "a second cancel finds nothing");
        assert_eq!(q.pop(), Some((3, "c")));
        assert_eq!(q.pop(), Some((5, "b")));
        // b's slot is reused by d: b's old handle must not cancel d.
        let d = q.schedule_timer(9, "d");
        assert!(!q.cancel(b));
        assert_eq!(q.pop(), Some((9, "d")));
        assert!(!q.cancel(d));
        assert_eq!(q.pop(), None);
        assert_eq!((q.events_handled(), q.cancelled()), (3, 1));
    }

    #[test]
    fn an_event_placed_as_if_scheduled_earlier_goes_before_later_ones() {
        let mut q = EventQueue::new();
        q.schedule_at(10, "born at 0");
        q.schedule_at(1, "tick");
        assert_eq!(q.pop(), Some((1, "tick")));
        q.schedule_at(10, "born at 1");
        q.schedule_at(3, "tock");
        assert_eq!(q.pop(), Some((3, "tock")));
        q.schedule_at(10, "born at 3");
        q.schedule_timer_as_if(10, 1, "as if born at 1");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(
            order,
            vec!["born at 0", "as if born at 1", "born at 1", "born at 3"]
        );
        // The last handled was born at 3: an event due at 10 born at 1 came before it.
        assert!(q.has_passed(10, 1));
        assert!(!q.has_passed(10, 4));
    }

    #[test]
    fn a_place_is_next_only_when_nothing_queued_comes_first() {
        let mut q = EventQueue::new();
        q.schedule_at(4, "earlier");
        q.schedule_at(4, "before the place");
        assert_eq!(q.pop(), Some((4, "earlier")));
        let p = q.place();
        q.schedule_at(4, "after the place");
        assert!(
            !q.is_next(p),
            "an event queued before the place is due first"
        );
        q.schedule_placed(p, "placed");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["before the place", "placed", "after the place"]);
        // Taken: handled as if popped, not counted as a queued event.
        let p = q.place();
        q.schedule_at(4, "later");
        assert!(q.is_next(p));
        q.take(p);
        assert!(q.has_passed(4, 3) && !q.has_passed(5, 0));
        assert_eq!((q.events_handled(), q.taken()), (4, 1));
        assert_eq!(q.pop(), Some((4, "later")));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Plain(u64),
        Timer(u64),
        Cancel(usize),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..50).prop_map(Op::Plain),
            (0u64..50).prop_map(Op::Timer),
            (0usize..64).prop_map(Op::Cancel),
            Just(Op::Pop),
        ]
    }

    proptest! {
        /// Against a sorted list of (time, seq): the same pops in the same order.
        #[test]
        fn pops_match_a_sorted_reference(ops in prop::collection::vec(op(), 1..300)) {
            let mut q = EventQueue::new();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut timers: Vec<(Timer, u64)> = Vec::new();
            let mut seq = 0u64;
            for op in ops {
                match op {
                    Op::Plain(d) | Op::Timer(d) => {
                        let t = q.now() + d;
                        if matches!(op, Op::Timer(_)) {
                            timers.push((q.schedule_timer(t, seq), seq));
                        } else {
                            q.schedule_at(t, seq);
                        }
                        reference.push((t, seq));
                        seq += 1;
                    }
                    Op::Cancel(i) => {
                        if let Some(&(timer, s)) = timers.get(i) {
                            let pending = reference.iter().any(|&(_, r)| r == s);
                            prop_assert_eq!(q.cancel(timer), pending);
                            reference.retain(|&(_, r)| r != s);
                        }
                    }
                    Op::Pop => {
                        reference.sort();
                        let want = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                        prop_assert_eq!(q.pop(), want);
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
            }
        }
    }
}
