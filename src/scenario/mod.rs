//! Scenario files: the TOML schema, validation with source spans, overrides.
//!
//! [`load`] reads a file, applies `--set` overrides and returns a validated
//! [`Scenario`] or a [`ScenarioError`] that names the file, line, column and
//! key, rendered like a compiler diagnostic.

pub mod diagnostic;
mod document;
mod overrides;
mod parse;
pub mod units;

pub use diagnostic::ScenarioError;
pub use parse::{load, parse_str};

use std::path::PathBuf;

use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::workload::{RunWindow, Workload};

/// A named counting semaphore from `[semaphores]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaphoreDef {
    /// Its name, as used in `semaphore` steps.
    pub name: String,
    /// How many holders it admits at once.
    pub capacity: u32,
}

/// A validated scenario: everything a run needs, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Output folder name (`[a-z0-9-]`).
    pub name: String,
    /// What question the scenario answers.
    pub description: String,
    /// The scenario seed.
    pub seed: u64,
    /// `duration` and `warmup`.
    pub window: RunWindow,
    /// Number of replications (only 1 is supported so far).
    pub replications: u32,
    /// Cores and OS scheduler.
    pub machine: MachineConfig,
    /// Interpreter and GIL.
    pub python: PythonConfig,
    /// Semaphores, in file order.
    pub semaphores: Vec<SemaphoreDef>,
    /// Lock names, in order of first use in the file.
    pub locks: Vec<String>,
    /// Workloads, in file order.
    pub workloads: Vec<Workload>,
}
