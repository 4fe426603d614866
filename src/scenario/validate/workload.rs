//! A `[[workload]]`: its name, payload sizes, run, arrival (or its stage
//! keys), memory and steps, and the checks that join them.

use super::Validator;
use super::stages::{PendingAfter, StageSpec};
use crate::engine::units::parse_rate;
use crate::scenario::diagnostic::{Diag, Span};
use crate::scenario::document::{Node, Table, Value};
use crate::scenario::keys::WORKLOAD_KEYS;
use crate::scenario::typed::check_keys;
use crate::scenario::typed::{
    RATE_EXPECTED, Res, as_str, int_in, join, missing, size, type_error, unit_error,
};
use crate::workload::{Arrival, StageChannel, Support, Workers, Workload};

impl Validator<'_> {
    /// The workload at `index` of `[[workload]]`; `names` holds the names
    /// seen so far, with their spans.
    pub(in crate::scenario) fn workload(
        &mut self,
        index: usize,
        item: &Node,
        names: &mut Vec<(String, Span)>,
    ) -> Res<Workload> {
        let anonymous = format!("workload[{index}]");
        let table = match &item.value {
            Value::Table(t) => t,
            _ => return Err(type_error(item, &anonymous, "a [[workload]] table")),
        };
        check_keys(table, &anonymous, "in [[workload]]", WORKLOAD_KEYS)?;

        let name_entry = table.get("name").ok_or_else(|| {
            missing(
                &item.span,
                &join(&anonymous, "name"),
                " in [[workload]]",
                "this workload needs a name",
            )
            .help("add name = \"jobs\" (letters, digits, `_` and `-`)")
        })?;
        let name_key = join(&anonymous, "name");
        let name = as_str(&name_entry.value, &name_key)?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Diag::new(
                format!("invalid workload name \"{name}\""),
                &name_entry.value.span,
                "expected letters, digits, `_` and `-`",
            )
            .key(name_key));
        }
        if let Some((_, first)) = names.iter().find(|(n, _)| n == name) {
            let mut diag = Diag::new(
                format!(
                    "duplicate workload name `{name}` (first defined at {})",
                    self.sources.describe(first)
                ),
                &name_entry.value.span,
                "a second workload with this name",
            )
            .key(format!("workload.{name}.name"))
            .help("workload names must be unique: they name rows of results.csv and --set keys");
            if first.origin == name_entry.value.span.origin {
                diag = diag.secondary(first, "first defined here");
            }
            return Err(diag);
        }
        names.push((name.to_string(), name_entry.value.span.clone()));
        let prefix = format!("workload.{name}");

        let mut bytes = [0u64; 2];
        for (slot, k) in bytes.iter_mut().zip(["args_bytes", "result_bytes"]) {
            if let Some(e) = table.get(k) {
                *slot = size(&e.value, &join(&prefix, k))?;
            }
        }
        let (mut model, workers) = self.run(table.get("run"), &prefix)?;
        if let Some(run) = model.payloads_mut() {
            // Threads pass references: only processes pickle the payloads.
            [run.args_bytes, run.result_bytes] = bytes;
        }
        let arrival = match self.after(table, &prefix)? {
            Some(StageSpec {
                span,
                names,
                capacity,
                pipe,
            }) => {
                self.pending_after.push(PendingAfter {
                    stage: index,
                    span,
                    names,
                    pipe,
                });
                Arrival::After {
                    upstream: Vec::new(),
                    capacity,
                    channel: StageChannel::Queue,
                    item_bytes: bytes[0],
                }
            }
            None => self.arrival(table, item, &prefix)?,
        };
        let refused = arrival == Arrival::Forever
            && workers == Workers::PerTask
            && model.repeat_per_task() != Support::Yes;
        if refused {
            let e = table
                .entries
                .iter()
                .find(|e| matches!(e.key.as_str(), "rate" | "repeat"));
            let span = e.map_or(&item.span, |e| &e.key_span);
            return Err(Diag::new(
                format!(
                    "`{}` workloads on {}{} are not built yet in this version of gilsim",
                    e.map_or("repeat", |e| e.key.as_str()),
                    model.name(),
                    if workers == Workers::PerTask {
                        " per task"
                    } else {
                        ""
                    }
                ),
                span,
                "not supported yet: use `tasks` (a batch), or a pool with `rate`",
            )
            .key(join(&prefix, e.map_or("tasks", |e| e.key.as_str()))));
        }
        if model.takes_pool_keys() && matches!(arrival, Arrival::After { .. }) {
            self.process_stage_keys(table, &prefix, workers)?;
        }
        let steps_entry = table.get("steps").ok_or_else(|| {
            missing(
                &item.span,
                &join(&prefix, "steps"),
                &format!(" in workload `{name}`"),
                "this workload has no steps",
            )
            .help("add steps = [ { cpu = \"10ms\" } ]")
        })?;
        if model.coroutines() && arrival == Arrival::Forever && workers == Workers::Unlimited {
            let e = table.get("repeat").map_or(&item.span, |e| &e.key_span);
            return Err(Diag::new(
                "repeat = \"forever\" on asyncio needs `workers`: how many coroutines loop",
                e,
                "unlimited coroutines cannot loop forever",
            )
            .key(join(&prefix, "repeat"))
            .help("add workers = 1 under [workload.run]"));
        }
        self.model = model.clone();
        self.in_to_thread = false;
        let steps = self.steps(&steps_entry.value, &join(&prefix, "steps"))?;
        let memory_bytes = match table.get("memory") {
            Some(e) => size(&e.value, &join(&prefix, "memory"))?,
            None => 0,
        };
        Ok(Workload {
            name: name.to_string(),
            arrival,
            steps,
            model,
            workers,
            memory_bytes,
        })
    }

    /// How the tasks arrive: `tasks`, `rate` or `repeat` (one of them).
    pub(in crate::scenario) fn arrival(
        &self,
        table: &Table,
        item: &Node,
        prefix: &str,
    ) -> Res<Arrival> {
        let mut arrivals = table
            .entries
            .iter()
            .filter(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"));
        let Some(entry) = arrivals.next() else {
            return Err(Diag::new(
                format!(
                    "missing arrival in workload `{}`",
                    prefix.trim_start_matches("workload.")
                ),
                &item.span,
                "needs one of `tasks`, `rate`, `repeat` or `after`",
            )
            .key(prefix)
            .help(
                "add tasks = 100 (a batch), rate = \"200/s\" (open loop), repeat = \"forever\" or after = \"producer\" (a pipeline stage)",
            ));
        };
        if let Some(second) = arrivals.next() {
            return Err(Diag::new(
                format!(
                    "a workload has exactly one arrival, found `{}` and `{}`",
                    entry.key, second.key
                ),
                &second.key_span,
                "second arrival",
            )
            .key(join(prefix, &second.key)));
        }
        let k = join(prefix, &entry.key);
        let v = &entry.value;
        let arrival = match entry.key.as_str() {
            "tasks" => Arrival::Batch(int_in(v, &k, "tasks", 1, i128::from(u64::MAX))? as u64),
            "rate" => match &v.value {
                Value::Str(s) => Arrival::Rate(
                    parse_rate(s).map_err(|e| unit_error(e, v, &k, s, "rate", RATE_EXPECTED))?,
                ),
                _ => return Err(type_error(v, &k, "a rate like \"200/s\"")),
            },
            _ => match as_str(v, &k)? {
                "forever" => Arrival::Forever,
                other => {
                    return Err(Diag::new(
                        format!("unknown repeat \"{other}\""),
                        &v.span,
                        "expected \"forever\"",
                    )
                    .key(k));
                }
            },
        };
        if !matches!(arrival, Arrival::Batch(_)) && !self.has_duration {
            return Err(Diag::new(
                "an open-loop workload needs `duration`",
                &entry.key_span,
                format!(
                    "`{}` keeps submitting tasks: the run needs an end",
                    entry.key
                ),
            )
            .key(k)
            .help("add a top-level duration, e.g. duration = \"10s\""));
        }
        Ok(arrival)
    }
}
