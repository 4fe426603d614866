//! `--set KEY=VALUE` overrides and sweep values, applied to the document
//! before validation.
//!
//! KEY is a dotted path into the scenario file (`machine.cores`,
//! `python.switch_interval`); a workload is addressed by its name
//! (`workload.jobs.run.workers`). Missing tables on the way are created, so a
//! key the file leaves out can still be set. VALUE is read as a TOML value,
//! and as a string when it is not one (`1ms`, `threads`).

use std::ops::Range;

use toml::de::DeValue;

use super::diagnostic::{Diag, Span};
use super::document::{Entry, Node, Table, Value, from_toml};

/// One swept key of `[sweep]`: its dotted path (each part with its span)
/// and the list of values it takes.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// The dotted key as written, e.g. `machine.cores`.
    pub key: String,
    /// The key's parts, each with the span it came from.
    pub segments: Vec<(String, Span)>,
    /// The list of values (an array node; checked by the sweep).
    pub values: Node,
    /// The `[[sweep.zip]]` table it belongs to: the keys of one such table
    /// vary together, as one axis.
    pub zip: Option<usize>,
}

/// A value written in the file (or in an earlier `--set`) that a `--set`
/// or the sweep replaces: it is still checked where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Shadowed {
    /// Where it goes in the document.
    pub segments: Vec<(String, Span)>,
    /// The value as written.
    pub node: Node,
}

/// Applies every override in order; later ones win. `sweep.KEY=[...]`
/// replaces (or adds) a sweep list; any other key is set in the document and
/// removed from the sweep, so `--set machine.cores=1` pins a swept key. An
/// override that is wrong is left out and its error recorded; what each
/// replaces goes to `shadowed`.
pub(crate) fn apply(
    root: &mut Table,
    axes: &mut Vec<Axis>,
    overrides: &[String],
    errors: &mut Vec<Diag>,
    shadowed: &mut Vec<Shadowed>,
) {
    for (index, argument) in overrides.iter().enumerate() {
        if let Err(d) = apply_one(root, axes, index, argument, shadowed) {
            errors.push(d);
        }
    }
}

/// Each value of a sweep list, for `shadowed`.
fn axis_values(axis: &Axis) -> Vec<Shadowed> {
    match &axis.values.value {
        Value::Array(items) => items
            .iter()
            .map(|node| Shadowed {
                segments: axis.segments.clone(),
                node: node.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Trims `text[range]` and returns the trimmed range.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let part = &text[range.clone()];
    let start = range.start + (part.len() - part.trim_start().len());
    let end = range.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

fn apply_one(
    root: &mut Table,
    axes: &mut Vec<Axis>,
    index: usize,
    argument: &str,
    shadowed: &mut Vec<Shadowed>,
) -> Result<(), Diag> {
    let whole = Span::set(index, 0..argument.len());
    let Some(eq) = argument.find('=') else {
        return Err(Diag::new(
            format!("expected KEY=VALUE in --set {argument}"),
            &whole,
            "no `=` in this argument",
        )
        .help("write for example --set machine.cores=2"));
    };
    let key_range = trimmed(argument, 0..eq);
    let value_range = trimmed(argument, eq + 1..argument.len());
    let key = &argument[key_range.clone()];
    if key.is_empty() {
        return Err(Diag::new(
            format!("missing key in --set {argument}"),
            &Span::set(index, 0..eq + 1),
            "expected a key before `=`",
        )
        .help("write for example --set machine.cores=2"));
    }

    // The key's dotted parts with their spans in the argument.
    let mut segments: Vec<(String, Span)> = Vec::new();
    let mut start = key_range.start;
    for part in key.split('.') {
        let range = start..start + part.len();
        start = range.end + 1;
        if part.trim().is_empty() {
            return Err(Diag::new(
                format!("empty part in key `{key}`"),
                &Span::set(index, key_range.clone()),
                "expected a dotted key such as `machine.cores`",
            )
            .key(key));
        }
        if part.contains(['[', ']', '"', '\'']) {
            return Err(Diag::new(
                format!("`{part}` cannot be addressed by --set"),
                &Span::set(index, range),
                "expected a plain dotted key",
            )
            .key(key)
            .help("--set replaces a whole value: to change steps, give the whole array, e.g. --set 'workload.jobs.steps=[{cpu=\"1ms\"}]'"));
        }
        segments.push((part.to_string(), Span::set(index, range)));
    }

    let value = parse_value(index, argument, value_range);
    if segments[0].0 == "sweep" {
        if segments.len() < 2 {
            return Err(Diag::new(
                "`sweep` needs the key to sweep",
                &Span::set(index, key_range),
                "expected sweep.KEY=[...]",
            )
            .key(key)
            .help("for example --set sweep.machine.cores=[1,2,4]"));
        }
        let rest: Vec<(String, Span)> = segments[1..].to_vec();
        let axis_key = key["sweep.".len()..].to_string();
        let axis = Axis {
            key: axis_key.clone(),
            segments: rest,
            values: value,
            zip: None,
        };
        match axes.iter_mut().find(|a| a.key == axis_key) {
            Some(existing) => {
                shadowed.extend(axis_values(existing));
                // A zipped key's new list still varies with its table.
                *existing = Axis {
                    zip: existing.zip,
                    ..axis
                };
            }
            None => axes.push(axis),
        }
        return Ok(());
    }
    let replaced = set(root, &segments, value)?;
    shadowed.extend(replaced.map(|node| Shadowed {
        segments: segments.clone(),
        node,
    }));
    for axis in axes.iter().filter(|a| a.key == key) {
        shadowed.extend(axis_values(axis));
    }
    axes.retain(|a| a.key != key);
    Ok(())
}

/// Sets the value at a dotted path (`machine.cores`, `workload.jobs.run.workers`),
/// creating missing tables on the way; a workload is addressed by its name.
/// Returns the value it replaces, if there was one. Errors point at the
/// segment spans.
pub(crate) fn set(
    root: &mut Table,
    segments: &[(String, Span)],
    value: Node,
) -> Result<Option<Node>, Diag> {
    let key: String = segments
        .iter()
        .map(|(s, _)| s.as_str())
        .collect::<Vec<_>>()
        .join(".");
    let whole = match (segments.first(), segments.last()) {
        (Some((_, a)), Some((_, b))) if a.origin == b.origin => Span {
            origin: a.origin,
            range: a.range.start..b.range.end,
        },
        (Some((_, a)), _) => a.clone(),
        _ => return Ok(None),
    };
    let mut table: &mut Table = root;
    let mut path = String::new();
    let mut i = 0;
    while i + 1 < segments.len() {
        let (segment, span) = (segments[i].0.as_str(), &segments[i].1);
        if path.is_empty() && segment == "workload" {
            let (name, name_span) = (segments[i + 1].0.as_str(), &segments[i + 1].1);
            if i + 2 >= segments.len() {
                return Err(Diag::new(
                    format!("`workload.{name}` names a workload, not one of its keys"),
                    &whole,
                    "expected workload.NAME.KEY",
                )
                .key(&key)
                .help(format!("for example workload.{name}.tasks = 10")));
            }
            let known = workload_names(table);
            let unnamed = some_unnamed(table);
            match find_workload(table, name) {
                Some(found) => table = found,
                None => {
                    let diag = Diag::new(
                        format!("no workload named `{name}`"),
                        name_span,
                        "not the name of a [[workload]]",
                    )
                    .key(&key)
                    .note(known);
                    // It may be the workload whose name cannot be read.
                    return Err(if unnamed { diag.follow_up() } else { diag });
                }
            }
            path = format!("workload.{name}");
            i += 2;
            continue;
        }
        let position = match table.entries.iter().position(|e| e.key == segment) {
            Some(p) => p,
            None => {
                table.entries.push(Entry {
                    key: segment.to_string(),
                    key_span: span.clone(),
                    value: Node {
                        value: Value::Table(Table::default()),
                        span: span.clone(),
                    },
                });
                table.entries.len() - 1
            }
        };
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(segment);
        let entry = &mut table.entries[position];
        let found = entry.value.value.type_name();
        match &mut entry.value.value {
            Value::Table(inner) => table = inner,
            _ => {
                return Err(Diag::new(
                    format!("`{path}` is {found}, not a table"),
                    span,
                    "cannot set a key inside it",
                )
                .key(&key));
            }
        }
        i += 1;
    }

    let (last, span) = (segments[i].0.as_str(), &segments[i].1);
    match table.get_mut(last) {
        Some(entry) => Ok(Some(std::mem::replace(&mut entry.value, value))),
        None => {
            table.entries.push(Entry {
                key: last.to_string(),
                key_span: span.clone(),
                value,
            });
            Ok(None)
        }
    }
}

/// VALUE as a TOML value, or as a string when it is not one.
fn parse_value(index: usize, argument: &str, range: Range<usize>) -> Node {
    let text = &argument[range.clone()];
    let offset = range.start;
    match DeValue::parse(text) {
        Ok(value) => from_toml(value, &|r: Range<usize>| {
            Span::set(index, offset + r.start..offset + r.end)
        }),
        Err(_) => Node {
            value: Value::Str(text.to_string()),
            span: Span::set(index, range),
        },
    }
}

/// The table of the workload named `name`.
fn find_workload<'t>(root: &'t mut Table, name: &str) -> Option<&'t mut Table> {
    let entry = root.get_mut("workload")?;
    let Value::Array(items) = &mut entry.value.value else {
        return None;
    };
    items.iter_mut().find_map(|item| match &mut item.value {
        Value::Table(t) if matches!(t.get("name"), Some(Entry { value: Node { value: Value::Str(n), .. }, .. }) if n == name) => {
            Some(t)
        }
        _ => None,
    })
}

/// Whether some workload has no name that can be read (or `workload` is
/// not an array of tables): its own error says so.
fn some_unnamed(root: &Table) -> bool {
    match root.get("workload").map(|e| &e.value.value) {
        Some(Value::Array(items)) => items.iter().any(|item| match &item.value {
            Value::Table(t) => match t.get("name").map(|e| &e.value.value) {
                Some(Value::Str(n)) => {
                    n.is_empty()
                        || !n
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                }
                _ => true,
            },
            _ => true,
        }),
        _ => true,
    }
}

/// "workloads: a, b" for messages.
fn workload_names(root: &Table) -> String {
    let names: Vec<String> = match root.get("workload").map(|e| &e.value.value) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match &item.value {
                Value::Table(t) => match t.get("name").map(|e| &e.value.value) {
                    Some(Value::Str(n)) => Some(format!("`{n}`")),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        "the scenario has no named [[workload]]".to_string()
    } else {
        format!("workloads: {}", names.join(", "))
    }
}
