//! Simulated time: integer nanoseconds, never floating point.

/// A point in simulated time or a duration, in nanoseconds.
pub type Nanos = u64;

/// One microsecond in nanoseconds.
pub const US: Nanos = 1_000;
/// One millisecond in nanoseconds.
pub const MS: Nanos = 1_000_000;
/// One second in nanoseconds.
pub const S: Nanos = 1_000_000_000;

/// Converts nanoseconds to seconds for reporting only.
pub fn to_secs(t: Nanos) -> f64 {
    t as f64 / S as f64
}

/// Converts nanoseconds to milliseconds for reporting only.
pub fn to_ms(t: Nanos) -> f64 {
    t as f64 / MS as f64
}
