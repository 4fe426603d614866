//! Results: streaming statistics, `results.csv`, `manifest.json`, timelines, the Chrome trace, atomic writes.
pub mod atomic;
pub mod csv;
pub mod manifest;
pub mod stats;
pub mod summary;
pub mod timeline;
pub mod trace;
