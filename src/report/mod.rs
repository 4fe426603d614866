//! Statistics and output files: `results.csv`, `manifest.json`, atomic writes.
pub mod atomic;
pub mod csv;
pub mod manifest;
pub mod stats;
