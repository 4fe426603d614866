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

/// Classifies every C function the calls made.
pub fn classify(rec: &Recording) -> Vec<CFunction> {
    let mut by_name: BTreeMap<&str, (u64, u64, f64, u64)> = BTreeMap::new();
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
    by_name
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
            let kind = if long * 2 < calls {
                None
            } else if best < 0.5 {
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
        .collect()
}

/// One phase: its kind and duration (CPU time for CPU kinds, wall time for waits), ns.
pub type Phase = (Kind, f64);

/// The phases of one call: the profiled pass's timeline, Python time scaled
/// to the clean pass's CPU (the profiler's hooks inflate it), tiny phases
/// folded into their neighbours, at most [`MAX_PHASES`].
pub fn call_phases(call: &Call, functions: &BTreeMap<&str, Kind>) -> Vec<Phase> {
    let mut phases: Vec<Phase> = Vec::new();
    let mut cursor = call.cpu_start;
    for c in &call.c_calls {
        let Some(&kind) = functions.get(c.name.as_str()) else {
            continue;
        };
        phases.push((Kind::Cpu, c.c0.saturating_sub(cursor) as f64));
        let cpu = c.c1.saturating_sub(c.c0) as f64;
        if kind.uses_cpu() {
            phases.push((kind, cpu));
        } else {
            phases.push((Kind::CpuNogil, cpu));
            phases.push((kind, c.t1.saturating_sub(c.t0) as f64 - cpu));
        }
        cursor = c.c1.max(cursor);
    }
    phases.push((Kind::Cpu, call.cpu_end.saturating_sub(cursor) as f64));
    let profiled_python: f64 = phases
        .iter()
        .filter(|p| p.0 == Kind::Cpu)
        .map(|p| p.1)
        .sum();
    let c_cpu: f64 = phases
        .iter()
        .filter(|p| matches!(p.0, Kind::CpuHeld | Kind::CpuNogil))
        .map(|p| p.1)
        .sum();
    let clean_python = (call.thread_cpu as f64 - c_cpu).max(0.0);
    let scale = if profiled_python > 0.0 {
        clean_python / profiled_python
    } else {
        0.0
    };
    for p in phases.iter_mut().filter(|p| p.0 == Kind::Cpu) {
        p.1 *= scale;
    }
    tidy(phases)
}

/// Folds phases under 2% of the call (at least 20 µs) into the one before
/// (or after), merges neighbours of one kind, and beyond [`MAX_PHASES`]
/// keeps one phase per kind, in order of first appearance.
pub fn tidy(phases: Vec<Phase>) -> Vec<Phase> {
    let total: f64 = phases.iter().map(|p| p.1.max(0.0)).sum();
    let tiny = (total * 0.02).max(20_000.0);
    let mut out: Vec<Phase> = Vec::new();
    let mut carry = 0.0;
    for (kind, d) in phases {
        let d = d.max(0.0);
        if d < tiny {
            match out.last_mut() {
                Some(last) => last.1 += d,
                None => carry += d,
            }
            continue;
        }
        match out.last_mut() {
            Some(last) if last.0 == kind => last.1 += d,
            _ => out.push((kind, d + carry)),
        }
        carry = 0.0;
    }
    if out.is_empty() {
        return vec![(Kind::Cpu, total)];
    }
    if out.len() > MAX_PHASES {
        let mut by_kind: Vec<Phase> = Vec::new();
        for (kind, d) in out {
            match by_kind.iter_mut().find(|p| p.0 == kind) {
                Some(p) => p.1 += d,
                None => by_kind.push((kind, d)),
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
}

/// Merges the calls' phases into one list of steps: the most common
/// sequence of kinds (the first seen among equals) is the steps' order;
/// each call's time of a kind is shared among that kind's steps as the
/// calls of that shape share it (median shares); kinds missing from the
/// shape are appended. Each step is fitted with [`fit`].
pub fn merge(calls: &[Vec<Phase>]) -> Vec<StepFit> {
    let shapes: Vec<Vec<Kind>> = calls
        .iter()
        .map(|c| c.iter().map(|p| p.0).collect())
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
            for &(k, d) in c {
                *t.entry(k).or_insert(0.0) += d;
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
                    (j < c.len() && total > 0.0).then(|| c[j].1 / total)
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
        .map(|(&kind, &share)| {
            let values: Vec<f64> = totals
                .iter()
                .map(|t| t.get(&kind).copied().unwrap_or(0.0) * share)
                .collect();
            StepFit {
                kind,
                dist: fit(&values),
                values,
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
