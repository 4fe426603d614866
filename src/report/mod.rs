//! Results: streaming statistics, `results.csv`, `manifest.json`, timelines, line and Gantt charts, atomic writes.
pub mod atomic;
pub mod chart;
pub mod csv;
pub mod gantt;
pub mod manifest;
pub mod stats;
pub mod timeline;
