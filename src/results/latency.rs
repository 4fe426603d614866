//! Streaming statistics: bounded memory whatever the simulated time.

use hdrhistogram::Histogram;

use crate::engine::time::Nanos;

/// Task latencies: an HDR histogram (3 significant digits) plus exact count, sum and max.
pub struct LatencyStats {
    histogram: Histogram<u64>,
    count: u64,
    sum: u128,
    max: Nanos,
}

impl Default for LatencyStats {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyStats {
    /// An empty record.
    pub fn new() -> Self {
        // 3 significant digits, auto-resizing: memory grows with the range of values, not their count.
        let histogram =
            Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"));
        LatencyStats {
            histogram,
            count: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, latency: Nanos) {
        // The histogram cannot hold 0; a zero latency is recorded as 1 ns.
        let _ = self.histogram.record(latency.max(1));
        self.count += 1;
        self.sum += u128::from(latency);
        self.max = self.max.max(latency);
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean, in nanoseconds.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The `q` quantile (0..=1), in nanoseconds. The histogram reports the
    /// top of a bucket (3 significant digits), which can lie above the exact
    /// maximum: a quantile is never shown above it.
    pub fn quantile(&self, q: f64) -> Option<Nanos> {
        (self.count > 0).then(|| self.histogram.value_at_quantile(q).min(self.max))
    }

    /// The largest latency, in nanoseconds.
    pub fn max(&self) -> Option<Nanos> {
        (self.count > 0).then_some(self.max)
    }
}
