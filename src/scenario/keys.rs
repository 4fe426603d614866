//! The scenario schema's keys: which keys each table takes, and the error
//! for a key that is not one of them (with where it belongs, or the
//! closest valid key). The keys of `[machine]` and `[python]` are those of
//! the parameter table ([`crate::python::params`]).

use super::diagnostic::Diag;
use super::document::{Entry, Table};
use super::typed::{Res, join, list, suggest};
use crate::python::params::{self, Section};

/// Keys of the top level.
pub(super) const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "warmup",
    "replications",
    "machine",
    "python",
    "semaphores",
    "events",
    "conditions",
    "workload",
    "sweep",
    "chart",
];

/// Keys of a `[[workload]]`.
pub(super) const WORKLOAD_KEYS: &[&str] = &[
    "name",
    "steps",
    "tasks",
    "rate",
    "repeat",
    "memory",
    "args_bytes",
    "result_bytes",
    "run",
    "after",
    "queue",
    "channel",
];

/// Keys of `[workload.run]` that every model takes.
pub(super) const RUN_KEYS: &[&str] = &["model", "workers"];

/// Keys of `[workload.run]` that only process pools use.
pub(super) const PROCESS_POOL_KEYS: &[&str] = &["api", "chunksize", "start_method", "transfer"];

/// Where a key of the schema belongs, for a key found in the wrong table.
pub(super) fn home_of(key: &str) -> Option<&'static str> {
    if params::find_in(Section::Machine, key).is_some() {
        Some("in [machine]")
    } else if params::find_in(Section::Python, key).is_some() {
        Some("in [python]")
    } else if matches!(key, "model" | "workers") || PROCESS_POOL_KEYS.contains(&key) {
        Some("in [workload.run]")
    } else if key != "name" && WORKLOAD_KEYS.contains(&key) {
        Some("in [[workload]]")
    } else if key != "name" && TOP_KEYS.contains(&key) {
        Some("at the top level")
    } else {
        None
    }
}

pub(super) fn unknown_key(entry: &Entry, prefix: &str, place: &str, allowed: &[&str]) -> Diag {
    let mut diag = Diag::new(
        format!("unknown key `{}` {place}", entry.key),
        &entry.key_span,
        "unknown key",
    )
    .key(join(prefix, &entry.key));
    if let Some(home) = home_of(&entry.key).filter(|home| !place.ends_with(home)) {
        diag = diag.help(format!("`{}` belongs {home}", entry.key));
    } else if let Some(close) = suggest(&entry.key, allowed) {
        diag = diag.help(format!("did you mean `{close}`?"));
    }
    diag.help(format!("valid keys {place}: {}", list(allowed)))
}

/// Rejects keys not in `allowed`.
pub(super) fn check_keys(table: &Table, prefix: &str, place: &str, allowed: &[&str]) -> Res<()> {
    match table
        .entries
        .iter()
        .find(|e| !allowed.contains(&e.key.as_str()))
    {
        Some(entry) => Err(unknown_key(entry, prefix, place, allowed)),
        None => Ok(()),
    }
}
