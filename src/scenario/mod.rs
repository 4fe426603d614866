//! Scenario files: the TOML schema, validation with source spans, overrides, sweeps.
//!
//! [`load`] reads a file, applies `--set` overrides and returns a validated
//! [`Scenario`] or a [`ScenarioError`] that names the file, line, column and
//! key, rendered like a compiler diagnostic.
//!
//! - [`builder`]: scenarios written in Rust with types, rendered as a TOML
//!   document and read like a file; typed `--set` overrides.
//! - `load`: the entry points, from bytes to a [`Study`]; `document`: the
//!   owned, span-carrying TOML tree; `overrides`: `--set`; `sweep` and
//!   `chart`: `[sweep]` and `[[chart]]`; `diagnostic`: the errors.
//! - `typed`: reading a value of the tree as a typed value with errors at
//!   its span; `keys`: each table's keys and the unknown-key error;
//!   `param`: a key of the parameter table ([`crate::python::params`]),
//!   read as the kind the table gives and written where the table says.
//! - One validator module per section, each an `impl` of the validator's
//!   state (`validator`, which also reads the top-level keys): `profile`,
//!   `machine`, `python`, `syncs` (`[semaphores]`, `[events]`,
//!   `[conditions]`), `workload`, `run` (`[workload.run]`), `steps` and
//!   `stages` (`after`, `queue`, `channel` and the links).

pub mod builder;
mod chart;
pub mod cost;
pub mod diagnostic;
mod document;
mod keys;
mod limits;
mod load;
mod overrides;
mod param;
mod size;
pub mod sweep;
mod typed;
mod validate;

pub use diagnostic::ScenarioError;
pub use load::{Reader, load, load_study, parse_str, parse_study_str};
pub use size::{EVENTS_PER_SECOND, StudySize};
pub use validate::profile::{ProfileLoadError, ProfileLoader, ProfileParams};

use std::path::PathBuf;

use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::python::runtime::System;
use crate::results::columns::ChartDef;
use crate::workload::{RunWindow, SemaphoreDef, SharedDef, SyncDef, Workload};

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
    /// Number of replications of each point, with seeds derived from `seed`.
    pub replications: u32,
    /// Cores and OS scheduler.
    pub machine: MachineConfig,
    /// Interpreter and GIL.
    pub python: PythonConfig,
    /// Semaphores, in file order.
    pub semaphores: Vec<SemaphoreDef>,
    /// Lock names, in order of first use in the file.
    pub locks: Vec<String>,
    /// Events (`[events]`, file order), then conditions (`[conditions]`).
    pub syncs: Vec<SyncDef>,
    /// `[shared]` variables, in file order.
    pub shared: Vec<SharedDef>,
    /// Workloads, in file order.
    pub workloads: Vec<Workload>,
}

impl Scenario {
    /// What the Python runtime simulates of this scenario.
    pub fn system(&self) -> System<'_> {
        System {
            machine: &self.machine,
            python: &self.python,
            window: self.window,
            semaphores: &self.semaphores,
            locks: &self.locks,
            syncs: &self.syncs,
            shared: &self.shared,
            workloads: &self.workloads,
        }
    }
}

/// One point of a study: the scenario with the sweep's values applied.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyPoint {
    /// Point index, from 0, the last sweep key varying fastest.
    pub index: usize,
    /// The value of each sweep key at this point, as printed in `results.csv`.
    pub values: Vec<String>,
    /// The validated scenario of this point.
    pub scenario: Scenario,
}

/// A scenario file with its sweep expanded: every point validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The swept keys, in file order (then `--set sweep.KEY` order).
    pub sweep_keys: Vec<String>,
    /// Every point; one when there is no sweep.
    pub points: Vec<StudyPoint>,
    /// The `[[chart]]` tables.
    pub charts: Vec<ChartDef>,
}

impl Study {
    /// The first point's scenario.
    pub fn into_first(self) -> Scenario {
        self.points
            .into_iter()
            .next()
            .map(|p| p.scenario)
            .unwrap_or_else(|| unreachable!("a study has at least one point"))
    }

    /// The first point's scenario.
    pub fn first(&self) -> &Scenario {
        &self.points[0].scenario
    }
}
