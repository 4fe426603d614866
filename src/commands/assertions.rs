//! `gilsim run --assert 'workload.NAME.COLUMN OP VALUE'`: checks on the
//! results for a project's own CI. Each assertion is checked at every sweep
//! point on the mean over the point's replications (the mean `summary.csv`
//! shows; with one replication, the value in `results.csv`).

use crate::failure::Failure;
use crate::report::summary::{metrics, summarise};
use crate::scenario::Study;

/// A comparison operator of an assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl Op {
    /// The operator as written.
    pub fn text(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
        }
    }

    /// Whether `x OP value` holds.
    pub fn holds(self, x: f64, value: f64) -> bool {
        match self {
            Op::Lt => x < value,
            Op::Le => x <= value,
            Op::Gt => x > value,
            Op::Ge => x >= value,
            Op::Eq => x == value,
        }
    }
}

/// One `--assert`: a `results.csv` column of a workload compared with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// The workload's name.
    pub workload: String,
    /// A numeric `results.csv` column.
    pub column: String,
    /// The operator.
    pub op: Op,
    /// The number compared with.
    pub value: f64,
    /// The assertion as given.
    pub text: String,
}

/// Parses `workload.NAME.COLUMN OP VALUE` (spaces optional around `OP`).
pub fn parse(text: &str) -> Result<Assertion, String> {
    let bad = |why: &str| {
        format!(
            "--assert `{text}`: {why}; expected `workload.NAME.COLUMN OP VALUE` with OP one of < <= > >= ==, such as 'workload.web.latency_p99_ms < 50'"
        )
    };
    let ops = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let Some(at) = text.find(['<', '>', '=', '!']) else {
        return Err(bad("no operator"));
    };
    let rest = &text[at..];
    let Some((op_text, op)) = ops.iter().find(|(t, _)| rest.starts_with(t)) else {
        let shown: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
        return Err(bad(&format!("unknown operator `{shown}`")));
    };
    let value_text = rest[op_text.len()..].trim();
    if value_text.starts_with(['<', '>', '=', '!']) {
        let shown: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
        return Err(bad(&format!("unknown operator `{shown}`")));
    }
    let value: f64 = value_text
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| bad(&format!("`{value_text}` is not a number")))?;
    let lhs = text[..at].trim();
    let Some(path) = lhs.strip_prefix("workload.") else {
        return Err(bad(&format!("`{lhs}` does not start with `workload.`")));
    };
    let Some((workload, column)) = path.rsplit_once('.') else {
        return Err(bad(&format!("`{lhs}` names no column")));
    };
    if workload.is_empty() || column.is_empty() {
        return Err(bad(&format!("`{lhs}` names no workload or no column")));
    }
    Ok(Assertion {
        workload: workload.to_string(),
        column: column.to_string(),
        op: *op,
        value,
        text: text.trim().to_string(),
    })
}

/// Checks that every assertion names a workload of the study and a numeric
/// column; the error names the first that does not.
pub fn check_names(assertions: &[Assertion], study: &Study) -> Result<(), String> {
    for a in assertions {
        let names: Vec<&str> = study
            .first()
            .workloads
            .iter()
            .map(|w| w.name.as_str())
            .collect();
        if !names.contains(&a.workload.as_str()) {
            return Err(format!(
                "--assert `{}`: the scenario has no workload `{}` (it has: {})",
                a.text,
                a.workload,
                names.join(", ")
            ));
        }
        if !metrics().contains(&a.column.as_str()) {
            return Err(format!(
                "--assert `{}`: `{}` is not a numeric column of results.csv (one of: {})",
                a.text,
                a.column,
                metrics().join(", ")
            ));
        }
    }
    Ok(())
}

/// The outcome of one assertion at one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether it held.
    pub passed: bool,
    /// A line for the user: the assertion, the point, the value it saw.
    pub line: String,
}

/// Checks every assertion at every point of the results (`header` and
/// `records` as in `results.csv`); `sweep_keys` label the points.
pub fn evaluate(
    assertions: &[Assertion],
    header: &[String],
    records: &[Vec<String>],
    sweep_keys: &[String],
) -> Vec<Outcome> {
    let groups = summarise(header, records);
    let mut out = Vec::new();
    for a in assertions {
        let metric = metrics().iter().position(|m| *m == a.column);
        for g in groups
            .iter()
            .filter(|g| g.keys.get(1 + sweep_keys.len()) == Some(&a.workload))
        {
            let point = g.keys.first().cloned().unwrap_or_default();
            let at = if sweep_keys.is_empty() {
                String::new()
            } else {
                let values: Vec<String> = sweep_keys
                    .iter()
                    .zip(&g.keys[1..])
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                format!(" point {point} ({}),", values.join(", "))
            };
            let of = if g.count > 1 {
                format!(" (mean of {} replications)", g.count)
            } else {
                String::new()
            };
            let value = metric.and_then(|m| g.stats.get(m).copied().flatten());
            let (passed, seen) = match value {
                Some((x, _)) => (
                    a.op.holds(x, a.value),
                    format!("{} = {}", a.column, short(x)),
                ),
                None => (false, format!("{} has no value", a.column)),
            };
            out.push(Outcome {
                passed,
                line: format!(
                    "assertion {}: {}:{at} {seen}{of}",
                    if passed { "passed" } else { "FAILED" },
                    a.text
                ),
            });
        }
    }
    out
}

/// A number with at most six decimals and no trailing zeros, as `results.csv` rounds it.
fn short(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// The command's verdict: a failed run (exit 1) listing the checks that
/// failed with their values, or `Ok` when all held.
pub fn verdict(outcomes: &[Outcome]) -> Result<(), Failure> {
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|a| !a.passed)
        .map(|a| a.line.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure::Run(format!(
        "{} of {} assertion check(s) failed:\n{}\n",
        failed.len(),
        outcomes.len(),
        failed.join("\n")
    )))
}
