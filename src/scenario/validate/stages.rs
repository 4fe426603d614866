//! Pipeline stages: a workload's `after`, `queue` and `channel`, and the
//! links between workloads, resolved once every workload is known.

use super::Validator;
use crate::scenario::diagnostic::{Diag, Span};
use crate::scenario::document::{Node, Table, Value};
use crate::scenario::typed::{as_str, int_in, join, type_error};
use crate::workload::{Arrival, LinkRefusal, StageChannel, Workload};

/// A stage's `after`, before the names are resolved.
pub(in crate::scenario) struct PendingAfter {
    /// The stage's index among the workloads.
    pub(in crate::scenario) stage: usize,
    /// The `after` value's span.
    pub(in crate::scenario) span: Span,
    /// Each upstream name, with its span.
    pub(in crate::scenario) names: Vec<(String, Span)>,
    /// `channel = "pipe"`, with the value's span.
    pub(in crate::scenario) pipe: Option<Span>,
}

/// A stage's keys as written: `after` (its span and names), `queue`, `channel = "pipe"`.
pub(in crate::scenario) struct StageSpec {
    /// The `after` value's span.
    pub(in crate::scenario) span: Span,
    /// Each upstream name, with its span.
    pub(in crate::scenario) names: Vec<(String, Span)>,
    /// `queue`: the input queue's capacity (`None`: unbounded).
    pub(in crate::scenario) capacity: Option<u64>,
    /// `channel = "pipe"`, with the value's span.
    pub(in crate::scenario) pipe: Option<Span>,
}

impl Validator<'_> {
    /// A stage's `after`, `queue` and `channel`: `Some(None)` for a
    /// workload with arrivals of its own, `None` for a stage whose `after`
    /// cannot be read (the errors are recorded).
    pub(in crate::scenario) fn after(
        &self,
        table: &Table,
        prefix: &str,
    ) -> Option<Option<StageSpec>> {
        let pipe = match table.get("channel") {
            Some(e) => {
                let k = join(prefix, "channel");
                let channel = as_str(&e.value, &k).and_then(|text| match text {
                    "pipe" => Ok(Some(e.value.span.clone())),
                    "queue" => Ok(None),
                    other => Err(Diag::new(
                        format!("unknown channel \"{other}\""),
                        &e.value.span,
                        "expected \"queue\" (the default) or \"pipe\"",
                    )
                    .key(k.as_str())
                    .help("\"queue\" is a queue.Queue, multiprocessing.Queue or asyncio.Queue by the models on both ends; \"pipe\" a multiprocessing.Pipe")),
                });
                self.or(channel, None)
            }
            None => None,
        };
        let Some(after) = table.get("after") else {
            // Without an arrival either, "missing arrival" says to add `after`.
            let own_arrival = table
                .entries
                .iter()
                .any(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"));
            if !own_arrival {
                return Some(None);
            }
            if let Some(span) = &pipe {
                self.report(
                    Diag::new(
                        "`channel` is how a stage's items reach it: it needs `after`",
                        span,
                        "no `after` in this workload",
                    )
                    .key(join(prefix, "channel"))
                    .relational(),
                );
            }
            if let Some(e) = table.get("queue") {
                self.report(
                    Diag::new(
                        "`queue` is the capacity of a stage's input queue: it needs `after`",
                        &e.key_span,
                        "no `after` in this workload",
                    )
                    .key(join(prefix, "queue"))
                    .help("add after = \"producer\", naming the workload that feeds this one")
                    .relational(),
                );
            }
            return Some(None);
        };
        let key = join(prefix, "after");
        for e in table
            .entries
            .iter()
            .filter(|e| matches!(e.key.as_str(), "tasks" | "rate" | "repeat"))
        {
            self.report(
                Diag::new(
                    format!(
                        "a stage's tasks are the items its upstream puts in its queue: `{}` cannot be used with `after`",
                        e.key
                    ),
                    &e.key_span,
                    "remove this",
                )
                .key(join(prefix, &e.key))
                .secondary(&after.key_span, "this workload is a stage")
                .relational(),
            );
        }
        let nodes: Vec<&Node> = match &after.value.value {
            Value::Str(_) => vec![&after.value],
            Value::Array(items) if !items.is_empty() => items.iter().collect(),
            Value::Array(_) => {
                return self.fail(
                    Diag::new(
                        "empty `after`",
                        &after.value.span,
                        "expected at least one workload name",
                    )
                    .key(key),
                );
            }
            _ => {
                return self.fail(type_error(
                    &after.value,
                    &key,
                    "a workload name or an array of names",
                ));
            }
        };
        let mut names: Vec<(String, Span)> = Vec::new();
        let mut names_read = true;
        for node in nodes {
            let Some(name) = self.ok(as_str(node, &key)) else {
                names_read = false;
                continue;
            };
            if names.iter().any(|(n, _)| n == name) {
                self.report(
                    Diag::new(
                        format!("`{name}` is named twice in `after`"),
                        &node.span,
                        "a second time",
                    )
                    .key(key.as_str()),
                );
                continue;
            }
            names.push((name.to_string(), node.span.clone()));
        }
        let capacity = match table.get("queue") {
            Some(e) => {
                let k = join(prefix, "queue");
                if matches!(e.value.value, Value::Int(0)) {
                    self.report(
                        Diag::new(
                            "a queue of capacity 0 holds nothing",
                            &e.value.span,
                            "expected a capacity of at least 1",
                        )
                        .key(k)
                        .help("for an unbounded queue (Python's maxsize = 0), leave `queue` out"),
                    );
                    None
                } else {
                    self.ok(int_in(&e.value, &k, "queue", 1, i128::from(u64::MAX)))
                        .map(|c| c as u64)
                }
            }
            None => None,
        };
        if let (Some(_), Some(e)) = (&pipe, table.get("queue")) {
            self.report(
                Diag::new(
                    "a multiprocessing.Pipe has no maxsize: its capacity is the OS pipe buffer",
                    &e.key_span,
                    "not used with channel = \"pipe\"",
                )
                .key(join(prefix, "queue"))
                .help("remove `queue`, or remove `channel` for a bounded multiprocessing.Queue")
                .relational(),
            );
        }
        if !names_read {
            return None;
        }
        Some(Some(StageSpec {
            span: after.value.span.clone(),
            names,
            capacity,
            pipe,
        }))
    }

    /// Resolves every stage's `after` names, checks that the models on
    /// both ends of each link are built, and refuses a cycle of links.
    /// `names` are the workloads' names as read; a link to or from a
    /// workload that could not be read is not checked.
    pub(in crate::scenario) fn link_stages(
        &mut self,
        workloads: &mut [Option<Workload>],
        names: &[(String, Span)],
    ) {
        let pending = std::mem::take(&mut self.pending_after);
        if self.workloads_misspelled {
            // Which workload each table belongs to is not known.
            return;
        }
        let mut links = Vec::new();
        for p in &pending {
            let Some(stage) = &workloads[p.stage] else {
                continue;
            };
            let key = format!("workload.{}.after", stage.name);
            let mut ups = Vec::with_capacity(p.names.len());
            let mut channel = None;
            let mut complete = true;
            for (name, span) in &p.names {
                let found = workloads
                    .iter()
                    .position(|w| w.as_ref().is_some_and(|w| &w.name == name));
                let Some(u) = found else {
                    complete = false;
                    if names.iter().any(|(n, _)| n == name) || self.unnamed_workload {
                        // The workload is there but could not be read, or
                        // may be the one whose name could not be: its own
                        // error says what is wrong.
                        continue;
                    }
                    let known: Vec<String> = names.iter().map(|(n, _)| format!("`{n}`")).collect();
                    self.report(
                        Diag::new(
                            format!("`after` names an unknown workload `{name}`"),
                            span,
                            "no workload has this name",
                        )
                        .key(key.as_str())
                        .help(format!("the workloads are {}", known.join(", ")))
                        .relational(),
                    );
                    continue;
                };
                let Some(upstream) = &workloads[u] else {
                    unreachable!("found among the workloads read")
                };
                let c = match stage_channel(upstream, stage, p.pipe.is_some()) {
                    Ok(c) => c,
                    Err((msg, label)) => {
                        self.report(Diag::new(msg, span, label).key(key.as_str()).relational());
                        complete = false;
                        continue;
                    }
                };
                if !c.joins() && p.names.len() > 1 {
                    self.report(
                        Diag::new(
                            format!(
                                "a join over a {} is not built yet in this version of gilsim",
                                c.python_name()
                            ),
                            &p.span,
                            "not supported yet: joins of thread or asyncio workloads are",
                        )
                        .key(key.as_str())
                        .relational(),
                    );
                    complete = false;
                    break;
                }
                channel = Some(c);
                ups.push(u);
                links.push((u, p.stage));
            }
            if !complete {
                continue;
            }
            if let Some(Workload {
                arrival:
                    Arrival::After {
                        upstream,
                        channel: c,
                        ..
                    },
                ..
            }) = &mut workloads[p.stage]
            {
                *upstream = ups;
                *c = channel.unwrap_or(StageChannel::Queue);
            }
        }
        let graph = crate::workload::pipeline::Pipeline::new(workloads.len(), &links);
        if let Some(cycle) = graph.cycle() {
            let name = |w: usize| workloads[w].as_ref().map_or("", |w| w.name.as_str());
            let names: Vec<&str> = cycle.iter().map(|&w| name(w)).collect();
            // The stage after the first workload of the cycle names it in its `after`.
            let closing = cycle[1];
            let p = pending.iter().find(|p| p.stage == closing);
            let span = p
                .and_then(|p| {
                    p.names
                        .iter()
                        .find(|(n, _)| n == names[0])
                        .map(|(_, s)| s.clone())
                })
                .or_else(|| p.map(|p| p.span.clone()));
            if let Some(span) = span {
                self.report(
                    Diag::new(
                        format!("the `after` links form a cycle: {}", names.join(" -> ")),
                        &span,
                        "this link is part of the cycle",
                    )
                    .key(format!("workload.{}.after", name(closing)))
                    .help("a pipeline flows one way: remove one of these links")
                    .relational(),
                );
            }
        }
    }
}

/// What carries items from `upstream` to `stage` (the models on both ends
/// decide), or why no channel can: the message and the span's label.
pub(in crate::scenario) fn stage_channel(
    upstream: &Workload,
    stage: &Workload,
    pipe: bool,
) -> Result<StageChannel, (String, &'static str)> {
    let bounded = matches!(
        stage.arrival,
        Arrival::After {
            capacity: Some(_),
            ..
        }
    );
    upstream
        .model
        .link(&stage.model, pipe, bounded)
        .map_err(|refusal| refused_link(refusal, upstream, stage))
}

/// The message and label for a link the models refuse.
fn refused_link(
    refusal: LinkRefusal,
    upstream: &Workload,
    stage: &Workload,
) -> (String, &'static str) {
    match refusal {
        LinkRefusal::Subinterpreters { upstream: up } => (
            format!(
                "pipelines with `{}` on subinterpreters are not built yet in this version of gilsim",
                if up { &upstream.name } else { &stage.name }
            ),
            "not supported yet: stages on sequential, threads, processes or asyncio workloads are",
        ),
        LinkRefusal::LoopFedByOthers => (
            format!(
                "`{}` runs on the event loop: a stage fed by `{}` ({}) would need loop.run_in_executor around the get, which is not built yet in this version of gilsim",
                stage.name,
                upstream.name,
                upstream.model.name()
            ),
            "not supported yet: an asyncio stage's upstream must be asyncio",
        ),
        LinkRefusal::LoopToThreads => (
            format!(
                "`{}` runs on the event loop and `{}` on threads: a queue.Queue between them is not built yet in this version of gilsim",
                upstream.name, stage.name
            ),
            "not supported yet: asyncio feeds asyncio (asyncio.Queue) or processes (multiprocessing.Queue)",
        ),
        LinkRefusal::LoopToBoundedQueue => (
            format!(
                "`{}` runs on the event loop: a bounded multiprocessing.Queue's put would block the loop when full, which is not built yet in this version of gilsim",
                upstream.name
            ),
            "not supported yet: leave `queue` out (an unbounded multiprocessing.Queue never blocks a put)",
        ),
        LinkRefusal::Shape => (
            format!(
                "pipelines with a deployment shape (`{}` or `{}` with per_process) are not built yet in this version of gilsim",
                upstream.name, stage.name
            ),
            "not supported yet: a shape serves requests that arrive (`rate` or `tasks`)",
        ),
        LinkRefusal::PipeFromLoop => (
            format!(
                "`{}` runs on the event loop: a multiprocessing.Pipe from a coroutine is not built yet in this version of gilsim",
                upstream.name
            ),
            "not supported yet: `channel = \"pipe\"` links threads or processes",
        ),
    }
}
