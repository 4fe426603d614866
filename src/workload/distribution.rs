//! Durations that are constants or random draws (DESIGN 1.4).
//!
//! Sampling is done by [`crate::engine::random::Stream`]'s own samplers, so a
//! crate upgrade never changes results.

use crate::engine::random::Stream;
use crate::engine::time::Nanos;

/// A duration: a constant or a distribution, in integer nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Always this many nanoseconds.
    Const(Nanos),
    /// Exponential with this mean.
    Exp { mean: Nanos },
    /// Uniform on `[lo, hi]`.
    Uniform { lo: Nanos, hi: Nanos },
    /// Normal truncated at zero (negative draws are resampled, not clamped).
    Normal { mean: Nanos, sd: Nanos },
    /// Lognormal: `median * exp(sigma * z)`.
    LogNormal { median: Nanos, sigma: f64 },
}

impl Dist {
    /// Draws one duration, rounded to the nearest nanosecond.
    pub fn sample(&self, rng: &mut Stream) -> Nanos {
        match *self {
            Dist::Const(v) => v,
            Dist::Exp { mean } => round_ns(rng.exp(mean as f64)),
            Dist::Uniform { lo, hi } => round_ns(rng.uniform(lo as f64, hi as f64)),
            Dist::Normal { mean, sd } => round_ns(rng.normal_truncated(mean as f64, sd as f64)),
            Dist::LogNormal { median, sigma } => round_ns(rng.lognormal(median as f64, sigma)),
        }
    }

    /// The mean of the distribution, in nanoseconds (used for reporting and checks).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Const(v) => v as f64,
            Dist::Exp { mean } => mean as f64,
            Dist::Uniform { lo, hi } => (lo as f64 + hi as f64) / 2.0,
            // Mean of a normal truncated at zero.
            Dist::Normal { mean, sd } => {
                if sd == 0 {
                    return mean as f64;
                }
                let (m, s) = (mean as f64, sd as f64);
                let a = -m / s;
                let pdf = libm::exp(-0.5 * a * a) / libm::sqrt(2.0 * std::f64::consts::PI);
                let tail = 0.5 * libm::erfc(a / std::f64::consts::SQRT_2);
                m + s * pdf / tail
            }
            Dist::LogNormal { median, sigma } => median as f64 * libm::exp(0.5 * sigma * sigma),
        }
    }

    /// The same shape with every duration multiplied by `factor` (a
    /// slower or faster CPU); the lognormal's spread is unchanged.
    pub fn scaled(&self, factor: f64) -> Dist {
        let f = |v: Nanos| round_ns(v as f64 * factor);
        match *self {
            Dist::Const(v) => Dist::Const(f(v)),
            Dist::Exp { mean } => Dist::Exp { mean: f(mean) },
            Dist::Uniform { lo, hi } => Dist::Uniform {
                lo: f(lo),
                hi: f(hi),
            },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: f(mean),
                sd: f(sd),
            },
            Dist::LogNormal { median, sigma } => Dist::LogNormal {
                median: f(median),
                sigma,
            },
        }
    }

    /// True when every draw is the same value.
    pub fn is_constant(&self) -> bool {
        matches!(self, Dist::Const(_))
    }
}

fn round_ns(x: f64) -> Nanos {
    if x <= 0.0 || x.is_nan() {
        0
    } else if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        libm::round(x) as Nanos
    }
}
