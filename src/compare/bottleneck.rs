//! What limits a candidate: the GIL, the event loop, IPC, the cores, I/O or
//! sleep, a single worker, a lock or semaphore, or a queue stage downstream
//! (thresholds in the module `compare`), and the figures behind it.

use super::candidate::Candidate;

/// A downstream stage is the bottleneck when the workload's threads spend
/// at least this share of their time blocked in `put` on its full queue:
/// they finish no faster than it takes their items.
const STAGE_BLOCKED: f64 = 0.3;

/// A lock or semaphore is the bottleneck when it is busy (held; every
/// permit taken) at least this share of the window: it admits no more
/// work, so adding workers only adds waiters.
const SYNC_BUSY: f64 = 0.85;

/// What limits a candidate that ran, and the figures behind it.
/// `cores` is the machine's: a pool of `n` workers can use at most `min(n, cores)` of them.
pub fn bottleneck(c: &Candidate, cores: u32) -> (&'static str, String) {
    let Some(m) = &c.metrics else {
        return ("", String::new());
    };
    let held = m.gil_held.unwrap_or(0.0);
    let wait = m.gil_wait.unwrap_or(0.0);
    let gil = match (m.gil_held, m.gil_wait) {
        (Some(h), Some(w)) => format!("GIL held {:.0}%, GIL wait {:.0}%", h * 100.0, w * 100.0),
        _ => "no GIL".to_string(),
    };
    let workers = c.workers.unwrap_or(1).max(1);
    // Whether the workers share one GIL (threads of one interpreter).
    let shares_gil = c.model == "threads";
    // The share of the machine its workers could keep busy if they never blocked.
    let usable = f64::from(workers.min(cores.max(1))) / f64::from(cores.max(1));
    let busy = m.cpu_utilization / usable;
    let figures = if busy > 1.0 {
        // The machine's CPU counts the other workloads of the scenario too.
        format!(
            "CPU {:.0}% of the machine, the other workloads' included: more than {} alone can use; {gil}",
            m.cpu_utilization * 100.0,
            c.label()
        )
    } else {
        format!(
            "CPU {:.0}% of the machine, {:.0}% of what {} can use; {gil}",
            m.cpu_utilization * 100.0,
            busy * 100.0,
            c.label()
        )
    };
    let figures = match m.loop_lag_ms {
        Some(lag) => format!("{figures}; loop lag p99 {lag:.1} ms"),
        None => figures,
    };
    let ipc = m.ipc.unwrap_or(0.0);
    let figures = match m.ipc {
        Some(f) => format!("{figures}; IPC {:.0}% of busy core time", f * 100.0),
        None => figures,
    };
    let sync = m.sync.as_ref().filter(|s| s.1 >= SYNC_BUSY);
    let figures = match &m.sync {
        Some((what, busy, wait)) => format!(
            "{figures}; {what} busy {:.0}% of the time{}",
            busy * 100.0,
            wait.map_or(String::new(), |w| format!(
                ", threads blocked on it {:.0}% of their time",
                w * 100.0
            ))
        ),
        None => figures,
    };
    let figures = match &m.blocked_on_stage {
        Some((stage, f)) => format!(
            "{figures}; threads blocked in put on stage `{stage}`'s full queue {:.0}% of their time",
            f * 100.0
        ),
        None => figures,
    };
    let downstream = m
        .blocked_on_stage
        .as_ref()
        .filter(|(_, f)| *f >= STAGE_BLOCKED);
    let name = if downstream.is_some() {
        "a queue stage downstream"
    } else if sync.is_some() {
        "a lock or semaphore"
    } else if held >= 0.85 && (wait >= 0.25 || (shares_gil && workers > 1)) {
        // Threads of one interpreter: a GIL held 85% of the window leaves
        // them little more to take, whoever holds it (another stage of the
        // same process included).
        "the GIL"
    } else if c.model == "asyncio" && busy >= 0.85 {
        "the event loop"
    } else if ipc >= 0.3 {
        "IPC (pickling and pipes)"
    } else if m.cpu_utilization >= 0.85 {
        "the cores"
    } else if busy < 0.5 && held < 0.5 {
        "I/O or sleep"
    } else if busy >= 0.85 && workers == 1 {
        "a single worker"
    } else if busy >= 0.85 {
        "the worker count"
    } else {
        "none dominant"
    };
    (name, figures)
}

/// The bottleneck attributed to a model: that of its best point; when that
/// is "a single worker" and the model ran with more, what limits its best
/// point with more workers (adding workers did not help because of it).
pub(super) fn model_bottleneck<'a>(
    best: &'a Candidate,
    ranked: &[&'a Candidate],
    cores: u32,
) -> (&'a Candidate, &'static str, String) {
    let (name, figures) = bottleneck(best, cores);
    if name == "a single worker"
        && let Some(more) = ranked
            .iter()
            .find(|c| c.model == best.model && c.workers.unwrap_or(1) > 1)
    {
        let (n2, f2) = bottleneck(more, cores);
        return (
            more,
            n2,
            format!("more workers do not help: at {} {f2}", more.label()),
        );
    }
    (best, name, figures)
}
