//! Interpreter parameters (`[python]`, DESIGN 1.3 and 1.5).

use crate::engine::time::{Nanos, US};
use crate::workload::Dist;

/// A CPython version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PyVersion {
    /// Major version (3).
    pub major: u32,
    /// Minor version (8 to 14).
    pub minor: u32,
}

impl std::fmt::Display for PyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The interpreter build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// The default build, with a GIL.
    Gil,
    /// The free-threaded build (3.13t, 3.14t): no GIL unless `gil = 1`.
    FreeThreaded,
}

/// Who gets the GIL when a drop signals its condition variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// The longest-waiting thread (futex order).
    Fifo,
    /// A waiter chosen by a seeded draw.
    Random,
}

/// The interpreter's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PythonConfig {
    /// Python version: picks defaults where versions differ.
    pub version: PyVersion,
    /// Build: with a GIL or free-threaded.
    pub build: Build,
    /// Whether a GIL exists: true for the default build, or a free-threaded build with `gil = 1`.
    pub gil_enabled: bool,
    /// `sys.setswitchinterval`, in whole microseconds (at least 1).
    pub switch_interval_us: u64,
    /// Which waiter a GIL drop signals.
    pub gil_handoff: Handoff,
    /// CPU time from a drop request to the holder's next eval-breaker check point.
    pub check_latency: Dist,
    /// Slow-down of `cpu` steps on a free-threaded build without the GIL.
    pub free_threaded_overhead: f64,
    /// CPU cost of starting a `threading.Thread`. Charged to the new thread,
    /// on a core and without the GIL, before its first `take_gil`; the
    /// submitting thread is not modelled (it would only block in
    /// `Thread.start()` waiting for `_started`).
    pub thread_start: Dist,
    /// CPU cost of releasing and retaking the GIL around a call
    /// (`Py_BEGIN_ALLOW_THREADS` / `Py_END_ALLOW_THREADS` and the call's entry and return).
    pub release_overhead: Dist,
    /// Resident memory of one interpreter process, in bytes.
    pub process_rss: u64,
    /// Resident memory of one thread, in bytes.
    pub thread_rss: u64,
    /// The profile the values came from: `reference` or a path.
    pub profile: String,
}

impl PythonConfig {
    /// Defaults for `version` and `build`.
    pub fn defaults(version: PyVersion, build: Build) -> Self {
        PythonConfig {
            version,
            build,
            gil_enabled: build == Build::Gil,
            switch_interval_us: 5000,
            gil_handoff: Handoff::Fifo,
            check_latency: Dist::LogNormal {
                median: US,
                sigma: 0.5,
            },
            free_threaded_overhead: if version.minor <= 13 { 1.4 } else { 1.08 },
            thread_start: Dist::LogNormal {
                median: 60 * US,
                sigma: 0.3,
            },
            release_overhead: Dist::LogNormal {
                median: 300,
                sigma: 0.3,
            },
            process_rss: 12 * 1024 * 1024,
            thread_rss: 64 * 1024,
            profile: "reference".to_string(),
        }
    }

    /// The switch interval in nanoseconds.
    pub fn switch_interval(&self) -> Nanos {
        self.switch_interval_us.max(1) * US
    }
}

impl Default for PythonConfig {
    fn default() -> Self {
        Self::defaults(
            PyVersion {
                major: 3,
                minor: 11,
            },
            Build::Gil,
        )
    }
}
