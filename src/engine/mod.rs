//! The discrete-event core: time, the event queue, seeded streams and the loop.
//!
//! The engine knows nothing of Python, threads or cores. A model implements
//! [`Model`]; [`run`] pops events in `(time, sequence)` order and hands each
//! to the model until the queue is empty, the model says stop, or the clock
//! passes the horizon.

pub mod queue;
pub mod random;
pub mod time;
pub mod units;

pub use queue::{EventQueue, Place, Timer};
pub use random::Stream;
pub use time::Nanos;

/// A simulation model driven by the engine.
pub trait Model {
    /// The model's event type.
    type Event;

    /// Handles one event at time `now`; may schedule more on `queue`.
    fn handle(&mut self, now: Nanos, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// Returns true when the run is over even though events remain.
    fn finished(&self) -> bool {
        false
    }
}

/// Why [`run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// No event was left.
    Exhausted,
    /// The next event lay beyond the horizon; the clock stopped at the horizon.
    Horizon,
    /// The model reported it was finished.
    Finished,
    /// [`Budget::max_events`] events were handled and more remained.
    EventLimit,
    /// [`Budget::deadline`] passed on the wall clock.
    WallLimit,
    /// The next event lies at the end of the clock (`Nanos::MAX`, 584
    /// years): times that would pass it are saturated there, so the run
    /// cannot go on.
    EndOfTime,
}

/// Bounds on one run: how many events it may handle, and until when (on the
/// wall clock) it may go on. Neither changes what a run computes; a run
/// that reaches one stops, and its caller treats it as failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// At most this many events handled by the queue (counted over every
    /// [`run`] call on it): the same event on every machine.
    pub max_events: Option<u64>,
    /// Stop once the wall clock passes this instant (read every
    /// [`CLOCK_EVERY`] events, so it costs nothing per event).
    pub deadline: Option<std::time::Instant>,
}

/// How many events [`run`] handles between two readings of the wall clock.
pub const CLOCK_EVERY: u32 = 4096;

/// Runs `model` until no event is left, the model is finished, the next
/// event lies after `horizon`, or `budget` is spent.
pub fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    horizon: Option<Nanos>,
    budget: Budget,
) -> Stop {
    let max_events = budget.max_events.unwrap_or(u64::MAX);
    // The clock is read before the first event, then every CLOCK_EVERY events.
    let mut until_clock = 1;
    loop {
        if model.finished() {
            return Stop::Finished;
        }
        match (queue.peek_time(), horizon) {
            (None, _) => return Stop::Exhausted,
            (Some(t), Some(h)) if t > h => return Stop::Horizon,
            (Some(Nanos::MAX), _) => return Stop::EndOfTime,
            _ => {}
        }
        if queue.events_handled() >= max_events {
            return Stop::EventLimit;
        }
        if let Some(deadline) = budget.deadline {
            until_clock -= 1;
            if until_clock == 0 {
                until_clock = CLOCK_EVERY;
                if std::time::Instant::now() >= deadline {
                    return Stop::WallLimit;
                }
            }
        }
        if let Some((now, event)) = queue.pop() {
            model.handle(now, event, queue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Schedules one event per nanosecond, forever.
    struct Ticker;

    impl Model for Ticker {
        type Event = ();

        fn handle(&mut self, now: Nanos, _: (), queue: &mut EventQueue<()>) {
            queue.schedule_at(now + 1, ());
        }
    }

    fn ticking() -> EventQueue<()> {
        let mut q = EventQueue::new();
        q.schedule_at(0, ());
        q
    }

    #[test]
    fn max_events_stops_at_the_same_event_every_time() {
        let mut q = ticking();
        let budget = Budget {
            max_events: Some(1000),
            deadline: None,
        };
        assert_eq!(run(&mut Ticker, &mut q, None, budget), Stop::EventLimit);
        assert_eq!((q.events_handled(), q.now()), (1000, 999));
        // A later call on the same queue is over the budget at once.
        assert_eq!(run(&mut Ticker, &mut q, None, budget), Stop::EventLimit);
        assert_eq!(q.events_handled(), 1000);
    }

    #[test]
    fn a_horizon_within_the_budget_is_not_a_limit() {
        let mut q = ticking();
        let budget = Budget {
            max_events: Some(1000),
            deadline: None,
        };
        assert_eq!(run(&mut Ticker, &mut q, Some(999), budget), Stop::Horizon);
        assert_eq!(q.events_handled(), 1000);
    }

    #[test]
    fn a_passed_deadline_stops_before_the_first_event() {
        let mut q = ticking();
        let budget = Budget {
            max_events: None,
            deadline: Some(std::time::Instant::now()),
        };
        assert_eq!(run(&mut Ticker, &mut q, None, budget), Stop::WallLimit);
        assert_eq!(q.events_handled(), 0);
    }
}
