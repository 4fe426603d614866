//! Reading and validating scenario files (DESIGN section 3).
//!
//! The file is parsed with spans ([`toml::de::DeTable`]), turned into an owned
//! tree, edited by the `--set` overrides, then validated key by key into a
//! [`Scenario`]. Validation stops at the first error, which points at the
//! offending key or value.

use std::cell::RefCell;
use std::path::Path;

use toml::de::DeTable;

use super::diagnostic::{Diag, ScenarioError, Sources, Span};
use super::document::{Entry, Node, Table, Value, table_from_toml};
use super::{Scenario, Study, StudyPoint, overrides, sweep};
use crate::calibrate::profile::{Profile, ProfileError};
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::engine::units::{UnitError, parse_duration, parse_rate, parse_size};
use crate::machine::MachineConfig;
use crate::python::{Build, Handoff, PyVersion, PythonConfig};
use crate::workload::{
    Arrival, Model, ProcessApi, ProcessRun, RunWindow, StageChannel, StartMethod, Step, Transfer,
    Workers, Workload,
};
use crate::workload::{SemaphoreDef, SyncDef};

/// Reads, overrides and validates the scenario file at `path`: the first
/// point of its sweep (the whole scenario when it has none).
///
/// `overrides` are `--set KEY=VALUE` arguments, applied before validation.
/// A file that is not UTF-8 is an error pointing at its first bad byte.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    load_study(path, overrides).map(Study::into_first)
}

/// Reads, overrides and validates the scenario file at `path` with every
/// point of its sweep.
pub fn load_study(path: &Path, overrides: &[String]) -> Result<Study, ScenarioError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::bare(path, format!("cannot read {}: {e}", path.display())))?;
    match String::from_utf8(bytes) {
        Ok(text) => parse_study_str(&text, path, overrides),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bad = e.as_bytes().get(at).copied().unwrap_or(0);
            let lossy = String::from_utf8_lossy(e.as_bytes());
            let (text, at) = match lossy.strip_prefix('\u{feff}') {
                Some(rest) => (rest, at.saturating_sub('\u{feff}'.len_utf8())),
                None => (lossy.as_ref(), at),
            };
            let diag = Diag::new(
                "the file is not valid UTF-8",
                &Span::file(at..at + char::REPLACEMENT_CHARACTER.len_utf8()),
                format!("invalid byte 0x{bad:02X}"),
            )
            .help("save the scenario file as UTF-8");
            let sources = Sources {
                path,
                file: text,
                overrides,
            };
            Err(ScenarioError::render(diag, &sources))
        }
    }
}

/// Parses, overrides and validates a scenario given as text; `path` is used
/// in messages and stored in the [`Scenario`]. Returns the first point of
/// its sweep.
pub fn parse_str(
    source: &str,
    path: &Path,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    parse_study_str(source, path, overrides).map(Study::into_first)
}

/// Parses, overrides and validates a scenario given as text, with every
/// point of its sweep.
pub fn parse_study_str(
    source: &str,
    path: &Path,
    overrides: &[String],
) -> Result<Study, ScenarioError> {
    // A byte-order mark is not part of the first line's columns.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let sources = Sources {
        path,
        file: source,
        overrides,
    };
    parse_document(&sources).map_err(|diag| ScenarioError::render(diag, &sources))
}

fn parse_document(sources: &Sources<'_>) -> Result<Study, Diag> {
    let mut root = match DeTable::parse(sources.file) {
        Ok(table) => table_from_toml(table.into_inner(), &Span::file),
        Err(e) => {
            let span = Span::file(e.span().unwrap_or(0..0));
            let message = e.message().trim().replace('\n', "; ");
            return Err(Diag::new("the file is not valid TOML", &span, message)
                .help("see https://toml.io for the syntax"));
        }
    };
    let mut axes = sweep::axes(root.get("sweep"), sources)?;
    root.entries.retain(|e| e.key != "sweep");
    // Charts may still name a key that a --set took out of the sweep.
    let mut chart_keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    overrides::apply(&mut root, &mut axes, sources.overrides)?;
    let count = sweep::check_axes(&axes)?;
    let chart_entry = root.get("chart").cloned();
    root.entries.retain(|e| e.key != "chart");
    let sweep_keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    let swept_models: Vec<String> = axes
        .iter()
        .filter_map(|a| {
            let parts: Vec<&str> = a.key.split('.').collect();
            match parts.as_slice() {
                ["workload", name, "run", "model"] => Some(name.to_string()),
                _ => None,
            }
        })
        .collect();
    let warnings = RefCell::new(Vec::new());
    let mut points = Vec::with_capacity(count);
    for index in 0..count {
        let chosen = sweep::choose(&axes, index);
        let mut doc = root.clone();
        for (axis, value) in axes.iter().zip(&chosen) {
            overrides::set(&mut doc, &axis.segments, (*value).clone())?;
        }
        let mut validator = Validator {
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
            subinterpreters: false,
            swept_models: &swept_models,
            asyncio: false,
            in_to_thread: false,
            warnings: &warnings,
        };
        let scenario = validator.scenario(&doc)?;
        points.push(StudyPoint {
            index,
            values: chosen.iter().map(|v| sweep::display(v, sources)).collect(),
            scenario,
        });
    }
    let workloads: Vec<&str> = points[0]
        .scenario
        .workloads
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    for k in &sweep_keys {
        if !chart_keys.contains(k) {
            chart_keys.push(k.clone());
        }
    }
    let counts: Vec<(String, usize)> = axes
        .iter()
        .filter_map(|a| match &a.values.value {
            Value::Array(items) => Some((a.key.clone(), items.len())),
            _ => None,
        })
        .collect();
    let charts = sweep::charts(chart_entry.as_ref(), &chart_keys, &counts, &workloads)?;
    for w in warnings.borrow().iter() {
        eprintln!("{w}");
    }
    Ok(Study {
        sweep_keys,
        points,
        charts,
    })
}

type Res<T> = Result<T, Diag>;

const TOP_KEYS: &[&str] = &[
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

const MACHINE_KEYS: &[&str] = &[
    "cores",
    "os_timeslice",
    "wakeup_granularity",
    "sleeper_credit",
    "idle_poll_window",
    "context_switch",
    "wakeup_latency_polling",
    "wakeup_latency",
    "timer_slack",
];

const PYTHON_KEYS: &[&str] = &[
    "version",
    "build",
    "switch_interval",
    "profile",
    "gil",
    "gil_handoff",
    "check_latency",
    "thread_start",
    "release_overhead",
    "sync_call",
    "sync_wake",
    "queue_put",
    "queue_get",
    "free_threaded_overhead",
    "process_rss",
    "thread_rss",
    "fork_start",
    "spawn_start",
    "forkserver_start",
    "forkserver_server_start",
    "submit",
    "pool_import",
    "pickle_message",
    "pickle_ns_per_byte",
    "unpickle_ns_per_byte",
    "pipe_syscall",
    "pipe_buffer",
    "pipe_ns_per_byte_small",
    "pipe_ns_per_byte_large",
    "fork_ns_per_mib",
    "cow_ns_per_mib",
    "shm_create",
    "shm_ns_per_byte",
    "shm_attach",
    "interpreter_start",
    "interpreter_rss",
    "loop_callback",
    "task_step",
    "coroutine_create",
    "loop_poll",
    "coroutine_rss",
];

const WORKLOAD_KEYS: &[&str] = &[
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

const RUN_KEYS: &[&str] = &["model", "workers"];

/// Keys of `[workload.run]` that only process pools use.
const PROCESS_POOL_KEYS: &[&str] = &["api", "chunksize", "start_method", "transfer"];

const STEP_KINDS: &[&str] = &[
    "cpu",
    "cpu_held",
    "cpu_nogil",
    "io",
    "sleep",
    "blocking_io",
    "lock",
    "semaphore",
    "to_thread",
    "wait_event",
    "set_event",
    "clear_event",
    "wait",
    "notify",
];

/// Steps on an event (`[events]`) or a condition (`[conditions]`).
const SYNC_STEPS: &[&str] = &["wait_event", "set_event", "clear_event", "wait", "notify"];

const DIST_KINDS: &[&str] = &["exp", "uniform", "normal", "lognormal"];

const DIST_FORMS: &str = "distributions: { exp = \"10ms\" }, { uniform = [\"5ms\", \"15ms\"] }, \
     { normal = { mean = \"10ms\", sd = \"2ms\" } }, { lognormal = { median = \"10ms\", sigma = 0.5 } }";
const DURATION_EXPECTED: &str = "expected a duration like \"10ms\" (units: ns, us, ms, s)";
const SIZE_EXPECTED: &str = "expected a size like \"20MB\" (units: B, KB, MB, GB, KiB, MiB, GiB)";
const RATE_EXPECTED: &str = "expected a rate like \"200/s\" (per ns, us, ms, s, min or h)";

/// `prefix.key`, or `key` at the top level.
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `a, b, c` with backticks.
fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word, c), *c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 3) && d < c.len().max(word.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// A duration for messages: `15ms`, `2s`, `1500ns`.
fn show_ns(ns: Nanos) -> String {
    for (unit, size) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns >= size && ns.is_multiple_of(size) {
            return format!("{}{unit}", ns / size);
        }
    }
    format!("{ns}ns")
}

fn type_error(node: &Node, key: &str, expected: &str) -> Diag {
    Diag::new(
        format!("expected {expected}, found {}", node.value.type_name()),
        &node.span,
        format!("expected {expected}"),
    )
    .key(key)
}

/// The last part of a dotted key.
fn last_part(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// Where a key of the schema belongs, for a key found in the wrong table.
fn home_of(key: &str) -> Option<&'static str> {
    if MACHINE_KEYS.contains(&key) {
        Some("in [machine]")
    } else if PYTHON_KEYS.contains(&key) {
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

fn unknown_key(entry: &Entry, prefix: &str, place: &str, allowed: &[&str]) -> Diag {
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
fn check_keys(table: &Table, prefix: &str, place: &str, allowed: &[&str]) -> Res<()> {
    match table
        .entries
        .iter()
        .find(|e| !allowed.contains(&e.key.as_str()))
    {
        Some(entry) => Err(unknown_key(entry, prefix, place, allowed)),
        None => Ok(()),
    }
}

fn missing(span: &Span, key: &str, place: &str, label: &str) -> Diag {
    Diag::new(
        format!("missing required key `{}`{place}", last_part(key)),
        span,
        label,
    )
    .key(key)
}

fn as_str<'n>(node: &'n Node, key: &str) -> Res<&'n str> {
    match &node.value {
        Value::Str(s) => Ok(s),
        _ => Err(type_error(node, key, "a string")),
    }
}

fn as_table<'n>(node: &'n Node, key: &str) -> Res<&'n Table> {
    match &node.value {
        Value::Table(t) => Ok(t),
        _ => Err(type_error(node, key, "a table")),
    }
}

/// An integer in `lo..=hi`; `what` names it in messages (`cores`, `workers`).
fn int_in(node: &Node, key: &str, what: &str, lo: i128, hi: i128) -> Res<i128> {
    let v = match &node.value {
        Value::Int(v) => *v,
        Value::Str(s) if s.trim().parse::<i128>().is_ok() => {
            return Err(type_error(node, key, "an integer").help(format!(
                "remove the quotes: {} = {}",
                last_part(key),
                s.trim()
            )));
        }
        _ => return Err(type_error(node, key, "an integer")),
    };
    if v < lo {
        return Err(Diag::new(
            format!("{what} must be at least {lo}"),
            &node.span,
            format!("expected an integer ≥ {lo}"),
        )
        .key(key));
    }
    if v > hi {
        return Err(Diag::new(
            format!("{what} must be at most {hi}"),
            &node.span,
            format!("expected an integer ≤ {hi}"),
        )
        .key(key));
    }
    Ok(v)
}

/// A number (integer or float), finite.
fn number(node: &Node, key: &str) -> Res<f64> {
    let v = match node.value {
        Value::Int(i) => i as f64,
        Value::Float(f) => f,
        _ => return Err(type_error(node, key, "a number")),
    };
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Diag::new(
            format!("`{key}` must be a finite number"),
            &node.span,
            "expected a finite number",
        )
        .key(key))
    }
}

/// Turns a unit error into a diagnostic; `kind` is "duration", "size" or "rate".
fn unit_error(
    error: UnitError,
    node: &Node,
    key: &str,
    text: &str,
    kind: &str,
    expected: &str,
) -> Diag {
    let message = match error {
        UnitError::UnknownUnit(unit) => format!("unknown unit \"{unit}\" in {kind}"),
        UnitError::MissingUnit => format!("missing unit in {kind} \"{text}\""),
        UnitError::Negative => format!("negative {kind}"),
        UnitError::Zero => format!("{kind} must be greater than zero"),
        UnitError::TooLarge => format!("{kind} too large"),
        UnitError::Empty | UnitError::MissingNumber | UnitError::BadNumber(_) => {
            format!("invalid {kind} \"{text}\"")
        }
    };
    Diag::new(message, &node.span, expected).key(key)
}

fn duration(node: &Node, key: &str) -> Res<Nanos> {
    match &node.value {
        Value::Str(s) => parse_duration(s)
            .map_err(|e| unit_error(e, node, key, s, "duration", DURATION_EXPECTED)),
        Value::Int(_) | Value::Float(_) => {
            let shown = match node.value {
                Value::Int(i) => i.to_string(),
                _ => "10".to_string(),
            };
            Err(Diag::new(
                format!(
                    "expected a duration with a unit, found {}",
                    node.value.type_name()
                ),
                &node.span,
                DURATION_EXPECTED,
            )
            .key(key)
            .help(format!(
                "a duration needs a unit and quotes, e.g. \"{shown}ms\""
            )))
        }
        _ => Err(type_error(node, key, "a duration like \"10ms\"")),
    }
}

fn size(node: &Node, key: &str) -> Res<u64> {
    match &node.value {
        Value::Str(s) => {
            parse_size(s).map_err(|e| unit_error(e, node, key, s, "size", SIZE_EXPECTED))
        }
        Value::Int(_) | Value::Float(_) => Err(Diag::new(
            format!(
                "expected a size with a unit, found {}",
                node.value.type_name()
            ),
            &node.span,
            SIZE_EXPECTED,
        )
        .key(key)),
        _ => Err(type_error(node, key, "a size like \"20MB\"")),
    }
}

/// A duration or a distribution (DESIGN 1.4).
fn dist(node: &Node, key: &str) -> Res<Dist> {
    let table = match &node.value {
        Value::Str(_) | Value::Int(_) | Value::Float(_) => {
            return Ok(Dist::Const(duration(node, key)?));
        }
        Value::Table(t) => t,
        _ => {
            return Err(type_error(
                node,
                key,
                "a duration like \"10ms\" or a distribution like { exp = \"10ms\" }",
            ));
        }
    };
    let Some(first) = table.entries.first() else {
        return Err(Diag::new(
            "empty distribution",
            &node.span,
            "expected exactly one of exp, uniform, normal, lognormal",
        )
        .key(key)
        .help("for example { exp = \"10ms\" }"));
    };
    check_keys(table, key, "in a distribution", DIST_KINDS).map_err(|e| e.help(DIST_FORMS))?;
    if let Some(second) = table.entries.get(1) {
        return Err(Diag::new(
            format!(
                "a distribution has exactly one kind, found `{}` and `{}`",
                first.key, second.key
            ),
            &second.key_span,
            "second kind",
        )
        .key(join(key, &second.key)));
    }
    let k = join(key, &first.key);
    let value = &first.value;
    match first.key.as_str() {
        "exp" => Ok(Dist::Exp {
            mean: duration(value, &k)?,
        }),
        "uniform" => {
            let Value::Array(items) = &value.value else {
                return Err(type_error(value, &k, "an array of two durations [lo, hi]"));
            };
            let [lo_node, hi_node] = items.as_slice() else {
                return Err(Diag::new(
                    format!(
                        "expected two durations [lo, hi], found {} items",
                        items.len()
                    ),
                    &value.span,
                    "expected [lo, hi], e.g. [\"5ms\", \"15ms\"]",
                )
                .key(&k));
            };
            let lo = duration(lo_node, &format!("{k}[0]"))?;
            let hi = duration(hi_node, &format!("{k}[1]"))?;
            if lo > hi {
                return Err(Diag::new(
                    "uniform bounds are reversed",
                    &value.span,
                    format!("lo ({}) is greater than hi ({})", show_ns(lo), show_ns(hi)),
                )
                .key(&k));
            }
            Ok(Dist::Uniform { lo, hi })
        }
        "normal" => {
            let t = as_table(value, &k)?;
            check_keys(t, &k, "in a normal distribution", &["mean", "sd"])?;
            let mean = t.get("mean").ok_or_else(|| {
                missing(
                    &value.span,
                    &join(&k, "mean"),
                    " in a normal distribution",
                    "needs `mean` and `sd`",
                )
            })?;
            let sd = t.get("sd").ok_or_else(|| {
                missing(
                    &value.span,
                    &join(&k, "sd"),
                    " in a normal distribution",
                    "needs `mean` and `sd`",
                )
            })?;
            Ok(Dist::Normal {
                mean: duration(&mean.value, &join(&k, "mean"))?,
                sd: duration(&sd.value, &join(&k, "sd"))?,
            })
        }
        _ => {
            let t = as_table(value, &k)?;
            check_keys(t, &k, "in a lognormal distribution", &["median", "sigma"])?;
            let median = t.get("median").ok_or_else(|| {
                missing(
                    &value.span,
                    &join(&k, "median"),
                    " in a lognormal distribution",
                    "needs `median` and `sigma`",
                )
            })?;
            let sigma = t.get("sigma").ok_or_else(|| {
                missing(
                    &value.span,
                    &join(&k, "sigma"),
                    " in a lognormal distribution",
                    "needs `median` and `sigma`",
                )
            })?;
            let median = duration(&median.value, &join(&k, "median"))?;
            let sigma_key = join(&k, "sigma");
            let s = number(&sigma.value, &sigma_key)?;
            if s < 0.0 {
                return Err(Diag::new(
                    "sigma must be at least 0",
                    &sigma.value.span,
                    "expected a number ≥ 0",
                )
                .key(sigma_key));
            }
            Ok(Dist::LogNormal { median, sigma: s })
        }
    }
}

/// Validation state: what later keys depend on.
struct Validator<'s> {
    sources: &'s Sources<'s>,
    /// Workloads whose `run.model` is swept: keys their model does not use are ignored.
    swept_models: &'s [String],
    /// Warnings for standard error, each once per file (a profile's Python version).
    warnings: &'s RefCell<Vec<String>>,
    has_duration: bool,
    cores: u32,
    version: PyVersion,
    semaphores: Vec<SemaphoreDef>,
    locks: Vec<String>,
    /// `[events]` then `[conditions]`.
    syncs: Vec<SyncDef>,
    /// Per sync: whether its first use was in a coroutine, and where.
    sync_uses: Vec<Option<(bool, Span)>>,
    /// The workload being validated runs on subinterpreters.
    subinterpreters: bool,
    /// The workload being validated runs on the asyncio event loop.
    asyncio: bool,
    /// The steps being validated are inside a `to_thread` body.
    in_to_thread: bool,
    /// `after` links waiting for every workload's name: per stage, its index,
    /// the `after` value's span and each upstream name with its span.
    pending_after: Vec<PendingAfter>,
}

/// A stage's `after`, before the names are resolved.
struct PendingAfter {
    stage: usize,
    span: Span,
    names: Vec<(String, Span)>,
    /// `channel = "pipe"`, with the value's span.
    pipe: Option<Span>,
}

/// A stage's keys as written: `after` (its span and names), `queue`, `channel = "pipe"`.
struct StageSpec {
    span: Span,
    names: Vec<(String, Span)>,
    capacity: Option<u64>,
    pipe: Option<Span>,
}

impl Validator<'_> {
    fn scenario(&mut self, root: &Table) -> Res<Scenario> {
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

    fn machine(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, Profile)>,
    ) -> Res<MachineConfig> {
        let mut m = MachineConfig::default();
        if let Some((_, profile)) = profile {
            profile.apply_machine(&mut m);
        }
        let Some(entry) = entry else {
            return Ok(m);
        };
        let table = as_table(&entry.value, "machine")?;
        check_keys(table, "machine", "in [machine]", MACHINE_KEYS)?;
        for e in &table.entries {
            let k = join("machine", &e.key);
            let v = &e.value;
            match e.key.as_str() {
                "cores" => m.cores = int_in(v, &k, "cores", 1, 4096)? as u32,
                "os_timeslice" => {
                    m.os_timeslice = duration(v, &k)?;
                    if m.os_timeslice == 0 {
                        return Err(Diag::new(
                            "os_timeslice must be greater than zero",
                            &v.span,
                            "expected a positive duration",
                        )
                        .key(k));
                    }
                }
                "wakeup_granularity" => m.wakeup_granularity = duration(v, &k)?,
                "sleeper_credit" => m.sleeper_credit = duration(v, &k)?,
                "idle_poll_window" => m.idle_poll_window = duration(v, &k)?,
                "context_switch" => m.context_switch = dist(v, &k)?,
                "wakeup_latency_polling" => m.wakeup_latency_polling = dist(v, &k)?,
                "wakeup_latency" => m.wakeup_latency = dist(v, &k)?,
                _ => m.timer_slack = dist(v, &k)?,
            }
        }
        Ok(m)
    }

    /// `[python] profile`: `reference` (the built-in defaults, `None`) or
    /// the path of a calibrated profile, read before `[machine]` and
    /// `[python]` are validated so that their keys override it. A relative
    /// path is looked up in the scenario file's folder, then in the current
    /// directory. Returns the name as given and the profile.
    fn profile(&self, python: Option<&Entry>) -> Res<Option<(String, Profile)>> {
        let Some(Value::Table(table)) = python.map(|e| &e.value.value) else {
            return Ok(None);
        };
        let Some(e) = table.get("profile") else {
            return Ok(None);
        };
        let k = "python.profile";
        let text = as_str(&e.value, k)?;
        if text == "reference" {
            return Ok(None);
        }
        if text.is_empty() {
            return Err(Diag::new(
                "empty profile path",
                &e.value.span,
                "expected \"reference\" or the path of a profile.toml",
            )
            .key(k));
        }
        let given = Path::new(text);
        let beside = self
            .sources
            .path
            .parent()
            .filter(|_| given.is_relative())
            .map(|dir| dir.join(given))
            .filter(|p| p.is_file());
        let path = beside.unwrap_or_else(|| given.to_path_buf());
        match Profile::load(&path) {
            Ok(profile) => Ok(Some((text.to_string(), profile))),
            Err(err) => Err(Diag::new(
                match &err {
                    ProfileError::Read { .. } => "cannot read the profile",
                    ProfileError::Parse { .. } => "the profile is not valid",
                },
                &e.value.span,
                err.to_string(),
            )
            .key(k)
            .help("write one with `gilsim calibrate` (output/calibration/profile.toml), or use profile = \"reference\"")),
        }
    }

    fn python(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, Profile)>,
    ) -> Res<PythonConfig> {
        let Some(entry) = entry else {
            return Ok(PythonConfig::default());
        };
        let table = as_table(&entry.value, "python")?;
        check_keys(table, "python", "in [python]", PYTHON_KEYS)?;

        let version = match table.get("version") {
            Some(e) => self.version(&e.value)?,
            None => PyVersion {
                major: 3,
                minor: 11,
            },
        };
        let build = match table.get("build") {
            Some(e) => {
                let text = as_str(&e.value, "python.build")?;
                let build = match text {
                    "gil" => Build::Gil,
                    "free-threaded" => Build::FreeThreaded,
                    _ => {
                        return Err(Diag::new(
                            format!("unknown build \"{text}\""),
                            &e.value.span,
                            "expected \"gil\" or \"free-threaded\"",
                        )
                        .key("python.build"));
                    }
                };
                if build == Build::FreeThreaded && version.minor < 13 {
                    return Err(Diag::new(
                        "the free-threaded build needs Python 3.13 or later",
                        &e.value.span,
                        format!("python.version is {version}"),
                    )
                    .key("python.build")
                    .help("set python.version = \"3.13\" or \"3.14\""));
                }
                build
            }
            None => Build::Gil,
        };
        let mut p = PythonConfig::defaults(version, build);
        if let Some((name, profile)) = profile {
            profile.apply_python(&mut p);
            p.profile = name.clone();
            let measured = &profile.python.version_short;
            if *measured != version.to_string() {
                let warning = format!(
                    "warning: profile {name} was measured with Python {measured}, the scenario says python.version = \"{version}\"; its values are used anyway"
                );
                let mut warnings = self.warnings.borrow_mut();
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        for e in &table.entries {
            let k = join("python", &e.key);
            let v = &e.value;
            match e.key.as_str() {
                "version" | "build" => {}
                "switch_interval" => {
                    let ns = duration(v, &k)?;
                    if ns == 0 {
                        return Err(Diag::new(
                            "switch_interval must be greater than zero",
                            &v.span,
                            "sys.setswitchinterval refuses 0",
                        )
                        .key(k));
                    }
                    p.switch_interval_us = (ns / 1_000 + u64::from(ns % 1_000 >= 500)).max(1);
                }
                // Read before the other keys: see `Validator::profile`.
                "profile" => {}
                "gil" => {
                    let Value::Int(g) = v.value else {
                        return Err(type_error(v, &k, "an integer (0 or 1)"));
                    };
                    if g != 0 && g != 1 {
                        return Err(
                            Diag::new("gil must be 0 or 1", &v.span, "expected 0 or 1").key(k)
                        );
                    }
                    if build == Build::Gil && g == 0 {
                        return Err(Diag::new(
                            "`gil = 0` needs the free-threaded build",
                            &v.span,
                            "the default build always has a GIL",
                        )
                        .key(k)
                        .help("set python.build = \"free-threaded\" (Python 3.13 or later), or remove `gil`"));
                    }
                    p.gil_enabled = build == Build::Gil || g == 1;
                }
                "gil_handoff" => {
                    p.gil_handoff = match as_str(v, &k)? {
                        "fifo" => Handoff::Fifo,
                        "random" => Handoff::Random,
                        other => {
                            return Err(Diag::new(
                                format!("unknown gil_handoff \"{other}\""),
                                &v.span,
                                "expected \"fifo\" or \"random\"",
                            )
                            .key(k));
                        }
                    }
                }
                "check_latency" => p.check_latency = dist(v, &k)?,
                "thread_start" => p.thread_start = dist(v, &k)?,
                "release_overhead" => p.release_overhead = dist(v, &k)?,
                "sync_call" => p.sync_call = dist(v, &k)?,
                "sync_wake" => p.sync_wake = dist(v, &k)?,
                "queue_put" => p.queue_put = dist(v, &k)?,
                "queue_get" => p.queue_get = dist(v, &k)?,
                "free_threaded_overhead" => {
                    let f = number(v, &k)?;
                    if f < 1.0 {
                        return Err(Diag::new(
                            "free_threaded_overhead must be at least 1.0",
                            &v.span,
                            "a slow-down factor: 1.0 is no overhead",
                        )
                        .key(k));
                    }
                    p.free_threaded_overhead = f;
                }
                "process_rss" => p.process_rss = size(v, &k)?,
                "thread_rss" => p.thread_rss = size(v, &k)?,
                // Process costs (DESIGN 1.5; defaults in ProcessConfig).
                "fork_start" => p.process.start_child[0] = dist(v, &k)?,
                "spawn_start" => p.process.start_child[1] = dist(v, &k)?,
                "forkserver_start" => p.process.start_child[2] = dist(v, &k)?,
                "forkserver_server_start" => p.process.forkserver_start = dist(v, &k)?,
                "submit" => p.process.submit = dist(v, &k)?,
                "pool_import" => p.process.pool_import = dist(v, &k)?,
                "interpreter_start" => p.process.interpreter_start = dist(v, &k)?,
                "pickle_message" => p.process.pickle_message = duration(v, &k)?,
                "pipe_syscall" => p.process.pipe_syscall = duration(v, &k)?,
                "shm_create" => p.process.shm_create = duration(v, &k)?,
                "shm_attach" => p.process.shm_attach = duration(v, &k)?,
                "pipe_buffer" => p.process.pipe_buffer = size(v, &k)?,
                "interpreter_rss" => p.process.interpreter_rss = size(v, &k)?,
                // Event loop costs (DESIGN 1.5; defaults in AsyncioConfig).
                "loop_callback" => p.asyncio.loop_callback = dist(v, &k)?,
                "task_step" => p.asyncio.task_step = dist(v, &k)?,
                "coroutine_create" => p.asyncio.coroutine_create = dist(v, &k)?,
                "loop_poll" => p.asyncio.loop_poll = dist(v, &k)?,
                "coroutine_rss" => p.asyncio.coroutine_rss = size(v, &k)?,
                cost => {
                    let (slot, unit) = match cost {
                        "fork_ns_per_mib" => (&mut p.process.fork_ns_per_mib, "MiB of task memory"),
                        "cow_ns_per_mib" => (&mut p.process.cow_ns_per_mib, "MiB of task memory"),
                        "pickle_ns_per_byte" => (&mut p.process.pickle_ns_per_byte, "byte"),
                        "unpickle_ns_per_byte" => (&mut p.process.unpickle_ns_per_byte, "byte"),
                        "pipe_ns_per_byte_small" => (&mut p.process.pipe_ns_per_byte_small, "byte"),
                        "pipe_ns_per_byte_large" => (&mut p.process.pipe_ns_per_byte_large, "byte"),
                        _ => (&mut p.process.shm_ns_per_byte, "byte"),
                    };
                    let x = number(v, &k)?;
                    if x < 0.0 {
                        return Err(Diag::new(
                            format!("`{cost}` must be at least 0"),
                            &v.span,
                            format!("nanoseconds per {unit}: a number ≥ 0"),
                        )
                        .key(k));
                    }
                    *slot = x;
                }
            }
        }
        Ok(p)
    }

    /// `"3.8"` to `"3.14"`. From `--set`, an unquoted `3.12` (a TOML float)
    /// is read as written.
    fn version(&self, node: &Node) -> Res<PyVersion> {
        let key = "python.version";
        let text = match &node.value {
            Value::Str(s) => s.as_str(),
            Value::Float(_)
                if matches!(node.span.origin, super::diagnostic::Origin::Override(_)) =>
            {
                self.sources.text(&node.span).unwrap_or_default()
            }
            Value::Float(_) => {
                return Err(type_error(node, key, "a string").help(
                    "quote the version: version = \"3.10\" (unquoted, 3.10 is the number 3.1)",
                ));
            }
            _ => return Err(type_error(node, key, "a string like \"3.11\"")),
        };
        let minor = text
            .strip_prefix("3.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|m| (8..=14).contains(m));
        match minor {
            Some(minor) => Ok(PyVersion { major: 3, minor }),
            None => {
                let mut diag = Diag::new(
                    format!("unsupported Python version \"{text}\""),
                    &node.span,
                    "expected \"3.8\" to \"3.14\"",
                )
                .key(key);
                if text.ends_with('t') {
                    diag = diag.help("for a free-threaded build write version = \"3.13\" and build = \"free-threaded\"");
                }
                Err(diag)
            }
        }
    }

    fn workload(
        &mut self,
        index: usize,
        item: &Node,
        names: &mut Vec<(String, Span)>,
    ) -> Res<Workload> {
        let anonymous = format!("workload[{index}]");
        let table = match &item.value {
            Value::Table(t) => t,
            _ => return Err(type_error(item, &anonymous, "a [[workload]] table")),
        };
        check_keys(table, &anonymous, "in [[workload]]", WORKLOAD_KEYS)?;

        let name_entry = table.get("name").ok_or_else(|| {
            missing(
                &item.span,
                &join(&anonymous, "name"),
                " in [[workload]]",
                "this workload needs a name",
            )
            .help("add name = \"jobs\" (letters, digits, `_` and `-`)")
        })?;
        let name_key = join(&anonymous, "name");
        let name = as_str(&name_entry.value, &name_key)?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Diag::new(
                format!("invalid workload name \"{name}\""),
                &name_entry.value.span,
                "expected letters, digits, `_` and `-`",
            )
            .key(name_key));
        }
        if let Some((_, first)) = names.iter().find(|(n, _)| n == name) {
            let mut diag = Diag::new(
                format!(
                    "duplicate workload name `{name}` (first defined at {})",
                    self.sources.describe(first)
                ),
                &name_entry.value.span,
                "a second workload with this name",
            )
            .key(format!("workload.{name}.name"))
            .help("workload names must be unique: they name rows of results.csv and --set keys");
            if first.origin == name_entry.value.span.origin {
                diag = diag.secondary(first, "first defined here");
            }
            return Err(diag);
        }
        names.push((name.to_string(), name_entry.value.span.clone()));
        let prefix = format!("workload.{name}");

        let mut bytes = [0u64; 2];
        for (slot, k) in bytes.iter_mut().zip(["args_bytes", "result_bytes"]) {
            if let Some(e) = table.get(k) {
                *slot = size(&e.value, &join(&prefix, k))?;
            }
        }
        let (mut model, workers) = self.run(table.get("run"), &prefix)?;
        if let Model::Processes(run) | Model::Subinterpreters(run) = &mut model {
            // Threads pass references: only processes pickle the payloads.
            [run.args_bytes, run.result_bytes] = bytes;
        }
        let arrival = match self.after(table, &prefix)? {
            Some(StageSpec {
                span,
                names,
                capacity,
                pipe,
            }) => {
                self.pending_after.push(PendingAfter {
                    stage: index,
                    span,
                    names,
                    pipe,
                });
                Arrival::After {
                    upstream: Vec::new(),
                    capacity,
                    channel: StageChannel::Queue,
                    item_bytes: bytes[0],
                }
            }
            None => self.arrival(table, item, &prefix)?,
        };
        let refused = matches!(
            (&model, &arrival, workers),
            (Model::Processes(_), Arrival::Forever, Workers::PerTask)
        );
        if refused {
            let e = table
                .entries
                .iter()
                .find(|e| matches!(e.key.as_str(), "rate" | "repeat"));
            let span = e.map_or(&item.span, |e| &e.key_span);
            return Err(Diag::new(
                format!(
                    "`{}` workloads on {}{} are not built yet in this version of gilsim",
                    e.map_or("repeat", |e| e.key.as_str()),
                    model.name(),
                    if workers == Workers::PerTask {
                        " per task"
                    } else {
                        ""
                    }
                ),
                span,
                "not supported yet: use `tasks` (a batch), or a pool with `rate`",
            )
            .key(join(&prefix, e.map_or("tasks", |e| e.key.as_str()))));
        }
        if let (Model::Processes(_), Arrival::After { .. }) = (&model, &arrival) {
            self.process_stage_keys(table, &prefix, workers)?;
        }
        let steps_entry = table.get("steps").ok_or_else(|| {
            missing(
                &item.span,
                &join(&prefix, "steps"),
                &format!(" in workload `{name}`"),
                "this workload has no steps",
            )
            .help("add steps = [ { cpu = \"10ms\" } ]")
        })?;
        if model == Model::Asyncio && arrival == Arrival::Forever && workers == Workers::Unlimited {
            let e = table.get("repeat").map_or(&item.span, |e| &e.key_span);
            return Err(Diag::new(
                "repeat = \"forever\" on asyncio needs `workers`: how many coroutines loop",
                e,
                "unlimited coroutines cannot loop forever",
            )
            .key(join(&prefix, "repeat"))
            .help("add workers = 1 under [workload.run]"));
        }
        self.asyncio = model == Model::Asyncio;
        self.subinterpreters = matches!(model, Model::Subinterpreters(_));
        self.in_to_thread = false;
        let steps = self.steps(&steps_entry.value, &join(&prefix, "steps"))?;
        let memory_bytes = match table.get("memory") {
            Some(e) => size(&e.value, &join(&prefix, "memory"))?,
            None => 0,
        };
        Ok(Workload {
            name: name.to_string(),
            arrival,
            steps,
            model,
            workers,
            memory_bytes,
        })
    }

    fn run(&self, entry: Option<&Entry>, prefix: &str) -> Res<(Model, Workers)> {
        let Some(entry) = entry else {
            return Ok((Model::Sequential, Workers::Fixed(1)));
        };
        let key = join(prefix, "run");
        let table = as_table(&entry.value, &key).map_err(|e| {
            e.help("write a [workload.run] table after the workload, with model = \"threads\" or \"sequential\"")
        })?;
        let mut allowed: Vec<&str> = RUN_KEYS.to_vec();
        allowed.extend_from_slice(PROCESS_POOL_KEYS);
        check_keys(table, &key, "in [workload.run]", &allowed)?;

        let model_key = join(&key, "model");
        let model_entry = table.get("model").ok_or_else(|| {
            missing(
                &entry.value.span,
                &model_key,
                " in [workload.run]",
                "this table needs `model`",
            )
            .help("add model = \"threads\" (or \"sequential\")")
        })?;
        let model_node = &model_entry.value;
        let model = match as_str(model_node, &model_key)? {
            "sequential" => Model::Sequential,
            "threads" => Model::Threads,
            "processes" => self.process_run(table, &key)?,
            "subinterpreters" if self.version.minor < 14 => {
                return Err(Diag::new(
                    format!(
                        "model `subinterpreters` needs Python 3.14 (InterpreterPoolExecutor); python.version is {}",
                        self.version
                    ),
                    &model_node.span,
                    "needs python.version = \"3.14\"",
                )
                .key(model_key)
                .help("set python.version = \"3.14\""));
            }
            "subinterpreters" => Model::Subinterpreters(ProcessRun {
                api: ProcessApi::Executor,
                chunksize: None,
                start_method: StartMethod::Spawn,
                args_bytes: 0,
                result_bytes: 0,
                transfer: Transfer::Pickle,
            }),
            "asyncio" => Model::Asyncio,
            other => {
                let known = [
                    "sequential",
                    "threads",
                    "processes",
                    "asyncio",
                    "subinterpreters",
                ];
                let mut diag = Diag::new(
                    format!("unknown model `{other}`"),
                    &model_node.span,
                    "expected \"sequential\", \"threads\", \"processes\", \"asyncio\" or \"subinterpreters\"",
                )
                .key(model_key);
                if let Some(close) = suggest(other, &known) {
                    diag = diag.help(format!("did you mean `{close}`?"));
                }
                return Err(
                    diag.note("models: sequential, threads, processes, asyncio, subinterpreters")
                );
            }
        };

        let model_swept = self
            .swept_models
            .iter()
            .any(|n| prefix == format!("workload.{n}"));
        if let Some(e) = table
            .entries
            .iter()
            .filter(|_| !matches!(model, Model::Processes(_)) && !model_swept)
            .find(|e| PROCESS_POOL_KEYS.contains(&e.key.as_str()))
        {
            return Err(Diag::new(
                format!(
                    "`{}` applies to process pools; this workload's model is `{}`",
                    e.key,
                    model.name()
                ),
                &e.key_span,
                "not used by this model",
            )
            .key(join(&key, &e.key)));
        }

        let workers = match table.get("workers") {
            None if model == Model::Threads || matches!(model, Model::Subinterpreters(_)) => {
                Workers::Fixed((self.cores.saturating_add(4)).min(32))
            }
            // Pool and ProcessPoolExecutor: os.cpu_count() workers.
            None if matches!(model, Model::Processes(_)) => Workers::Fixed(self.cores),
            // No semaphore around the coroutines.
            None if model == Model::Asyncio => Workers::Unlimited,
            None => Workers::Fixed(1),
            Some(e) => {
                let k = join(&key, "workers");
                let v = &e.value;
                let workers = match &v.value {
                    Value::Int(n) if *n < 1 => {
                        return Err(Diag::new(
                            "workers must be at least 1",
                            &v.span,
                            "expected an integer ≥ 1 or \"per-task\"",
                        )
                        .key(k));
                    }
                    Value::Int(_) => {
                        Workers::Fixed(int_in(v, &k, "workers", 1, i128::from(u32::MAX))? as u32)
                    }
                    Value::Str(s) if s == "per-task" => Workers::PerTask,
                    Value::Str(s) if s == "unlimited" && model == Model::Asyncio => {
                        Workers::Unlimited
                    }
                    Value::Str(s) if s == "unlimited" => {
                        return Err(Diag::new(
                            "workers = \"unlimited\" applies to asyncio only",
                            &v.span,
                            "expected an integer ≥ 1 or \"per-task\"",
                        )
                        .key(k));
                    }
                    Value::Str(s) => {
                        return Err(Diag::new(
                            format!(
                                "expected an integer or \"per-task\", found the string \"{s}\""
                            ),
                            &v.span,
                            "expected an integer ≥ 1 or \"per-task\"",
                        )
                        .key(k));
                    }
                    _ => return Err(type_error(v, &k, "an integer or \"per-task\"")),
                };
                if model == Model::Sequential && model_swept {
                    // A swept model: the sequential point ignores the pool size.
                    Workers::Fixed(1)
                } else if model == Model::Sequential && workers != Workers::Fixed(1) {
                    return Err(Diag::new(
                        "a sequential workload has exactly one worker",
                        &v.span,
                        "remove `workers`, or use model = \"threads\"",
                    )
                    .key(k));
                } else {
                    workers
                }
            }
        };
        if let (Model::Asyncio, Workers::PerTask) = (&model, workers)
            && let Some(e) = table.get("workers")
        {
            return Err(Diag::new(
                "workers = \"per-task\" does not apply to asyncio: every task is a coroutine",
                &e.value.span,
                "expected an integer ≥ 1 (an asyncio.Semaphore around each task), or no `workers` (unlimited)",
            )
            .key(join(&key, "workers")));
        }
        if let (Model::Subinterpreters(_), Workers::PerTask) = (&model, workers)
            && let Some(e) = table.get("workers")
        {
            return Err(Diag::new(
                "workers = \"per-task\" with model = \"subinterpreters\" is not built yet in this version of gilsim",
                &e.value.span,
                "not supported yet: give the pool's size",
            )
            .key(join(&key, "workers")));
        }
        if let (Model::Processes(run), Workers::PerTask) = (&model, workers)
            && let Some(e) = table.get("chunksize")
        {
            let _ = run;
            return Err(Diag::new(
                "`chunksize` needs a pool; workers = \"per-task\" starts one process per task",
                &e.key_span,
                "no chunks with one process per task",
            )
            .key(join(&key, "chunksize")));
        }
        Ok((model, workers))
    }

    /// The keys of a `processes` run: `api`, `chunksize`, `start_method`, `transfer`.
    fn process_run(&self, table: &Table, key: &str) -> Res<Model> {
        let api = match table.get("api") {
            None => ProcessApi::Pool,
            Some(e) => {
                let k = join(key, "api");
                match as_str(&e.value, &k)? {
                    "pool" => ProcessApi::Pool,
                    "executor" => ProcessApi::Executor,
                    other => {
                        return Err(Diag::new(
                            format!("unknown api \"{other}\""),
                            &e.value.span,
                            "expected \"pool\" (multiprocessing.Pool) or \"executor\" (ProcessPoolExecutor)",
                        )
                        .key(k));
                    }
                }
            }
        };
        let chunksize = match table.get("chunksize") {
            None => None,
            Some(e) => {
                let k = join(key, "chunksize");
                Some(int_in(&e.value, &k, "chunksize", 1, i128::from(u32::MAX))? as u64)
            }
        };
        // Linux's default: fork up to 3.13, forkserver from 3.14 (gh-84559).
        let default_method = if self.version.minor >= 14 {
            StartMethod::Forkserver
        } else {
            StartMethod::Fork
        };
        let start_method = match table.get("start_method") {
            None => default_method,
            Some(e) => {
                let k = join(key, "start_method");
                match as_str(&e.value, &k)? {
                    "fork" => StartMethod::Fork,
                    "spawn" => StartMethod::Spawn,
                    "forkserver" => StartMethod::Forkserver,
                    other => {
                        let mut diag = Diag::new(
                            format!("unknown start_method \"{other}\""),
                            &e.value.span,
                            "expected \"fork\", \"spawn\" or \"forkserver\"",
                        )
                        .key(k);
                        if let Some(close) = suggest(other, &["fork", "spawn", "forkserver"]) {
                            diag = diag.help(format!("did you mean `{close}`?"));
                        }
                        return Err(diag);
                    }
                }
            }
        };
        let mut transfer = Transfer::Pickle;
        if let Some(e) = table.get("transfer") {
            let k = join(key, "transfer");
            match as_str(&e.value, &k)? {
                "pickle" => {}
                "shared_memory" => transfer = Transfer::SharedMemory,
                other => {
                    return Err(Diag::new(
                        format!("unknown transfer \"{other}\""),
                        &e.value.span,
                        "expected \"pickle\" or \"shared_memory\"",
                    )
                    .key(k));
                }
            }
        }
        Ok(Model::Processes(ProcessRun {
            api,
            chunksize,
            start_method,
            args_bytes: 0,
            result_bytes: 0,
            transfer,
        }))
    }

    /// A stage on processes runs `workers` long-lived `multiprocessing.Process`es
    /// that loop on its queue: the pool keys that shape a `map` do not apply.
    fn process_stage_keys(&self, table: &Table, prefix: &str, workers: Workers) -> Res<()> {
        let Some(run) = table.get("run").and_then(|e| match &e.value.value {
            Value::Table(t) => Some(t),
            _ => None,
        }) else {
            return Ok(());
        };
        let key = join(prefix, "run");
        for k in ["api", "chunksize", "transfer"] {
            if let Some(e) = run.get(k) {
                return Err(Diag::new(
                    format!("`{k}` shapes a pool's map, but a stage's processes loop on its queue"),
                    &e.key_span,
                    "not used by a stage",
                )
                .key(join(&key, k))
                .help("remove it: a stage on processes runs `workers` multiprocessing.Process workers, each looping get, steps, put"));
            }
        }
        if workers == Workers::PerTask
            && let Some(e) = run.get("workers")
        {
            return Err(Diag::new(
                "workers = \"per-task\" on a pipeline stage is not built yet in this version of gilsim",
                &e.value.span,
                "not supported yet: a stage on processes has a fixed number of workers",
            )
            .key(join(&key, "workers")));
        }
        Ok(())
    }

    /// A stage's `after`, `queue` and `channel`, or `None` for a workload
    /// with arrivals of its own.
    fn after(&self, table: &Table, prefix: &str) -> Res<Option<StageSpec>> {
        let pipe = match table.get("channel") {
            Some(e) => {
                let k = join(prefix, "channel");
                match as_str(&e.value, &k)? {
                    "pipe" => Some(e.value.span.clone()),
                    "queue" => None,
                    other => {
                        return Err(Diag::new(
                            format!("unknown channel \"{other}\""),
                            &e.value.span,
                            "expected \"queue\" (the default) or \"pipe\"",
                        )
                        .key(k)
                        .help("\"queue\" is a queue.Queue, multiprocessing.Queue or asyncio.Queue by the models on both ends; \"pipe\" a multiprocessing.Pipe"));
                    }
                }
            }
            None => None,
        };
        if let (Some(span), None) = (&pipe, table.get("after")) {
            return Err(Diag::new(
                "`channel` is how a stage's items reach it: it needs `after`",
                span,
                "no `after` in this workload",
            )
            .key(join(prefix, "channel")));
        }
        let Some(after) = table.get("after") else {
            if let Some(e) = table.get("queue") {
                return Err(Diag::new(
                    "`queue` is the capacity of a stage's input queue: it needs `after`",
                    &e.key_span,
                    "no `after` in this workload",
                )
                .key(join(prefix, "queue"))
                .help("add after = \"producer\", naming the workload that feeds this one"));
            }
            return Ok(None);
        };
        let key = join(prefix, "after");
        if let Some(e) = table
            .entries
            .iter()
            .find(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"))
        {
            return Err(Diag::new(
                format!(
                    "a stage's tasks are the items its upstream puts in its queue: `{}` cannot be used with `after`",
                    e.key
                ),
                &e.key_span,
                "remove this",
            )
            .key(join(prefix, &e.key))
            .secondary(&after.key_span, "this workload is a stage"));
        }
        let nodes: Vec<&Node> = match &after.value.value {
            Value::Str(_) => vec![&after.value],
            Value::Array(items) if !items.is_empty() => items.iter().collect(),
            Value::Array(_) => {
                return Err(Diag::new(
                    "empty `after`",
                    &after.value.span,
                    "expected at least one workload name",
                )
                .key(key));
            }
            _ => {
                return Err(type_error(
                    &after.value,
                    &key,
                    "a workload name or an array of names",
                ));
            }
        };
        let mut names: Vec<(String, Span)> = Vec::new();
        for node in nodes {
            let name = as_str(node, &key)?;
            if names.iter().any(|(n, _)| n == name) {
                return Err(Diag::new(
                    format!("`{name}` is named twice in `after`"),
                    &node.span,
                    "a second time",
                )
                .key(key));
            }
            names.push((name.to_string(), node.span.clone()));
        }
        let capacity = match table.get("queue") {
            Some(e) => {
                let k = join(prefix, "queue");
                if matches!(e.value.value, Value::Int(0)) {
                    return Err(Diag::new(
                        "a queue of capacity 0 holds nothing",
                        &e.value.span,
                        "expected a capacity of at least 1",
                    )
                    .key(k)
                    .help("for an unbounded queue (Python's maxsize = 0), leave `queue` out"));
                }
                Some(int_in(&e.value, &k, "queue", 1, i128::from(u64::MAX))? as u64)
            }
            None => None,
        };
        if let (Some(_), Some(e)) = (&pipe, table.get("queue")) {
            return Err(Diag::new(
                "a multiprocessing.Pipe has no maxsize: its capacity is the OS pipe buffer",
                &e.key_span,
                "not used with channel = \"pipe\"",
            )
            .key(join(prefix, "queue"))
            .help("remove `queue`, or remove `channel` for a bounded multiprocessing.Queue"));
        }
        Ok(Some(StageSpec {
            span: after.value.span.clone(),
            names,
            capacity,
            pipe,
        }))
    }

    /// Resolves every stage's `after` names, checks that the models on
    /// both ends of each link are built, and refuses a cycle of links.
    fn link_stages(&mut self, workloads: &mut [Workload]) -> Res<()> {
        let pending = std::mem::take(&mut self.pending_after);
        let mut links = Vec::new();
        for p in &pending {
            let stage = &workloads[p.stage];
            let key = format!("workload.{}.after", stage.name);
            let mut ups = Vec::with_capacity(p.names.len());
            let mut channel = None;
            for (name, span) in &p.names {
                let Some(u) = workloads.iter().position(|w| &w.name == name) else {
                    let known: Vec<String> =
                        workloads.iter().map(|w| format!("`{}`", w.name)).collect();
                    return Err(Diag::new(
                        format!("`after` names an unknown workload `{name}`"),
                        span,
                        "no workload has this name",
                    )
                    .key(key)
                    .help(format!("the workloads are {}", known.join(", "))));
                };
                let c = stage_channel(&workloads[u], stage, p.pipe.is_some())
                    .map_err(|(msg, label)| Diag::new(msg, span, label).key(key.clone()))?;
                if c != StageChannel::Queue && c != StageChannel::AsyncioQueue && p.names.len() > 1
                {
                    return Err(Diag::new(
                        format!(
                            "a join over a {} is not built yet in this version of gilsim",
                            c.python_name()
                        ),
                        &p.span,
                        "not supported yet: joins of thread or asyncio workloads are",
                    )
                    .key(key.clone()));
                }
                channel = Some(c);
                ups.push(u);
                links.push((u, p.stage));
            }
            if let Arrival::After {
                upstream,
                channel: c,
                ..
            } = &mut workloads[p.stage].arrival
            {
                *upstream = ups;
                *c = channel.unwrap_or(StageChannel::Queue);
            }
        }
        let graph = crate::workload::pipeline::Pipeline::new(workloads.len(), &links);
        if let Some(cycle) = graph.cycle() {
            let names: Vec<&str> = cycle.iter().map(|&w| workloads[w].name.as_str()).collect();
            // The stage after the first workload of the cycle names it in its `after`.
            let closing = cycle[1];
            let p = pending.iter().find(|p| p.stage == closing);
            let span = p
                .and_then(|p| {
                    p.names
                        .iter()
                        .find(|(n, _)| n == names[0])
                        .map(|(_, s)| s.clone())
                })
                .or_else(|| p.map(|p| p.span.clone()));
            if let Some(span) = span {
                return Err(Diag::new(
                    format!("the `after` links form a cycle: {}", names.join(" -> ")),
                    &span,
                    "this link is part of the cycle",
                )
                .key(format!("workload.{}.after", workloads[closing].name))
                .help("a pipeline flows one way: remove one of these links"));
            }
        }
        Ok(())
    }

    fn arrival(&self, table: &Table, item: &Node, prefix: &str) -> Res<Arrival> {
        let mut arrivals = table
            .entries
            .iter()
            .filter(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"));
        let Some(entry) = arrivals.next() else {
            return Err(Diag::new(
                format!(
                    "missing arrival in workload `{}`",
                    prefix.trim_start_matches("workload.")
                ),
                &item.span,
                "needs one of `tasks`, `rate`, `repeat` or `after`",
            )
            .key(prefix)
            .help(
                "add tasks = 100 (a batch), rate = \"200/s\" (open loop), repeat = \"forever\" or after = \"producer\" (a pipeline stage)",
            ));
        };
        if let Some(second) = arrivals.next() {
            return Err(Diag::new(
                format!(
                    "a workload has exactly one arrival, found `{}` and `{}`",
                    entry.key, second.key
                ),
                &second.key_span,
                "second arrival",
            )
            .key(join(prefix, &second.key)));
        }
        let k = join(prefix, &entry.key);
        let v = &entry.value;
        let arrival = match entry.key.as_str() {
            "tasks" => Arrival::Batch(int_in(v, &k, "tasks", 1, i128::from(u64::MAX))? as u64),
            "rate" => match &v.value {
                Value::Str(s) => Arrival::Rate(
                    parse_rate(s).map_err(|e| unit_error(e, v, &k, s, "rate", RATE_EXPECTED))?,
                ),
                _ => return Err(type_error(v, &k, "a rate like \"200/s\"")),
            },
            _ => match as_str(v, &k)? {
                "forever" => Arrival::Forever,
                other => {
                    return Err(Diag::new(
                        format!("unknown repeat \"{other}\""),
                        &v.span,
                        "expected \"forever\"",
                    )
                    .key(k));
                }
            },
        };
        if !matches!(arrival, Arrival::Batch(_)) && !self.has_duration {
            return Err(Diag::new(
                "an open-loop workload needs `duration`",
                &entry.key_span,
                format!(
                    "`{}` keeps submitting tasks: the run needs an end",
                    entry.key
                ),
            )
            .key(k)
            .help("add a top-level duration, e.g. duration = \"10s\""));
        }
        Ok(arrival)
    }

    fn steps(&mut self, node: &Node, key: &str) -> Res<Vec<Step>> {
        let items = match &node.value {
            Value::Array(items) => items,
            Value::Table(_) => {
                return Err(type_error(node, key, "an array of steps")
                    .help("put the steps in brackets: steps = [ { io = \"1ms\" } ]"));
            }
            _ => return Err(type_error(node, key, "an array of steps")),
        };
        if items.is_empty() {
            return Err(Diag::new(
                "`steps` must not be empty",
                &node.span,
                "expected at least one step",
            )
            .key(key)
            .help("for example steps = [ { cpu = \"10ms\" } ]"));
        }
        items
            .iter()
            .enumerate()
            .map(|(j, item)| self.step(item, &format!("{key}[{j}]")))
            .collect()
    }

    fn step(&mut self, node: &Node, key: &str) -> Res<Step> {
        let Value::Table(table) = &node.value else {
            return Err(type_error(
                node,
                key,
                "a step table like { cpu = \"10ms\" }",
            ));
        };
        if table.entries.is_empty() {
            return Err(
                Diag::new("empty step", &node.span, "expected one step kind")
                    .key(key)
                    .help(format!("step kinds: {}", list(STEP_KINDS))),
            );
        }
        for e in &table.entries {
            let name = e.key.as_str();
            if name == "steps" || name == "n" || STEP_KINDS.contains(&name) {
                continue;
            }
            let mut diag = Diag::new(
                format!("unknown step `{name}`"),
                &e.key_span,
                "not a step kind",
            )
            .key(join(key, name));
            if let Some(close) = suggest(name, STEP_KINDS) {
                diag = diag.help(format!("did you mean `{close}`?"));
            }
            return Err(diag.help(format!("step kinds: {}", list(STEP_KINDS))));
        }
        let nested = table.get("steps");
        let mut kinds = table
            .entries
            .iter()
            .filter(|e| e.key != "steps" && e.key != "n");
        let Some(kind) = kinds.next() else {
            if let Some(n) = table.get("n") {
                return Err(Diag::new(
                    "`n` needs a `notify` beside it",
                    &n.key_span,
                    "how many waiters of which condition?",
                )
                .key(join(key, "n"))
                .help("write { notify = \"ready\", n = 2 }"));
            }
            let steps = nested.map_or(&node.span, |e| &e.key_span);
            return Err(Diag::new(
                "`steps` needs a `lock` or `semaphore` beside it",
                steps,
                "nested steps without a lock or semaphore",
            )
            .key(join(key, "steps"))
            .help("write { lock = \"db\", steps = [ ... ] }, or list the steps directly"));
        };
        if let Some(second) = kinds.next() {
            return Err(Diag::new(
                format!(
                    "a step has exactly one kind, found `{}` and `{}`",
                    kind.key, second.key
                ),
                &second.key_span,
                "second step kind",
            )
            .key(join(key, &second.key))
            .help(format!(
                "split it into two steps: {{ {} = ... }}, {{ {} = ... }}",
                kind.key, second.key
            )));
        }
        let k = join(key, &kind.key);
        let v = &kind.value;
        if kind.key == "to_thread" {
            return self.parse_to_thread(kind, nested, key);
        }
        if let Some(n) = table.get("n").filter(|_| kind.key != "notify") {
            return Err(Diag::new(
                format!("`n` only goes with a `notify` step, not `{}`", kind.key),
                &n.key_span,
                "not a `notify` step",
            )
            .key(join(key, "n")));
        }
        if SYNC_STEPS.contains(&kind.key.as_str()) {
            return self.parse_sync_step(kind, table.get("n"), nested, key);
        }
        let blocking_io: fn(Dist) -> Step = if self.asyncio && !self.in_to_thread {
            Step::BlockingIo
        } else {
            // Outside a coroutine, a blocking call is plain blocking I/O.
            Step::Io
        };
        let simple: Option<fn(Dist) -> Step> = match kind.key.as_str() {
            "cpu" => Some(Step::Cpu),
            "cpu_held" => Some(Step::CpuHeld),
            "cpu_nogil" => Some(Step::CpuNogil),
            "io" => Some(Step::Io),
            "blocking_io" => Some(blocking_io),
            "sleep" => Some(Step::Sleep),
            _ => None,
        };
        if let Some(make) = simple {
            if let Some(steps) = nested {
                return Err(Diag::new(
                    "`steps` only goes with a `lock` or `semaphore` step",
                    &steps.key_span,
                    format!("a `{}` step has no nested steps", kind.key),
                )
                .key(join(key, "steps")));
            }
            return Ok(make(dist(v, &k)?));
        }

        // `lock` or `semaphore`: a name and nested steps.
        let what = kind.key.as_str();
        let name = match &v.value {
            Value::Str(s) if !s.is_empty() => s.as_str(),
            Value::Str(_) => {
                return Err(Diag::new(
                    format!("empty {what} name"),
                    &v.span,
                    format!("expected the {what}'s name"),
                )
                .key(k));
            }
            _ => {
                return Err(type_error(v, &k, &format!("a {what} name (a string)"))
                    .help(format!("write {{ {what} = \"name\", steps = [ ... ] }}")));
            }
        };
        let Some(steps_entry) = nested else {
            return Err(Diag::new(
                format!("a `{what}` step needs `steps` beside it"),
                &kind.key_span,
                format!("what runs while the {what} is held?"),
            )
            .key(join(key, "steps"))
            .help(format!(
                "write {{ {what} = \"{name}\", steps = [ {{ io = \"2ms\" }} ] }}"
            )));
        };
        if what == "lock" {
            let lock = match self.locks.iter().position(|l| l == name) {
                Some(i) => i,
                None => {
                    self.locks.push(name.to_string());
                    self.locks.len() - 1
                }
            };
            let steps = self.steps(&steps_entry.value, &join(key, "steps"))?;
            Ok(Step::Lock { lock, steps })
        } else {
            let Some(semaphore) = self.semaphores.iter().position(|s| s.name == name) else {
                let defined: Vec<&str> = self.semaphores.iter().map(|s| s.name.as_str()).collect();
                let note = if defined.is_empty() {
                    "no semaphores are defined".to_string()
                } else {
                    format!("defined semaphores: {}", list(&defined))
                };
                return Err(Diag::new(
                    format!("unknown semaphore `{name}`"),
                    &v.span,
                    "not defined in [semaphores]",
                )
                .key(k)
                .note(note)
                .help(format!(
                    "add `{name} = 3` (its capacity) under [semaphores]"
                )));
            };
            let steps = self.steps(&steps_entry.value, &join(key, "steps"))?;
            Ok(Step::Semaphore { semaphore, steps })
        }
    }
}

impl Validator<'_> {
    /// `{ to_thread = true, steps = [ ... ] }`: `asyncio.to_thread` around the
    /// nested steps, in an asyncio workload, not nested in another `to_thread`.
    fn parse_to_thread(&mut self, kind: &Entry, nested: Option<&Entry>, key: &str) -> Res<Step> {
        let k = join(key, "to_thread");
        if !self.asyncio {
            return Err(Diag::new(
                "`to_thread` steps are asyncio only",
                &kind.key_span,
                "this workload's model is not asyncio",
            )
            .key(k)
            .help(
                "use model = \"asyncio\", or list the steps directly (a thread already runs them)",
            ));
        }
        if self.in_to_thread {
            return Err(Diag::new(
                "a `to_thread` step inside a `to_thread` body",
                &kind.key_span,
                "the body already runs in an executor thread",
            )
            .key(k)
            .help("list the steps directly"));
        }
        match &kind.value.value {
            Value::Bool(true) => {}
            Value::Array(_) => {
                return Err(Diag::new(
                    "`to_thread` takes `true` and its steps beside it",
                    &kind.value.span,
                    "expected true",
                )
                .key(k)
                .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"));
            }
            _ => {
                return Err(type_error(&kind.value, &k, "true")
                    .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"));
            }
        }
        let Some(steps_entry) = nested else {
            return Err(Diag::new(
                "a `to_thread` step needs `steps` beside it",
                &kind.key_span,
                "what runs in the executor thread?",
            )
            .key(join(key, "steps"))
            .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"));
        };
        self.in_to_thread = true;
        let steps = self.steps(&steps_entry.value, &join(key, "steps"));
        self.in_to_thread = false;
        Ok(Step::ToThread(steps?))
    }
}

fn semaphores(entry: Option<&Entry>) -> Res<Vec<SemaphoreDef>> {
    let Some(entry) = entry else {
        return Ok(Vec::new());
    };
    let table = as_table(&entry.value, "semaphores")?;
    table
        .entries
        .iter()
        .map(|e| {
            let k = join("semaphores", &e.key);
            let capacity = int_in(
                &e.value,
                &k,
                "a semaphore's capacity",
                1,
                i128::from(u32::MAX),
            )? as u32;
            Ok(SemaphoreDef {
                name: e.key.clone(),
                capacity,
            })
        })
        .collect()
}

impl Validator<'_> {
    /// `{ wait_event = "go" }`, `{ set_event = "go" }`, `{ clear_event = "go" }`,
    /// `{ wait = "ready" }`, `{ notify = "ready" }` or `{ notify = "ready", n = 3 | "all" }`.
    fn parse_sync_step(
        &mut self,
        kind: &Entry,
        n: Option<&Entry>,
        nested: Option<&Entry>,
        key: &str,
    ) -> Res<Step> {
        let what = kind.key.as_str();
        let k = join(key, what);
        let event = matches!(what, "wait_event" | "set_event" | "clear_event");
        let (object, table) = if event {
            ("event", "events")
        } else {
            ("condition", "conditions")
        };
        if let Some(steps) = nested {
            return Err(Diag::new(
                format!("`steps` does not go with a `{what}` step"),
                &steps.key_span,
                format!("a `{what}` step has no nested steps"),
            )
            .key(join(key, "steps"))
            .help("list the steps that follow it after it"));
        }
        let name = match &kind.value.value {
            Value::Str(s) if !s.is_empty() => s.as_str(),
            _ => {
                return Err(type_error(&kind.value, &k, &format!("the {object}'s name"))
                    .help(format!("write {{ {what} = \"name\" }}")));
            }
        };
        let found = self
            .syncs
            .iter()
            .position(|s| s.name == name && s.event.is_some() == event);
        let Some(index) = found else {
            let defined: Vec<&str> = self
                .syncs
                .iter()
                .filter(|s| s.event.is_some() == event)
                .map(|s| s.name.as_str())
                .collect();
            let note = if defined.is_empty() {
                format!("no {object}s are declared")
            } else {
                format!("declared {object}s: {}", list(&defined))
            };
            return Err(Diag::new(
                format!("unknown {object} `{name}`"),
                &kind.value.span,
                format!("not declared in [{table}]"),
            )
            .key(k)
            .note(note)
            .help(format!("add `{name} = {{}}` under [{table}]")));
        };
        if self.subinterpreters || self.in_to_thread {
            let place = if self.in_to_thread {
                "inside a `to_thread` body"
            } else {
                "on subinterpreters"
            };
            return Err(Diag::new(
                format!("`{what}` steps {place} are not built yet in this version of gilsim"),
                &kind.key_span,
                "not supported yet",
            )
            .key(k));
        }
        let span = kind.key_span.clone();
        match &self.sync_uses[index] {
            Some((asyncio, first)) if *asyncio != self.asyncio => {
                let mut diag = Diag::new(
                    format!(
                        "{object} `{name}` is used both by coroutines and by threads or processes"
                    ),
                    &span,
                    if self.asyncio {
                        "used in a coroutine here"
                    } else {
                        "used outside asyncio here"
                    },
                )
                .key(k)
                .note(format!(
                    "an asyncio.{} is not thread-safe: a thread cannot wait on it or set it",
                    if event { "Event" } else { "Condition" }
                ))
                .help(format!("declare a second {object} for the other side"));
                if first.origin == span.origin {
                    diag = diag.secondary(first, "first used here");
                }
                return Err(diag);
            }
            Some(_) => {}
            None => self.sync_uses[index] = Some((self.asyncio, span)),
        }
        Ok(match what {
            "wait_event" => Step::WaitEvent(index),
            "set_event" => Step::SetEvent(index),
            "clear_event" => Step::ClearEvent(index),
            "wait" => Step::Wait(index),
            _ => Step::Notify {
                condition: index,
                n: notify_count(n, key)?,
            },
        })
    }
}

/// `n` of a `notify` step: an integer ≥ 1 or `"all"`; default 1.
fn notify_count(n: Option<&Entry>, key: &str) -> Res<Option<u32>> {
    let Some(n) = n else {
        return Ok(Some(1));
    };
    let k = join(key, "n");
    match &n.value.value {
        Value::Str(s) if s == "all" => Ok(None),
        Value::Int(_) => Ok(Some(
            int_in(&n.value, &k, "n", 1, i128::from(u32::MAX))? as u32
        )),
        _ => Err(Diag::new(
            format!(
                "expected an integer ≥ 1 or \"all\", found {}",
                n.value.value.type_name()
            ),
            &n.value.span,
            "expected how many waiters to wake: an integer ≥ 1, or \"all\"",
        )
        .key(k)
        .help("write n = 1, n = 3 or n = \"all\"")),
    }
}

/// `[events]` (`go = {}` or `go = { set = true }`) and `[conditions]` (`ready = {}`).
fn syncs(events: Option<&Entry>, conditions: Option<&Entry>) -> Res<Vec<SyncDef>> {
    let mut defs = Vec::new();
    for (entry, event) in [(events, true), (conditions, false)] {
        let Some(entry) = entry else { continue };
        let table = as_table(&entry.value, &entry.key)?;
        for e in &table.entries {
            let k = join(&entry.key, &e.key);
            let help = if event {
                format!(
                    "write {} = {{}} (initially clear) or {} = {{ set = true }}",
                    e.key, e.key
                )
            } else {
                format!("write {} = {{}}", e.key)
            };
            let Value::Table(options) = &e.value.value else {
                return Err(type_error(&e.value, &k, "a table of options").help(help));
            };
            if let (false, Some(option)) = (event, options.entries.first()) {
                return Err(Diag::new(
                    format!("unknown key `{}` in [conditions]", option.key),
                    &option.key_span,
                    "a condition takes no options",
                )
                .key(join(&k, &option.key))
                .help(help));
            }
            check_keys(options, &k, "in [events]", &["set"]).map_err(|d| d.help(help.clone()))?;
            let set = match options.get("set") {
                Some(s) => match s.value.value {
                    Value::Bool(b) => b,
                    _ => return Err(type_error(&s.value, &join(&k, "set"), "true or false")),
                },
                None => false,
            };
            defs.push(SyncDef {
                name: e.key.clone(),
                event: event.then_some(set),
            });
        }
    }
    Ok(defs)
}

/// What carries items from `upstream` to `stage` (DESIGN 1.6), or why no
/// channel can: the message and the span's label.
fn stage_channel(
    upstream: &Workload,
    stage: &Workload,
    pipe: bool,
) -> Result<StageChannel, (String, &'static str)> {
    #[derive(PartialEq)]
    enum End {
        Thread,
        Process,
        Loop,
        Interpreter,
    }
    let end = |m: &Model| match m {
        Model::Sequential | Model::Threads => End::Thread,
        Model::Processes(_) => End::Process,
        Model::Asyncio => End::Loop,
        Model::Subinterpreters(_) => End::Interpreter,
    };
    let (from, to) = (end(&upstream.model), end(&stage.model));
    if from == End::Interpreter || to == End::Interpreter {
        let w = if from == End::Interpreter {
            upstream
        } else {
            stage
        };
        return Err((
            format!(
                "pipelines with `{}` on subinterpreters are not built yet in this version of gilsim",
                w.name
            ),
            "not supported yet: stages on sequential, threads, processes or asyncio workloads are",
        ));
    }
    if to == End::Loop && from != End::Loop {
        return Err((
            format!(
                "`{}` runs on the event loop: a stage fed by `{}` ({}) would need loop.run_in_executor around the get, which is not built yet in this version of gilsim",
                stage.name,
                upstream.name,
                upstream.model.name()
            ),
            "not supported yet: an asyncio stage's upstream must be asyncio",
        ));
    }
    if from == End::Loop && to == End::Thread {
        return Err((
            format!(
                "`{}` runs on the event loop and `{}` on threads: a queue.Queue between them is not built yet in this version of gilsim",
                upstream.name, stage.name
            ),
            "not supported yet: asyncio feeds asyncio (asyncio.Queue) or processes (multiprocessing.Queue)",
        ));
    }
    if from == End::Loop
        && to == End::Process
        && matches!(
            stage.arrival,
            Arrival::After {
                capacity: Some(_),
                ..
            }
        )
    {
        return Err((
            format!(
                "`{}` runs on the event loop: a bounded multiprocessing.Queue's put would block the loop when full, which is not built yet in this version of gilsim",
                upstream.name
            ),
            "not supported yet: leave `queue` out (an unbounded multiprocessing.Queue never blocks a put)",
        ));
    }
    if pipe {
        if from == End::Loop {
            return Err((
                format!(
                    "`{}` runs on the event loop: a multiprocessing.Pipe from a coroutine is not built yet in this version of gilsim",
                    upstream.name
                ),
                "not supported yet: `channel = \"pipe\"` links threads or processes",
            ));
        }
        return Ok(StageChannel::Pipe);
    }
    Ok(match (from, to) {
        (End::Thread, End::Thread) => StageChannel::Queue,
        (End::Loop, End::Loop) => StageChannel::AsyncioQueue,
        _ => StageChannel::MpQueue,
    })
}
