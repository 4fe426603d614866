//! How big a study is, for `gilsim check`: points × replications ×
//! simulated time, and a rough cost (events from [`super::cost::run_cost`],
//! wall time). Nothing is simulated: the estimate can be off several times
//! either way, and says so.

use super::cost::{off_cpu, run_cost};
use super::{Scenario, Study};
use crate::engine::time::Nanos;
use crate::workload::{Arrival, Model, Workers, Workload};

/// Events per second one core simulates, roughly (`cargo bench --bench
/// engine` runs 10 to 13 million on the development machine; a study also
/// builds and writes its outputs).
pub const EVENTS_PER_SECOND: f64 = 5e6;

/// A study's size and rough cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudySize {
    /// Sweep points.
    pub points: usize,
    /// Runs: each point's replications, summed.
    pub runs: u64,
    /// Simulated time of the longest run, in ns: its `duration`, or the
    /// makespan estimated for a batch.
    pub longest_run: Nanos,
    /// Simulated time over every run, in ns.
    pub simulated: u128,
    /// Estimated events over every run.
    pub events: f64,
}

impl StudySize {
    /// Estimated wall time in seconds on `jobs` cores.
    pub fn wall_seconds(&self, jobs: usize) -> f64 {
        let parallel = (jobs.max(1) as u64).min(self.runs.max(1)) as f64;
        self.events / EVENTS_PER_SECOND / parallel
    }
}

impl Study {
    /// Its size and a rough cost estimate.
    pub fn size(&self) -> StudySize {
        let mut size = StudySize {
            points: self.points.len(),
            runs: 0,
            longest_run: 0,
            simulated: 0,
            events: 0.0,
        };
        for p in &self.points {
            let s = &p.scenario;
            let reps = u64::from(s.replications);
            let (time, events) = run_estimate(s);
            size.runs += reps;
            size.longest_run = size.longest_run.max(time);
            size.simulated += u128::from(time) * u128::from(reps);
            size.events += events * reps as f64;
        }
        size
    }
}

/// Tasks of `w` that run at once, at most.
fn parallel(w: &Workload, tasks: f64) -> f64 {
    let workers = match (&w.model, w.workers) {
        (Model::Sequential, _) => 1.0,
        (_, Workers::Fixed(n)) => f64::from(n),
        (_, Workers::PerTask | Workers::Unlimited) => tasks,
    };
    workers.clamp(1.0, tasks.max(1.0))
}

/// Simulated time (ns) and events of one run of `s`, roughly.
fn run_estimate(s: &Scenario) -> (Nanos, f64) {
    let cores = f64::from(s.machine.cores.max(1));
    let gil = s.python.gil_enabled;
    let mut tasks = vec![0.0f64; s.workloads.len()];
    let mut makespan: f64 = 0.0;
    // Batches first: a stage runs as many tasks as its first upstream.
    for (i, w) in s.workloads.iter().enumerate() {
        let cpu = w.mean_task_cpu();
        let wait: f64 = w.steps.iter().map(off_cpu).sum();
        tasks[i] = match &w.arrival {
            Arrival::Batch(n) => *n as f64,
            Arrival::Rate(r) => r * s.window.duration.unwrap_or(0) as f64 / 1e9,
            Arrival::Forever => {
                let d = s.window.duration.unwrap_or(0) as f64;
                // Each iteration also takes and drops the GIL, a few µs.
                d / (cpu + wait + 5_000.0) * parallel(w, f64::MAX)
            }
            Arrival::After { upstream, .. } => upstream
                .first()
                .map_or(0.0, |&u| tasks.get(u).copied().unwrap_or(0.0)),
        };
        let n = tasks[i];
        let runs_at_once = parallel(w, n);
        // Python CPU on one interpreter shares one GIL; elsewhere the cores.
        let cpu_lanes = match w.model {
            Model::Threads | Model::Sequential | Model::Asyncio if gil => 1.0,
            _ => runs_at_once.min(cores),
        };
        makespan = makespan.max((n * cpu / cpu_lanes).max(n * (cpu + wait) / runs_at_once));
    }
    let time = s
        .window
        .duration
        .unwrap_or_else(|| makespan.min(u64::MAX as f64) as Nanos);
    (time, run_cost(s) as f64)
}
