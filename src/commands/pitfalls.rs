//! Pitfalls `gilsim check` and `gilsim run` warn about on standard error,
//! without failing: constant microsecond steps in many threads (lock-step
//! artefacts), a process model that pickles nothing (`args_bytes = 0`), and,
//! for `check`, every default the run relies on.

use crate::engine::random::Dist;
use crate::engine::time::MS;
use crate::scenario::{Scenario, Study};
use crate::workload::{Model, Step, Workers};

/// Threads from which constant short steps are worth a warning.
const MANY_THREADS: u32 = 4;

/// The warnings of a study, in point order: each pitfall of a workload said
/// once, at the first point that has it (a sweep of the pool size does not
/// repeat it).
pub fn warnings(study: &Study) -> Vec<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for p in &study.points {
        for (key, w) in warnings_of(&p.scenario) {
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, w));
            }
        }
    }
    out.into_iter().map(|(_, w)| w).collect()
}

/// The warnings of one scenario, each with what it is about (the workload and the pitfall).
fn warnings_of(s: &Scenario) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in &s.workloads {
        let threads = match (&w.model, w.workers) {
            (Model::Threads, Workers::Fixed(n)) => Some(n),
            (Model::Threads, Workers::PerTask) => Some(u32::MAX),
            _ => None,
        };
        if let Some(n) = threads.filter(|n| *n >= MANY_THREADS) {
            let mut constant = Vec::new();
            for step in &w.steps {
                constant_short(step, &mut constant);
            }
            if let Some((kind, ns)) = constant.first() {
                let count = if n == u32::MAX {
                    "a thread per task".to_string()
                } else {
                    format!("{n} threads")
                };
                let d = format_ns(*ns);
                out.push((format!("{}/lock-step", w.name), format!(
                    "warning: workload `{}`: `{kind} = \"{d}\"` is a constant microsecond step in {count}: every thread's steps end in lock-step, which real timings never do, and the GIL hand-offs and convoys that follow are artefacts of it; write a distribution, such as {{ {kind} = {{ exp = \"{d}\" }} }} or {{ {kind} = {{ normal = {{ mean = \"{d}\", sd = \"{}\" }} }} }}{}",
                    w.name,
                    format_ns(ns / 10),
                    if constant.len() > 1 {
                        format!(" ({} such steps)", constant.len())
                    } else {
                        String::new()
                    }
                )));
            }
        }
        if let Model::Processes(run) = &w.model
            && run.args_bytes == 0
        {
            out.push((format!("{}/args_bytes", w.name), format!(
                "warning: workload `{}` runs on processes with args_bytes = 0: nothing is pickled to send a task to a worker, while real arguments (even a function reference and a small tuple) pickle to some hundred bytes; set `args_bytes` (and `result_bytes`) to what a task sends and returns",
                w.name
            )));
        }
    }
    out
}

/// Collects the constant steps under 1 ms (CPU, I/O, sleep), nested ones included.
fn constant_short(step: &Step, out: &mut Vec<(&'static str, u64)>) {
    let (kind, dist) = match step {
        Step::Cpu(d) => ("cpu", d),
        Step::CpuHeld(d) => ("cpu_held", d),
        Step::CpuNogil(d) => ("cpu_nogil", d),
        Step::Io(d) => ("io", d),
        Step::Sleep(d) => ("sleep", d),
        Step::BlockingIo(d) => ("blocking_io", d),
        Step::Lock { steps, .. }
        | Step::Semaphore { steps, .. }
        | Step::ToThread(steps)
        | Step::Repeat { steps, .. } => {
            for s in steps {
                constant_short(s, out);
            }
            return;
        }
        Step::Named { step, .. } => return constant_short(step, out),
        Step::OneOf(branches) => {
            for s in branches.iter().flat_map(|b| &b.steps) {
                constant_short(s, out);
            }
            return;
        }
        _ => return,
    };
    if let Dist::Const(ns) = dist
        && *ns > 0
        && *ns < MS
    {
        out.push((kind, *ns));
    }
}

/// A duration as a scenario writes it, in the largest unit that keeps it
/// whole: `5ms`, `50us`, `1500ns`, `0s`.
fn format_ns(ns: u64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    for (unit, per) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns.is_multiple_of(per) {
            return format!("{}{unit}", ns / per);
        }
    }
    format!("{ns}ns")
}

/// Every default the first point relies on: each key neither the file nor a
/// `--set` gives, with the value it takes. `file_text` is the scenario as read.
pub fn defaults(study: &Study, file_text: &str, overrides: &[String]) -> Vec<String> {
    let Ok(doc) = file_text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let sweep = sweep_keys(&doc);
    let given = |key: &str| -> bool {
        let mut table = &doc;
        let mut parts = key.split('.').peekable();
        let mut found = false;
        while let Some(p) = parts.next() {
            match table.get(p) {
                Some(toml::Value::Table(inner)) if parts.peek().is_some() => table = inner,
                Some(_) => {
                    found = parts.peek().is_none();
                    break;
                }
                None => break,
            }
        }
        found
            || overrides.iter().chain(sweep.iter()).any(|o| {
                let k = o.split('=').next().unwrap_or("").trim();
                k.strip_prefix("sweep.").unwrap_or(k) == key
            })
    };
    let s = study.first();
    let mut out = Vec::new();
    let mut add = |key: &str, value: String| {
        if !given(key) {
            out.push(format!("{key} = {value}"));
        }
    };
    add("seed", s.seed.to_string());
    add("machine.cores", s.machine.cores.to_string());
    add("python.version", s.python.version.to_string());
    add(
        "python.switch_interval",
        format_ns(s.python.switch_interval_us.saturating_mul(1_000)),
    );
    add("replications", s.replications.to_string());
    add(
        "duration",
        s.window
            .duration
            .map_or("none (until every task is done)".into(), format_ns),
    );
    add("warmup", format_ns(s.window.warmup));
    let workloads: Vec<&toml::Table> = doc
        .get("workload")
        .and_then(|w| w.as_array())
        .map(|a| a.iter().filter_map(|w| w.as_table()).collect())
        .unwrap_or_default();
    for w in &s.workloads {
        let table = workloads
            .iter()
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(w.name.as_str()));
        let run = table.and_then(|t| t.get("run")).and_then(|r| r.as_table());
        let in_run = |k: &str| {
            run.is_some_and(|r| r.contains_key(k))
                || overrides.iter().chain(sweep.iter()).any(|o| {
                    let key = o.split('=').next().unwrap_or("").trim();
                    let key = key.strip_prefix("sweep.").unwrap_or(key);
                    key == format!("workload.{}.run.{k}", w.name)
                })
        };
        let prefix = format!("workload.{}.run", w.name);
        if !in_run("workers") && !w.model.one_worker() {
            out.push(format!(
                "{prefix}.workers = {} (the pool's default size)",
                w.workers_label()
            ));
        }
        if let Model::Processes(p) = &w.model {
            if !in_run("start_method") {
                out.push(format!("{prefix}.start_method = {}", p.start_method.name()));
            }
            if !in_run("chunksize") && p.chunksize.is_none() {
                out.push(format!("{prefix}.chunksize = the API's default"));
            }
        }
    }
    out
}

/// The keys of the file's `[sweep]` table.
fn sweep_keys(doc: &toml::Table) -> Vec<String> {
    doc.get("sweep")
        .and_then(|s| s.as_table())
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default()
}
