//! The README's parameter tables, rendered from [`TABLE`].
//!
//! Each table sits between a marker line `<!-- parameters: NAME -->` (NAME
//! a [`Group`] or `calibration`) and `<!-- /parameters -->`; [`splice`]
//! re-renders every such block, so a test can check the README against the
//! table and rewrite it on request.

use super::{Access, Calibration, Group, Kind, Param, TABLE, Value};
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::machine::MachineConfig;
use crate::python::config::{Build, PyVersion, PythonConfig};

/// The line that ends a generated block.
pub const END: &str = "<!-- /parameters -->";

/// The line that starts the generated block `name`.
pub fn start(name: &str) -> String {
    format!("<!-- parameters: {name} -->")
}

/// The parameters of `group`: key, what it takes, default, what it is,
/// where the default comes from, how `gilsim calibrate` obtains it.
pub fn table(group: Group) -> String {
    let mut out = String::from(
        "| key | takes | default | what it is | default from | `gilsim calibrate` |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for p in TABLE.iter().filter(|p| p.group == group) {
        let row = [
            format!("`{}`", p.key),
            takes(&p.kind),
            default(p),
            p.doc.to_string(),
            p.origin.to_string(),
            calibration(p),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Every parameter a profile records, by how `gilsim calibrate` obtains it.
pub fn calibration_table() -> String {
    let mut measured = Vec::new();
    let mut fitted = Vec::new();
    let mut defaults = Vec::new();
    for p in TABLE {
        match p.calibration {
            Calibration::Measured { how, .. } => {
                measured.push(format!("`{}` ({})", p.key, probe(how)));
            }
            Calibration::Fitted { how } => fitted.push(format!("`{}`: {how}", p.key)),
            Calibration::Default { why } => defaults.push(format!("`{}`: {why}", p.key)),
            Calibration::NotCalibrated => {}
        }
    }
    let rows = [
        ("measured", measured),
        ("fitted", fitted),
        ("recorded at its default", defaults),
    ];
    let mut out = String::from("| source | parameters |\n| --- | --- |\n");
    for (source, keys) in rows {
        out.push_str(&format!("| {source} | {} |\n", cell(&keys.join("; "))));
    }
    out
}

/// `readme` with every generated block rendered afresh; an error names an
/// unknown block or a block without its end.
pub fn splice(readme: &str) -> Result<String, String> {
    let mut out = String::with_capacity(readme.len());
    let mut lines = readme.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(name) = line
            .trim_end()
            .strip_prefix("<!-- parameters: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let rendered = match Group::ALL.iter().find(|g| g.name() == name) {
            Some(&group) => table(group),
            None if name == "calibration" => calibration_table(),
            None => return Err(format!("unknown parameter table `{name}`")),
        };
        out.push_str(&rendered);
        loop {
            match lines.next() {
                Some(l) if l.trim_end() == END => {
                    out.push_str(l);
                    break;
                }
                Some(_) => {}
                None => return Err(format!("no `{END}` after `{}`", start(name))),
            }
        }
    }
    Ok(out)
}

/// A table cell: a `|` would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The probe named at the start of a measured parameter's `how`.
fn probe(how: &str) -> &str {
    how.split_once(':').map_or(how, |(probe, _)| probe)
}

fn takes(kind: &Kind) -> String {
    match kind {
        Kind::Count { min, max } => format!("an integer, {min} to {max}"),
        Kind::Dist => "a duration or a distribution".to_string(),
        Kind::Duration => "a duration".to_string(),
        Kind::PositiveDuration { .. } => "a duration > 0".to_string(),
        Kind::Size => "a size".to_string(),
        Kind::NsPer { per } => format!("a number ≥ 0: ns per {per}"),
        Kind::Factor => "a number ≥ 1.0".to_string(),
        Kind::Probability => "a number from 0 to 1".to_string(),
        Kind::Setting { values } => (*values).to_string(),
    }
}

fn calibration(p: &Param) -> String {
    match p.calibration {
        Calibration::NotCalibrated => "not calibrated".to_string(),
        Calibration::Measured {
            measurement, how, ..
        } => format!("measured by {} (`{measurement}`)", probe(how)),
        Calibration::Fitted { how } => format!("fitted to {how}"),
        Calibration::Default { why } => format!("recorded at its default: {why}"),
    }
}

/// The default, per Python version when versions differ.
fn default(p: &Param) -> String {
    match p.access {
        Access::Setting(show) => show(&MachineConfig::default(), &PythonConfig::default()),
        Access::Machine(_) => {
            let m = MachineConfig::default();
            p.value(&m, &PythonConfig::default())
                .map_or_else(String::new, |v| show(&v))
        }
        Access::Python(_) => {
            let m = MachineConfig::default();
            // Consecutive minor versions with the same default, as (first, last, value).
            let mut runs: Vec<(u32, u32, String)> = Vec::new();
            for minor in 8..=14 {
                let py = PythonConfig::defaults(PyVersion { major: 3, minor }, Build::Gil);
                let text = p.value(&m, &py).map_or_else(String::new, |v| show(&v));
                match runs.last_mut() {
                    Some((_, last, v)) if *v == text => *last = minor,
                    _ => runs.push((minor, minor, text)),
                }
            }
            if let [(_, _, only)] = runs.as_slice() {
                return only.clone();
            }
            let parts: Vec<String> = runs
                .iter()
                .map(|(first, last, v)| {
                    if first == last {
                        format!("{v} (3.{first})")
                    } else {
                        format!("{v} (3.{first} to 3.{last})")
                    }
                })
                .collect();
            parts.join(", ")
        }
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Count(n) => n.to_string(),
        Value::Dist(d) => dist(d),
        Value::Nanos(ns) => duration(*ns),
        Value::Bytes(b) => size(*b),
        Value::Number(x) => x.to_string(),
    }
}

fn dist(d: &Dist) -> String {
    match *d {
        Dist::Const(ns) => duration(ns),
        Dist::Exp { mean } => format!("exponential, mean {}", duration(mean)),
        Dist::Uniform { lo, hi } => format!("uniform, {} to {}", duration(lo), duration(hi)),
        Dist::Normal { mean, sd } => {
            format!("normal, mean {}, sd {}", duration(mean), duration(sd))
        }
        Dist::LogNormal { median, sigma } => {
            format!("lognormal, median {}, sigma {sigma}", duration(median))
        }
    }
}

/// `2.5 µs`, `760 µs`, `1.5 ms`, `300 ns`.
fn duration(ns: Nanos) -> String {
    let (unit, size) = match ns {
        1_000_000_000.. => ("s", 1e9),
        1_000_000.. => ("ms", 1e6),
        1_000.. => ("µs", 1e3),
        _ => ("ns", 1.0),
    };
    let text = format!("{:.3}", ns as f64 / size);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// `12 MiB`, `64 KiB`, `100 B`.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_like_the_readme() {
        assert_eq!(duration(2_500), "2.5 µs");
        assert_eq!(duration(760_000), "760 µs");
        assert_eq!(duration(1_500_000), "1.5 ms");
        assert_eq!(duration(300), "300 ns");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(100), "100 B");
    }

    #[test]
    fn a_version_dependent_default_shows_each_version() {
        let p = super::super::find("python.free_threaded_overhead").unwrap();
        assert_eq!(default(p), "1.4 (3.8 to 3.13), 1.08 (3.14)");
    }

    #[test]
    fn splice_refuses_an_unknown_or_open_block() {
        assert!(splice("<!-- parameters: nope -->\n<!-- /parameters -->\n").is_err());
        assert!(splice("<!-- parameters: machine -->\n| old |\n").is_err());
        let fresh = splice("a\n<!-- parameters: asyncio -->\n| old |\n<!-- /parameters -->\nb\n");
        let fresh = fresh.unwrap();
        assert!(fresh.contains("`python.loop_callback`") && !fresh.contains("| old |"));
        assert_eq!(splice(&fresh).unwrap(), fresh);
    }
}
