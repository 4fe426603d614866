//! The validator's state and the top level of a scenario: `name`,
//! `description`, `seed`, `duration`, `warmup`, `replications`, then each
//! section in the order later ones depend on (profile, machine, python,
//! semaphores, events and conditions, workloads, stage links).

pub(super) mod machine;
pub(super) mod profile;
pub(super) mod python;
pub(super) mod run;
pub(super) mod stages;
pub(super) mod steps;
pub(super) mod syncs;
pub(super) mod workload;

use std::cell::RefCell;

use self::profile::ProfileLoader;
use self::stages::PendingAfter;
use self::syncs::{semaphores, syncs};
use crate::python::PyVersion;
use crate::scenario::Scenario;
use crate::scenario::diagnostic::{Diag, Sources, Span};
use crate::scenario::document::{Table, Value};
use crate::scenario::keys::TOP_KEYS;
use crate::scenario::typed::unknown_key;
use crate::scenario::typed::{Res, as_str, duration, int_in, missing, show_ns, type_error};
use crate::workload::{Model, RunWindow, SemaphoreDef, SyncDef};

/// Validation state: what later keys depend on.
pub(super) struct Validator<'s> {
    /// The file and the `--set` arguments.
    pub(super) sources: &'s Sources<'s>,
    /// Workloads whose `run.model` is swept: keys their model does not use are ignored.
    pub(super) swept_models: &'s [String],
    /// How a `[python] profile` path is loaded (`None`: it is refused).
    pub(super) profiles: Option<ProfileLoader>,
    /// Warnings for standard error, each once per file (a profile's Python version).
    pub(super) warnings: &'s RefCell<Vec<String>>,
    /// The scenario has a `duration`.
    pub(super) has_duration: bool,
    /// `machine.cores`.
    pub(super) cores: u32,
    /// `python.version`.
    pub(super) version: PyVersion,
    /// `[semaphores]`, in file order.
    pub(super) semaphores: Vec<SemaphoreDef>,
    /// Lock names, in order of first use.
    pub(super) locks: Vec<String>,
    /// `[events]` then `[conditions]`.
    pub(super) syncs: Vec<SyncDef>,
    /// Per sync: whether its first use was in a coroutine, and where.
    pub(super) sync_uses: Vec<Option<(bool, Span)>>,
    /// The run model of the workload whose steps are being validated.
    pub(super) model: Model,
    /// The steps being validated are inside a `to_thread` body.
    pub(super) in_to_thread: bool,
    /// `after` links waiting for every workload's name: per stage, its index,
    /// the `after` value's span and each upstream name with its span.
    pub(super) pending_after: Vec<PendingAfter>,
}

impl<'s> Validator<'s> {
    /// A validator for one point of the file in `sources`.
    pub(super) fn new(
        sources: &'s Sources<'s>,
        swept_models: &'s [String],
        profiles: Option<ProfileLoader>,
        warnings: &'s RefCell<Vec<String>>,
    ) -> Self {
        Validator {
            sources,
            has_duration: false,
            cores: 1,
            version: PyVersion {
                major: 3,
                minor: 11,
            },
            semaphores: Vec::new(),
            locks: Vec::new(),
            syncs: Vec::new(),
            sync_uses: Vec::new(),
            pending_after: Vec::new(),
            model: Model::Sequential,
            swept_models,
            profiles,
            in_to_thread: false,
            warnings,
        }
    }

    /// Validates the document of one point into a scenario.
    pub(super) fn scenario(&mut self, root: &Table) -> Res<Scenario> {
        let root_span = Span::file(0..0);
        for entry in &root.entries {
            match entry.key.as_str() {
                key if !TOP_KEYS.contains(&key) => {
                    return Err(unknown_key(entry, "", "at the top level", TOP_KEYS));
                }
                _ => {}
            }
        }

        let name_entry = root.get("name").ok_or_else(|| {
            missing(&root_span, "name", "", "the scenario needs a name").help(
                "add a first line such as name = \"my-study\" (lowercase letters, digits and `-`)",
            )
        })?;
        let name = as_str(&name_entry.value, "name")?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Diag::new(
                format!("invalid scenario name \"{name}\""),
                &name_entry.value.span,
                "expected lowercase letters, digits and `-` (it names the output folder)",
            )
            .key("name"));
        }

        let description = match root.get("description") {
            Some(e) => as_str(&e.value, "description")?.to_string(),
            None => String::new(),
        };
        let seed = match root.get("seed") {
            Some(e) => int_in(&e.value, "seed", "seed", 0, i128::from(u64::MAX))? as u64,
            None => 0,
        };
        let duration_value = match root.get("duration") {
            Some(e) => {
                let d = duration(&e.value, "duration")?;
                if d == 0 {
                    return Err(Diag::new(
                        "duration must be greater than zero",
                        &e.value.span,
                        "expected a positive duration",
                    )
                    .key("duration")
                    .help("leave `duration` out to run until every task is done"));
                }
                Some(d)
            }
            None => None,
        };
        self.has_duration = duration_value.is_some();
        let warmup = match root.get("warmup") {
            Some(e) => {
                let w = duration(&e.value, "warmup")?;
                if let Some(d) = duration_value.filter(|&d| w >= d) {
                    return Err(Diag::new(
                        "warmup must be shorter than duration",
                        &e.value.span,
                        format!("warmup is {}, duration is {}", show_ns(w), show_ns(d)),
                    )
                    .key("warmup"));
                }
                w
            }
            None => 0,
        };
        let replications = match root.get("replications") {
            Some(e) => {
                let r = int_in(
                    &e.value,
                    "replications",
                    "replications",
                    1,
                    i128::from(u32::MAX),
                )?;
                if r > 10_000 {
                    return Err(Diag::new(
                        "replications must be at most 10000",
                        &e.value.span,
                        "expected an integer from 1 to 10000",
                    )
                    .key("replications"));
                }
                r as u32
            }
            None => 1,
        };

        let profile = self.profile(root.get("python"))?;
        let machine = self.machine(root.get("machine"), profile.as_ref())?;
        self.cores = machine.cores;
        let python = self.python(root.get("python"), profile.as_ref())?;
        self.version = python.version;
        self.semaphores = semaphores(root.get("semaphores"))?;
        self.syncs = syncs(root.get("events"), root.get("conditions"))?;
        self.sync_uses = vec![None; self.syncs.len()];

        let workload_entry = root.get("workload").ok_or_else(|| {
            Diag::new("a scenario needs at least one [[workload]]", &root_span, "no [[workload]] in this file")
                .key("workload")
                .help("add [[workload]] with name, steps and tasks, e.g. name = \"jobs\", tasks = 10, steps = [ { cpu = \"10ms\" } ]")
        })?;
        let items = match &workload_entry.value.value {
            Value::Array(items) if items.is_empty() => {
                return Err(Diag::new(
                    "a scenario needs at least one [[workload]]",
                    &workload_entry.value.span,
                    "empty",
                )
                .key("workload"));
            }
            Value::Array(items) => items,
            Value::Table(_) => {
                return Err(type_error(
                    &workload_entry.value,
                    "workload",
                    "an array of tables ([[workload]])",
                )
                .help("write [[workload]], with double brackets"));
            }
            _ => {
                return Err(type_error(
                    &workload_entry.value,
                    "workload",
                    "an array of tables ([[workload]])",
                ));
            }
        };
        let mut workloads = Vec::with_capacity(items.len());
        let mut names: Vec<(String, Span)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            workloads.push(self.workload(index, item, &mut names)?);
        }
        self.link_stages(&mut workloads)?;

        Ok(Scenario {
            path: self.sources.path.to_path_buf(),
            name: name.to_string(),
            description,
            seed,
            window: RunWindow {
                duration: duration_value,
                warmup,
            },
            replications,
            machine,
            python,
            semaphores: std::mem::take(&mut self.semaphores),
            locks: std::mem::take(&mut self.locks),
            syncs: std::mem::take(&mut self.syncs),
            workloads,
        })
    }
}
