//! What a run measures, below everything that produces or prints it: the
//! per-workload result records, the `results.csv` column list, latency
//! statistics and recorded timelines. The Python runtime fills them; the
//! reports, `compare` and `calibrate` read them.

pub mod columns;
pub mod latency;
pub mod timeline;

use crate::engine::time::Nanos;

/// Results of one workload, ready for `results.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadResult {
    /// Workload name.
    pub workload: String,
    /// Model name.
    pub model: String,
    /// Worker count as written in the scenario.
    pub workers: String,
    /// Cores of the machine.
    pub cores: u32,
    /// Tasks completed in the window.
    pub tasks_completed: u64,
    /// End of the window, in seconds.
    pub sim_time_s: f64,
    /// Tasks completed per second of window.
    pub throughput_per_s: f64,
    /// Latency mean, p50, p95, p99 and max, in ms (`None` without completions).
    pub latency_ms: Option<[f64; 5]>,
    /// Busy core time over cores × window.
    pub cpu_utilization: f64,
    /// GIL held time over the window (`None` without a GIL).
    pub gil_held_fraction: Option<f64>,
    /// The workload's threads' time waiting for the GIL over their lifetime in the window.
    pub gil_wait_fraction: Option<f64>,
    /// `switch_number` increments in the window.
    pub gil_switches: Option<u64>,
    /// Threads put on a core in the window.
    pub context_switches: u64,
    /// Peak resident memory of the run, in MB.
    pub peak_rss_mb: f64,
    /// Events the engine handled in the run.
    pub events: u64,
    /// Tasks arrived but not completed at the end.
    pub tasks_in_flight: u64,
    /// p99 of how late the event loop ran timers (callback start − deadline),
    /// in ms; `None` for models without a loop, or without a timer in the window.
    pub loop_lag_p99_ms: Option<f64>,
    /// Share of the machine's busy core time spent on this workload's
    /// messages (pickling, pipes, shared memory), over the whole run;
    /// `None` for models that pass no messages.
    pub ipc_cpu_fraction: Option<f64>,
    /// The busiest lock or semaphore of the workload's program; `None` when
    /// it uses none. Not a `results.csv` column (`gilsim compare` reports it).
    pub sync: Option<SyncStat>,
    /// The input queue's figures, for a pipeline stage (`after`).
    pub queue: Option<QueueResult>,
    /// The stage whose full queue this workload's threads waited on longest
    /// in `put`, and that wait over their lifetime in the window; `None`
    /// when they never blocked on one. Not a `results.csv` column.
    pub blocked_on_stage: Option<(String, f64)>,
    /// The `[shared]` variables the workload's steps update (summed when
    /// there are several); `None` when it updates none.
    pub shared: Option<SharedResult>,
    /// Offered load and backlog, for an open-loop workload (`rate`).
    pub load: Option<LoadResult>,
    /// p50 and p99 of the queue wait (arrival to a worker picking the task
    /// up) of the tasks completed in the window, in ms.
    pub wait_ms: Option<[f64; 2]>,
    /// p50 and p99 of the service time (pickup to completion), in ms.
    pub service_ms: Option<[f64; 2]>,
    /// One result per branch of the workload's `one_of` step, in file order.
    pub branches: Vec<BranchResult>,
}

/// The share of the offered rate an open-loop workload must serve not to
/// be flagged overloaded (docs/MODEL.md#overload).
pub const KEEP_UP: f64 = 0.95;

/// What an open-loop workload was offered and what it left waiting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadResult {
    /// Tasks arrived in the window per second of window.
    pub offered_per_s: f64,
    /// Tasks arrived and not yet picked up by a worker at the end.
    pub backlog_end: u64,
    /// How fast that backlog grew over the window, tasks per second
    /// (negative when it shrank).
    pub backlog_growth_per_s: f64,
    /// The workload served less than [`KEEP_UP`] of its offered rate: its
    /// tasks in flight grow with time, and its latencies with `duration`.
    pub overloaded: bool,
}

/// The tasks of a workload that took one branch of its `one_of` step.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchResult {
    /// The branch's `name`, or its position (`1`, `2`, ...).
    pub label: String,
    /// Its tasks completed in the window.
    pub tasks_completed: u64,
    /// Those per second of window.
    pub throughput_per_s: f64,
    /// Latency mean, p50, p95, p99 and max, in ms.
    pub latency_ms: Option<[f64; 5]>,
    /// Queue wait p50 and p99, in ms.
    pub wait_ms: Option<[f64; 2]>,
    /// Service time p50 and p99, in ms.
    pub service_ms: Option<[f64; 2]>,
}

/// What became of the updates of `[shared]` variables (docs/MODEL.md#shared-state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedResult {
    /// Updates completed, by every thread.
    pub updates: u64,
    /// Updates erased by a write of a value read before them.
    pub lost: i128,
    /// The value at the end.
    pub final_value: i128,
    /// The value at the end had no update been lost.
    pub expected: i128,
}

impl SharedResult {
    /// Lost updates over updates made; `None` before any update.
    pub fn lost_fraction(&self) -> Option<f64> {
        (self.updates > 0).then(|| self.lost as f64 / self.updates as f64)
    }
}

/// How busy one lock or semaphore was, and how long threads waited on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStat {
    /// `` lock `NAME` `` or `` semaphore `NAME` ``.
    pub what: String,
    /// Time it was held (a semaphore: every permit taken) over the window.
    pub busy_fraction: f64,
    /// The workload's summed thread time blocked on it over the threads'
    /// lifetime in the window, like `gil_wait_fraction`; `None` for
    /// coroutines, which wait without blocking a thread.
    pub wait_fraction: Option<f64>,
}

/// Totals used by the laws and by accounting checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Core time spent in the workloads' `cpu`, `cpu_held` and `cpu_nogil` steps.
    pub step_cpu: Nanos,
    /// Core time spent in overheads: thread start, GIL release and return costs.
    pub overhead_cpu: Nanos,
    /// Core time spent in context switches.
    pub switch_cpu: Nanos,
    /// Busy core time measured by the machine.
    pub busy: Nanos,
    /// Bytes pickled by senders (process models).
    pub bytes_pickled: u64,
    /// Bytes unpickled by receivers (process models).
    pub bytes_unpickled: u64,
}

/// A stage's queue figures for `results.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueResult {
    /// Mean wait in the queue of the items taken in the window, ms.
    pub wait_mean_ms: Option<f64>,
    /// Time-weighted mean number of items in the queue over the window.
    pub len_mean: f64,
    /// Most items in the queue at once in the window.
    pub len_max: u64,
    /// Producers' time blocked on a full queue over the producers' lifetime
    /// in the window (summed over the upstream workloads' threads).
    pub blocked_put_fraction: f64,
}

/// A run that stopped with tasks blocked forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    /// When the last event happened.
    pub at: Nanos,
    /// One line per blocked thread: which workload and what it waits for.
    pub blocked: Vec<String>,
}

impl Deadlock {
    /// The report of this deadlock in `run` (e.g. "point 3 replication 0"):
    /// when it happened, then one indented line per blocked thread.
    pub fn report(&self, run: &str) -> String {
        let mut msg = format!(
            "deadlock in {run}: no event remains at t = {:.6} s while tasks are unfinished\n",
            self.at as f64 / 1e9
        );
        for line in &self.blocked {
            msg.push_str(&format!("  {line}\n"));
        }
        msg
    }
}
