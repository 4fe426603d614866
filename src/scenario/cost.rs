//! A run's estimated cost in events, without simulating anything: what
//! `gilsim check` reports as a rough cost and what `--shard` balances.

use super::Scenario;
use crate::workload::{Arrival, Model, Step, Workers, Workload};

/// Bookkeeping events of one task besides its steps (arrival, start, end).
const EVENTS_PER_TASK: f64 = 4.0;
/// Events of one step: its start, its end and a hand-off of the GIL or core.
const EVENTS_PER_STEP: f64 = 3.0;
/// Messages a task costs a process pool or subinterpreter workers (send,
/// pickle, receive, unpickle, both ways).
const EVENTS_PER_MESSAGE_TASK: f64 = 12.0;
/// What one loop iteration costs beyond its steps, in ns: taking and
/// dropping the GIL, returning from a call.
const ITERATION_OVERHEAD_NS: f64 = 2_000.0;
/// Events per switch interval while threads contend for the GIL: the timed
/// wait, the drop request and the hand-off (docs/MODEL.md, the GIL).
const EVENTS_PER_FORCED_SWITCH: f64 = 3.0;

/// The estimated cost of one run of `scenario`, in events (a run's wall
/// time grows with its events): simulated time × running threads ÷ how long
/// one iteration of their program takes × events per iteration, plus the
/// GIL's forced switches. A heuristic read from the validated scenario,
/// deterministic, in integer units so that equal costs compare equal.
///
/// It knows one interaction because it changes a run's cost a hundredfold:
/// a thread that releases the GIL beside CPU-bound threads of its
/// interpreter (the convoy, docs/MODEL.md#the-convoy-effect) completes
/// about one call per switch interval when a second core lets a CPU-bound
/// thread take the GIL during each call, and shares the one core with them
/// otherwise. Anything else it reads from the steps alone: in absolute
/// terms it can be off several times either way; it is meant to rank the
/// points of a study, not to predict their times.
pub fn run_cost(s: &Scenario) -> u64 {
    let cores = f64::from(s.machine.cores.max(1));
    let switch = s.python.switch_interval() as f64;
    let gil = s.python.gil_enabled;
    let shares_gil = |w: &Workload| {
        gil && matches!(w.model, Model::Threads | Model::Sequential | Model::Asyncio)
    };
    // CPU-bound threads of the main interpreter: they hold the GIL until
    // a forced switch takes it from them.
    let hog_threads = |w: &Workload| {
        if shares_gil(w) && !w.steps.iter().any(releases_gil) && w.mean_task_cpu() > 0.0 {
            threads(w)
        } else {
            0.0
        }
    };
    let hogs: f64 = s.workloads.iter().map(hog_threads).sum();
    let releasers = s
        .workloads
        .iter()
        .any(|w| shares_gil(w) && w.steps.iter().any(releases_gil));

    // Tasks each workload completes, and how long the run lasts without a
    // duration (every batch done).
    let mut tasks = vec![0.0f64; s.workloads.len()];
    let mut makespan: f64 = 0.0;
    for (i, w) in s.workloads.iter().enumerate() {
        let iteration =
            w.mean_task_cpu() + w.steps.iter().map(off_cpu).sum::<f64>() + ITERATION_OVERHEAD_NS;
        let n_threads = threads(w);
        let own_hogs = hog_threads(w);
        let others = hogs - own_hogs;
        // Iterations per ns of all this workload's threads together.
        let rate = if own_hogs > 0.0 {
            // One GIL: the CPU-bound threads take turns.
            own_hogs / hogs.max(1.0) / iteration
        } else if shares_gil(w) && others > 0.0 && w.steps.iter().any(releases_gil) {
            if cores >= 2.0 {
                n_threads / switch.max(iteration)
            } else {
                n_threads / (iteration * (1.0 + others))
            }
        } else {
            let lanes = match w.model {
                Model::Processes(_) | Model::Subinterpreters(_) => n_threads.min(cores),
                _ if shares_gil(w) && w.steps.iter().all(|s| !releases_gil(s)) => 1.0,
                _ => n_threads.min(cores),
            };
            lanes / iteration
        };
        tasks[i] = match &w.arrival {
            Arrival::Batch(n) => *n as f64,
            Arrival::Rate(r) => r * s.window.duration.unwrap_or(0) as f64 / 1e9,
            Arrival::Forever => rate * s.window.duration.unwrap_or(0) as f64,
            Arrival::After { upstream, .. } => upstream
                .first()
                .and_then(|&u| tasks.get(u).copied())
                .unwrap_or(0.0),
        };
        if let Some(d) = s.window.duration {
            tasks[i] = tasks[i].min(rate * d as f64);
        } else if rate > 0.0 {
            makespan = makespan.max(tasks[i] / rate);
        }
    }
    let time = s.window.duration.map_or(makespan, |d| d as f64);

    let mut events = 0.0;
    for (i, w) in s.workloads.iter().enumerate() {
        let messages = match w.model {
            Model::Processes(_) | Model::Subinterpreters(_) => EVENTS_PER_MESSAGE_TASK,
            _ => 0.0,
        };
        events += tasks[i] * (EVENTS_PER_TASK + EVENTS_PER_STEP * step_count(&w.steps) + messages);
    }
    // Forced switches while a CPU-bound thread holds the GIL others want.
    if hogs >= 2.0 || (hogs >= 1.0 && releasers) {
        events += time / switch.max(1.0) * EVENTS_PER_FORCED_SWITCH;
    }
    // Whole events; saturating, as a float cast is.
    events.max(1.0).round() as u64
}

/// The cost of every run of a point: [`run_cost`] × replications.
pub fn point_cost(s: &Scenario) -> u128 {
    u128::from(run_cost(s)) * u128::from(s.replications.max(1))
}

/// True when the step lets other threads take the GIL while it lasts.
fn releases_gil(step: &Step) -> bool {
    match step {
        Step::Cpu(_) | Step::CpuHeld(_) | Step::Update(_) => false,
        Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::Repeat { steps, .. } => {
            steps.iter().any(releases_gil)
        }
        Step::Named { step, .. } => releases_gil(step),
        Step::OneOf(branches) => branches.iter().any(|b| b.steps.iter().any(releases_gil)),
        _ => true,
    }
}

/// Mean time a step spends off the CPU (I/O, sleeps), in ns.
pub(super) fn off_cpu(step: &Step) -> f64 {
    match step {
        Step::Io(d) | Step::Sleep(d) | Step::BlockingIo(d) => d.mean(),
        Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
            steps.iter().map(off_cpu).sum()
        }
        Step::Repeat { times, steps } => *times as f64 * steps.iter().map(off_cpu).sum::<f64>(),
        Step::Named { step, .. } => off_cpu(step),
        Step::OneOf(branches) => {
            crate::workload::step::Branch::weighted(branches, |s| s.iter().map(off_cpu).sum())
        }
        _ => 0.0,
    }
}

/// Steps of a task, nested ones counted with their enter and exit.
fn step_count(steps: &[Step]) -> f64 {
    steps
        .iter()
        .map(|s| match s {
            Step::Lock { steps, .. } | Step::Semaphore { steps, .. } | Step::ToThread(steps) => {
                2.0 + step_count(steps)
            }
            Step::Repeat { times, steps } => *times as f64 * step_count(steps),
            Step::Named { step, .. } => step_count(std::slice::from_ref(step)),
            Step::OneOf(branches) => {
                1.0 + crate::workload::step::Branch::weighted(branches, step_count)
            }
            _ => 1.0,
        })
        .sum()
}

/// Threads (or processes) of `w` running at once: its workers, or one per
/// task of a batch.
fn threads(w: &Workload) -> f64 {
    let n = match (&w.model, w.workers, &w.arrival) {
        (Model::Sequential | Model::Asyncio, _, _) => 1.0,
        (_, Workers::Fixed(n), _) => f64::from(n),
        (_, Workers::PerTask | Workers::Unlimited, Arrival::Batch(n)) => *n as f64,
        _ => 1.0,
    };
    n.clamp(1.0, 1e6)
}
