//! A recorded timeline of one run, inside a time window: what every thread,
//! core and GIL was doing. The runtime records it when asked
//! (`RunOptions::trace_window`); the Gantt chart (`report::gantt`) and the
//! Chrome trace (`report::trace`) are drawn from it.
//!
//! Memory is bounded by the window, not by the run: nothing outside the
//! window is kept.

use crate::engine::time::Nanos;

/// What a thread is doing during an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ThreadState {
    /// On a core, running Python with the GIL (or without one on a free-threaded build).
    Running,
    /// On a core in a GIL-releasing C call (`cpu_nogil`) or a runtime overhead without the GIL.
    RunningNogil,
    /// Waiting for the GIL (on its condition variable, or on `switch_cond` after a forced drop).
    WaitingGil,
    /// Runnable, waiting for a core (in the run queue, or paying a wake-up latency).
    WaitingCore,
    /// Blocked in I/O or a sleep.
    Blocked,
    /// Waiting on a lock or a semaphore.
    WaitingLock,
    /// A pool worker with no task.
    Idle,
}

impl ThreadState {
    /// Every state, in legend order.
    pub const ALL: [ThreadState; 7] = [
        ThreadState::Running,
        ThreadState::RunningNogil,
        ThreadState::WaitingGil,
        ThreadState::WaitingCore,
        ThreadState::Blocked,
        ThreadState::WaitingLock,
        ThreadState::Idle,
    ];

    /// The label in an interpreter with (`true`) or without a GIL: on a
    /// free-threaded build, running Python holds no GIL.
    pub fn label_in(self, has_gil: bool) -> &'static str {
        match self {
            ThreadState::Running if !has_gil => "running (free-threaded)",
            other => other.label(),
        }
    }

    /// A short label for legends and traces.
    pub fn label(self) -> &'static str {
        match self {
            ThreadState::Running => "running (GIL)",
            ThreadState::RunningNogil => "running (no GIL)",
            ThreadState::WaitingGil => "waiting for GIL",
            ThreadState::WaitingCore => "waiting for core",
            ThreadState::Blocked => "blocked (I/O, sleep)",
            ThreadState::WaitingLock => "waiting on lock",
            ThreadState::Idle => "idle",
        }
    }
}

/// What a core is doing during an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreUse {
    /// Running this thread (index into [`Timeline::threads`] by `tid`).
    Thread(usize),
    /// Paying a context switch or a wake-up latency for this thread.
    Switching(usize),
}

/// A half-open interval `[start, end)` with what happened in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval<T> {
    /// Start, in simulated nanoseconds.
    pub start: Nanos,
    /// End, in simulated nanoseconds.
    pub end: Nanos,
    /// What happened.
    pub what: T,
}

/// One thread's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadLane {
    /// The thread's id in the run (stable within the run; reused slots get new lanes).
    pub tid: usize,
    /// A readable name: `workload/index`, e.g. `io/0`.
    pub label: String,
    /// The interpreter (process) the thread belongs to; 0 is the main interpreter.
    pub interpreter: usize,
    /// Its states, in time order, non-overlapping, clipped to the window.
    pub intervals: Vec<Interval<ThreadState>>,
}

/// One core's lane; gaps are idle time.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreLane {
    /// Core index.
    pub core: usize,
    /// What ran on it, in time order, clipped to the window.
    pub intervals: Vec<Interval<CoreUse>>,
}

/// One GIL's lane: who held it; gaps are a free GIL.
#[derive(Debug, Clone, PartialEq)]
pub struct GilLane {
    /// The interpreter whose GIL this is; 0 is the main interpreter.
    pub interpreter: usize,
    /// Holder thread `tid` per interval, in time order, clipped to the window.
    pub intervals: Vec<Interval<usize>>,
}

/// A point event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A waiter's timed wait expired with no switch: it set the drop request on the holder.
    DropRequest,
    /// A thread wrote back a shared value it had read before a switch,
    /// erasing the updates other threads made meanwhile.
    LostUpdate,
}

/// A point event on a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// When.
    pub at: Nanos,
    /// The thread that caused it (for a drop request: the waiter that set it).
    pub tid: usize,
    /// The interpreter it concerns.
    pub interpreter: usize,
    /// What happened.
    pub kind: MarkKind,
}

/// What a span on a thread lane stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// The thread runs the task's program (a worker, a coroutine on the
    /// loop, a `to_thread` body on an executor thread).
    Program,
    /// The thread holds a message carrying the tasks (a pool's handler
    /// threads, a worker reading its chunk, a queue's feeder).
    Message,
}

/// One task (or one message of tasks) on one thread lane, with the steps
/// it went through there: a span in `trace.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpan {
    /// The thread lane.
    pub lane: usize,
    /// The lane's interpreter.
    pub interpreter: usize,
    /// The workload, an index into [`Spans::workloads`].
    pub workload: usize,
    /// The task ids: one for a program, a message's tasks in order.
    pub tasks: Vec<u64>,
    /// When its first task arrived.
    pub arrival: Nanos,
    /// What the span stands for.
    pub kind: SpanKind,
    /// Start, clipped to the window.
    pub start: Nanos,
    /// End, clipped to the window.
    pub end: Nanos,
    /// The steps inside it, as indices into [`Spans::labels`] (a named
    /// step's name, else the operation's kind).
    pub steps: Vec<Interval<u32>>,
    /// The `one_of` branch its task took, as an index into [`Spans::labels`].
    pub branch: Option<u32>,
}

/// The task spans of a timeline, in the order they closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    /// Workload names.
    pub workloads: Vec<String>,
    /// Step labels.
    pub labels: Vec<String>,
    /// The spans.
    pub spans: Vec<TaskSpan>,
}

/// Everything recorded in the window `[start, end)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Window start, in simulated nanoseconds.
    pub start: Nanos,
    /// Window end, in simulated nanoseconds.
    pub end: Nanos,
    /// The switch interval of the main interpreter, for annotations.
    pub switch_interval: Nanos,
    /// Thread lanes, in order of creation.
    pub threads: Vec<ThreadLane>,
    /// Core lanes, by core index.
    pub cores: Vec<CoreLane>,
    /// GIL lanes, by interpreter (none on a free-threaded build without the GIL).
    pub gils: Vec<GilLane>,
    /// Point events, in time order.
    pub marks: Vec<Mark>,
    /// What each thread did for which task.
    pub spans: Spans,
}
