//! A `[machine]` or `[python]` key of the parameter table
//! ([`crate::python::params`]), read as the kind of value the table says it
//! takes and written to its place in the configuration.

use super::diagnostic::Diag;
use super::document::Node;
use super::typed::{Res, dist, duration, int_in, number, size};
use crate::python::params::{Kind, Param, Slot, Value};

/// Reads `node` (at the dotted `key`) as a value of `param` and writes it
/// to `slot`, its place in the configuration.
pub(super) fn set(param: &Param, slot: Slot<'_>, node: &Node, key: &str) -> Res<()> {
    let value = read(param, node, key)?;
    if slot.set(value) {
        Ok(())
    } else {
        unreachable!("the table's kind of {} matches its place", param.key)
    }
}

/// `node` read as a value of `param`, refused with the table's bounds.
fn read(param: &Param, node: &Node, key: &str) -> Res<Value> {
    let name = param.name();
    Ok(match param.kind {
        Kind::Count { min, max } => {
            Value::Count(int_in(node, key, name, i128::from(min), i128::from(max))? as u32)
        }
        Kind::Dist => Value::Dist(dist(node, key)?),
        Kind::Duration => Value::Nanos(duration(node, key)?),
        Kind::PositiveDuration { zero } => {
            let ns = duration(node, key)?;
            if ns == 0 {
                return Err(Diag::new(
                    format!("{name} must be greater than zero"),
                    &node.span,
                    zero,
                )
                .key(key));
            }
            Value::Nanos(ns)
        }
        Kind::Size => Value::Bytes(size(node, key)?),
        Kind::NsPer { per } => {
            let x = number(node, key)?;
            if x < 0.0 {
                return Err(Diag::new(
                    format!("`{name}` must be at least 0"),
                    &node.span,
                    format!("nanoseconds per {per}: a number ≥ 0"),
                )
                .key(key));
            }
            Value::Number(x)
        }
        Kind::Factor => {
            let f = number(node, key)?;
            if f < 1.0 {
                return Err(Diag::new(
                    format!("{name} must be at least 1.0"),
                    &node.span,
                    "a slow-down factor: 1.0 is no overhead",
                )
                .key(key));
            }
            Value::Number(f)
        }
        Kind::Probability => {
            let x = number(node, key)?;
            if !(0.0..=1.0).contains(&x) {
                return Err(Diag::new(
                    format!("{name} must be from 0 to 1"),
                    &node.span,
                    "a probability: 0 never, 1 always",
                )
                .key(key));
            }
            Value::Number(x)
        }
        Kind::Setting { .. } => unreachable!("{} is read by its section", param.key),
    })
}
