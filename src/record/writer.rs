//! The scenario `gilsim record` writes: one sequential batch workload of the
//! recorded steps, the recording machine's cores and Python, and a header
//! comment with the measured summary and the next commands.

use std::path::Path;

use super::measure::Recording;
use super::phases::{CFunction, Kind, StepFit};
use crate::scenario::builder::{ScenarioBuilder, StepSpec, WorkloadBuilder, step};

/// What the header summarises, per call (means, ns or bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Calls recorded.
    pub calls: usize,
    /// Mean wall time of a call (clean pass), ns.
    pub wall: f64,
    /// Python and C holding the GIL (`cpu`, `cpu_held`), ns.
    pub with_gil: f64,
    /// C without the GIL (`cpu_nogil`), ns.
    pub without_gil: f64,
    /// Waiting without CPU (`io`, `sleep`), ns.
    pub waiting: f64,
    /// Mean pickled size of an item, bytes.
    pub args_bytes: f64,
    /// Mean pickled size of a result, bytes.
    pub result_bytes: f64,
    /// Mean peak allocation of a call (tracemalloc), bytes.
    pub peak_alloc: f64,
    /// Mean bytes pickling an item writes (its objects' reference counts).
    pub written: f64,
    /// Memory the items held after the items function (tracemalloc), per item, bytes.
    pub item_held: f64,
    /// Items that did not pickle (they cannot go to a process pool).
    pub unpicklable: usize,
    /// The profiled pass's time over the clean pass's, in all.
    pub overhead: f64,
}

impl Summary {
    /// The summary of a recording and its steps.
    pub fn of(rec: &Recording, steps: &[StepFit]) -> Summary {
        let n = rec.calls.len().max(1) as f64;
        let mean =
            |f: &dyn Fn(&super::measure::Call) -> f64| rec.calls.iter().map(f).sum::<f64>() / n;
        let of = |kinds: &[Kind]| {
            steps
                .iter()
                .filter(|s| kinds.contains(&s.kind))
                .map(|s| s.dist.mean())
                .sum::<f64>()
                .max(0.0)
        };
        let clean: f64 = rec.calls.iter().map(|c| c.wall as f64).sum();
        let profiled: f64 = rec
            .calls
            .iter()
            .map(|c| c.end.saturating_sub(c.start) as f64)
            .sum();
        Summary {
            calls: rec.calls.len(),
            wall: clean / n,
            with_gil: of(&[Kind::Cpu, Kind::CpuHeld]),
            without_gil: of(&[Kind::CpuNogil]),
            waiting: of(&[Kind::Io, Kind::Sleep]),
            args_bytes: mean(&|c| c.args_bytes.unwrap_or(0) as f64),
            result_bytes: mean(&|c| c.result_bytes.unwrap_or(0) as f64),
            peak_alloc: mean(&|c| c.peak_alloc as f64),
            written: mean(&|c| c.written as f64),
            item_held: rec.items_held_bytes as f64 / n,
            unpicklable: rec.calls.iter().filter(|c| c.args_bytes.is_none()).count(),
            overhead: if clean > 0.0 { profiled / clean } else { 1.0 },
        }
    }
}

/// The scenario name for a function: `record-` and the function's name in
/// lowercase letters, digits and `-`.
pub fn scenario_name(function: &str) -> String {
    let mut name = String::from("record-");
    for c in function.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_end_matches('-').to_string()
}

/// The workload name for a function: its name with `_` written `-`.
pub fn workload_name(function: &str) -> String {
    let n: String = function
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if n.is_empty() { "recorded".into() } else { n }
}

/// A step; a `cpu_nogil` step whose C code takes the GIL back k times
/// before it returns is k + 1 pieces, each followed by taking the GIL
/// (a `cpu_held` of 0 ns), evenly spread: the probe counts the retakes,
/// not where they fall.
fn spec(s: &StepFit) -> StepSpec {
    match s.kind {
        Kind::Cpu => step::cpu(s.dist),
        Kind::CpuHeld => step::cpu_held(s.dist),
        Kind::CpuNogil if s.retakes > 0 => step::repeat(
            s.retakes + 1,
            vec![
                step::cpu_nogil(s.dist.scaled(1.0 / (s.retakes + 1) as f64)),
                step::cpu_held(0),
            ],
        ),
        Kind::CpuNogil => step::cpu_nogil(s.dist),
        Kind::Io => step::io(s.dist),
        Kind::Sleep => step::sleep(s.dist),
    }
}

/// What the scenario is written from.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// `MODULE:FUNCTION` as given.
    pub target: &'a str,
    /// `MODULE:FUNCTION` of the items.
    pub items: &'a str,
    /// The folder the module was imported from.
    pub path: &'a Path,
    /// `--profile`, written into `[python]`.
    pub profile: Option<&'a Path>,
    /// The recording.
    pub rec: &'a Recording,
    /// Its steps.
    pub steps: &'a [StepFit],
    /// The C functions and their classification.
    pub functions: &'a [CFunction],
    /// The `3.N` version the scenario names.
    pub version: String,
    /// Where the scenario goes.
    pub out: &'a Path,
}

/// The scenario builder of a recording.
pub fn builder(src: &Source<'_>) -> ScenarioBuilder {
    let function = src.target.rsplit(':').next().unwrap_or(src.target);
    let function = function.rsplit('.').next().unwrap_or(function);
    let summary = Summary::of(src.rec, src.steps);
    let mut w = WorkloadBuilder::new(&workload_name(function))
        .tasks(src.rec.calls.len() as u64)
        .steps(src.steps.iter().map(spec).collect())
        .args_bytes(summary.args_bytes.round() as u64)
        .result_bytes(summary.result_bytes.round() as u64)
        .sequential();
    if summary.written >= 1.0 {
        w = w.memory(summary.written.round() as u64);
    }
    let mut b = ScenarioBuilder::new(&scenario_name(function))
        .path(src.out)
        .description(&format!(
            "{} over {} items of {}, recorded by gilsim record",
            src.target, summary.calls, src.items
        ))
        .seed(1)
        .cores(src.rec.cores)
        .python("version", src.version.clone());
    if src.rec.free_threaded {
        b = b.python("build", "free-threaded");
    }
    if let Some(p) = src.profile {
        b = b.python("profile", p.display().to_string());
    }
    if let Some((dumps, loads)) = src.rec.pickle_rates() {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        b = b
            .python("pickle_ns_per_byte", round(dumps))
            .python("unpickle_ns_per_byte", round(loads));
    }
    b.workload(w)
}

fn ms(ns: f64) -> String {
    format!("{:.3} ms", ns / 1e6)
}

/// A size in B, KiB or MiB.
pub fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// The header comment: what was measured, how it became steps, what to run next.
pub fn header(src: &Source<'_>, workload: &str) -> String {
    let s = Summary::of(src.rec, src.steps);
    let mut h = vec![
        format!(
            "gilsim record {} --items {} --path {}",
            src.target,
            src.items,
            src.path.display()
        ),
        format!(
            "Python {} ({}), {} core(s); {} call(s) recorded one after another (after one unrecorded warm-up call of {}).",
            src.rec.python,
            src.rec.executable,
            src.rec.cores,
            s.calls,
            ms(src.rec.warmup_ns as f64)
        ),
        format!(
            "Per call (mean): {} wall; Python with the GIL {}, C without the GIL {}, waiting {}.",
            ms(s.wall),
            ms(s.with_gil),
            ms(s.without_gil),
            ms(s.waiting)
        ),
        format!(
            "Pickled: item {}, result {}; the call allocates up to {} (tracemalloc); an item holds {}, of which pickling writes {} (reference counts: `memory`).",
            bytes(s.args_bytes),
            bytes(s.result_bytes),
            bytes(s.peak_alloc),
            bytes(s.item_held),
            bytes(s.written)
        ),
        src.rec.pickle_rates().map_or_else(
            || "Pickling: nothing pickled.".to_string(),
            |(d, l)| {
                format!(
                    "Pickling these items and results: dumps {d:.3} ns/B, loads {l:.3} ns/B (measured; [python] pickle_ns_per_byte, unpickle_ns_per_byte)."
                )
            },
        ),
        format!(
            "Recording overhead: the profiled calls took {:.2}x the clean ones (their steps use the clean pass's CPU time).",
            s.overhead
        ),
    ];
    if s.unpicklable > 0 {
        h.push(format!(
            "{} item(s) do not pickle: a process pool cannot take them.",
            s.unpicklable
        ));
    }
    let classified: Vec<&CFunction> = src.functions.iter().filter(|f| f.kind.is_some()).collect();
    if !classified.is_empty() {
        h.push(
            "C calls of 50 us or more (GIL: share of the time a helper thread could run Python):"
                .into(),
        );
        for f in classified {
            h.push(format!(
                "  {}: {} of {} call(s), {} in all, CPU up to {:.0}% of wall, GIL free {:.0}% -> {}",
                f.name,
                f.long_calls,
                f.calls,
                ms(f.wall as f64),
                f.best_cpu_share * 100.0,
                f.gil_free_share * 100.0,
                f.kind.map_or("python", Kind::key)
            ));
        }
        for s in src.steps.iter().filter(|s| s.retakes > 0) {
            h.push(format!(
                "  a cpu_nogil step takes the GIL back {} time(s) before it returns (beside a thread that always wants the GIL it waited {} switch intervals more at 60 ms than at 20 ms, per 40 ms): written as {} pieces",
                s.retakes,
                s.retakes + 1,
                s.retakes + 1
            ));
        }
    }
    h.push("Steps: lognormal fits with the calls' mean and the spread of their logarithms.".into());
    h.push("Next:".into());
    h.push(format!("  gilsim compare {}", src.out.display()));
    h.push(format!(
        "  gilsim run {} --set workload.{workload}.run.model=threads --set workload.{workload}.run.workers={}",
        src.out.display(),
        src.rec.cores
    ));
    let mut text: String = h.iter().map(|l| format!("# {l}\n")).collect();
    text.push('\n');
    text
}

/// The whole file: header and scenario.
pub fn scenario_text(src: &Source<'_>) -> String {
    let function = src.target.rsplit(':').next().unwrap_or(src.target);
    let function = function.rsplit('.').next().unwrap_or(function);
    let mut text = header(src, &workload_name(function));
    text.push_str(&builder(src).to_toml());
    text
}
