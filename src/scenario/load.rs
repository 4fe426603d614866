//! Reading a scenario: the file's bytes to a validated [`Study`].
//!
//! The file is parsed with spans ([`toml::de::DeTable`]), turned into an owned
//! tree, edited by the `--set` overrides, expanded into the sweep's points,
//! then each point is validated key by key into a [`Scenario`]. Validation
//! stops at the first error, which points at the offending key or value.

use std::cell::RefCell;
use std::path::Path;

use toml::de::DeTable;

use super::diagnostic::{Diag, ScenarioError, Sources, Span};
use super::document::{Value, table_from_toml};
use super::validate::Validator;
use super::validate::profile::ProfileLoader;
use super::{Scenario, Study, StudyPoint, chart, limits, overrides, sweep};

/// How scenario files are read: the `--set` overrides, and how a
/// `[python] profile` path is loaded. [`load`], [`load_study`],
/// [`parse_str`] and [`parse_study_str`] read with no profile loader; a
/// program that runs scenarios with profiles builds a reader with one:
/// `Reader::new(&overrides).with_profiles(loader).load_study(path)`.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    overrides: &'a [String],
    profiles: Option<ProfileLoader>,
}

impl<'a> Reader<'a> {
    /// A reader that applies `overrides` (`--set KEY=VALUE` arguments,
    /// applied before validation) and refuses a `[python] profile` other
    /// than `reference`.
    pub fn new(overrides: &'a [String]) -> Self {
        Reader {
            overrides,
            profiles: None,
        }
    }

    /// The same reader, loading a `[python] profile` path with `loader`.
    pub fn with_profiles(self, loader: ProfileLoader) -> Self {
        Reader {
            profiles: Some(loader),
            ..self
        }
    }

    /// Reads, overrides and validates the scenario file at `path`: the
    /// first point of its sweep (the whole scenario when it has none).
    pub fn load(&self, path: &Path) -> Result<Scenario, ScenarioError> {
        self.load_study(path).map(Study::into_first)
    }

    /// Reads, overrides and validates the scenario file at `path` with
    /// every point of its sweep. A file that is not UTF-8 is an error
    /// pointing at its first bad byte.
    pub fn load_study(&self, path: &Path) -> Result<Study, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|e| {
            ScenarioError::bare(path, format!("cannot read {}: {e}", path.display()))
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => self.parse_study_str(&text, path),
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
                    overrides: self.overrides,
                };
                Err(ScenarioError::render(diag, &sources))
            }
        }
    }

    /// Parses, overrides and validates a scenario given as text; `path` is
    /// used in messages and stored in the [`Scenario`]. Returns the first
    /// point of its sweep.
    pub fn parse_str(&self, source: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        self.parse_study_str(source, path).map(Study::into_first)
    }

    /// Parses, overrides and validates a scenario given as text, with every
    /// point of its sweep.
    pub fn parse_study_str(&self, source: &str, path: &Path) -> Result<Study, ScenarioError> {
        // A byte-order mark is not part of the first line's columns.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let sources = Sources {
            path,
            file: source,
            overrides: self.overrides,
        };
        parse_document(&sources, self.profiles)
            .map_err(|diag| ScenarioError::render(diag, &sources))
    }
}

/// Reads, overrides and validates the scenario file at `path`: the first
/// point of its sweep (the whole scenario when it has none), without a
/// profile loader ([`Reader`]).
///
/// `overrides` are `--set KEY=VALUE` arguments, applied before validation.
/// A file that is not UTF-8 is an error pointing at its first bad byte.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    Reader::new(overrides).load(path)
}

/// Reads, overrides and validates the scenario file at `path` with every
/// point of its sweep, without a profile loader ([`Reader`]).
pub fn load_study(path: &Path, overrides: &[String]) -> Result<Study, ScenarioError> {
    Reader::new(overrides).load_study(path)
}

/// Parses, overrides and validates a scenario given as text; `path` is used
/// in messages and stored in the [`Scenario`]. Returns the first point of
/// its sweep. Without a profile loader ([`Reader`]).
pub fn parse_str(
    source: &str,
    path: &Path,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    Reader::new(overrides).parse_str(source, path)
}

/// Parses, overrides and validates a scenario given as text, with every
/// point of its sweep. Without a profile loader ([`Reader`]).
pub fn parse_study_str(
    source: &str,
    path: &Path,
    overrides: &[String],
) -> Result<Study, ScenarioError> {
    Reader::new(overrides).parse_study_str(source, path)
}

fn parse_document(sources: &Sources<'_>, profiles: Option<ProfileLoader>) -> Result<Study, Diag> {
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
    let mut runs: u64 = 0;
    for index in 0..count {
        let chosen = sweep::choose(&axes, index);
        let mut doc = root.clone();
        for (axis, value) in axes.iter().zip(&chosen) {
            overrides::set(&mut doc, &axis.segments, (*value).clone())?;
        }
        let mut validator = Validator::new(sources, &swept_models, profiles, &warnings);
        let scenario = validator.scenario(&doc)?;
        limits::check_point(&scenario, &doc)?;
        runs += u64::from(scenario.replications);
        limits::check_runs(runs, index + 1, &doc)?;
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
    let charts = chart::charts(chart_entry.as_ref(), &chart_keys, &counts, &workloads)?;
    for w in warnings.borrow().iter() {
        eprintln!("{w}");
    }
    Ok(Study {
        sweep_keys,
        points,
        charts,
    })
}
