//! A `[[workload]]`: its name, payload sizes, run, arrival (or its stage
//! keys), memory and steps, and the checks that join them.

use super::Validator;
use super::stages::{PendingAfter, StageSpec};
use crate::engine::units::parse_rate;
use crate::scenario::diagnostic::{Diag, Span};
use crate::scenario::document::{Node, Table, Value};
use crate::scenario::keys::WORKLOAD_KEYS;
use crate::scenario::typed::{
    RATE_EXPECTED, as_str, int_in, join, missing, misspelled, size, type_error, unit_error,
};
use crate::workload::{Arrival, Model, StageChannel, Step, Support, Workers, Workload};

impl Validator<'_> {
    /// The workload at `index` of `[[workload]]`; `names` holds the names
    /// seen so far, with their spans. `None` when its name, model, workers
    /// or arrival cannot be read (the errors are recorded): the links to it
    /// are not checked.
    pub(in crate::scenario) fn workload(
        &mut self,
        index: usize,
        item: &Node,
        names: &mut Vec<(String, Span)>,
    ) -> Option<Workload> {
        let anonymous = format!("workload[{index}]");
        let table = match &item.value {
            Value::Table(t) => t,
            _ => {
                self.unnamed_workload = true;
                return self.fail(type_error(item, &anonymous, "a [[workload]] table"));
            }
        };
        if table.entries.is_empty() {
            self.unnamed_workload = true;
            return self.fail(
                Diag::new("empty [[workload]]", &item.span, "no keys in this workload")
                    .key(anonymous)
                    .help("give it name, steps and tasks, e.g. name = \"jobs\", tasks = 10, steps = [ { cpu = \"10ms\" } ]"),
            );
        }
        self.known_keys(table, &anonymous, "in [[workload]]", WORKLOAD_KEYS);

        let name = self.workload_name(table, item, &anonymous, names);
        if name.is_none() {
            self.unnamed_workload = true;
        }
        let prefix = match &name {
            Some(n) => format!("workload.{n}"),
            None => anonymous,
        };

        let mut bytes = [0u64; 2];
        for (slot, k) in bytes.iter_mut().zip(["args_bytes", "result_bytes"]) {
            if let Some(e) = table.get(k) {
                *slot = self.or(size(&e.value, &join(&prefix, k)), 0);
            }
        }
        // A `model` outside the run table, a misspelled `run`, a misspelled
        // [[workload]]: the model is not known.
        let misplaced = table.get("model").is_some()
            || misspelled(table, WORKLOAD_KEYS, &["run"])
            || self.workloads_misspelled;
        let run = self.run(table.get("run"), &prefix, misplaced);
        let (mut model, workers) = match run {
            Some((model, workers)) => (Some(model), workers),
            None => (None, None),
        };
        if let Some(run) = model.as_mut().and_then(Model::payloads_mut) {
            // Threads pass references: only processes pickle the payloads.
            [run.args_bytes, run.result_bytes] = bytes;
        }
        // `None`: the arrival (or the stage's `after`) cannot be read.
        let arrival = match self.after(table, &prefix) {
            Some(Some(StageSpec {
                span,
                names,
                capacity,
                pipe,
            })) => {
                self.pending_after.push(PendingAfter {
                    stage: index,
                    span,
                    names,
                    pipe,
                });
                Some(Arrival::After {
                    upstream: Vec::new(),
                    capacity,
                    channel: StageChannel::Queue,
                    item_bytes: bytes[0],
                })
            }
            Some(None) => self.arrival(table, item, &prefix),
            None => None,
        };
        if let (Some(model), Some(workers), Some(arrival)) = (&model, workers, &arrival) {
            self.model_checks(table, item, &prefix, model, workers, arrival);
        }
        if let Some(model) = &model
            && model.takes_pool_keys()
            && matches!(arrival, Some(Arrival::After { .. }))
        {
            self.process_stage_keys(table, &prefix, workers);
        }
        let steps = match table.get("steps") {
            Some(steps_entry) => {
                self.model_known = model.is_some();
                self.model = model.clone().unwrap_or(Model::Threads);
                self.in_to_thread = false;
                let steps = self.steps(&steps_entry.value, &join(&prefix, "steps"));
                if Step::one_of_count(&steps) > 1 {
                    self.report(
                        Diag::new(
                            "more than one `one_of` step in a workload",
                            &steps_entry.value.span,
                            "its tasks' branches would not be one label",
                        )
                        .key(join(&prefix, "steps"))
                        .help("merge the mixes into one `one_of`, or split the workload"),
                    );
                }
                steps
            }
            None if misspelled(table, WORKLOAD_KEYS, &["steps"]) => Vec::new(),
            None => {
                let shown = name.as_deref().unwrap_or(prefix.as_str());
                self.report(
                    missing(
                        &item.span,
                        &join(&prefix, "steps"),
                        &format!(" in workload `{shown}`"),
                        "this workload has no steps",
                    )
                    .help("add steps = [ { cpu = \"10ms\" } ]"),
                );
                Vec::new()
            }
        };
        let memory_bytes = match table.get("memory") {
            Some(e) => self.or(size(&e.value, &join(&prefix, "memory")), 0),
            None => 0,
        };
        Some(Workload {
            name: name?,
            arrival: arrival?,
            steps,
            model: model?,
            workers: workers?,
            memory_bytes,
        })
    }

    /// The workload's name: letters, digits, `_` and `-`, not taken by an
    /// earlier workload (`names`, which it joins). `None` when it cannot
    /// be used.
    fn workload_name(
        &self,
        table: &Table,
        item: &Node,
        anonymous: &str,
        names: &mut Vec<(String, Span)>,
    ) -> Option<String> {
        let name_key = join(anonymous, "name");
        let Some(name_entry) = table.get("name") else {
            if misspelled(table, WORKLOAD_KEYS, &["name"]) {
                return None;
            }
            return self.fail(
                missing(
                    &item.span,
                    &name_key,
                    " in [[workload]]",
                    "this workload needs a name",
                )
                .help("add name = \"jobs\" (letters, digits, `_` and `-`)"),
            );
        };
        let name = self.ok(as_str(&name_entry.value, &name_key))?;
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return self.fail(
                Diag::new(
                    format!("invalid workload name \"{name}\""),
                    &name_entry.value.span,
                    "expected letters, digits, `_` and `-`",
                )
                .key(name_key),
            );
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
            .help("workload names must be unique: they name rows of results.csv and --set keys")
            .relational();
            if first.origin == name_entry.value.span.origin {
                diag = diag.secondary(first, "first defined here");
            }
            // The name is known: `after` may name it without an error.
            return self.fail(diag);
        }
        names.push((name.to_string(), name_entry.value.span.clone()));
        Some(name.to_string())
    }

    /// What the model refuses of the workload's arrival and workers.
    fn model_checks(
        &self,
        table: &Table,
        item: &Node,
        prefix: &str,
        model: &Model,
        workers: Workers,
        arrival: &Arrival,
    ) {
        let refused = *arrival == Arrival::Forever
            && workers == Workers::PerTask
            && model.repeat_per_task() != Support::Yes;
        if refused {
            let e = table
                .entries
                .iter()
                .find(|e| matches!(e.key.as_str(), "rate" | "repeat"));
            let span = e.map_or(&item.span, |e| &e.key_span);
            self.report(
                Diag::new(
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
                .key(join(prefix, e.map_or("tasks", |e| e.key.as_str())))
                .relational(),
            );
        }
        if model.serves_only_arrivals()
            && matches!(arrival, Arrival::Forever | Arrival::After { .. })
        {
            let e = table
                .entries
                .iter()
                .find(|e| matches!(e.key.as_str(), "repeat" | "after"));
            let span = e.map_or(&item.span, |e| &e.key_span);
            self.report(
                Diag::new(
                    format!(
                        "`{}` on a deployment shape (per_process) is not built yet in this version of gilsim",
                        e.map_or("repeat", |e| e.key.as_str())
                    ),
                    span,
                    "a shape serves requests that arrive: use `rate` or `tasks`",
                )
                .key(join(prefix, e.map_or("repeat", |e| e.key.as_str())))
                .relational(),
            );
        }
        if model.coroutines() && *arrival == Arrival::Forever && workers == Workers::Unlimited {
            let e = table.get("repeat").map_or(&item.span, |e| &e.key_span);
            self.report(
                Diag::new(
                    "repeat = \"forever\" on asyncio needs `workers`: how many coroutines loop",
                    e,
                    "unlimited coroutines cannot loop forever",
                )
                .key(join(prefix, "repeat"))
                .help("add workers = 1 under [workload.run]")
                .relational(),
            );
        }
    }

    /// How the tasks arrive: `tasks`, `rate` or `repeat` (one of them).
    /// `None` when it cannot be read (the error is recorded).
    pub(in crate::scenario) fn arrival(
        &self,
        table: &Table,
        item: &Node,
        prefix: &str,
    ) -> Option<Arrival> {
        let mut arrivals = table
            .entries
            .iter()
            .filter(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"));
        let Some(entry) = arrivals.next() else {
            if misspelled(table, WORKLOAD_KEYS, &["tasks", "rate", "repeat", "after"]) {
                return None;
            }
            return self.fail(Diag::new(
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
            return self.fail(
                Diag::new(
                    format!(
                        "a workload has exactly one arrival, found `{}` and `{}`",
                        entry.key, second.key
                    ),
                    &second.key_span,
                    "second arrival",
                )
                .key(join(prefix, &second.key)),
            );
        }
        let k = join(prefix, &entry.key);
        let v = &entry.value;
        let arrival = match entry.key.as_str() {
            "tasks" => {
                Arrival::Batch(self.ok(int_in(v, &k, "tasks", 1, i128::from(u64::MAX)))? as u64)
            }
            "rate" => match &v.value {
                Value::Str(s) => Arrival::Rate(self.ok(
                    parse_rate(s).map_err(|e| unit_error(e, v, &k, s, "rate", RATE_EXPECTED)),
                )?),
                _ => return self.fail(type_error(v, &k, "a rate like \"200/s\"")),
            },
            _ => match self.ok(as_str(v, &k))? {
                "forever" => Arrival::Forever,
                other => {
                    return self.fail(
                        Diag::new(
                            format!("unknown repeat \"{other}\""),
                            &v.span,
                            "expected \"forever\"",
                        )
                        .key(k),
                    );
                }
            },
        };
        if !matches!(arrival, Arrival::Batch(_)) && !self.has_duration {
            // The arrival itself is right: what depends on it is still checked.
            self.report(
                Diag::new(
                    "an open-loop workload needs `duration`",
                    &entry.key_span,
                    format!(
                        "`{}` keeps submitting tasks: the run needs an end",
                        entry.key
                    ),
                )
                .key(k)
                .help("add a top-level duration, e.g. duration = \"10s\"")
                .relational(),
            );
        }
        Some(arrival)
    }
}
