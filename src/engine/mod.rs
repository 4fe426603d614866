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

pub use queue::{EventQueue, Timer};
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
}

/// Runs `model` until no event is left, the model is finished, or the next
/// event lies after `horizon`.
pub fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    horizon: Option<Nanos>,
) -> Stop {
    loop {
        if model.finished() {
            return Stop::Finished;
        }
        match (queue.peek_time(), horizon) {
            (None, _) => return Stop::Exhausted,
            (Some(t), Some(h)) if t > h => return Stop::Horizon,
            _ => {}
        }
        if let Some((now, event)) = queue.pop() {
            model.handle(now, event, queue);
        }
    }
}
