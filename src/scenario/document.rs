//! The parsed TOML document as an owned tree in which every key and value
//! keeps its span, in the file or in a `--set` argument.
//!
//! Overrides edit this tree before validation, so a value from `--set` is
//! checked exactly like one from the file, and its errors point at the
//! argument.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Span;

/// A TOML value with its span.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub span: Span,
}

/// A TOML value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    /// Integers beyond `i128` saturate, which every range check rejects.
    Int(i128),
    Float(f64),
    Bool(bool),
    Datetime,
    Array(Vec<Node>),
    Table(Table),
}

impl Value {
    /// "a string", "an integer", ... for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A table's entries, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub entries: Vec<Entry>,
}

/// One `key = value` of a table.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key == key)
    }
}

/// Converts a parsed TOML value; `span` maps the parser's ranges to spans.
pub(crate) fn from_toml(
    value: Spanned<DeValue<'_>>,
    span: &dyn Fn(std::ops::Range<usize>) -> Span,
) -> Node {
    let node_span = span(value.span());
    let value = match value.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => Value::Int(integer(i.as_str(), i.radix())),
        DeValue::Float(f) => Value::Float(float(f.as_str())),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => Value::Datetime,
        DeValue::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| from_toml(item, span))
                .collect(),
        ),
        DeValue::Table(table) => Value::Table(table_from_toml(table, span)),
    };
    Node {
        value,
        span: node_span,
    }
}

/// Converts a parsed TOML table.
pub(crate) fn table_from_toml(
    table: DeTable<'_>,
    span: &dyn Fn(std::ops::Range<usize>) -> Span,
) -> Table {
    Table {
        entries: table
            .into_iter()
            .map(|(key, value)| {
                let key_span = span(key.span());
                Entry {
                    key: key.into_inner().into_owned(),
                    key_span,
                    value: from_toml(value, span),
                }
            })
            .collect(),
    }
}

fn integer(text: &str, radix: u32) -> i128 {
    i128::from_str_radix(text, radix).unwrap_or(if text.starts_with('-') {
        i128::MIN
    } else {
        i128::MAX
    })
}

fn float(text: &str) -> f64 {
    let text = text.replace('_', "");
    text.parse::<f64>()
        .unwrap_or(match text.trim_start_matches(['+', '-']) {
            "inf" if text.starts_with('-') => f64::NEG_INFINITY,
            "inf" => f64::INFINITY,
            _ => f64::NAN,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(integer("1F", 16), 31);
        assert_eq!(integer("-16", 10), -16);
        assert_eq!(integer("9".repeat(50).as_str(), 10), i128::MAX);
        assert_eq!(float("1000.5"), 1000.5);
        assert_eq!(float("-inf"), f64::NEG_INFINITY);
        assert!(float("nan").is_nan());
        assert!(float("-nan").is_nan());
    }
}
