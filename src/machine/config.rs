//! Machine and OS scheduler parameters (`[machine]`, docs/MODEL.md#the-machine-and-the-os-scheduler).

use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos, US};

/// The cores and the OS scheduler's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineConfig {
    /// Number of identical cores.
    pub cores: u32,
    /// A running thread is preempted at the end of this slice if another is waiting.
    pub os_timeslice: Nanos,
    /// A waking thread preempts only if its virtual runtime is lower by more than this.
    pub wakeup_granularity: Nanos,
    /// How far below the run queue's minimum virtual runtime a waking thread
    /// is placed: CFS's `GENTLE_FAIR_SLEEPERS` credit, half of `sched_latency`
    /// (6 ms by default). A thread that slept keeps at most this much credit.
    pub sleeper_credit: Nanos,
    /// Core time spent switching from one thread to another.
    pub context_switch: Dist,
    /// A core idle for less than this is still polling and wakes fast.
    pub idle_poll_window: Nanos,
    /// Wake-up latency of a core idle for less than `idle_poll_window`.
    pub wakeup_latency_polling: Dist,
    /// Wake-up latency of a core idle for longer (a deeper idle state).
    pub wakeup_latency: Dist,
    /// How late a timer fires (Linux's default slack for normal threads is 50 µs).
    pub timer_slack: Dist,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            cores: 1,
            os_timeslice: 3 * MS,
            wakeup_granularity: MS,
            sleeper_credit: 3 * MS,
            context_switch: Dist::LogNormal {
                median: 2 * US,
                sigma: 0.3,
            },
            idle_poll_window: 100 * US,
            wakeup_latency_polling: Dist::LogNormal {
                median: 2 * US,
                sigma: 0.5,
            },
            wakeup_latency: Dist::LogNormal {
                median: 30 * US,
                sigma: 0.6,
            },
            timer_slack: Dist::Normal {
                mean: 50 * US,
                sd: 5 * US,
            },
        }
    }
}
