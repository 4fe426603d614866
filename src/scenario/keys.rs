//! The scenario schema's keys: which keys each table takes (the error for
//! a key that is not one of them is `typed::unknown_key`). The keys of
//! `[machine]` and `[python]` are those of the parameter table
//! ([`crate::python::params`]).

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
    "shared",
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

/// Keys of `[workload.run]` that make a `processes` run a deployment shape.
pub(super) const SHAPE_KEYS: &[&str] = &["per_process", "balance", "preload", "app_memory"];

/// Keys of a shape's `per_process` table.
pub(super) const PER_PROCESS_KEYS: &[&str] = &["model", "workers"];
