//! The Python runtime: interpreter parameters, the GIL, threads, locks.
pub mod config;
pub use config::{Build, Handoff, PyVersion, PythonConfig};
