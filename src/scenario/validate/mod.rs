//! The validator's state and the top level of a scenario: `name`,
//! `description`, `seed`, `duration`, `warmup`, `replications`, then each
//! section in the order later ones depend on (profile, machine, python,
//! semaphores, events and conditions, workloads, stage links).

pub(super) mod machine;
pub(super) mod one_of;
pub(super) mod profile;
pub(super) mod python;
pub(super) mod run;
pub(super) mod shared;
pub(super) mod stages;
pub(super) mod steps;
pub(super) mod syncs;
pub(super) mod workload;

use std::cell::RefCell;

use self::profile::ProfileLoader;
use self::stages::PendingAfter;
use crate::python::PyVersion;
use crate::scenario::Scenario;
use crate::scenario::diagnostic::{Diag, Sources, Span};
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::keys::TOP_KEYS;
use crate::scenario::typed::{
    Res, as_str, duration, int_in, missing, misspelled, show_ns, type_error, unknown_key,
};
use crate::workload::{Model, RunWindow, SemaphoreDef, SharedDef, SyncDef};

/// Validation state: what later keys depend on, and the errors found.
///
/// Validation goes on after an error, so that every independent mistake of
/// a file is reported at once; a value that cannot be read is replaced by
/// its default, and what depends on it is not checked (a flag below says
/// so), so that one mistake does not bring a cascade of follow-up errors.
pub(super) struct Validator<'s> {
    /// The file and the `--set` arguments.
    pub(super) sources: &'s Sources<'s>,
    /// Workloads whose `run.model` is swept: keys their model does not use are ignored.
    pub(super) swept_models: &'s [String],
    /// How a `[python] profile` path is loaded (`None`: it is refused).
    pub(super) profiles: Option<ProfileLoader>,
    /// Warnings for standard error, each once per file (a profile's Python version).
    pub(super) warnings: &'s RefCell<Vec<String>>,
    /// Every error found so far, in the order found.
    errors: RefCell<Vec<Diag>>,
    /// The keys refused as unknown so far, and the valid key each looks
    /// like (a `version` in `[machine]`, a `verison` in `[python]`): what
    /// they would set is not known.
    unknown_keys: RefCell<Vec<(String, Option<&'static str>)>>,
    /// The file has a misspelled `[[workload]]`: which table each workload
    /// key belongs to is not known, so neither are their models nor links.
    pub(super) workloads_misspelled: bool,
    /// The scenario has a `duration` (or one that is wrong: what needs
    /// one is then not refused for lack of it).
    pub(super) has_duration: bool,
    /// `machine.cores`.
    pub(super) cores: u32,
    /// `python.version`.
    pub(super) version: PyVersion,
    /// `python.version` was read (false: it is wrong, what depends on it is not checked).
    pub(super) version_known: bool,
    /// `[semaphores]`, in file order.
    pub(super) semaphores: Vec<SemaphoreDef>,
    /// `[semaphores]` was read (false: it is not a table, names are not checked against it).
    pub(super) semaphores_known: bool,
    /// Lock names, in order of first use.
    pub(super) locks: Vec<String>,
    /// `[shared]`, in file order.
    pub(super) shared: Vec<SharedDef>,
    /// `[shared]` was read (false: names are not checked against it).
    pub(super) shared_known: bool,
    /// `[events]` then `[conditions]`.
    pub(super) syncs: Vec<SyncDef>,
    /// `[events]` and `[conditions]` were read (false: names are not checked against them).
    pub(super) events_known: bool,
    /// See `events_known`.
    pub(super) conditions_known: bool,
    /// Per sync: whether its first use was in a coroutine, and where.
    pub(super) sync_uses: Vec<Option<(bool, Span)>>,
    /// The run model of the workload whose steps are being validated.
    pub(super) model: Model,
    /// `model` is the workload's (false: its run is wrong, the steps are
    /// checked without what depends on the model).
    pub(super) model_known: bool,
    /// The steps being validated are inside a `to_thread` body.
    pub(super) in_to_thread: bool,
    /// Some workload has no usable name: an `after` naming an unknown
    /// workload may name it, and is not refused.
    pub(super) unnamed_workload: bool,
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
            errors: RefCell::new(Vec::new()),
            unknown_keys: RefCell::new(Vec::new()),
            workloads_misspelled: false,
            has_duration: false,
            cores: 1,
            version: PyVersion {
                major: 3,
                minor: 11,
            },
            version_known: true,
            semaphores: Vec::new(),
            semaphores_known: true,
            locks: Vec::new(),
            shared: Vec::new(),
            shared_known: true,
            syncs: Vec::new(),
            events_known: true,
            conditions_known: true,
            sync_uses: Vec::new(),
            pending_after: Vec::new(),
            model: Model::Sequential,
            model_known: true,
            swept_models,
            profiles,
            in_to_thread: false,
            unnamed_workload: false,
            warnings,
        }
    }

    /// Records an error and goes on.
    pub(super) fn report(&self, diag: Diag) {
        self.errors.borrow_mut().push(diag);
    }

    /// Records an error; `None`, for a value that cannot be read.
    pub(super) fn fail<T>(&self, diag: Diag) -> Option<T> {
        self.report(diag);
        None
    }

    /// The value, or `None` with its error recorded.
    pub(super) fn ok<T>(&self, result: Res<T>) -> Option<T> {
        result.map_err(|d| self.report(d)).ok()
    }

    /// The value, or `default` with its error recorded.
    pub(super) fn or<T>(&self, result: Res<T>, default: T) -> T {
        self.ok(result).unwrap_or(default)
    }

    /// How many errors have been recorded.
    pub(super) fn error_count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// Records an error for every key of `table` not in `allowed`; true
    /// when there is none.
    pub(super) fn known_keys(
        &self,
        table: &Table,
        prefix: &str,
        place: &str,
        allowed: &[&str],
    ) -> bool {
        let mut all = true;
        for entry in &table.entries {
            if !allowed.contains(&entry.key.as_str()) {
                self.report(unknown_key(entry, prefix, place, allowed));
                let close = crate::scenario::typed::suggest(&entry.key, KNOWN_KEYS);
                self.unknown_keys
                    .borrow_mut()
                    .push((entry.key.clone(), close));
                all = false;
            }
        }
        all
    }

    /// Whether `key` was written where it is not read: refused as an
    /// unknown key, or misspelled (`duraton`). What it sets is then not
    /// known, and what depends on it is not checked.
    pub(super) fn lost(&self, key: &str) -> bool {
        self.unknown_keys
            .borrow()
            .iter()
            .any(|(k, close)| k == key || *close == Some(key))
    }

    /// Validates the document of one point into a scenario, or returns
    /// every error found in it.
    pub(super) fn scenario(&mut self, root: &Table) -> Result<Scenario, Vec<Diag>> {
        let scenario = self.read(root);
        let errors = self.errors.take();
        match scenario {
            Some(s) if errors.is_empty() => Ok(s),
            _ if errors.is_empty() => unreachable!("validation failed without an error"),
            _ => Err(errors),
        }
    }

    fn read(&mut self, root: &Table) -> Option<Scenario> {
        let root_span = Span::file(0..0);
        self.known_keys(root, "", "at the top level", TOP_KEYS);
        let name = self.scenario_name(root, &root_span);
        let description = match root.get("description") {
            Some(e) => self.or(
                as_str(&e.value, "description").map(str::to_string),
                String::new(),
            ),
            None => String::new(),
        };
        let seed = match root.get("seed") {
            Some(e) => self.or(
                int_in(&e.value, "seed", "seed", 0, i128::from(u64::MAX)).map(|s| s as u64),
                0,
            ),
            None => 0,
        };
        // `None`: a duration that cannot be read.
        let duration_value: Option<Option<u64>> = match root.get("duration") {
            Some(e) => self.ok(positive_duration(e)).map(Some),
            None => Some(None),
        };
        self.has_duration = duration_value != Some(None) || self.lost("duration");
        let warmup = match root.get("warmup") {
            Some(e) => self.or(warmup(e, duration_value.flatten()), 0),
            None => 0,
        };
        let replications = match root.get("replications") {
            Some(e) => self.or(replications(e), 1),
            None => 1,
        };

        let profile = self.profile(root.get("python")).unwrap_or_else(|d| {
            self.report(d);
            None
        });
        let machine = self.machine(root.get("machine"), profile.as_ref());
        self.cores = machine.cores;
        let python_misspelled = misspelled(root, TOP_KEYS, &["python"]);
        let python = self.python(root.get("python"), profile.as_ref(), python_misspelled);
        self.version = python.version;
        // A section whose name is misspelled (`[semaphore]`) is refused at
        // its name: the objects it declares are not refused where used.
        let misnamed =
            |section: &str| root.get(section).is_none() && misspelled(root, TOP_KEYS, &[section]);
        self.semaphores_known = !misnamed("semaphores");
        self.events_known = !misnamed("events");
        self.conditions_known = !misnamed("conditions");
        self.shared_known = !misnamed("shared");
        self.shared = self.shared_vars(root.get("shared"));
        self.semaphores = self.semaphores(root.get("semaphores"));
        self.syncs = self.syncs(root.get("events"), root.get("conditions"));
        self.sync_uses = vec![None; self.syncs.len()];

        self.workloads_misspelled = misspelled(root, TOP_KEYS, &["workload"]);
        let Some(workload_entry) = root.get("workload") else {
            if misspelled(root, TOP_KEYS, &["workload"]) {
                return None;
            }
            return self.fail(Diag::new("a scenario needs at least one [[workload]]", &root_span, "no [[workload]] in this file")
                .key("workload")
                .help("add [[workload]] with name, steps and tasks, e.g. name = \"jobs\", tasks = 10, steps = [ { cpu = \"10ms\" } ]"));
        };
        let items = match &workload_entry.value.value {
            Value::Array(items) if items.is_empty() => {
                return self.fail(
                    Diag::new(
                        "a scenario needs at least one [[workload]]",
                        &workload_entry.value.span,
                        "empty",
                    )
                    .key("workload"),
                );
            }
            Value::Array(items) => items,
            // `[workload.run]` under a misspelled `[[workloads]]`: one error.
            Value::Table(_) if misspelled(root, TOP_KEYS, &["workload"]) => return None,
            Value::Table(_) => {
                return self.fail(
                    type_error(
                        &workload_entry.value,
                        "workload",
                        "an array of tables ([[workload]])",
                    )
                    .help("write [[workload]], with double brackets"),
                );
            }
            _ => {
                return self.fail(type_error(
                    &workload_entry.value,
                    "workload",
                    "an array of tables ([[workload]])",
                ));
            }
        };
        let mut workloads = Vec::with_capacity(items.len());
        let mut names: Vec<(String, Span)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            workloads.push(self.workload(index, item, &mut names));
        }
        self.link_stages(&mut workloads, &names);
        if self.error_count() > 0 {
            return None;
        }
        let workloads = workloads.into_iter().collect::<Option<Vec<_>>>()?;

        Some(Scenario {
            path: self.sources.path.to_path_buf(),
            name: name?,
            description,
            seed,
            window: RunWindow {
                duration: duration_value?,
                warmup,
            },
            replications,
            machine,
            python,
            semaphores: std::mem::take(&mut self.semaphores),
            locks: std::mem::take(&mut self.locks),
            syncs: std::mem::take(&mut self.syncs),
            shared: std::mem::take(&mut self.shared),
            workloads,
        })
    }

    /// `name`: it names the output folder `output/<name>`, so it is one
    /// plain folder name.
    fn scenario_name(&self, root: &Table, root_span: &Span) -> Option<String> {
        let Some(name_entry) = root.get("name") else {
            if misspelled(root, TOP_KEYS, &["name"]) {
                return None;
            }
            return self.fail(
                missing(root_span, "name", "", "the scenario needs a name").help(
                    "add a first line such as name = \"my-study\" (lowercase letters, digits and `-`)",
                ),
            );
        };
        let name = self.ok(as_str(&name_entry.value, "name"))?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            let mut diag = Diag::new(
                format!("invalid scenario name \"{name}\""),
                &name_entry.value.span,
                "expected lowercase letters, digits and `-` (it names the output folder)",
            )
            .key("name");
            if name.contains(['/', '\\']) || name.contains("..") {
                diag = diag
                    .note(
                        "the name is one folder name: results go to output/<name>, so it cannot hold `/`, `\\` or `..`, nor be an absolute path",
                    )
                    .help("choose where the results go with `gilsim run FILE --out DIR`");
            }
            return self.fail(diag);
        }
        Some(name.to_string())
    }
}

/// The keys whose loss matters to other checks (see `Validator::lost`).
const KNOWN_KEYS: &[&str] = &[
    "duration", "version", "build", "model", "workers", "run", "workload",
];

/// `duration`: greater than zero.
fn positive_duration(e: &Entry) -> Res<u64> {
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
    Ok(d)
}

/// `warmup`: shorter than `duration` when it is known.
fn warmup(e: &Entry, of_run: Option<u64>) -> Res<u64> {
    let w = duration(&e.value, "warmup")?;
    if let Some(d) = of_run.filter(|&d| w >= d) {
        return Err(Diag::new(
            "warmup must be shorter than duration",
            &e.value.span,
            format!("warmup is {}, duration is {}", show_ns(w), show_ns(d)),
        )
        .key("warmup")
        .relational());
    }
    Ok(w)
}

/// `replications`: 1 to 10000.
fn replications(e: &Entry) -> Res<u32> {
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
    Ok(r as u32)
}
