//! Chart axes: [`Axis`], a plotters coordinate that is linear, base-10
//! logarithmic or categorical, with our own choice of ticks and tick labels;
//! and how a line chart picks the axis that spans its values.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    /// Linear.
    Linear,
    /// Base-10 logarithmic; the range is positive.
    Log,
    /// Categories at 0, 1, ..., n-1.
    Categorical(usize),
}

/// A plotters coordinate with our own tick choice and formatting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    /// How values map.
    pub scale: Scale,
    /// Low end of the axis.
    pub lo: f64,
    /// High end of the axis.
    pub hi: f64,
    /// Only whole-number ticks (every value on the axis is an integer: cores, workers).
    pub whole: bool,
}

impl Axis {
    /// A linear axis over `[lo, hi]`.
    pub fn linear(lo: f64, hi: f64) -> Axis {
        Axis {
            scale: Scale::Linear,
            lo,
            hi,
            whole: false,
        }
    }

    /// Where `v` falls on the axis, 0 at `lo` and 1 at `hi`.
    fn frac(&self, v: f64) -> f64 {
        let f = match self.scale {
            Scale::Log => (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10()),
            _ => (v - self.lo) / (self.hi - self.lo),
        };
        if f.is_finite() {
            f.clamp(-4.0, 5.0)
        } else {
            0.0
        }
    }

    /// The linear tick step for at most `max` ticks.
    fn step(&self, max: usize) -> f64 {
        let raw = (self.hi - self.lo) / max.max(1) as f64;
        let step = if raw.is_finite() && raw > 0.0 {
            nice_step(raw)
        } else {
            1.0
        };
        if self.whole { step.max(1.0) } else { step }
    }

    /// The labelled ticks, at most about `max`.
    pub(super) fn majors(&self, max: usize) -> Vec<f64> {
        let max = max.max(2);
        match self.scale {
            Scale::Linear => multiples(self.lo, self.hi, self.step(max)),
            Scale::Log => {
                let (k0, k1) = decades(self.lo, self.hi);
                let ds: Vec<f64> = (k0..=k1)
                    .map(|k| 10f64.powi(k))
                    .filter(|v| self.contains(*v))
                    .collect();
                if ds.len() >= 2 {
                    let every = ds.len().div_ceil(max).max(1);
                    ds.into_iter().step_by(every).collect()
                } else {
                    let all = (k0..=k1)
                        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
                        .filter(|v| self.contains(*v));
                    all.collect()
                }
            }
            Scale::Categorical(n) => {
                let every = n.div_ceil(max).max(1);
                (0..n).step_by(every).map(|i| i as f64).collect()
            }
        }
    }

    /// Unlabelled grid lines between the labelled ones.
    fn minors(&self, max: usize) -> Vec<f64> {
        match self.scale {
            Scale::Linear if self.whole && self.step(max.max(2)) < 2.0 => Vec::new(),
            Scale::Linear => {
                let step = self.step(max.max(2));
                multiples(self.lo, self.hi, step / 2.0)
            }
            Scale::Log => {
                let (k0, k1) = decades(self.lo, self.hi);
                if k1 - k0 > 6 {
                    return Vec::new();
                }
                (k0..=k1)
                    .flat_map(|k| (2..10).map(move |m| m as f64 * 10f64.powi(k)))
                    .filter(|v| self.contains(*v))
                    .collect()
            }
            Scale::Categorical(_) => Vec::new(),
        }
    }

    fn contains(&self, v: f64) -> bool {
        let eps = (self.hi - self.lo).abs() * 1e-9;
        v >= self.lo - eps && v <= self.hi + eps
    }

    /// The label of a tick at `v`.
    pub fn format(&self, v: f64, categories: &[String]) -> String {
        match self.scale {
            Scale::Linear => {
                let step = self.step(10);
                format_number(v, step)
            }
            Scale::Log => format_number(v, v.abs() / 10.0),
            Scale::Categorical(_) => {
                let i = v.round();
                if i >= 0.0 && (i as usize) < categories.len() {
                    categories[i as usize].clone()
                } else {
                    String::new()
                }
            }
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.frac(*value);
        (limit.0 as f64 + f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let mut points = self.majors(hint.bold_points());
        if hint.weight().allow_light_points() {
            points.extend(self.minors(hint.bold_points()));
        }
        points
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m <= 1.0 + 1e-9 {
        1.0
    } else if m <= 2.0 + 1e-9 {
        2.0
    } else if m <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    n * p
}

/// The multiples of `step` in `[lo, hi]`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if !(step > 0.0 && lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    if last < first || last - first > 1000 {
        return Vec::new();
    }
    (first..=last).map(|i| i as f64 * step).collect()
}

/// The decade exponents around `[lo, hi]`.
fn decades(lo: f64, hi: f64) -> (i32, i32) {
    let k0 = lo.log10().floor().clamp(-300.0, 300.0) as i32;
    let k1 = hi.log10().ceil().clamp(-300.0, 300.0) as i32;
    (k0, k1.max(k0))
}

/// A tick label for `v` on an axis whose ticks are `step` apart: as few
/// digits as the step needs, and an exponent for very large or small values.
pub(crate) fn format_number(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v.abs() < step.abs() * 1e-6 || v == 0.0 {
        return "0".to_string();
    }
    let mag = v.abs().log10().floor() as i32;
    let step_mag = if step > 0.0 {
        step.log10().floor() as i32
    } else {
        mag
    };
    if !(-3..6).contains(&mag) {
        let digits = (mag - step_mag).clamp(0, 6) as usize;
        let s = format!("{v:.digits$e}");
        return match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        };
    }
    let decimals = (-step_mag).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Log when all values are positive and span at least a factor of 100.
pub(super) fn auto_log(values: &[f64]) -> bool {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &v in values {
        if v <= 0.0 {
            return false;
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    !values.is_empty() && hi / lo >= 100.0
}

/// A linear or log axis spanning `values`, padded a little. With
/// `from_zero`, a linear axis over values that are all ≥ 0 starts at 0, so a
/// 0.4% difference never looks like a cliff.
pub(super) fn numeric_axis(values: &[f64], log: bool, from_zero: bool) -> Axis {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return if log {
            Axis {
                scale: Scale::Log,
                lo: 1.0,
                hi: 10.0,
                whole: false,
            }
        } else {
            Axis::linear(0.0, 1.0)
        };
    }
    if log {
        let (lo, hi) = if hi / lo < 1.0 + 1e-9 {
            (lo / 2.0, hi * 2.0)
        } else {
            let pad = (hi / lo).powf(0.04);
            (lo / pad, hi * pad)
        };
        return Axis {
            scale: Scale::Log,
            lo,
            hi,
            whole: false,
        };
    }
    let (mut lo, hi) = (lo, hi);
    if from_zero && lo >= 0.0 {
        lo = 0.0;
    }
    if hi - lo <= hi.abs().max(lo.abs()) * 1e-12 {
        let d = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return Axis::linear(lo - d, hi + d);
    }
    let pad = (hi - lo) * 0.05;
    let lo = if lo == 0.0 && from_zero {
        0.0
    } else {
        lo - pad
    };
    Axis::linear(lo, hi + pad)
}
