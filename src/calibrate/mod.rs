//! Calibration and validation against real Python (docs/MODEL.md#calibration-and-validation, issue 7).
//!
//! - [`probes`]: the embedded Python probes and how they are run.
//! - [`profile`]: the profile file (`output/calibration/profile.toml`) and
//!   how a scenario applies it.
//! - [`fit`]: parameters that no probe measures directly, fitted by
//!   simulating the probe with gilsim and searching for the value that
//!   minimises the squared log error against the real run.
//! - [`runner`]: `gilsim calibrate`: run the probes, fit, write the profile.
//! - [`validate`]: `gilsim validate`: real workloads not used for fitting,
//!   run for real and simulated with the profile.
//! - [`server`]: the deployment-shape rows of `validate` (a real loopback
//!   server in four shapes under open-loop load).
//! - [`rows`]: the rows of `validation.csv` that `validate` fills and
//!   `chart` draws.
//!
//! Calibrated and validated: the sequential and thread models, process
//! pools (`costs`: process starts, pickling, pipes, `submit`; `fit`:
//! `pickle_message` on `Pool.map`) and asyncio (`costs`: the event loop's
//! callback, poll, task step and task creation). `chart` draws
//! `validation.svg/png`.

pub mod chart;
pub mod costs;
pub mod fit;
pub mod probes;
pub mod profile;
pub mod rows;
pub mod runner;
pub mod server;
pub mod stats;
mod suite;
pub mod validate;

use std::path::PathBuf;

use crate::report::progress::{self, Counting};

/// Options of `gilsim calibrate`.
#[derive(Debug, Clone)]
pub struct CalibrateArgs {
    /// The interpreter (`python3` by default).
    pub python: PathBuf,
    /// Fewer repetitions and shorter probes (within a minute).
    pub quick: bool,
    /// A CPU list (`0`, `0,1`, `0-3`) to pin the probes to.
    pub cores: Option<String>,
    /// The profile to write (default `output/calibration/profile.toml`).
    pub out: PathBuf,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// Options of `gilsim validate`.
#[derive(Debug, Clone)]
pub struct ValidateArgs {
    /// The profile to simulate with (default `output/calibration/profile.toml`).
    pub profile: PathBuf,
    /// The interpreter; `None`: the profile's (`python3` if it has none).
    pub python: Option<PathBuf>,
    /// Fewer repetitions and smaller workloads.
    pub quick: bool,
    /// Scale the simulations' CPU costs by the reference loop's drift
    /// between calibration and validation (measured and reported always).
    pub scale_cpu: bool,
    /// Output folder (default `output/validation`).
    pub out: PathBuf,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// A progress bar of calibration or validation steps on standard error,
/// labelled `prefix`; hidden when not `enabled` (see [`progress::bar`]).
pub(crate) fn progress_bar(len: u64, prefix: &str, enabled: bool) -> indicatif::ProgressBar {
    progress::bar(len, prefix, Counting::Steps, enabled)
}
