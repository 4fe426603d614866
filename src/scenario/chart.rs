//! `[[chart]]` tables: which sweep key or `results.csv` column each extra
//! chart plots, checked against the sweep and the columns.

use super::diagnostic::{Diag, Span};
use super::document::{Entry, Node, Value};
use crate::results::columns::{COLUMNS, ChartDef, TEXT_COLUMNS};

/// Validates the `[[chart]]` tables against the sweep keys (with those a
/// `--set` pinned: their chart shows a single value), the columns and the
/// workloads (`None`: not known, a `workload` is not checked). The first
/// error of each table is recorded in `errors`.
pub(crate) fn charts(
    entry: Option<&Entry>,
    sweep_keys: &[String],
    series_counts: &[(String, usize)],
    workloads: Option<&[String]>,
    errors: &mut Vec<Diag>,
) -> Vec<ChartDef> {
    let Some(entry) = entry else {
        return Vec::new();
    };
    let items = match &entry.value.value {
        Value::Array(items) => items,
        other => {
            errors.push(
                Diag::new(
                    format!("expected an array of tables, found {}", other.type_name()),
                    &entry.value.span,
                    "expected [[chart]] tables",
                )
                .key("chart")
                .help("write [[chart]], with double brackets"),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<ChartDef> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match chart(i, item, sweep_keys, series_counts, workloads, &out) {
            Ok(c) => out.push(c),
            Err(d) => errors.push(d),
        }
    }
    out
}

/// The `[[chart]]` table at `i`; `earlier` are the charts before it.
fn chart(
    i: usize,
    item: &Node,
    sweep_keys: &[String],
    series_counts: &[(String, usize)],
    workloads: Option<&[String]>,
    earlier: &[ChartDef],
) -> Result<ChartDef, Diag> {
    {
        let prefix = format!("chart[{i}]");
        let Value::Table(t) = &item.value else {
            return Err(Diag::new(
                format!("expected a table, found {}", item.value.type_name()),
                &item.span,
                "expected a [[chart]] table",
            )
            .key(prefix));
        };
        const KEYS: &[&str] = &[
            "name", "title", "x", "y", "series", "workload", "labels", "log_x", "log_y",
        ];
        if let Some(e) = t.entries.iter().find(|e| !KEYS.contains(&e.key.as_str())) {
            return Err(Diag::new(
                format!("unknown key `{}` in [[chart]]", e.key),
                &e.key_span,
                "unknown key",
            )
            .key(format!("{prefix}.{}", e.key))
            .help(
                "valid keys in [[chart]]: `name`, `title`, `x`, `y`, `series`, `workload`, `labels`, `log_x`, `log_y`",
            ));
        }
        let text = |key: &str| -> Result<Option<(String, Span)>, Diag> {
            match t.get(key) {
                None => Ok(None),
                Some(e) => match &e.value.value {
                    Value::Str(s) => Ok(Some((s.clone(), e.value.span.clone()))),
                    other => Err(Diag::new(
                        format!("expected a string, found {}", other.type_name()),
                        &e.value.span,
                        "expected a string",
                    )
                    .key(format!("{prefix}.{key}"))),
                },
            }
        };
        let flag = |key: &str| -> Result<Option<bool>, Diag> {
            match t.get(key) {
                None => Ok(None),
                Some(e) => match &e.value.value {
                    Value::Bool(b) => Ok(Some(*b)),
                    other => Err(Diag::new(
                        format!("expected true or false, found {}", other.type_name()),
                        &e.value.span,
                        "expected a boolean",
                    )
                    .key(format!("{prefix}.{key}"))),
                },
            }
        };
        let known_axis =
            |name: &str| sweep_keys.iter().any(|k| k == name) || COLUMNS.contains(&name);
        let choices = || {
            let mut all: Vec<String> = sweep_keys.iter().map(|k| format!("`{k}`")).collect();
            all.extend(COLUMNS.iter().map(|c| format!("`{c}`")));
            format!("sweep keys and results.csv columns: {}", all.join(", "))
        };
        let Some((x, x_span)) = text("x")? else {
            return Err(Diag::new(
                "missing required key `x` in [[chart]]",
                &item.span,
                "this chart needs `x` and `y`",
            )
            .key(format!("{prefix}.x")));
        };
        // A dotted name is a scenario key: it may be unknown only because
        // the sweep that lists it cannot be read.
        let follow_up = |d: Diag, name: &str| if name.contains('.') { d.follow_up() } else { d };
        if !known_axis(&x) {
            return Err(follow_up(
                Diag::new(
                    format!("unknown column `{x}` for the x axis"),
                    &x_span,
                    "not a sweep key or a results.csv column",
                )
                .key(format!("{prefix}.x"))
                .note(choices()),
                &x,
            ));
        }
        let Some((y, y_span)) = text("y")? else {
            return Err(Diag::new(
                "missing required key `y` in [[chart]]",
                &item.span,
                "this chart needs `x` and `y`",
            )
            .key(format!("{prefix}.y")));
        };
        if !COLUMNS.contains(&y.as_str()) || TEXT_COLUMNS.contains(&y.as_str()) {
            let numeric: Vec<String> = COLUMNS
                .iter()
                .filter(|c| !TEXT_COLUMNS.contains(c))
                .map(|c| format!("`{c}`"))
                .collect();
            return Err(Diag::new(
                format!("unknown column `{y}` for the y axis"),
                &y_span,
                "not a numeric results.csv column",
            )
            .key(format!("{prefix}.y"))
            .note(format!("numeric columns: {}", numeric.join(", "))));
        }
        let series = match text("series")? {
            Some((s, span)) if !known_axis(&s) => {
                return Err(follow_up(
                    Diag::new(
                        format!("unknown column `{s}` for the series"),
                        &span,
                        "not a sweep key or a results.csv column",
                    )
                    .key(format!("{prefix}.series"))
                    .note(choices()),
                    &s,
                ));
            }
            Some((s, _)) => Some(s),
            None => None,
        };
        let workload = match text("workload")? {
            Some((w, span)) if workloads.is_some_and(|names| !names.contains(&w)) => {
                let known: Vec<String> = workloads
                    .unwrap_or_default()
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect();
                return Err(Diag::new(
                    format!("no workload named `{w}`"),
                    &span,
                    "not the name of a [[workload]]",
                )
                .key(format!("{prefix}.workload"))
                .note(format!("workloads: {}", known.join(", "))));
            }
            Some((w, _)) => Some(w),
            None => None,
        };
        let labels = match t.get("labels") {
            None => None,
            Some(e) => {
                let key = format!("{prefix}.labels");
                let Value::Array(items) = &e.value.value else {
                    return Err(Diag::new(
                        format!(
                            "expected a list of strings, found {}",
                            e.value.value.type_name()
                        ),
                        &e.value.span,
                        "expected [\"name\", ...], one per series value",
                    )
                    .key(key));
                };
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match &item.value {
                        Value::Str(s) => names.push(s.clone()),
                        other => {
                            return Err(Diag::new(
                                format!("expected a string, found {}", other.type_name()),
                                &item.span,
                                "a legend name",
                            )
                            .key(key));
                        }
                    }
                }
                let Some(s) = &series else {
                    return Err(Diag::new(
                        "`labels` names the series, but this chart has no `series`",
                        &e.key_span,
                        "no series to name",
                    )
                    .key(key));
                };
                if let Some(count) = series_counts.iter().find(|(k, _)| k == s).map(|(_, n)| *n)
                    && count != names.len()
                {
                    return Err(Diag::new(
                        format!("{} labels for {count} values of `{s}`", names.len()),
                        &e.value.span,
                        format!("expected {count} names, one per value, in sweep order"),
                    )
                    .key(key));
                }
                Some(names)
            }
        };
        let name = match text("name")? {
            Some((n, span)) => {
                if n.is_empty()
                    || !n
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                {
                    return Err(Diag::new(
                        format!("invalid chart name \"{n}\""),
                        &span,
                        "expected lowercase letters, digits and `-` (it names the chart's files)",
                    )
                    .key(format!("{prefix}.name")));
                }
                if matches!(
                    n.as_str(),
                    "throughput" | "latency" | "timeline" | "pipeline" | "results" | "summary"
                ) || earlier.iter().any(|c| c.name == n)
                {
                    return Err(Diag::new(
                        format!("chart name \"{n}\" is already taken"),
                        &span,
                        "another chart or output file has this name",
                    )
                    .key(format!("{prefix}.name")));
                }
                n
            }
            None => format!("chart-{i}"),
        };
        Ok(ChartDef {
            name,
            title: text("title")?.map(|(t, _)| t),
            x,
            y,
            series,
            workload,
            labels,
            log_x: flag("log_x")?,
            log_y: flag("log_y")?,
        })
    }
}
