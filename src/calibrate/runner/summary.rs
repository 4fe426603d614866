//! The calibration summary `gilsim calibrate` prints: every parameter and measurement.

use super::super::profile::Value;
use super::CalibrateReport;
use crate::python::params::{self, Kind};

/// A number with about four significant digits.
fn short(v: f64) -> String {
    if v.abs() >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// The calibration summary for standard output: every parameter and measurement.
pub fn summary(r: &CalibrateReport) -> String {
    let p = &r.profile;
    let mut out = format!(
        "Python {} ({}), {} core(s) used of {}, {}, cpuidle {}, kernel {}\n\n",
        p.python.version_short,
        if p.python.gil_disabled {
            "free-threaded"
        } else {
            "with the GIL"
        },
        p.machine.cores_used,
        p.machine.cores_online,
        p.machine.cpu_model,
        p.machine.cpuidle_driver,
        p.machine.kernel
    );
    if let Some(k) = p.kernel_scheduler() {
        out.push_str(&format!(
            "scheduler: {} (base slice {:.2} ms, tick {:.0} ms{}), set by this profile\n\n",
            k.scheduler.name().to_uppercase(),
            k.base_slice as f64 / 1e6,
            k.tick as f64 / 1e6,
            if p.machine.hz.is_some() {
                ""
            } else {
                ": CONFIG_HZ unknown, 250 Hz assumed"
            }
        ));
    }
    out.push_str(&format!(
        "{:<32} {:<9} {}\n",
        "parameter", "source", "value"
    ));
    for (k, param) in &p.parameters {
        let v = match param.value {
            Value::Const { ns } => format!("{ns} ns"),
            Value::LogNormal { median_ns, sigma } => format!(
                "lognormal median {:.1} us, sigma {sigma:.2}",
                median_ns as f64 / 1e3
            ),
            Value::Normal { mean_ns, sd_ns } => format!(
                "normal mean {:.1} us, sd {:.1} us",
                mean_ns as f64 / 1e3,
                sd_ns as f64 / 1e3
            ),
            Value::Number { value } => match params::find(k).map(|q| q.kind) {
                Some(Kind::NsPer { per }) => format!("{value:.3} ns/{per}"),
                Some(Kind::Factor) => format!("x{value:.3}"),
                _ => format!("{value:.3}"),
            },
        };
        out.push_str(&format!("{k:<32} {:<9} {v}\n", param.source.to_string()));
    }
    out.push_str(&format!(
        "\n{:<40} {:>14} {:>30}\n",
        "measurement", "median", "p25..p75"
    ));
    for (k, m) in &p.measurements {
        out.push_str(&format!(
            "{k:<40} {:>14} {:>30} {}\n",
            short(m.median),
            format!("{}..{}", short(m.p25), short(m.p75)),
            m.unit
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("\nprofile: {}\n", r.path.display()));
    out
}
