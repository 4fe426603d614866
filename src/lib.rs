//! gilsim: a deterministic discrete-event simulator of how CPython runs work concurrently.
pub mod calibrate;
pub mod capacity;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod engine;
pub mod failure;
pub mod machine;
pub mod python;
pub mod record;
pub mod report;
pub mod results;
pub mod scenario;
pub mod simulation;
pub mod study;
pub mod workload;
