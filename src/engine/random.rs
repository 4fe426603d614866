//! Seeded random streams and our own samplers on top of the raw stream.
//!
//! Every stream is a ChaCha8 generator keyed by the scenario seed and a stable
//! name (`seed ⊕ fnv1a("workload/jobs/arrivals")`, expanded with SplitMix64),
//! so adding a workload never shifts another's draws (docs/MODEL.md#time-events-and-determinism). Samplers use
//! only the raw 64-bit output, `libm`, and `sqrt` and `round` (exact by
//! IEEE 754, so the hardware's give the same bits), so results do not
//! depend on the version of `rand` or on the platform's maths library.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::engine::time::Nanos;

/// FNV-1a, 64 bit: a hash that never changes between Rust releases.
pub fn stable_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Derives the seed of replication `r` from the scenario seed.
pub fn replication_seed(seed: u64, r: u32) -> u64 {
    if r == 0 {
        return seed;
    }
    let mut s = seed ^ stable_hash(&format!("replication/{r}"));
    splitmix64(&mut s)
}

/// One named random stream.
pub struct Stream {
    rng: ChaCha8Rng,
    /// Box–Muller's second value, for the next call.
    spare_normal: Option<Spare>,
}

/// Box–Muller's second value: computed with the first, or, after a draw
/// whose value did not matter (a lognormal of median 0), kept as its two
/// uniforms and computed only if it is used. Either way the same bits.
#[derive(Clone, Copy)]
enum Spare {
    Value(f64),
    Uniforms(f64, f64),
}

impl Stream {
    /// The stream named `name` under scenario seed `seed`.
    pub fn new(seed: u64, name: &str) -> Self {
        let mut state = seed ^ stable_hash(name);
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Stream {
            rng: ChaCha8Rng::from_seed(key),
            spare_normal: None,
        }
    }

    /// Moves to sub-stream `id` of this stream, at its start: the draws
    /// of one item (a task) whatever the order items are drawn for.
    pub fn substream(&mut self, id: u64) {
        self.rng.set_stream(id);
        self.rng.set_word_pos(0);
        self.spare_normal = None;
    }

    /// A raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform on `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `(0, 1]`: safe to take the logarithm of.
    fn unit_open_low(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer on `[0, n)`, without modulo bias (Lemire's method). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            let m = u128::from(x) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform on `[lo, hi]`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Exponential with mean `mean`.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.unit_open_low())
    }

    /// Standard normal (Box–Muller; the second value is kept for the next call).
    pub fn standard_normal(&mut self) -> f64 {
        match self.spare_normal.take() {
            Some(Spare::Value(z)) => return z,
            Some(Spare::Uniforms(u1, u2)) => {
                let (r, theta) = box_muller(u1, u2);
                return r * libm::sin(theta);
            }
            None => {}
        }
        let u1 = self.unit_open_low();
        let u2 = self.unit();
        let (r, theta) = box_muller(u1, u2);
        // One argument reduction for both: libm's `sincos` runs `sin`'s
        // and `cos`'s kernels on the same reduced angle, the same bits.
        let (sin, cos) = libm::sincos(theta);
        self.spare_normal = Some(Spare::Value(r * sin));
        r * cos
    }

    /// Moves the stream past one standard normal without computing it:
    /// afterwards the stream is where [`Stream::standard_normal`] leaves it.
    fn skip_standard_normal(&mut self) {
        if self.spare_normal.take().is_none() {
            let u1 = self.unit_open_low();
            let u2 = self.unit();
            self.spare_normal = Some(Spare::Uniforms(u1, u2));
        }
    }

    /// Normal with `mean` and `sd`, truncated at 0 by resampling (never clamped).
    pub fn normal_truncated(&mut self, mean: f64, sd: f64) -> f64 {
        if sd <= 0.0 {
            return mean.max(0.0);
        }
        for _ in 0..1000 {
            let x = mean + sd * self.standard_normal();
            if x >= 0.0 {
                return x;
            }
        }
        // A mean this far below zero leaves almost no mass above it; the
        // truncated distribution is then concentrated at 0.
        0.0
    }

    /// Lognormal: `median * exp(sigma * z)`. A median or a sigma of 0
    /// draws its normal all the same (the stream moves as for any other)
    /// and is the median: `z` is finite, so `exp(0 * z)` is exactly 1.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        if median == 0.0 || sigma == 0.0 {
            self.skip_standard_normal();
            return median;
        }
        median * libm::exp(sigma * self.standard_normal())
    }
}

/// Box–Muller's radius and angle from two uniforms.
fn box_muller(u1: f64, u2: f64) -> (f64, f64) {
    (
        (-2.0 * libm::log(u1)).sqrt(),
        2.0 * std::f64::consts::PI * u2,
    )
}

// ----- durations: constants or draws ---------------------------------
/// A duration: a constant or a distribution, in integer nanoseconds
/// (docs/MODEL.md#durations-and-distributions).
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
            // `-0 * ln(u)` rounds to 0: the draw moves the stream, no logarithm.
            Dist::Exp { mean: 0 } => {
                rng.next_u64();
                0
            }
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

impl From<Nanos> for Dist {
    /// A constant duration of `ns` nanoseconds.
    fn from(ns: Nanos) -> Dist {
        Dist::Const(ns)
    }
}

/// `x` rounded to the nearest nanosecond, halves away from zero (as
/// `f64::round`), 0 for a negative or NaN `x`, saturated at `u64::MAX`.
/// Below 2^53 it rounds with integer conversions, exact there (the
/// fraction `x - trunc(x)` is exact), instead of a call to `round`; the
/// half is added without a branch (a fraction's side of 0.5 is a coin
/// toss that a branch mispredicts).
pub fn round_ns(x: f64) -> Nanos {
    const EXACT: f64 = (1u64 << 53) as f64;
    if x <= 0.0 || x.is_nan() {
        0
    } else if x < EXACT {
        let whole = x as i64;
        whole as Nanos + Nanos::from(x - whole as f64 >= 0.5)
    } else if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        x as Nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lognormal_of_median_zero_moves_the_stream_as_any_other() {
        // Odd and even counts of earlier draws: the skipped normal is the
        // first of a Box–Muller pair, then the second.
        for before in 0..2 {
            let mut skipped = Stream::new(3, "ln");
            let mut drawn = Stream::new(3, "ln");
            for _ in 0..before {
                assert_eq!(skipped.lognormal(5.0, 0.3), drawn.lognormal(5.0, 0.3));
            }
            assert_eq!(skipped.lognormal(0.0, 0.3), 0.0);
            let z = drawn.standard_normal();
            assert!(z.is_finite());
            let after: Vec<u64> = (0..3)
                .map(|_| skipped.lognormal(7.0, 0.5).to_bits())
                .collect();
            let want: Vec<u64> = (0..3)
                .map(|_| drawn.lognormal(7.0, 0.5).to_bits())
                .collect();
            assert_eq!(after, want);
        }
    }

    #[test]
    fn sincos_gives_the_bits_of_sin_and_cos() {
        let mut s = Stream::new(11, "angles");
        let tiny = (0..64).map(|k| 2f64.powi(-60 + k / 2) * (1.0 + f64::from(k % 2) / 3.0));
        let steps = (0..4096).map(|k| f64::from(k) * std::f64::consts::FRAC_PI_4 / 512.0);
        let drawn = (0..200_000).map(|_| 2.0 * std::f64::consts::PI * s.unit());
        for theta in tiny.chain(steps).chain(drawn).collect::<Vec<_>>() {
            let (sin, cos) = libm::sincos(theta);
            assert_eq!(sin.to_bits(), libm::sin(theta).to_bits(), "sin {theta}");
            assert_eq!(cos.to_bits(), libm::cos(theta).to_bits(), "cos {theta}");
        }
    }

    #[test]
    fn round_ns_rounds_as_f64_round() {
        let reference = |x: f64| {
            if x <= 0.0 || x.is_nan() {
                0
            } else if x >= u64::MAX as f64 {
                u64::MAX
            } else {
                x.round() as Nanos
            }
        };
        let exact = (1u64 << 53) as f64;
        let mut edges = vec![
            0.0,
            -0.0,
            -1.5,
            f64::NAN,
            f64::INFINITY,
            0.5,
            0.49999999999999994,
            1.5,
            2.5,
            exact - 0.5,
            exact - 1.0,
            exact,
            exact + 2.0,
            1e19,
            u64::MAX as f64,
        ];
        edges.extend([1.0, 3.0, 1e6, 4.5e15].iter().flat_map(|&x: &f64| {
            let up = f64::from_bits(x.to_bits() + 1);
            let down = f64::from_bits(x.to_bits() - 1);
            [
                x,
                up,
                down,
                x + 0.5,
                f64::from_bits((x + 0.5).to_bits() - 1),
            ]
        }));
        let mut s = Stream::new(5, "round");
        edges.extend((0..100_000).map(|k| s.unit() * 10f64.powi(k % 18)));
        for x in edges {
            assert_eq!(round_ns(x), reference(x), "{x:e}");
        }
    }

    #[test]
    fn skipped_draws_give_the_bits_of_drawn_ones() {
        let mut skipped = Stream::new(9, "skip");
        let mut drawn = Stream::new(9, "skip");
        for k in 0..1000u64 {
            let median = (k % 7 * 1000) as f64;
            let full = median * libm::exp(0.0 * drawn.standard_normal());
            assert_eq!(skipped.lognormal(median, 0.0).to_bits(), full.to_bits());
            let exp = round_ns(drawn.exp(0.0));
            assert_eq!(Dist::Exp { mean: 0 }.sample(&mut skipped), exp);
            assert_eq!(
                skipped.lognormal(median + 1.0, 0.4).to_bits(),
                drawn.lognormal(median + 1.0, 0.4).to_bits()
            );
        }
    }

    #[test]
    fn same_name_same_draws_and_names_are_independent() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(7, "x");
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(7, "x");
                move |_| s.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut s = Stream::new(7, "y");
                move |_| s.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn sampler_means_are_close() {
        let mut s = Stream::new(1, "means");
        let n = 200_000;
        let exp: f64 = (0..n).map(|_| s.exp(10.0)).sum::<f64>() / n as f64;
        assert!((exp - 10.0).abs() < 0.15, "exp mean {exp}");
        let ln: f64 = (0..n).map(|_| s.lognormal(2.0, 0.5)).sum::<f64>() / n as f64;
        let expected = 2.0 * (0.125f64).exp();
        assert!((ln - expected).abs() < 0.02, "lognormal mean {ln}");
        let tn: Vec<f64> = (0..n).map(|_| s.normal_truncated(1.0, 2.0)).collect();
        assert!(tn.iter().all(|x| *x >= 0.0));
        let u: f64 = (0..n).map(|_| s.below(6) as f64).sum::<f64>() / n as f64;
        assert!((u - 2.5).abs() < 0.02);
    }
}
