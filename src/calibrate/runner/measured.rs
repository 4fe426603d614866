//! The parameters `gilsim calibrate` takes straight from the probes'
//! measurements, and those it records at their default: both read from the
//! parameter table ([`crate::python::params`]), which says for each key which
//! measurement it is the median of, or why no probe obtains it.

use std::collections::BTreeMap;

use super::super::profile::{Measurement, Parameter, Source, Value};
use super::super::stats::sigma_from_iqr;
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::python::params::{self, Calibration, Sigma};

/// Records every parameter the table marks as not obtainable by a probe,
/// at its value in `machine` and `python` (the defaults), with the reason.
pub(super) fn record_defaults(
    parameters: &mut BTreeMap<String, Parameter>,
    machine: &MachineConfig,
    python: &PythonConfig,
) {
    for p in params::TABLE {
        let Calibration::Default { why } = p.calibration else {
            continue;
        };
        if let Some(dist) = p.value(machine, python).and_then(as_dist) {
            insert(
                parameters,
                p.key,
                Source::Default,
                why.to_string(),
                "-".to_string(),
                &dist,
            );
        }
    }
}

/// Records every parameter the table marks as measured: the median of its
/// measurement (a lognormal keeps the sigma of its value in `machine` and
/// `python`, unless the table takes it from the repetitions' p25..p75), or
/// its current value when the probe gave no such measurement.
pub(super) fn record_measured(
    parameters: &mut BTreeMap<String, Parameter>,
    measurements: &BTreeMap<String, Measurement>,
    machine: &MachineConfig,
    python: &PythonConfig,
) {
    for p in params::TABLE {
        let Calibration::Measured {
            measurement,
            how,
            sigma,
        } = p.calibration
        else {
            continue;
        };
        let found = measurements
            .get(measurement)
            .filter(|m| m.median.is_finite());
        let current = p.value(machine, python);
        match (found, sigma) {
            (Some(m), Sigma::FromIqr) => {
                let dist = Dist::LogNormal {
                    median: m.median.round() as Nanos,
                    sigma: sigma_from_iqr(m, 0.05, 1.0),
                };
                insert(
                    parameters,
                    p.key,
                    Source::Measured,
                    format!("{how}; sigma from p25..p75"),
                    iqr(m),
                    &dist,
                );
            }
            // Every repetition times one call: nothing to record without them.
            (None, Sigma::FromIqr) => {}
            (Some(m), Sigma::Kept) => {
                let ns = m.median.round().max(1.0) as Nanos;
                let value = match current {
                    Some(params::Value::Dist(Dist::LogNormal { sigma, .. })) => Value::LogNormal {
                        median_ns: ns,
                        sigma,
                    },
                    Some(params::Value::Number(_)) => Value::Number { value: m.median },
                    _ => Value::Const { ns },
                };
                let kept = if matches!(value, Value::LogNormal { .. }) {
                    ", sigma kept at the default (repetitions give the spread of a mean, not of one call)"
                } else {
                    ""
                };
                parameters.insert(
                    p.key.to_string(),
                    Parameter {
                        source: Source::Measured,
                        how: format!("{how}; median of the repetitions{kept}"),
                        spread: iqr(m),
                        value,
                    },
                );
            }
            (None, Sigma::Kept) => {
                let how =
                    format!("not measured: {measurement} missing (start method not available?)");
                match current {
                    Some(params::Value::Number(value)) => {
                        parameters.insert(
                            p.key.to_string(),
                            Parameter {
                                source: Source::Default,
                                how,
                                spread: "-".into(),
                                value: Value::Number { value },
                            },
                        );
                    }
                    other => {
                        if let Some(dist) = other.and_then(as_dist) {
                            insert(parameters, p.key, Source::Default, how, "-".into(), &dist);
                        }
                    }
                }
            }
        }
    }
}

/// A duration parameter's value as a distribution (a constant for a plain duration).
fn as_dist(value: params::Value) -> Option<Dist> {
    match value {
        params::Value::Dist(d) => Some(d),
        params::Value::Nanos(ns) => Some(Dist::Const(ns)),
        _ => None,
    }
}

/// Records `key` with the profile value of `dist` (none for the kinds of
/// distribution a profile does not store).
pub(super) fn insert(
    parameters: &mut BTreeMap<String, Parameter>,
    key: &str,
    source: Source,
    how: String,
    spread: String,
    dist: &Dist,
) {
    if let Some(value) = Value::from_dist(dist) {
        parameters.insert(
            key.to_string(),
            Parameter {
                source,
                how,
                spread,
                value,
            },
        );
    }
}

/// `p25..p75 = a..b unit (n = N, best b)`.
pub fn iqr(m: &Measurement) -> String {
    format!(
        "p25..p75 = {:.4}..{:.4} {} (n = {}, best {:.4})",
        m.p25, m.p75, m.unit, m.n, m.best
    )
}
