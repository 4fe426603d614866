//! Summaries of repeated measurements: median, p25..p75, min..max, best-of-N.

use super::profile::Measurement;

/// The `q` quantile (0..=1) of sorted `xs` by linear interpolation; NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// Summarises repetitions; `higher_is_better` picks best-of-N as the
/// maximum (a rate) rather than the minimum (a time). Non-finite values are dropped.
pub fn summarize(values: &[f64], unit: &str, higher_is_better: bool) -> Measurement {
    let mut xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    xs.sort_by(f64::total_cmp);
    let min = xs.first().copied().unwrap_or(f64::NAN);
    let max = xs.last().copied().unwrap_or(f64::NAN);
    Measurement {
        unit: unit.to_string(),
        n: xs.len() as u32,
        median: quantile(&xs, 0.5),
        p25: quantile(&xs, 0.25),
        p75: quantile(&xs, 0.75),
        min,
        max,
        best: if higher_is_better { max } else { min },
    }
}

/// The lognormal sigma implied by an interquartile range (p75/p25 = e^(2·0.6745·σ)),
/// clamped to `[lo, hi]`.
pub fn sigma_from_iqr(m: &Measurement, lo: f64, hi: f64) -> f64 {
    if m.p25 > 0.0 && m.p75 >= m.p25 {
        (libm::log(m.p75 / m.p25) / 1.349).clamp(lo, hi)
    } else {
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_of_five() {
        let m = summarize(&[5.0, 1.0, 3.0, 2.0, 4.0], "ns", false);
        assert_eq!(
            (m.median, m.p25, m.p75, m.best, m.n),
            (3.0, 2.0, 4.0, 1.0, 5)
        );
        let r = summarize(&[5.0, 1.0, f64::NAN], "ops/s", true);
        assert_eq!((r.best, r.n), (5.0, 2));
    }
}
