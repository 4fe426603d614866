//! Seeded random streams and our own samplers on top of the raw stream.
//!
//! Every stream is a ChaCha8 generator keyed by the scenario seed and a stable
//! name (`seed ⊕ fnv1a("workload/jobs/arrivals")`, expanded with SplitMix64),
//! so adding a workload never shifts another's draws (DESIGN 1.1). Samplers use
//! only the raw 64-bit output and `libm`, so results do not depend on the
//! version of `rand` or on the platform's maths library.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

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
    spare_normal: Option<f64>,
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
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = self.unit_open_low();
        let u2 = self.unit();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare_normal = Some(r * libm::sin(theta));
        r * libm::cos(theta)
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

    /// Lognormal: `median * exp(sigma * z)`.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.standard_normal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
