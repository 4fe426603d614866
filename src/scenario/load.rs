//! Reading a scenario: the file's bytes to a validated [`Study`].
//!
//! The file is parsed with spans ([`toml::de::DeTable`]), turned into an owned
//! tree, edited by the `--set` overrides, expanded into the sweep's points,
//! then each point is validated key by key into a [`Scenario`]. Every
//! independent error is reported, each pointing at the offending key or
//! value; a value that a `--set` or the sweep replaces is still checked
//! where it is written.

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::Path;

use toml::de::DeTable;

use super::diagnostic::{Diag, ScenarioError, Sources, Span};
use super::document::{Table, Value, table_from_toml};
use super::overrides::Shadowed;
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
            .map_err(|diags| ScenarioError::render_all(diags, &sources))
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

fn parse_document(
    sources: &Sources<'_>,
    profiles: Option<ProfileLoader>,
) -> Result<Study, Vec<Diag>> {
    let mut root = match DeTable::parse(sources.file) {
        Ok(table) => table_from_toml(table.into_inner(), &Span::file),
        Err(e) => {
            let span = Span::file(e.span().unwrap_or(0..0));
            let message = e.message().trim().replace('\n', "; ");
            return Err(vec![
                Diag::new("the file is not valid TOML", &span, message)
                    .help("see https://toml.io for the syntax"),
            ]);
        }
    };
    let mut errors: Vec<Diag> = Vec::new();
    let mut axes = sweep::axes(root.get("sweep"), sources).unwrap_or_else(|d| {
        errors.push(d);
        Vec::new()
    });
    root.entries.retain(|e| e.key != "sweep");
    // Charts may still name a key that a --set took out of the sweep, or
    // one whose list is wrong (its own error says so).
    let mut chart_keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    // Values written but replaced: by a --set, or by the sweep.
    let mut shadowed: Vec<Shadowed> = Vec::new();
    overrides::apply(
        &mut root,
        &mut axes,
        sources.overrides,
        &mut errors,
        &mut shadowed,
    );
    for k in axes.iter().map(|a| &a.key) {
        if !chart_keys.contains(k) {
            chart_keys.push(k.clone());
        }
    }
    let chart_entry = root.get("chart").cloned();
    root.entries.retain(|e| e.key != "chart");
    let count = sweep::check_axes(&mut axes, &root, &mut errors, &mut shadowed);
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
    // `check_axes` kept the axes whose key can be set in the file, but an
    // earlier axis may change the way (a swept workload name, a table
    // replaced by a value).
    let point_doc = |index: usize| -> Result<Table, Diag> {
        let mut doc = root.clone();
        for (axis, value) in axes.iter().zip(sweep::choose(&axes, index)) {
            overrides::set(&mut doc, &axis.segments, value.clone())?;
        }
        Ok(doc)
    };
    let validate =
        |doc: &Table| Validator::new(sources, &swept_models, profiles, &warnings).scenario(doc);
    let mut points = Vec::with_capacity(count.unwrap_or(0));
    let (mut runs, mut too_many_runs) = (0u64, false);
    // Each point's errors, once: an error outside the sweep is in all of them.
    let mut seen = HashSet::new();
    let mut add = |errors: &mut Vec<Diag>, d: Diag| {
        let span = d.span();
        if seen.insert((span.origin, span.range.clone(), d.message().to_string())) {
            errors.push(d);
        }
    };
    // Which value of each sweep list has been validated in some point.
    let mut tried: Vec<Vec<bool>> = axes
        .iter()
        .map(|a| match &a.values.value {
            Value::Array(items) => vec![false; items.len()],
            _ => Vec::new(),
        })
        .collect();
    for index in 0..count.unwrap_or(0) {
        let at = sweep::indices(&axes, index);
        // Once there is an error the study will not run, and what matters
        // is the errors: a point is validated when it holds a sweep value
        // no validated point held (each value is checked, not each of the
        // combinations: those are checked once these errors are fixed).
        let fresh = at
            .iter()
            .zip(&tried)
            .any(|(&i, t)| t.get(i) == Some(&false));
        if index > 0 && !errors.is_empty() && !fresh {
            continue;
        }
        for (&i, t) in at.iter().zip(tried.iter_mut()) {
            if let Some(v) = t.get_mut(i) {
                *v = true;
            }
        }
        let doc = match point_doc(index) {
            Ok(doc) => doc,
            Err(d) => {
                add(&mut errors, d);
                continue;
            }
        };
        match validate(&doc) {
            Ok(scenario) => {
                // What cannot fit, at the key that asks for it; the study's
                // runs once, when they pass the cap.
                let mut refused = limits::check_point(&scenario, &doc).err();
                runs += u64::from(scenario.replications);
                if refused.is_none() && !too_many_runs {
                    refused = limits::check_runs(runs, index + 1, &doc).err();
                    too_many_runs = refused.is_some();
                }
                match refused {
                    Some(d) => add(&mut errors, d),
                    None if errors.is_empty() => points.push(StudyPoint {
                        index,
                        values: sweep::choose(&axes, index)
                            .iter()
                            .map(|v| sweep::display(v, sources))
                            .collect(),
                        scenario,
                    }),
                    None => {}
                }
            }
            Err(found) => {
                for d in found {
                    add(&mut errors, d);
                }
            }
        }
    }
    // A value something replaces is still checked where it is written: its
    // type and range, in the first point with it put back (what it is
    // refused for together with other keys does not apply to it).
    if let (false, Ok(first)) = (shadowed.is_empty(), point_doc(0)) {
        for s in &shadowed {
            let mut doc = first.clone();
            if overrides::set(&mut doc, &s.segments, s.node.clone()).is_err() {
                continue;
            }
            if let Err(found) = validate(&doc) {
                errors.extend(
                    found
                        .into_iter()
                        .filter(|d| !d.is_relational() && inside(d.span(), &s.node.span)),
                );
            }
        }
    }
    let counts: Vec<(String, usize)> = axes
        .iter()
        .filter_map(|a| match &a.values.value {
            Value::Array(items) => Some((a.key.clone(), items.len())),
            _ => None,
        })
        .collect();
    let workloads = workload_names(&root);
    let charts = chart::charts(
        chart_entry.as_ref(),
        &chart_keys,
        &counts,
        workloads.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        // What may only follow from another error is shown when it is alone.
        if errors.iter().any(|d| !d.is_follow_up()) {
            errors.retain(|d| !d.is_follow_up());
        }
        return Err(errors);
    }
    for w in warnings.borrow().iter() {
        eprintln!("{w}");
    }
    Ok(Study {
        sweep_keys,
        points,
        charts,
    })
}

/// Whether `span` lies within `outer`.
fn inside(span: &Span, outer: &Span) -> bool {
    span.origin == outer.origin
        && outer.range.start <= span.range.start
        && span.range.end <= outer.range.end
}

/// The workloads' names, for `[[chart]] workload`; `None` when some
/// workload has none (its own error says so).
fn workload_names(root: &Table) -> Option<Vec<String>> {
    let Some(Value::Array(items)) = root.get("workload").map(|e| &e.value.value) else {
        return None;
    };
    items
        .iter()
        .map(|item| match &item.value {
            Value::Table(t) => match t.get("name").map(|e| &e.value.value) {
                Some(Value::Str(n)) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
