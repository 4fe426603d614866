//! Writing the builder's values as TOML text. Strings, floats and quoted
//! keys are written by the `toml` crate's serializer; integers are written
//! in decimal (a scenario's integers may exceed `i64`: a `u64` seed).

use std::fmt::Write;

use crate::engine::random::Dist;

/// A TOML value to write.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Toml {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(Vec<Toml>),
    /// An inline table, its entries in order.
    Table(Vec<(String, Toml)>),
}

impl Toml {
    /// A duration in nanoseconds: `"{ns}ns"`.
    pub(super) fn ns(ns: u64) -> Toml {
        Toml::Str(format!("{ns}ns"))
    }

    /// A table of one entry.
    pub(super) fn one(key: &str, value: Toml) -> Toml {
        Toml::Table(vec![(key.to_string(), value)])
    }

    /// A duration or a distribution of durations, as a step or a parameter
    /// takes it: a constant is `"{ns}ns"`, a distribution its table.
    pub(super) fn dist(d: &Dist) -> Toml {
        match *d {
            Dist::Const(ns) => Toml::ns(ns),
            Dist::Exp { mean } => Toml::one("exp", Toml::ns(mean)),
            Dist::Uniform { lo, hi } => {
                Toml::one("uniform", Toml::Array(vec![Toml::ns(lo), Toml::ns(hi)]))
            }
            Dist::Normal { mean, sd } => Toml::one(
                "normal",
                Toml::Table(vec![
                    ("mean".into(), Toml::ns(mean)),
                    ("sd".into(), Toml::ns(sd)),
                ]),
            ),
            Dist::LogNormal { median, sigma } => Toml::one(
                "lognormal",
                Toml::Table(vec![
                    ("median".into(), Toml::ns(median)),
                    ("sigma".into(), Toml::Float(sigma)),
                ]),
            ),
        }
    }

    /// The value on one line: `"a"`, `[1, 2]`, `{ k = v }`.
    pub(super) fn inline(&self) -> String {
        let mut out = String::new();
        self.write_inline(&mut out);
        out
    }

    fn write_inline(&self, out: &mut String) {
        match self {
            Toml::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Toml::Float(f) => out.push_str(&toml::Value::Float(*f).to_string()),
            Toml::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Toml::Str(s) => out.push_str(&string(s)),
            Toml::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_inline(out);
                }
                out.push(']');
            }
            Toml::Table(entries) if entries.is_empty() => out.push_str("{}"),
            Toml::Table(entries) => {
                out.push_str("{ ");
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&key(k));
                    out.push_str(" = ");
                    v.write_inline(out);
                }
                out.push_str(" }");
            }
        }
    }
}

/// A string as a TOML string, escaped by the `toml` crate.
pub(super) fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A key: bare when TOML allows it (`A-Za-z0-9_-`), else a quoted string.
pub(super) fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { k.to_string() } else { string(k) }
}

/// `key = value` lines of a table.
pub(super) fn lines(out: &mut String, entries: &[(String, Toml)]) {
    for (k, v) in entries {
        let _ = writeln!(out, "{} = {}", key(k), v.inline());
    }
}

/// A table's header and its lines, after a blank line; nothing when empty.
pub(super) fn section(out: &mut String, header: &str, entries: &[(String, Toml)]) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n[{header}]");
    lines(out, entries);
}

/// An array of steps, one step per line; nothing when there is none
/// (as a file that leaves `steps` out).
pub(super) fn steps_line(out: &mut String, steps: &[Toml]) {
    if steps.is_empty() {
        return;
    }
    out.push_str("steps = [\n");
    for s in steps {
        let _ = writeln!(out, "    {},", s.inline());
    }
    out.push_str("]\n");
}
