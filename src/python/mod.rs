//! The Python runtime: interpreter parameters, the GIL, threads, locks.
pub mod config;
pub mod gil;
pub mod params;
pub mod program;
pub mod races;
pub mod runtime;
pub mod sync;

pub use config::{Build, Handoff, ProcessConfig, PyVersion, PythonConfig};
