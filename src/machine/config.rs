//! Machine and OS scheduler parameters (`[machine]`, docs/MODEL.md#the-machine-and-the-os-scheduler).

use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos, US};

/// Which of Linux's fair-class schedulers picks the threads (`machine.scheduler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// CFS (Linux before 6.6): virtual runtime, `os_timeslice`, `wakeup_granularity`.
    Cfs,
    /// EEVDF (Linux 6.6 and later): eligibility, virtual deadlines one
    /// `base_slice` apart, a picked thread protected until its deadline
    /// (`RUN_TO_PARITY`), checked at each scheduler `tick` and wake-up.
    Eevdf,
}

impl Scheduler {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Cfs => "cfs",
            Scheduler::Eevdf => "eevdf",
        }
    }
}

/// The scheduler a Linux kernel runs, as a calibration profile records it
/// (the kernel release, the online CPUs and `CONFIG_HZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelScheduler {
    /// EEVDF from Linux 6.6 on, CFS before.
    pub scheduler: Scheduler,
    /// `sched_base_slice` for the online CPUs (`sched_update_scaling`), or
    /// as the kernel reported it (`se.slice` in `/proc/self/sched`).
    pub base_slice: Nanos,
    /// `1 / CONFIG_HZ` (4 ms when the kernel's configuration is unknown).
    pub tick: Nanos,
}

impl KernelScheduler {
    /// The scheduler of kernel `release` (`6.18.44-generic`) on `cpus`
    /// online CPUs with `CONFIG_HZ = hz`; `None` if the release does not
    /// parse. `slice`, the slice the kernel reported for a task, replaces
    /// the default computed from the release and the CPUs: 0.75 ms ×
    /// (1 + log2 of the CPUs, at most 8), 0.70 ms from Linux 6.15 (commit
    /// 2ae891b82695, "sched: Reduce the default slice to avoid tasks
    /// getting an extra tick", which stable series took too).
    pub fn of_linux(
        release: &str,
        cpus: u32,
        hz: Option<u32>,
        slice: Option<Nanos>,
    ) -> Option<KernelScheduler> {
        let mut parts = release.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let scheduler = if (major, minor) >= (6, 6) {
            Scheduler::Eevdf
        } else {
            Scheduler::Cfs
        };
        let cpus = cpus.clamp(1, 8);
        let normalized = if (major, minor) >= (6, 15) {
            700 * US
        } else {
            750 * US
        };
        Some(KernelScheduler {
            scheduler,
            base_slice: slice
                .filter(|&s| s > 0)
                .unwrap_or(normalized * u64::from(1 + cpus.ilog2())),
            tick: hz
                .filter(|&h| (10..=10_000).contains(&h))
                .map_or(4 * MS, |h| 1_000_000_000 / u64::from(h)),
        })
    }

    /// Sets `m`'s scheduler, slice and tick.
    pub fn apply(&self, m: &mut MachineConfig) {
        m.scheduler = self.scheduler;
        m.base_slice = self.base_slice;
        m.tick = self.tick;
    }
}

/// The cores and the OS scheduler's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineConfig {
    /// Number of identical cores.
    pub cores: u32,
    /// The fair-class scheduler.
    pub scheduler: Scheduler,
    /// EEVDF's `sched_base_slice`: the virtual time between a thread's
    /// deadlines; 0 is Linux's default for the core count (0.70 ms × (1 +
    /// log2 of the cores, at most 8), since Linux 6.15).
    pub base_slice: Nanos,
    /// The scheduler tick (`1 / CONFIG_HZ`): when EEVDF sees that a slice is over.
    pub tick: Nanos,
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

impl MachineConfig {
    /// EEVDF's slice: `base_slice`, or Linux's default for the core count
    /// (`sched_update_scaling` in `kernel/sched/fair.c`, logarithmic scaling).
    pub fn eevdf_slice(&self) -> Nanos {
        if self.base_slice > 0 {
            return self.base_slice;
        }
        let cpus = self.cores.clamp(1, 8);
        700 * US * u64::from(1 + cpus.ilog2())
    }
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            cores: 1,
            scheduler: Scheduler::Cfs,
            base_slice: 0,
            tick: 4 * MS,
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
