//! Sweeps: `[sweep]` lists of dotted keys expand into the cartesian product
//! of scenario points, each validated like a `--set` of those values. The
//! keys of one `[[sweep.zip]]` table vary together (point i takes the i-th
//! value of each) and count as one axis of the product.
//!
//! Points are numbered from 0 with the last axis varying fastest; keys keep
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
    let mut zips = 0;
    for e in &table.entries {
        if e.key != "zip" {
            continue;
        }
        // `[[sweep.zip]]` tables, or one `[sweep.zip]` table.
        let tables: Vec<&Node> = match &e.value.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![&e.value],
        };
        for t in tables {
            let Value::Table(inner) = &t.value else {
                return Err(Diag::new(
                    format!("expected a table of lists, found {}", t.value.type_name()),
                    &t.span,
                    "a [[sweep.zip]] table lists keys that vary together",
                )
                .key("sweep.zip")
                .help("write [[sweep.zip]] then \"machine.cores\" = [1, 2] and \"workload.jobs.run.workers\" = [2, 4]"));
            };
            flatten(inner, &[], sources, Some(zips), &mut out);
            zips += 1;
        }
    }
    let plain = Table {
        entries: table
            .entries
            .iter()
            .filter(|e| e.key != "zip")
            .cloned()
            .collect(),
    };
    let mut axes = Vec::new();
    flatten(&plain, &[], sources, None, &mut axes);
    // File order: the plain keys, then the zip tables (which TOML's
    // `[[sweep.zip]]` puts after them anyway).
    axes.extend(out);
    Ok(axes)
}

fn flatten(
    table: &Table,
    prefix: &[(String, Span)],
    sources: &Sources<'_>,
    zip: Option<usize>,
    out: &mut Vec<Axis>,
) {
    for e in &table.entries {
        let mut segments = prefix.to_vec();
        segments.extend(split_key(&e.key, &e.key_span, sources));
        match &e.value.value {
            Value::Table(inner) if !inner.entries.is_empty() => {
                flatten(inner, &segments, sources, zip, out)
            }
            _ => out.push(Axis {
                key: segments
                    .iter()
                    .map(|(s, _)| s.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
                segments,
                values: e.value.clone(),
                zip,
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
    // A key swept twice (in [sweep] and a zip table) would take two values.
    let mut seen: Vec<String> = Vec::new();
    axes.retain(|axis| {
        if !seen.contains(&axis.key) {
            seen.push(axis.key.clone());
            return true;
        }
        errors.push(
            Diag::new(
                format!("`{}` is swept twice", axis.key),
                &axis.segments[0].1,
                "already in the sweep",
            )
            .key(format!("sweep.{}", axis.key))
            .help(
                "keep one list: in [sweep], or in the [[sweep.zip]] table whose keys vary with it",
            ),
        );
        false
    });
    // The lists of one zip table must be as long as its first one.
    let mut first_of: Vec<(usize, usize, String)> = Vec::new();
    axes.retain(|axis| {
        let (Some(z), Value::Array(items)) = (axis.zip, &axis.values.value) else {
            return true;
        };
        match first_of.iter().find(|(zip, _, _)| *zip == z) {
            None => {
                first_of.push((z, items.len(), axis.key.clone()));
                true
            }
            Some((_, n, _)) if *n == items.len() => true,
            Some((_, n, first)) => {
                errors.push(
                    Diag::new(
                        format!(
                            "the keys of a [[sweep.zip]] table vary together: `{}` has {} values, `{first}` has {n}",
                            axis.key,
                            items.len()
                        ),
                        &axis.values.span,
                        format!("expected {n} values"),
                    )
                    .key(format!("sweep.zip.{}", axis.key))
                    .help("give every key of the table as many values, or move this key out of the zip to combine it with every point"),
                );
                false
            }
        }
    });
    let points = dims(axes)
        .iter()
        .fold(1usize, |points, (len, _)| points.saturating_mul(*len));
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

/// The axes of the product: each plain key, and each zip table as one;
/// per axis its length and its keys (indices into `axes`), in order of
/// first appearance.
fn dims(axes: &[Axis]) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(Option<usize>, usize, Vec<usize>)> = Vec::new();
    for (i, axis) in axes.iter().enumerate() {
        let Value::Array(items) = &axis.values.value else {
            continue;
        };
        match out.iter_mut().find(|d| d.0.is_some() && d.0 == axis.zip) {
            Some(d) => d.2.push(i),
            None => out.push((axis.zip, items.len(), vec![i])),
        }
    }
    out.into_iter().map(|(_, len, keys)| (len, keys)).collect()
}

/// The index in its list of the value each axis takes at point `index`
/// (last axis fastest; the keys of a zip table together).
pub(crate) fn indices(axes: &[Axis], index: usize) -> Vec<usize> {
    let mut at = vec![0; axes.len()];
    let mut rest = index;
    for (len, keys) in dims(axes).iter().rev() {
        if *len == 0 {
            continue;
        }
        for &k in keys {
            at[k] = rest % len;
        }
        rest /= len;
    }
    at
}

/// The value each axis takes at point `index` (last axis fastest; the
/// keys of a zip table together).
pub(crate) fn choose(axes: &[Axis], index: usize) -> Vec<&Node> {
    let at = indices(axes, index);
    axes.iter()
        .zip(at)
        .filter_map(|(axis, i)| match &axis.values.value {
            Value::Array(items) => items.get(i),
            _ => None,
        })
        .collect()
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
