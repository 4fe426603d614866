//! From measured calls to steps: each C function classified by what the
//! probe saw during its calls, each call cut into at most
//! [`MAX_PHASES`] phases, and the calls merged into one list of steps whose
//! durations are lognormal fits that keep the calls' spread.

use std::collections::BTreeMap;

use super::measure::{Call, Recording};
use crate::engine::random::Dist;
use crate::engine::time::Nanos;

/// At most this many phases per call.
pub const MAX_PHASES: usize = 8;

/// What a phase of a call does, as a gilsim step kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Python code (and short C calls) holding the GIL.
    Cpu,
    /// A C call that used the CPU and kept the GIL.
    CpuHeld,
    /// A C call that used the CPU and let the GIL go.
    CpuNogil,
    /// A C call that waited without CPU (not `time.sleep`).
    Io,
    /// `time.sleep`.
    Sleep,
}

impl Kind {
    /// The step's key in a scenario file.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Cpu => "cpu",
            Kind::CpuHeld => "cpu_held",
            Kind::CpuNogil => "cpu_nogil",
            Kind::Io => "io",
            Kind::Sleep => "sleep",
        }
    }

    fn uses_cpu(self) -> bool {
        matches!(self, Kind::Cpu | Kind::CpuHeld | Kind::CpuNogil)
    }
}

/// How a C function was classified, and on what evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct CFunction {
    /// `module.qualname`.
    pub name: String,
    /// Its calls of 50 µs or more, and all its calls.
    pub long_calls: u64,
    /// See `long_calls`.
    pub calls: u64,
    /// Its long calls' wall time in all, ns.
    pub wall: u64,
    /// The highest CPU / wall of one of its long calls.
    pub best_cpu_share: f64,
    /// Knocker ticks inside its long calls over the ticks expected with the GIL free.
    pub gil_free_share: f64,
    /// `None`: mostly short calls, counted as Python code.
    pub kind: Option<Kind>,
}

/// A share of a C function's long calls during which the helper ran at
/// this rate or more means the function lets the GIL go.
pub const GIL_FREE_SHARE: f64 = 0.3;

/// Per C function: long calls, their wall time, the best CPU share of one,
/// knocker ticks inside them.
type Evidence = (u64, u64, f64, u64);

/// Classifies every C function the calls made: mostly short calls are
/// Python; one whose best call used under half its wall time in CPU waited
/// (`io`, `sleep` for `time.sleep`) when the calls were blocked long enough
/// to hold its waits (the least CPU first); otherwise it computed, with
/// the GIL free when the knocker ran during [`GIL_FREE_SHARE`] of it.
pub fn classify(rec: &Recording) -> Vec<CFunction> {
    let mut by_name: BTreeMap<&str, Evidence> = BTreeMap::new();
    for call in &rec.calls {
        for c in &call.c_calls {
            let wall = c.t1.saturating_sub(c.t0);
            let cpu = c.c1.saturating_sub(c.c0);
            let share = if wall > 0 {
                cpu as f64 / wall as f64
            } else {
                0.0
            };
            let inside = rec.ticks.partition_point(|&t| t < c.t1)
                - rec.ticks.partition_point(|&t| t <= c.t0);
            let e = by_name.entry(&c.name).or_insert((0, 0, 0.0, 0));
            e.0 += 1;
            e.1 += wall;
            e.2 = e.2.max(share);
            e.3 += inside as u64;
        }
    }
    // The calls' time blocked (clean pass) is what waiting C functions can
    // account for: a CPU-bound call that got half a core on a busy machine
    // looks like a wait by its CPU share alone.
    let mut budget: f64 = if rec.calls.iter().all(|c| c.blocked.is_some()) {
        rec.calls.iter().filter_map(|c| c.blocked).sum::<u64>() as f64
    } else {
        f64::INFINITY
    };
    let mut waited: BTreeMap<&str, u64> = BTreeMap::new();
    for call in &rec.calls {
        for c in &call.c_calls {
            *waited.entry(&c.name).or_insert(0) +=
                c.t1.saturating_sub(c.t0)
                    .saturating_sub(c.c1.saturating_sub(c.c0));
        }
    }
    let mut order: Vec<(&str, Evidence)> = by_name.into_iter().collect();
    order.sort_by(|a, b| a.1.2.total_cmp(&b.1.2).then(a.0.cmp(b.0)));
    let mut out: Vec<CFunction> = order
        .into_iter()
        .map(|(name, (long, wall, best, ticks))| {
            let calls = rec
                .c_call_counts
                .get(name)
                .copied()
                .unwrap_or(long)
                .max(long);
            let expected = wall as f64 / rec.knock_period_ns as f64;
            let free = if expected > 0.0 {
                (ticks as f64 / expected).min(1.0)
            } else {
                0.0
            };
            let need = waited.get(name).copied().unwrap_or(0) as f64;
            let kind = if long * 2 < calls {
                None
            } else if best < 0.5 && need <= 1.5 * budget {
                budget = (budget - need).max(0.0);
                Some(if name == "time.sleep" {
                    Kind::Sleep
                } else {
                    Kind::Io
                })
            } else if free >= GIL_FREE_SHARE {
                Some(Kind::CpuNogil)
            } else {
                Some(Kind::CpuHeld)
            };
            CFunction {
                name: name.to_string(),
                long_calls: long,
                calls,
                wall,
                best_cpu_share: best,
                gil_free_share: free,
                kind,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One phase of a call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// What it does.
    pub kind: Kind,
    /// CPU time for CPU kinds, wall time for waits, ns.
    pub ns: f64,
    /// For `cpu_nogil`: times the C code took the GIL back before returning.
    pub retakes: f64,
}

impl Phase {
    fn new(kind: Kind, ns: f64) -> Phase {
        Phase {
            kind,
            ns,
            retakes: 0.0,
        }
    }
}

/// Times a C call that let the GIL go took it back before returning, from
/// the contended passes: each retake (its return included) waited one
/// switch interval and the machine's wake-up delays, so the difference
/// between the passes' waits over the difference between their intervals
/// counts them whatever the delays.
fn retakes_of(call: &Call, name: &str, nth: usize, intervals: [u64; 2]) -> f64 {
    let [short, long] = intervals;
    if long <= short {
        return 0.0;
    }
    let wait = |pass: &[(String, u64, u64)]| {
        pass.iter()
            .filter(|r| r.0 == name)
            .nth(nth)
            .map(|&(_, wall, cpu)| wall.saturating_sub(cpu) as f64)
    };
    match (wait(&call.retakes[0]), wait(&call.retakes[1])) {
        (Some(a), Some(b)) => ((b - a) / (long - short) as f64 - 1.0).round().max(0.0),
        _ => 0.0,
    }
}

/// The phases of one call: the profiled pass's timeline, Python time scaled
/// to the clean pass's CPU (the profiler's hooks inflate it), tiny phases
/// folded into their neighbours, at most [`MAX_PHASES`].
pub fn call_phases(
    call: &Call,
    functions: &BTreeMap<&str, Kind>,
    intervals: [u64; 2],
) -> Vec<Phase> {
    let mut phases: Vec<Phase> = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut cursor = call.cpu_start;
    for c in &call.c_calls {
        let nth = seen.entry(c.name.as_str()).or_insert(0);
        let this = *nth;
        *nth += 1;
        let Some(&kind) = functions.get(c.name.as_str()) else {
            continue;
        };
        phases.push(Phase::new(Kind::Cpu, c.c0.saturating_sub(cursor) as f64));
        let cpu = c.c1.saturating_sub(c.c0) as f64;
        if kind == Kind::CpuNogil {
            phases.push(Phase {
                kind,
                ns: cpu,
                retakes: retakes_of(call, &c.name, this, intervals),
            });
        } else if kind.uses_cpu() {
            phases.push(Phase::new(kind, cpu));
        } else {
            phases.push(Phase::new(Kind::CpuNogil, cpu));
            phases.push(Phase::new(kind, c.t1.saturating_sub(c.t0) as f64 - cpu));
        }
        cursor = c.c1.max(cursor);
    }
    phases.push(Phase::new(
        Kind::Cpu,
        call.cpu_end.saturating_sub(cursor) as f64,
    ));
    let profiled_python: f64 = phases
        .iter()
        .filter(|p| p.kind == Kind::Cpu)
        .map(|p| p.ns)
        .sum();
    let c_cpu: f64 = phases
        .iter()
        .filter(|p| matches!(p.kind, Kind::CpuHeld | Kind::CpuNogil))
        .map(|p| p.ns)
        .sum();
    let clean_python = (call.thread_cpu as f64 - c_cpu).max(0.0);
    let scale = if profiled_python > 0.0 {
        clean_python / profiled_python
    } else {
        0.0
    };
    for p in phases.iter_mut().filter(|p| p.kind == Kind::Cpu) {
        p.ns *= scale;
    }
    tidy(phases)
}

/// Folds phases under 2% of the call (at least 20 µs) into the one before
/// (or after), merges neighbours of one kind, and beyond [`MAX_PHASES`]
/// keeps one phase per kind, in order of first appearance.
pub fn tidy(phases: Vec<Phase>) -> Vec<Phase> {
    let total: f64 = phases.iter().map(|p| p.ns.max(0.0)).sum();
    let tiny = (total * 0.02).max(20_000.0);
    let mut out: Vec<Phase> = Vec::new();
    let mut carry = 0.0;
    for p in phases {
        let ns = p.ns.max(0.0);
        if ns < tiny {
            match out.last_mut() {
                Some(last) => last.ns += ns,
                None => carry += ns,
            }
            continue;
        }
        match out.last_mut() {
            Some(last) if last.kind == p.kind => {
                last.ns += ns;
                last.retakes += p.retakes;
            }
            _ => out.push(Phase {
                ns: ns + carry,
                ..p
            }),
        }
        carry = 0.0;
    }
    if out.is_empty() {
        return vec![Phase::new(Kind::Cpu, total)];
    }
    if out.len() > MAX_PHASES {
        let mut by_kind: Vec<Phase> = Vec::new();
        for p in out {
            match by_kind.iter_mut().find(|q| q.kind == p.kind) {
                Some(q) => {
                    q.ns += p.ns;
                    q.retakes += p.retakes;
                }
                None => by_kind.push(p),
            }
        }
        return by_kind;
    }
    out
}

/// A step of the recorded workload: its kind, its fitted distribution and
/// the values it was fitted to.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFit {
    /// The step kind.
    pub kind: Kind,
    /// The fitted distribution.
    pub dist: Dist,
    /// The phase's value in each call, ns.
    pub values: Vec<f64>,
    /// For `cpu_nogil`: times the C code takes the GIL back before it
    /// returns (the median over the calls of the most common shape).
    pub retakes: u64,
}

/// Merges the calls' phases into one list of steps: the most common
/// sequence of kinds (the first seen among equals) is the steps' order;
/// each call's time of a kind is shared among that kind's steps as the
/// calls of that shape share it (median shares); kinds missing from the
/// shape are appended. Each step is fitted with [`fit`].
pub fn merge(calls: &[Vec<Phase>]) -> Vec<StepFit> {
    let shapes: Vec<Vec<Kind>> = calls
        .iter()
        .map(|c| c.iter().map(|p| p.kind).collect())
        .collect();
    let mut counts: Vec<(&Vec<Kind>, usize)> = Vec::new();
    for s in &shapes {
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some(e) => e.1 += 1,
            None => counts.push((s, 1)),
        }
    }
    let best = counts.iter().map(|c| c.1).max().unwrap_or(0);
    let mut shape: Vec<Kind> = counts
        .iter()
        .find(|c| c.1 == best)
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let totals: Vec<BTreeMap<Kind, f64>> = calls
        .iter()
        .map(|c| {
            let mut t = BTreeMap::new();
            for p in c {
                *t.entry(p.kind).or_insert(0.0) += p.ns;
            }
            t
        })
        .collect();
    let modal = shape.clone();
    for t in &totals {
        for &k in t.keys() {
            if !shape.contains(&k) {
                shape.push(k);
            }
        }
    }
    let mut shares: Vec<f64> = shape
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let mut s: Vec<f64> = calls
                .iter()
                .zip(&shapes)
                .zip(&totals)
                .filter(|((_, sh), _)| **sh == modal)
                .filter_map(|((c, _), t)| {
                    let total = t.get(&k).copied().unwrap_or(0.0);
                    (j < c.len() && total > 0.0).then(|| c[j].ns / total)
                })
                .collect();
            s.sort_by(f64::total_cmp);
            if s.is_empty() { 1.0 } else { s[s.len() / 2] }
        })
        .collect();
    for &k in &shape {
        let sum: f64 = shape
            .iter()
            .zip(&shares)
            .filter(|(kk, _)| **kk == k)
            .map(|(_, s)| *s)
            .sum();
        if sum > 0.0 {
            for (kk, s) in shape.iter().zip(shares.iter_mut()) {
                if *kk == k {
                    *s /= sum;
                }
            }
        }
    }
    shape
        .iter()
        .zip(&shares)
        .enumerate()
        .map(|(j, (&kind, &share))| {
            let values: Vec<f64> = totals
                .iter()
                .map(|t| t.get(&kind).copied().unwrap_or(0.0) * share)
                .collect();
            let mut retakes: Vec<f64> = calls
                .iter()
                .zip(&shapes)
                .filter(|(c, sh)| **sh == modal && j < c.len())
                .map(|(c, _)| c[j].retakes)
                .collect();
            retakes.sort_by(f64::total_cmp);
            StepFit {
                kind,
                dist: fit(&values),
                values,
                retakes: retakes
                    .get(retakes.len() / 2)
                    .map_or(0, |r| r.round() as u64),
            }
        })
        .filter(|s| s.dist.mean() >= 1.0)
        .collect()
}

/// The largest sigma a fit keeps.
pub const MAX_SIGMA: f64 = 2.0;

/// A lognormal with the values' mean and the spread of their logarithms
/// (zeros count in the mean, not in the spread); a constant when fewer than
/// two values are positive or they differ by less than 1%.
pub fn fit(values: &[f64]) -> Dist {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| v.ln())
        .collect();
    let (lo, hi) = values.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    if logs.len() < 2 || hi - lo <= 0.01 * mean {
        return Dist::Const(mean.round() as Nanos);
    }
    let m = logs.iter().sum::<f64>() / logs.len() as f64;
    let var = logs.iter().map(|l| (l - m).powi(2)).sum::<f64>() / (logs.len() - 1) as f64;
    let sigma = var.sqrt().min(MAX_SIGMA);
    let median = mean / (sigma * sigma / 2.0).exp();
    Dist::LogNormal {
        median: median.round().max(1.0) as Nanos,
        sigma: (sigma * 1000.0).round() / 1000.0,
    }
}
