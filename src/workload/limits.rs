//! What one run may hold at once, and what a workload asks for before it
//! runs: the bounds that `gilsim check` and `gilsim run` refuse a scenario
//! beyond (exit 2, naming the key), and that the runtime stops a run at if
//! an open-loop workload grows past them while it runs (exit 1).
//!
//! A batch on a thread pool or a sequential workload costs nothing per
//! task before a worker takes it (the runtime counts the tasks not yet
//! taken); what the model holds one by one is bounded here: threads and
//! processes, coroutines, and the tasks a process pool or the event loop
//! is handed up front (`Pool.map`'s list, one `Future` per `submit`, one
//! `Task` per coroutine), as CPython holds them too.

use super::{Arrival, Model, PerProcess, Workers, Workload};

/// Threads and processes alive at once in the simulated program: Linux's
/// `PID_MAX_LIMIT` on 64-bit (`include/linux/threads.h`), since every thread
/// and every process takes a pid. gilsim holds about 700 bytes per thread.
pub const MAX_THREADS: u64 = 4 * 1024 * 1024;

/// Tasks gilsim holds one by one at once in a run (queued for a process
/// pool, coroutines, items in a stage's queue): about 200 bytes each, so a
/// run stays within a few GB.
pub const MAX_HELD_TASKS: u64 = 10_000_000;

/// Runs of one study (points × replications): each run's results are kept
/// until `results.csv` is written.
pub const MAX_RUNS: u64 = 1_000_000;

/// What a workload asks for at once, before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demand {
    /// Threads and processes it starts (the program's main thread aside).
    pub threads: u64,
    /// Whether `workers` (rather than `tasks`) sets [`Demand::threads`].
    pub threads_from_workers: bool,
    /// Tasks held one by one up front ([`MAX_HELD_TASKS`]).
    pub held_tasks: u64,
}

/// Threads the asyncio event loop's program may add: the loop's own and
/// the default executor's (`min(32, cores + 4)`, `to_thread`).
const ASYNCIO_THREADS: u64 = 33;

/// Parent-side threads of a process pool besides its workers: task and
/// result handlers, the executor's manager and feeder, the forkserver and
/// each worker's stage feeder.
const POOL_HELPERS: u64 = 5;

impl Workload {
    /// What this workload asks for at once, before it runs (open-loop
    /// arrivals and stage items are bounded while the run goes).
    pub fn demand(&self) -> Demand {
        let batch = match self.arrival {
            Arrival::Batch(n) => Some(n),
            _ => None,
        };
        let (threads, threads_from_workers) = match (&self.model, self.workers) {
            (Model::Sequential, _) => (0, false),
            (Model::Asyncio, _) => (ASYNCIO_THREADS, false),
            (Model::Threads, Workers::Fixed(n)) => match batch {
                Some(b) if b < u64::from(n) => (b, false),
                _ => (u64::from(n), true),
            },
            (Model::Threads, Workers::Unlimited) => (1, false),
            (Model::Threads | Model::Processes(_), Workers::PerTask) => (batch.unwrap_or(0), false),
            // Every worker process has a main thread (and, feeding a
            // stage, a feeder thread): a pid each.
            (Model::Processes(_), Workers::Fixed(n)) => {
                (u64::from(n).saturating_mul(2) + POOL_HELPERS, true)
            }
            (Model::Subinterpreters(_), Workers::Fixed(n)) => (u64::from(n), true),
            // Every worker process's main thread, and its pool's threads.
            (Model::Shape(s), Workers::Fixed(n)) => {
                let per = match s.per_process {
                    PerProcess::Threads(m) => u64::from(m) + 1,
                    PerProcess::Sequential | PerProcess::Asyncio(_) => 1,
                };
                (u64::from(n).saturating_mul(per), true)
            }
            (Model::Shape(_), _) => (0, false),
            (Model::Processes(_) | Model::Subinterpreters(_), _) => (0, false),
        };
        let held_tasks = match (&self.model, batch, self.workers) {
            (Model::Processes(_) | Model::Subinterpreters(_) | Model::Asyncio, Some(n), _) => n,
            // Coroutines that loop forever, or a stage's consumers.
            (Model::Asyncio, None, Workers::Fixed(n)) => u64::from(n),
            _ => 0,
        };
        Demand {
            threads,
            threads_from_workers,
            held_tasks,
        }
    }
}
