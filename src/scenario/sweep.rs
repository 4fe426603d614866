//! Sweeps: `[sweep]` lists of dotted keys expand into the cartesian product
//! of scenario points, each validated like a `--set` of those values.
//!
//! Points are numbered from 0 with the last key varying fastest; keys keep
//! file order (the `toml` crate's `preserve_order`), then `--set sweep.KEY`
//! additions in argument order.

use super::diagnostic::{Diag, Sources, Span};
use super::document::{Entry, Node, Table, Value};
use super::overrides::{self, Axis, Shadowed};

/// At most this many points in one sweep: a guard against a typo that
/// multiplies lists into millions of runs.
pub const MAX_POINTS: usize = 100_000;

/// Turns the `[sweep]` table into axes. A key may be quoted
/// (`"machine.cores" = [...]`) or dotted (`machine.cores = [...]`, which TOML
/// reads as nested tables).
pub(crate) fn axes(entry: Option<&Entry>, sources: &Sources<'_>) -> Result<Vec<Axis>, Diag> {
    let Some(entry) = entry else {
        return Ok(Vec::new());
    };
    let Value::Table(table) = &entry.value.value else {
        return Err(Diag::new(
            format!("expected a table, found {}", entry.value.value.type_name()),
            &entry.value.span,
            "expected [sweep] with lists of values",
        )
        .key("sweep")
        .help("write [sweep] then \"machine.cores\" = [1, 2, 4]"));
    };
    let mut out = Vec::new();
    flatten(table, &[], sources, &mut out);
    Ok(out)
}

fn flatten(table: &Table, prefix: &[(String, Span)], sources: &Sources<'_>, out: &mut Vec<Axis>) {
    for e in &table.entries {
        let mut segments = prefix.to_vec();
        segments.extend(split_key(&e.key, &e.key_span, sources));
        match &e.value.value {
            Value::Table(inner) if !inner.entries.is_empty() => {
                flatten(inner, &segments, sources, out)
            }
            _ => out.push(Axis {
                key: segments
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
                segments,
                values: e.value.clone(),
            }),
        }
    }
}

/// Splits a key that may hold dots (a quoted key) into parts with spans.
fn split_key(key: &str, span: &Span, sources: &Sources<'_>) -> Vec<(String, Span)> {
    let quoted = sources
        .text(span)
        .is_some_and(|t| t.starts_with('"') || t.starts_with('\''));
    let mut start = span.range.start + usize::from(quoted);
    key.split('.')
        .map(|part| {
            let s = Span {
                origin: span.origin,
                range: start..start + part.len(),
            };
            start += part.len() + 1;
            (part.to_string(), s)
        })
        .collect()
}

/// Checks each axis holds a non-empty list and a key that can be set in
/// `root`, and that the product is not absurd. An axis that is wrong is
/// left out and its error recorded; the value each axis replaces in `root`
/// goes to `shadowed`. Returns the number of points, or `None` when there
/// are too many to validate.
pub(crate) fn check_axes(
    axes: &mut Vec<Axis>,
    root: &Table,
    errors: &mut Vec<Diag>,
    shadowed: &mut Vec<Shadowed>,
) -> Option<usize> {
    axes.retain(|axis| match check_axis(axis, root) {
        Ok(replaced) => {
            shadowed.extend(replaced.map(|node| Shadowed {
                segments: axis.segments.clone(),
                node,
            }));
            true
        }
        Err(d) => {
            errors.push(d);
            false
        }
    });
    let points = axes
        .iter()
        .fold(1usize, |points, axis| match &axis.values.value {
            Value::Array(items) => points.saturating_mul(items.len()),
            _ => points,
        });
    if points > MAX_POINTS {
        let span = axes
            .last()
            .map_or(Span::file(0..0), |a| a.values.span.clone());
        errors.push(
            Diag::new(
                format!("the sweep has {points} points, more than {MAX_POINTS}"),
                &span,
                "too many combinations",
            )
            .key("sweep")
            .help("split the study into several files, or use --shard K/N"),
        );
        return None;
    }
    Some(points)
}

/// One axis: a non-empty list, at a key that can be set. Returns the
/// value of `root` the axis replaces, if there is one.
fn check_axis(axis: &Axis, root: &Table) -> Result<Option<Node>, Diag> {
    let key = format!("sweep.{}", axis.key);
    let first = match &axis.values.value {
        Value::Array(items) if items.is_empty() => {
            return Err(Diag::new(
                format!("the sweep list of `{}` is empty", axis.key),
                &axis.values.span,
                "expected at least one value",
            )
            .key(key)
            .help("give the values to try, e.g. [1, 2, 4], or remove the key"));
        }
        Value::Array(items) => &items[0],
        other => {
            return Err(Diag::new(
                format!("expected a list of values, found {}", other.type_name()),
                &axis.values.span,
                "a sweep key takes a list",
            )
            .key(key)
            .help(format!(
                "write \"{}\" = [ ... ] with the values to try",
                axis.key
            )));
        }
    };
    if axis.key == "sweep" || axis.segments.first().is_some_and(|(s, _)| s == "sweep") {
        return Err(Diag::new(
            "a sweep cannot sweep itself",
            &axis.segments[0].1,
            "not a scenario key",
        )
        .key(key));
    }
    overrides::set(&mut root.clone(), &axis.segments, first.clone())
}

/// The index in its list of the value each axis takes at point `index`
/// (last axis fastest).
pub(crate) fn indices(axes: &[Axis], index: usize) -> Vec<usize> {
    let mut rest = index;
    let mut at: Vec<usize> = axes
        .iter()
        .rev()
        .map(|axis| match &axis.values.value {
            Value::Array(items) if !items.is_empty() => {
                let i = rest % items.len();
                rest /= items.len();
                i
            }
            _ => 0,
        })
        .collect();
    at.reverse();
    at
}

/// The value each axis takes at point `index` (last axis fastest).
pub(crate) fn choose(axes: &[Axis], index: usize) -> Vec<&Node> {
    let mut rest = index;
    let mut chosen: Vec<&Node> = Vec::with_capacity(axes.len());
    for axis in axes.iter().rev() {
        let Value::Array(items) = &axis.values.value else {
            continue;
        };
        chosen.push(&items[rest % items.len()]);
        rest /= items.len();
    }
    chosen.reverse();
    chosen
}

/// A value as it appears in a `results.csv` sweep column: strings without
/// quotes, numbers as written, anything else as its compact source text.
pub(crate) fn display(node: &Node, sources: &Sources<'_>) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => sources
            .text(&node.span)
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    }
}
