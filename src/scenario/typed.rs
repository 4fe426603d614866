//! The typed reader: a value of the owned document read as a string,
//! table, integer, number, duration, size or distribution, with errors that
//! point at the value's span and name its dotted key; and the check that
//! a table has only the keys it takes.

use super::diagnostic::{Diag, Span};
use super::document::{Entry, Node, Table, Value};
use super::keys::{PROCESS_POOL_KEYS, TOP_KEYS, WORKLOAD_KEYS};
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::engine::units::{UnitError, parse_duration, parse_size};
use crate::python::params::{self, Section};

/// A validation result: the value, or the first error.
pub(super) type Res<T> = Result<T, Diag>;

/// The kinds of a distribution table.
pub(super) const DIST_KINDS: &[&str] = &["exp", "uniform", "normal", "lognormal"];

/// Every form of a distribution, for a help line.
pub(super) const DIST_FORMS: &str = "distributions: { exp = \"10ms\" }, { uniform = [\"5ms\", \"15ms\"] }, \
     { normal = { mean = \"10ms\", sd = \"2ms\" } }, { lognormal = { median = \"10ms\", sigma = 0.5 } }";
/// What a duration looks like.
pub(super) const DURATION_EXPECTED: &str =
    "expected a duration like \"10ms\" (units: ns, us, ms, s)";
/// What a size looks like.
pub(super) const SIZE_EXPECTED: &str =
    "expected a size like \"20MB\" (units: B, KB, MB, GB, KiB, MiB, GiB)";
/// What a rate looks like.
pub(super) const RATE_EXPECTED: &str =
    "expected a rate like \"200/s\" (per ns, us, ms, s, min or h)";

/// `prefix.key`, or `key` at the top level.
pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `a, b, c` with backticks.
pub(super) fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub(super) fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
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
pub(super) fn show_ns(ns: Nanos) -> String {
    for (unit, size) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns >= size && ns.is_multiple_of(size) {
            return format!("{}{unit}", ns / size);
        }
    }
    format!("{ns}ns")
}

/// "expected X, found Y" at `node`.
pub(super) fn type_error(node: &Node, key: &str, expected: &str) -> Diag {
    Diag::new(
        format!("expected {expected}, found {}", node.value.type_name()),
        &node.span,
        format!("expected {expected}"),
    )
    .key(key)
}

/// The last part of a dotted key.
pub(super) fn last_part(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// "missing required key" at `span`: the key's table, as `place` says.
pub(super) fn missing(span: &Span, key: &str, place: &str, label: &str) -> Diag {
    Diag::new(
        format!("missing required key `{}`{place}", last_part(key)),
        span,
        label,
    )
    .key(key)
}

/// The value as a string.
pub(super) fn as_str<'n>(node: &'n Node, key: &str) -> Res<&'n str> {
    match &node.value {
        Value::Str(s) => Ok(s),
        _ => Err(type_error(node, key, "a string")),
    }
}

/// The value as a table.
pub(super) fn as_table<'n>(node: &'n Node, key: &str) -> Res<&'n Table> {
    match &node.value {
        Value::Table(t) => Ok(t),
        _ => Err(type_error(node, key, "a table")),
    }
}

/// An integer in `lo..=hi`; `what` names it in messages (`cores`, `workers`).
pub(super) fn int_in(node: &Node, key: &str, what: &str, lo: i128, hi: i128) -> Res<i128> {
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
pub(super) fn number(node: &Node, key: &str) -> Res<f64> {
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
pub(super) fn unit_error(
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

/// A duration with a unit (`"10ms"`), in nanoseconds.
pub(super) fn duration(node: &Node, key: &str) -> Res<Nanos> {
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

/// A size with a unit (`"20MB"`), in bytes.
pub(super) fn size(node: &Node, key: &str) -> Res<u64> {
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

/// A duration (a constant) or a distribution of durations: `exp`,
/// `uniform`, `normal` or `lognormal`.
pub(super) fn dist(node: &Node, key: &str) -> Res<Dist> {
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

/// The error for a key not in `allowed`: where it belongs, or the closest valid key.
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

/// Whether `table` has a key not in `allowed` that looks like a misspelling
/// of one of `wanted`: its own error says so, and "missing `wanted`" would
/// only repeat it.
pub(super) fn misspelled(table: &Table, allowed: &[&str], wanted: &[&str]) -> bool {
    table.entries.iter().any(|e| {
        !allowed.contains(&e.key.as_str())
            && suggest(&e.key, allowed).is_some_and(|close| wanted.contains(&close))
    })
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
