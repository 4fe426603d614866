//! Deployment shapes for `--shapes`: `16threads`, `4x8threads`,
//! `4xasyncio`, `8xsync`, `asyncio`, `sync` (a multi-process shape may end
//! in `@accept`, `@reuseport` or `@round-robin`: how requests reach its
//! processes), each mapped to the `--set` overrides of the workload's
//! `[workload.run]` table.

use crate::scenario::builder::{Override, Value};

/// How one process runs its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner {
    /// A thread pool of this many threads.
    Threads(u32),
    /// An asyncio loop, with a `workers` limit when given.
    Asyncio(Option<u32>),
    /// One request at a time (a sync worker).
    Sequential,
}

/// A deployment shape: `processes` worker processes (`None`: the one
/// process of the program) each running `inner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Worker processes; `None` for a single-process shape.
    pub processes: Option<u32>,
    /// What each process runs.
    pub inner: Inner,
    /// How requests reach the processes (`balance`), when given.
    pub balance: Option<&'static str>,
}

/// The `balance` values a multi-process shape may name after `@`.
pub const BALANCES: &[&str] = &["accept", "reuseport", "round-robin"];

/// The shape grammar, for error messages.
pub const GRAMMAR: &str = "a shape is [P x] (N threads | asyncio | N asyncio | sync) [@accept | @reuseport | @round-robin after P x], e.g. 16threads, 4x8threads, 4xasyncio@reuseport, 8xsync, asyncio";

impl Shape {
    /// Parses one shape (`4x8threads`); the error says what was expected.
    pub fn parse(text: &str) -> Result<Shape, String> {
        let lower = text.trim().to_ascii_lowercase();
        let (t, balance) = match lower.split_once('@') {
            Some((shape, b)) => match BALANCES.iter().find(|x| **x == b) {
                Some(x) => (shape.to_string(), Some(*x)),
                None => {
                    return Err(format!(
                        "shape `{text}`: `@{b}` is not a balance: expected @{}",
                        BALANCES.join(", @")
                    ));
                }
            },
            None => (lower.clone(), None),
        };
        let (processes, rest) = match t.split_once('x') {
            Some((p, rest)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => {
                (Some(count(p, text)?), rest)
            }
            _ => (None, t.as_str()),
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let kind = &rest[digits.len()..];
        let n = if digits.is_empty() {
            None
        } else {
            Some(count(&digits, text)?)
        };
        let inner = match (kind, n) {
            ("threads" | "thread", Some(n)) => Inner::Threads(n),
            ("threads" | "thread", None) => {
                return Err(format!(
                    "shape `{text}`: give the thread count, e.g. 16threads or 4x8threads"
                ));
            }
            ("asyncio", n) => Inner::Asyncio(n),
            ("sync" | "sequential", None) => Inner::Sequential,
            _ => return Err(format!("shape `{text}` is not a shape: {GRAMMAR}")),
        };
        if balance.is_some() && processes.is_none() {
            return Err(format!(
                "shape `{text}`: `@` balances requests between processes: give them, e.g. 4x{}@{}",
                rest,
                balance.unwrap_or("accept")
            ));
        }
        Ok(Shape {
            processes,
            inner,
            balance,
        })
    }

    /// Parses a comma-separated list; duplicates are kept once.
    pub fn parse_list(text: &str) -> Result<Vec<Shape>, String> {
        let mut out: Vec<Shape> = Vec::new();
        for s in text.split(',').filter(|s| !s.trim().is_empty()) {
            let shape = Shape::parse(s)?;
            if !out.contains(&shape) {
                out.push(shape);
            }
        }
        if out.is_empty() {
            return Err(format!("--shapes is empty: {GRAMMAR}"));
        }
        Ok(out)
    }

    /// The shape as `--shapes` writes it.
    pub fn label(&self) -> String {
        let inner = match self.inner {
            Inner::Threads(n) => format!("{n}threads"),
            Inner::Asyncio(None) => "asyncio".to_string(),
            Inner::Asyncio(Some(n)) => format!("{n}asyncio"),
            Inner::Sequential => "sync".to_string(),
        };
        match (self.processes, self.balance) {
            (Some(p), Some(b)) => format!("{p}x{inner}@{b}"),
            (Some(p), None) => format!("{p}x{inner}"),
            (None, _) => inner,
        }
    }

    /// The overrides that give workload `w` this shape. The model is set
    /// as a one-value sweep, so keys the scenario writes for another model
    /// are ignored (as `gilsim compare` does).
    pub fn overrides(&self, w: &str) -> Vec<Override> {
        let model = |m: &str| Override::sweep(&format!("workload.{w}.run.model"), vec![m.into()]);
        let (name, workers): (&str, Value) = match self.inner {
            Inner::Threads(n) => ("threads", n.into()),
            Inner::Asyncio(Some(n)) => ("asyncio", n.into()),
            Inner::Asyncio(None) => ("asyncio", "unlimited".into()),
            Inner::Sequential => ("sequential", 1.into()),
        };
        match self.processes {
            None => vec![model(name), Override::workload(w, "run.workers", workers)],
            Some(p) => {
                let mut o = vec![
                    model("processes"),
                    Override::workload(w, "run.workers", p),
                    Override::workload(w, "run.per_process.model", name),
                ];
                if self.inner != Inner::Sequential && self.inner != Inner::Asyncio(None) {
                    o.push(Override::workload(w, "run.per_process.workers", workers));
                }
                if let Some(b) = self.balance {
                    o.push(Override::workload(w, "run.balance", b));
                }
                o
            }
        }
    }
}

fn count(digits: &str, text: &str) -> Result<u32, String> {
    match digits.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "shape `{text}`: `{digits}` is not a count from 1 to {}",
            u32::MAX
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builder::args;

    #[test]
    fn shapes_parse_and_print_back() {
        for (text, shape) in [
            ("16threads", (None, Inner::Threads(16))),
            ("4x8threads", (Some(4), Inner::Threads(8))),
            ("4xasyncio", (Some(4), Inner::Asyncio(None))),
            ("2x100asyncio", (Some(2), Inner::Asyncio(Some(100)))),
            ("8xsync", (Some(8), Inner::Sequential)),
            ("asyncio", (None, Inner::Asyncio(None))),
            ("sync", (None, Inner::Sequential)),
            ("4xasyncio@reuseport", (Some(4), Inner::Asyncio(None))),
            ("2x4threads@round-robin", (Some(2), Inner::Threads(4))),
        ] {
            let s = Shape::parse(text).unwrap();
            assert_eq!((s.processes, s.inner), shape, "{text}");
            assert_eq!(s.label(), text);
        }
        assert_eq!(
            Shape::parse("4xsync@accept").unwrap().balance,
            Some("accept")
        );
        assert!(Shape::parse("16threads@reuseport").is_err());
        assert!(Shape::parse("4xsync@hash").is_err());
        assert_eq!(Shape::parse(" 4X8Threads ").unwrap().label(), "4x8threads");
        assert_eq!(Shape::parse("sequential").unwrap().label(), "sync");
        for bad in [
            "threads",
            "4x",
            "0threads",
            "4x0threads",
            "x8threads",
            "8xprocesses",
            "8sync",
            "",
        ] {
            assert!(Shape::parse(bad).is_err(), "{bad}");
        }
        let list = Shape::parse_list("16threads, 4x8threads,16threads").unwrap();
        assert_eq!(list.len(), 2);
        assert!(Shape::parse_list(" , ").is_err());
    }

    #[test]
    fn shapes_map_to_run_keys() {
        let a = |s: &str| args(&Shape::parse(s).unwrap().overrides("api"));
        assert_eq!(
            a("16threads"),
            [
                "sweep.workload.api.run.model=[\"threads\"]",
                "workload.api.run.workers=16"
            ]
        );
        assert_eq!(
            a("asyncio"),
            [
                "sweep.workload.api.run.model=[\"asyncio\"]",
                "workload.api.run.workers=\"unlimited\""
            ]
        );
        assert_eq!(
            a("4x8threads"),
            [
                "sweep.workload.api.run.model=[\"processes\"]",
                "workload.api.run.workers=4",
                "workload.api.run.per_process.model=\"threads\"",
                "workload.api.run.per_process.workers=8"
            ]
        );
        assert_eq!(
            a("8xsync"),
            [
                "sweep.workload.api.run.model=[\"processes\"]",
                "workload.api.run.workers=8",
                "workload.api.run.per_process.model=\"sequential\""
            ]
        );
        assert_eq!(a("4xasyncio").len(), 3);
        assert_eq!(
            a("4xasyncio@reuseport")[3],
            "workload.api.run.balance=\"reuseport\""
        );
    }
}
