//! Results: streaming statistics, `results.csv`, `summary.csv`, charts,
//! timelines and their Chrome trace, `manifest.json`, atomic writes, and
//! the progress bars of long commands.
pub mod atomic;
pub mod chart;
pub mod csv;
pub mod figures;
pub mod files;
pub mod gantt;
pub mod manifest;
pub mod pipeline;
pub mod progress;
pub mod summary;
pub mod trace;
