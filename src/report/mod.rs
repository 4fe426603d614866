//! Results: streaming statistics, `results.csv`, `manifest.json`, timelines, atomic writes.
pub mod atomic;
pub mod csv;
pub mod manifest;
pub mod stats;
pub mod summary;
pub mod timeline;
