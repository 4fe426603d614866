//! The tunable parameters of `[machine]` and `[python]`, in one table.
//!
//! Every key that a scenario, a `--set` argument or a calibration profile
//! can set is one [`Param`] of [`TABLE`]: the kind of value it takes, a
//! one-line description, where its default comes from, how `gilsim
//! calibrate` obtains it, and how it is read and written on
//! [`MachineConfig`] or [`PythonConfig`]. Defaults are not repeated here:
//! they are read from `MachineConfig::default()` and
//! `PythonConfig::defaults(version, build)`.
//!
//! Readers: the scenario validator (`[machine]`, `[python]`, `--set`),
//! profile loading ([`ParamSet`]), `gilsim calibrate` (which keys it
//! measures or fits, and their current values), `PythonConfig::cpu_scaled`
//! ([`Param::cpu_work`]) and the README's parameter tables ([`markdown`]).

pub mod markdown;
mod table;

pub use table::TABLE;

use super::config::PythonConfig;
use crate::engine::random::Dist;
use crate::engine::time::{Nanos, US};
use crate::machine::MachineConfig;

/// The scenario table a parameter is a key of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[machine]`.
    Machine,
    /// `[python]`.
    Python,
}

impl Section {
    /// The table's name in a scenario file and in dotted keys.
    pub fn name(self) -> &'static str {
        match self {
            Section::Machine => "machine",
            Section::Python => "python",
        }
    }
}

/// Which README table documents a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Cores and the OS scheduler.
    Machine,
    /// The interpreter, the GIL, threads and their synchronisation.
    Interpreter,
    /// Worker processes, pickling, pipes, shared memory, subinterpreters.
    Processes,
    /// The asyncio event loop.
    Asyncio,
}

impl Group {
    /// Every group, in README order.
    pub const ALL: [Group; 4] = [
        Group::Machine,
        Group::Interpreter,
        Group::Processes,
        Group::Asyncio,
    ];

    /// The group's name in the README's markers.
    pub fn name(self) -> &'static str {
        match self {
            Group::Machine => "machine",
            Group::Interpreter => "interpreter",
            Group::Processes => "processes",
            Group::Asyncio => "asyncio",
        }
    }
}

/// The kind of value a parameter takes, as a scenario writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// An integer in `min..=max`.
    Count {
        /// The smallest value.
        min: u32,
        /// The largest value.
        max: u32,
    },
    /// A duration (`"10us"`) or a distribution of durations (`{ exp = "10us" }`).
    Dist,
    /// A duration, in whole nanoseconds.
    Duration,
    /// A duration greater than zero; `zero` says why zero is refused.
    PositiveDuration {
        /// Why zero is refused, for the error's label.
        zero: &'static str,
    },
    /// A size in bytes (`"64KiB"`).
    Size,
    /// A number ≥ 0 of nanoseconds per `per` (`byte`, `MiB of task memory`).
    NsPer {
        /// What the nanoseconds are per.
        per: &'static str,
    },
    /// A slow-down factor, at least 1.0.
    Factor,
    /// A probability, from 0 to 1.
    Probability,
    /// A setting the validator reads itself, because other defaults depend
    /// on it or it takes words; `values` says what it takes.
    Setting {
        /// The values it takes, in words.
        values: &'static str,
    },
}

/// How `gilsim calibrate` obtains a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calibration {
    /// It does not: a profile never sets it.
    NotCalibrated,
    /// Measured: the median of a probe's measurement.
    Measured {
        /// The profile measurement whose median it is (`proc.submit_ns`).
        measurement: &'static str,
        /// The probe and what it times (written to the profile's `how`).
        how: &'static str,
        /// How a lognormal value gets its sigma.
        sigma: Sigma,
    },
    /// Fitted: the value for which simulating a probe best matches the real
    /// run (recorded at its default when the probe cannot tell values apart).
    Fitted {
        /// The probe it is fitted to.
        how: &'static str,
    },
    /// Written to the profile at its default, with the reason no probe obtains it.
    Default {
        /// Why it is not measured or fitted.
        why: &'static str,
    },
}

/// How a measured lognormal parameter gets its sigma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sigma {
    /// The default's sigma: repetitions give the spread of a mean, not of one call.
    Kept,
    /// From the repetitions' p25..p75: each repetition times one call.
    FromIqr,
}

/// A parameter's place in the configuration, borrowed for reading or writing.
#[derive(Debug)]
pub enum Slot<'a> {
    /// An integer count.
    Count(&'a mut u32),
    /// A distribution of durations.
    Dist(&'a mut Dist),
    /// A duration in nanoseconds.
    Nanos(&'a mut Nanos),
    /// A duration kept in whole microseconds (at least 1).
    Micros(&'a mut u64),
    /// A size in bytes.
    Bytes(&'a mut u64),
    /// A plain number.
    Number(&'a mut f64),
}

/// A parameter's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An integer count.
    Count(u32),
    /// A distribution of durations.
    Dist(Dist),
    /// A duration in nanoseconds.
    Nanos(Nanos),
    /// A size in bytes.
    Bytes(u64),
    /// A plain number.
    Number(f64),
}

/// A value that calibration estimated: a distribution of durations or a
/// plain number (what a profile stores).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimate {
    /// A distribution of durations (a constant is `Dist::Const`).
    Dist(Dist),
    /// A plain number (nanoseconds per byte or per MiB).
    Number(f64),
}

/// Where a parameter lives.
#[derive(Clone, Copy)]
pub enum Access {
    /// A setting the validator handles itself; shows its value in a config.
    Setting(fn(&MachineConfig, &PythonConfig) -> String),
    /// A field of [`MachineConfig`].
    Machine(for<'a> fn(&'a mut MachineConfig) -> Slot<'a>),
    /// A field of [`PythonConfig`].
    Python(for<'a> fn(&'a mut PythonConfig) -> Slot<'a>),
}

/// One tunable parameter.
#[derive(Clone, Copy)]
pub struct Param {
    /// The dotted key (`python.switch_interval`): the section, then the
    /// key inside its table.
    pub key: &'static str,
    /// The README table that documents it.
    pub group: Group,
    /// What it takes.
    pub kind: Kind,
    /// What it is, in one line.
    pub doc: &'static str,
    /// Where its default comes from.
    pub origin: &'static str,
    /// How `gilsim calibrate` obtains it.
    pub calibration: Calibration,
    /// Whether it is CPU work of the interpreter, which a slower CPU
    /// stretches (`PythonConfig::cpu_scaled`).
    pub cpu_work: bool,
    /// Where it lives in the configuration.
    pub access: Access,
}

impl Param {
    /// The table it is a key of.
    pub fn section(&self) -> Section {
        if self.key.starts_with("machine.") {
            Section::Machine
        } else {
            Section::Python
        }
    }

    /// The key inside its table (`switch_interval`).
    pub fn name(&self) -> &'static str {
        self.key.split_once('.').map_or(self.key, |(_, name)| name)
    }

    /// Whether a calibration profile may set it.
    pub const fn calibrated(&self) -> bool {
        !matches!(self.calibration, Calibration::NotCalibrated)
    }

    /// Its place in `m`, if it is a machine parameter.
    pub fn machine_slot<'a>(&self, m: &'a mut MachineConfig) -> Option<Slot<'a>> {
        match self.access {
            Access::Machine(slot) => Some(slot(m)),
            _ => None,
        }
    }

    /// Its place in `p`, if it is an interpreter parameter other than a setting.
    pub fn python_slot<'a>(&self, p: &'a mut PythonConfig) -> Option<Slot<'a>> {
        match self.access {
            Access::Python(slot) => Some(slot(p)),
            _ => None,
        }
    }

    /// Its value in `m` or `p` (`None` for a setting).
    pub fn value(&self, m: &MachineConfig, p: &PythonConfig) -> Option<Value> {
        match self.access {
            Access::Machine(slot) => Some(slot(&mut m.clone()).get()),
            Access::Python(slot) => Some(slot(&mut p.clone()).get()),
            Access::Setting(_) => None,
        }
    }
}

impl Slot<'_> {
    /// The value in this place.
    pub fn get(&self) -> Value {
        match self {
            Slot::Count(v) => Value::Count(**v),
            Slot::Dist(d) => Value::Dist(**d),
            Slot::Nanos(v) => Value::Nanos(**v),
            Slot::Micros(v) => Value::Nanos(**v * US),
            Slot::Bytes(v) => Value::Bytes(**v),
            Slot::Number(v) => Value::Number(**v),
        }
    }

    /// Writes `value`, which must be of this place's kind (a duration in
    /// microseconds is rounded to the nearest, at least 1). Returns whether
    /// it was.
    pub fn set(self, value: Value) -> bool {
        match (self, value) {
            (Slot::Count(slot), Value::Count(v)) => *slot = v,
            (Slot::Dist(slot), Value::Dist(d)) => *slot = d,
            (Slot::Nanos(slot), Value::Nanos(ns)) => *slot = ns,
            (Slot::Micros(slot), Value::Nanos(ns)) => {
                *slot = (ns / 1_000 + u64::from(ns % 1_000 >= 500)).max(1);
            }
            (Slot::Bytes(slot), Value::Bytes(b)) => *slot = b,
            (Slot::Number(slot), Value::Number(x)) => *slot = x,
            _ => return false,
        }
        true
    }

    /// Writes a calibrated estimate: a distribution to a distribution, its
    /// median (a constant's value, a lognormal's median, else the rounded
    /// mean) to a duration, a number to a number. Other pairs leave the
    /// place as it is.
    pub fn apply(self, estimate: &Estimate) {
        match (self, estimate) {
            (Slot::Dist(slot), Estimate::Dist(d)) => *slot = *d,
            (Slot::Nanos(slot), Estimate::Dist(d)) => *slot = median_ns(d),
            (Slot::Number(slot), Estimate::Number(x)) => *slot = *x,
            _ => {}
        }
    }

    /// Stretches CPU work by `factor` (2.0: a CPU twice as slow).
    pub fn scale(self, factor: f64) {
        match self {
            Slot::Dist(d) => *d = d.scaled(factor),
            Slot::Nanos(v) => *v = libm::round(*v as f64 * factor) as Nanos,
            Slot::Number(v) => *v *= factor,
            Slot::Count(_) | Slot::Micros(_) | Slot::Bytes(_) => {}
        }
    }
}

/// A distribution's typical value as whole nanoseconds: a constant's value,
/// a lognormal's median, else the rounded mean.
pub fn median_ns(d: &Dist) -> Nanos {
    match *d {
        Dist::Const(ns) => ns,
        Dist::LogNormal { median, .. } => median,
        other => libm::round(other.mean()) as Nanos,
    }
}

/// The parameter with the dotted key `key`.
pub fn find(key: &str) -> Option<&'static Param> {
    TABLE.iter().find(|p| p.key == key)
}

/// The parameter `name` of `section` (`switch_interval` of `[python]`).
pub fn find_in(section: Section, name: &str) -> Option<&'static Param> {
    TABLE
        .iter()
        .find(|p| p.section() == section && p.name() == name)
}

/// The keys of `section`'s table, in table order.
pub fn names(section: Section) -> Vec<&'static str> {
    TABLE
        .iter()
        .filter(|p| p.section() == section)
        .map(Param::name)
        .collect()
}

const fn calibrated_count() -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < TABLE.len() {
        if TABLE[i].calibrated() {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn calibrated_keys<const N: usize>() -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut j) = (0, 0);
    while i < TABLE.len() {
        if TABLE[i].calibrated() {
            out[j] = TABLE[i].key;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The keys a calibration profile may set: every parameter `gilsim
/// calibrate` measures, fits or records, in table order.
pub const PROFILE_KEYS: &[&str] = &calibrated_keys::<{ calibrated_count() }>();

/// Values for some parameters, by dotted key: what a profile sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamSet {
    values: Vec<(&'static str, Estimate)>,
}

impl ParamSet {
    /// Sets the parameter `key` (replacing an earlier value); a key that is
    /// not in the table is refused.
    pub fn insert(&mut self, key: &str, estimate: Estimate) -> Result<(), String> {
        let param = find(key).ok_or_else(|| format!("unknown parameter `{key}`"))?;
        match self.values.iter_mut().find(|(k, _)| *k == param.key) {
            Some((_, slot)) => *slot = estimate,
            None => self.values.push((param.key, estimate)),
        }
        Ok(())
    }

    /// The value set for `key`.
    pub fn get(&self, key: &str) -> Option<&Estimate> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, e)| e)
    }

    /// Writes every machine parameter of the set into `m`.
    pub fn apply_machine(&self, m: &mut MachineConfig) {
        for (key, estimate) in &self.values {
            if let Some(slot) = find(key).and_then(|p| p.machine_slot(m)) {
                slot.apply(estimate);
            }
        }
    }

    /// Writes every interpreter parameter of the set into `p`.
    pub fn apply_python(&self, p: &mut PythonConfig) {
        for (key, estimate) in &self.values {
            if let Some(slot) = find(key).and_then(|param| param.python_slot(p)) {
                slot.apply(estimate);
            }
        }
    }
}

impl PythonConfig {
    /// The interpreter on a CPU `factor` times slower (2.0: twice as slow):
    /// every cost that is CPU work is scaled; start-up and wake-up
    /// latencies of the OS, sizes and spreads are not.
    pub fn cpu_scaled(&self, factor: f64) -> PythonConfig {
        let mut p = self.clone();
        // The parameter table says which costs are CPU work of the interpreter.
        for param in TABLE.iter().filter(|q| q.cpu_work) {
            if let Some(slot) = param.python_slot(&mut p) {
                slot.scale(factor);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_sectioned() {
        for (i, p) in TABLE.iter().enumerate() {
            assert!(
                p.key.starts_with("machine.") || p.key.starts_with("python."),
                "{}",
                p.key
            );
            assert!(TABLE[..i].iter().all(|q| q.key != p.key), "{} twice", p.key);
        }
    }

    /// The kind a parameter says it takes is the kind its place holds.
    #[test]
    fn every_kind_matches_its_place() {
        let mut m = MachineConfig::default();
        let mut py = PythonConfig::default();
        for p in TABLE {
            let slot = match p.access {
                Access::Setting(_) => {
                    assert!(matches!(p.kind, Kind::Setting { .. }), "{}", p.key);
                    continue;
                }
                Access::Machine(slot) => {
                    assert_eq!(p.section(), Section::Machine, "{}", p.key);
                    slot(&mut m)
                }
                Access::Python(slot) => {
                    assert_eq!(p.section(), Section::Python, "{}", p.key);
                    slot(&mut py)
                }
            };
            let ok = matches!(
                (&p.kind, &slot),
                (Kind::Count { .. }, Slot::Count(_))
                    | (Kind::Dist, Slot::Dist(_))
                    | (
                        Kind::Duration | Kind::PositiveDuration { .. },
                        Slot::Nanos(_)
                    )
                    | (Kind::PositiveDuration { .. }, Slot::Micros(_))
                    | (Kind::Size, Slot::Bytes(_))
                    | (
                        Kind::NsPer { .. } | Kind::Factor | Kind::Probability,
                        Slot::Number(_)
                    )
            );
            assert!(ok, "{}: {:?} in {:?}", p.key, p.kind, slot);
        }
    }

    /// A profile only holds what calibration can estimate: distributions
    /// and numbers, not counts, sizes or settings.
    #[test]
    fn calibrated_parameters_are_durations_or_numbers() {
        for p in TABLE.iter().filter(|p| p.calibrated()) {
            assert!(
                matches!(
                    p.kind,
                    Kind::Dist
                        | Kind::Duration
                        | Kind::PositiveDuration { .. }
                        | Kind::NsPer { .. }
                        | Kind::Probability
                ),
                "{}",
                p.key
            );
        }
        assert_eq!(PROFILE_KEYS.len(), 31);
    }

    #[test]
    fn a_switch_interval_in_microseconds_rounds_to_the_nearest() {
        let p = find("python.switch_interval").unwrap();
        let mut py = PythonConfig::default();
        assert!(p.python_slot(&mut py).unwrap().set(Value::Nanos(1_499)));
        assert_eq!(py.switch_interval_us, 1);
        assert!(p.python_slot(&mut py).unwrap().set(Value::Nanos(2_500)));
        assert_eq!(py.switch_interval_us, 3);
        assert!(p.python_slot(&mut py).unwrap().set(Value::Nanos(1)));
        assert_eq!(py.switch_interval_us, 1);
    }
}
