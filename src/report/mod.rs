//! Statistics and output files: `results.csv`, `manifest.json`.
pub mod stats;
