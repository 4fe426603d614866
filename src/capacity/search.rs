//! The search for one shape's capacity: the highest arrival rate at which
//! the workload's p99 stays within the target and its served rate keeps up
//! with the offered one, by doubling or halving the scenario's own rate
//! until the answer is bracketed, then bisecting (geometric means rounded
//! to 3 significant digits, so every rate tried is one a user can type).

use crate::engine::random::replication_seed;
use crate::failure::Failure;
use crate::results::{KEEP_UP, WorkloadResult};
use crate::scenario::builder::{self, Override};
use crate::simulation::{self, RunError, RunOptions};

use super::Context;

/// Doublings or halvings of the scenario's rate tried before giving up.
const MAX_STEPS: u32 = 12;
/// The bisection stops when the bracket is this narrow (hi / lo).
const PRECISION: f64 = 1.02;

/// One rate tried, and what the runs at it measured (means over the replications).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Arrivals per second asked for (`rate`).
    pub rate: f64,
    /// p99 latency, ms; `None` without completions.
    pub p99_ms: Option<f64>,
    /// Tasks completed per second.
    pub served_per_s: f64,
    /// Tasks arrived per second.
    pub offered_per_s: f64,
    /// Served less than [`KEEP_UP`] of the offered rate, in the mean or
    /// because a run outgrew what gilsim holds.
    pub overloaded: bool,
    /// CPU utilisation of the machine.
    pub cpu_utilization: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: f64,
}

impl Point {
    /// Whether the workload meets the target at this rate.
    pub fn meets(&self, p99_ms: f64) -> bool {
        !self.overloaded && self.p99_ms.is_some_and(|p| p <= p99_ms)
    }
}

/// What the search found for one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The highest rate tried that meets the target, with its figures.
    pub best: Option<Point>,
    /// Every rate tried, in the order tried.
    pub tried: Vec<Point>,
    /// Why the answer is a bound or missing, if it is.
    pub note: Option<String>,
}

/// `x` rounded to 3 significant digits (whole numbers from 1000 up), as a
/// rate written in a scenario reads back.
pub fn round_rate(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return x;
    }
    let decimals = (2 - x.log10().floor() as i32).max(0) as usize;
    format!("{x:.decimals$}").parse().unwrap_or(x)
}

/// The `rate` override for `rate` tasks per second.
pub fn rate_override(w: &str, rate: f64) -> Override {
    Override::text(&format!("workload.{w}.rate"), &format!("{rate}/s"))
}

/// Runs the shape's scenario at `rate`: `Ok(Err(reason))` when the scenario is
/// refused with these overrides (the error is the reason).
fn evaluate(ctx: &Context, shape: &[String], rate: f64) -> Result<Result<Point, String>, Failure> {
    let mut sets = ctx.base.clone();
    sets.extend_from_slice(shape);
    sets.push(rate_override(&ctx.workload, rate).to_arg());
    let study = match ctx.load(&sets) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let scenario = &study.first().clone();
    let reps = scenario.replications.max(1);
    let mut rows: Vec<WorkloadResult> = Vec::new();
    let mut too_large = false;
    for r in 0..reps {
        let options = RunOptions {
            budget: ctx.budget,
            ..RunOptions::default()
        };
        match simulation::run(scenario, replication_seed(scenario.seed, r), options) {
            Ok(out) => {
                if let Some(w) = out
                    .workloads
                    .into_iter()
                    .find(|x| x.workload == ctx.workload)
                {
                    rows.push(w);
                }
            }
            Err(RunError::TooLarge(_)) => too_large = true,
            Err(e) => {
                return Err(Failure::Run(
                    e.report(&format!("the run at {rate}/s (replication {r})")),
                ));
            }
        }
    }
    let mean = |f: &dyn Fn(&WorkloadResult) -> Option<f64>| {
        let xs: Vec<f64> = rows.iter().filter_map(f).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    };
    let served = mean(&|r| Some(r.throughput_per_s)).unwrap_or(0.0);
    let offered = mean(&|r| r.load.map(|l| l.offered_per_s)).unwrap_or(rate);
    Ok(Ok(Point {
        rate,
        p99_ms: mean(&|r| r.latency_ms.map(|l| l[3])),
        served_per_s: served,
        offered_per_s: offered,
        overloaded: too_large || rows.is_empty() || served < KEEP_UP * offered,
        cpu_utilization: mean(&|r| Some(r.cpu_utilization)).unwrap_or(0.0),
        peak_rss_mb: mean(&|r| Some(r.peak_rss_mb)).unwrap_or(0.0),
    }))
}

/// Searches one shape; `Ok(Err(reason))` when its scenario is refused.
pub fn search(ctx: &Context, shape: &[String]) -> Result<Result<Found, String>, Failure> {
    let target = ctx.p99_ms;
    let mut tried: Vec<Point> = Vec::new();
    let at = |rate: f64, tried: &mut Vec<Point>| -> Result<Result<Point, String>, Failure> {
        let p = evaluate(ctx, shape, rate)?;
        if let Ok(p) = &p {
            tried.push(p.clone());
        }
        Ok(p)
    };
    // A rate the scenario refuses (more tasks than gilsim holds, say) is
    // one the shape cannot take: it bounds the search from above.
    let mut refused: Option<String> = None;
    let mut past_start = |rate: f64, tried: &mut Vec<Point>| -> Result<Option<Point>, Failure> {
        match at(rate, tried)? {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                refused.get_or_insert(format!("refused at {rate}/s: {e}"));
                Ok(None)
            }
        }
    };
    let start = round_rate(ctx.start_rate);
    let first = match at(start, &mut tried)? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let (mut lo, mut hi): (Option<Point>, Option<f64>);
    let mut note = None;
    if first.meets(target) {
        lo = Some(first);
        hi = None;
        let mut rate = start;
        for _ in 0..MAX_STEPS {
            rate = round_rate(rate * 2.0);
            match past_start(rate, &mut tried)? {
                Some(p) if p.meets(target) => lo = Some(p),
                _ => {
                    hi = Some(rate);
                    break;
                }
            }
        }
        if hi.is_none() {
            note = Some(format!(
                "meets the target up to {rate}/s, the highest rate tried ({}× the scenario's)",
                1u32 << MAX_STEPS
            ));
        }
    } else {
        lo = None;
        hi = Some(start);
        let mut rate = start;
        for _ in 0..MAX_STEPS {
            rate = round_rate(rate / 2.0);
            if let Some(p) = past_start(rate, &mut tried)?
                && p.meets(target)
            {
                lo = Some(p);
                break;
            }
            hi = Some(rate);
        }
        if lo.is_none() {
            note = Some(format!(
                "misses the target even at {rate}/s, the lowest rate tried (1/{} of the scenario's)",
                1u32 << MAX_STEPS
            ));
        }
    }
    while let (Some(l), Some(h)) = (&lo, hi) {
        if h / l.rate <= PRECISION {
            break;
        }
        let mut mid = round_rate((l.rate * h).sqrt());
        if mid <= l.rate || mid >= h {
            mid = round_rate((l.rate + h) / 2.0);
        }
        if mid <= l.rate || mid >= h {
            break;
        }
        match past_start(mid, &mut tried)? {
            Some(p) if p.meets(target) => lo = Some(p),
            _ => hi = Some(mid),
        }
    }
    if let Some(r) = refused {
        note = Some(match note {
            Some(n) => format!("{n}; {r}"),
            None => r,
        });
    }
    Ok(Ok(Found {
        best: lo,
        tried,
        note,
    }))
}

/// The `--set` arguments of a shape's overrides.
pub fn shape_args(overrides: &[Override]) -> Vec<String> {
    builder::args(overrides)
}

#[cfg(test)]
mod tests {
    use super::round_rate;

    #[test]
    fn rates_round_to_three_significant_digits() {
        assert_eq!(round_rate(412.3456), 412.0);
        assert_eq!(round_rate(41.23456), 41.2);
        assert_eq!(round_rate(0.0123456), 0.0123);
        assert_eq!(round_rate(12345.6), 12346.0);
        assert_eq!(round_rate(100.0), 100.0);
        assert_eq!(format!("{}", round_rate(0.30000000000000004)), "0.3");
    }
}
