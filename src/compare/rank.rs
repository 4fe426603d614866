//! Ranking candidates for a goal: by throughput, by p99 latency, or by
//! memory among those within 10% of the best throughput.

use super::args::Goal;
use super::candidate::Candidate;

/// The candidates that ran, best first for `goal`.
pub fn ranked<'a>(cands: &[&'a Candidate], goal: Goal) -> Vec<&'a Candidate> {
    let mut ran: Vec<&Candidate> = cands
        .iter()
        .copied()
        .filter(|c| c.metrics.is_some())
        .collect();
    let tp = |c: &Candidate| c.metrics.as_ref().map_or(0.0, |m| m.throughput.0);
    let p99 = |c: &Candidate| {
        c.metrics
            .as_ref()
            .and_then(|m| m.p99_ms)
            .map_or(f64::INFINITY, |p| p.0)
    };
    let rss = |c: &Candidate| c.metrics.as_ref().map_or(f64::INFINITY, |m| m.peak_rss_mb);
    match goal {
        Goal::Throughput => ran.sort_by(|a, b| tp(b).total_cmp(&tp(a))),
        Goal::Latency => ran.sort_by(|a, b| p99(a).total_cmp(&p99(b))),
        Goal::Memory => {
            let best = ran.iter().map(|c| tp(c)).fold(0.0, f64::max);
            // Within 10% of the best throughput first, by memory; then the rest by throughput.
            ran.sort_by(|a, b| {
                let ka = tp(a) >= 0.9 * best;
                let kb = tp(b) >= 0.9 * best;
                kb.cmp(&ka).then_with(|| {
                    if ka {
                        rss(a).total_cmp(&rss(b))
                    } else {
                        tp(b).total_cmp(&tp(a))
                    }
                })
            });
        }
    }
    ran
}

/// The best candidate of each model, in ranked order.
pub(super) fn best_per_model<'a>(ranked: &[&'a Candidate]) -> Vec<&'a Candidate> {
    let mut out: Vec<&Candidate> = Vec::new();
    for c in ranked {
        if !out.iter().any(|o| o.model == c.model) {
            out.push(c);
        }
    }
    out
}
