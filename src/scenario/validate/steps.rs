//! A task's steps: compute, I/O and sleeps, locks and semaphores around
//! nested steps, `to_thread`, and steps on events and conditions. What a
//! step may do depends on the workload's run model, which the validator asks.

use super::Validator;
use crate::engine::random::Dist;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Node, Table, Value};
use crate::scenario::typed::{Res, dist, int_in, join, list, suggest, type_error, unknown_key};
use crate::workload::{Model, Step, Support};

pub(in crate::scenario) const STEP_KINDS: &[&str] = &[
    "cpu",
    "cpu_held",
    "cpu_nogil",
    "io",
    "sleep",
    "blocking_io",
    "lock",
    "semaphore",
    "to_thread",
    "wait_event",
    "set_event",
    "clear_event",
    "wait",
    "notify",
    "update",
    "repeat",
    "one_of",
];

/// At most this many operations in a task's program once `repeat` steps
/// are unrolled.
pub(in crate::scenario) const MAX_PROGRAM_OPS: u64 = 1_000_000;

/// Steps on an event (`[events]`) or a condition (`[conditions]`).
pub(in crate::scenario) const SYNC_STEPS: &[&str] =
    &["wait_event", "set_event", "clear_event", "wait", "notify"];

impl Validator<'_> {
    /// The steps array at `key`: the steps that could be read (the errors
    /// of the others are recorded).
    pub(in crate::scenario) fn steps(&mut self, node: &Node, key: &str) -> Vec<Step> {
        let items = match &node.value {
            Value::Array(items) => items,
            Value::Table(_) => {
                self.report(
                    type_error(node, key, "an array of steps")
                        .help("put the steps in brackets: steps = [ { io = \"1ms\" } ]"),
                );
                return Vec::new();
            }
            _ => {
                self.report(type_error(node, key, "an array of steps"));
                return Vec::new();
            }
        };
        if items.is_empty() {
            self.report(
                Diag::new(
                    "`steps` must not be empty",
                    &node.span,
                    "expected at least one step",
                )
                .key(key)
                .help("for example steps = [ { cpu = \"10ms\" } ]"),
            );
        }
        items
            .iter()
            .enumerate()
            .filter_map(|(j, item)| self.step(item, &format!("{key}[{j}]")))
            .collect()
    }

    /// One step; `None` when it cannot be read (the errors are recorded).
    pub(in crate::scenario) fn step(&mut self, node: &Node, key: &str) -> Option<Step> {
        let Value::Table(table) = &node.value else {
            return self.fail(type_error(
                node,
                key,
                "a step table like { cpu = \"10ms\" }",
            ));
        };
        if table.entries.is_empty() {
            return self.fail(
                Diag::new("empty step", &node.span, "expected one step kind")
                    .key(key)
                    .help(format!("step kinds: {}", list(STEP_KINDS))),
            );
        }
        if let Some(n) = table.get("name") {
            return self.parse_named(node, table, n, key);
        }
        if table.get("update").is_some() {
            return self.parse_update(table, key);
        }
        if let Some(r) = table.get("repeat") {
            return self.parse_repeat(table, r, key);
        }
        if let Some(o) = table.get("one_of") {
            return self.parse_one_of(table, o, key);
        }
        let mut unknown = false;
        for e in &table.entries {
            let name = e.key.as_str();
            if name == "steps" || name == "n" || STEP_KINDS.contains(&name) {
                continue;
            }
            let mut diag = Diag::new(
                format!("unknown step `{name}`"),
                &e.key_span,
                "not a step kind",
            )
            .key(join(key, name));
            if let Some(close) = suggest(name, STEP_KINDS) {
                diag = diag.help(format!("did you mean `{close}`?"));
            }
            self.report(diag.help(format!("step kinds: {}", list(STEP_KINDS))));
            unknown = true;
        }
        if unknown {
            return None;
        }
        let nested = table.get("steps");
        let mut kinds = table
            .entries
            .iter()
            .filter(|e| e.key != "steps" && e.key != "n");
        let Some(kind) = kinds.next() else {
            if let Some(n) = table.get("n") {
                return self.fail(
                    Diag::new(
                        "`n` needs a `notify` beside it",
                        &n.key_span,
                        "how many waiters of which condition?",
                    )
                    .key(join(key, "n"))
                    .help("write { notify = \"ready\", n = 2 }"),
                );
            }
            let steps = nested.map_or(&node.span, |e| &e.key_span);
            return self.fail(
                Diag::new(
                    "`steps` needs a `lock` or `semaphore` beside it",
                    steps,
                    "nested steps without a lock or semaphore",
                )
                .key(join(key, "steps"))
                .help("write { lock = \"db\", steps = [ ... ] }, or list the steps directly"),
            );
        };
        if let Some(second) = kinds.next() {
            return self.fail(
                Diag::new(
                    format!(
                        "a step has exactly one kind, found `{}` and `{}`",
                        kind.key, second.key
                    ),
                    &second.key_span,
                    "second step kind",
                )
                .key(join(key, &second.key))
                .help(format!(
                    "split it into two steps: {{ {} = ... }}, {{ {} = ... }}",
                    kind.key, second.key
                )),
            );
        }
        let k = join(key, &kind.key);
        let v = &kind.value;
        if kind.key == "to_thread" {
            return self.parse_to_thread(kind, nested, key);
        }
        if let Some(n) = table.get("n").filter(|_| kind.key != "notify") {
            return self.fail(
                Diag::new(
                    format!("`n` only goes with a `notify` step, not `{}`", kind.key),
                    &n.key_span,
                    "not a `notify` step",
                )
                .key(join(key, "n")),
            );
        }
        if SYNC_STEPS.contains(&kind.key.as_str()) {
            return self.parse_sync_step(kind, table.get("n"), nested, key);
        }
        let blocking_io: fn(Dist) -> Step = if self.model.coroutine_steps() && !self.in_to_thread {
            Step::BlockingIo
        } else {
            // Outside a coroutine, a blocking call is plain blocking I/O.
            Step::Io
        };
        let simple: Option<fn(Dist) -> Step> = match kind.key.as_str() {
            "cpu" => Some(Step::Cpu),
            "cpu_held" => Some(Step::CpuHeld),
            "cpu_nogil" => Some(Step::CpuNogil),
            "io" => Some(Step::Io),
            "blocking_io" => Some(blocking_io),
            "sleep" => Some(Step::Sleep),
            _ => None,
        };
        if let Some(make) = simple {
            if let Some(steps) = nested {
                self.report(
                    Diag::new(
                        "`steps` only goes with a `lock` or `semaphore` step",
                        &steps.key_span,
                        format!("a `{}` step has no nested steps", kind.key),
                    )
                    .key(join(key, "steps")),
                );
            }
            return self.ok(dist(v, &k)).map(make);
        }

        // `lock` or `semaphore`: a name and nested steps.
        let what = kind.key.as_str();
        let name = match &v.value {
            Value::Str(s) if !s.is_empty() => Some(s.as_str()),
            Value::Str(_) => self.fail(
                Diag::new(
                    format!("empty {what} name"),
                    &v.span,
                    format!("expected the {what}'s name"),
                )
                .key(k.as_str()),
            ),
            _ => self.fail(
                type_error(v, &k, &format!("a {what} name (a string)"))
                    .help(format!("write {{ {what} = \"name\", steps = [ ... ] }}")),
            ),
        };
        let Some(steps_entry) = nested else {
            // The steps may be inside a wrong name, as in
            // { lock = { steps = [...] } }: its error says enough.
            let name = name?;
            return self.fail(
                Diag::new(
                    format!("a `{what}` step needs `steps` beside it"),
                    &kind.key_span,
                    format!("what runs while the {what} is held?"),
                )
                .key(join(key, "steps"))
                .help(format!(
                    "write {{ {what} = \"{name}\", steps = [ {{ io = \"2ms\" }} ] }}"
                )),
            );
        };
        if self.model_known && matches!(self.model, Model::Shape(_)) {
            return self.fail(
                Diag::new(
                    format!("`{what}` steps in a deployment shape are not built yet in this version of gilsim"),
                    &kind.key_span,
                    "not supported yet",
                )
                .key(join(key, what))
                .note("each worker process would have its own lock or semaphore")
                .relational(),
            );
        }
        if what == "lock" {
            let lock = name.map(|name| match self.locks.iter().position(|l| l == name) {
                Some(i) => i,
                None => {
                    self.locks.push(name.to_string());
                    self.locks.len() - 1
                }
            });
            let steps = self.steps(&steps_entry.value, &join(key, "steps"));
            Some(Step::Lock { lock: lock?, steps })
        } else {
            let semaphore = name.and_then(|name| self.semaphore(name, v, &k));
            let steps = self.steps(&steps_entry.value, &join(key, "steps"));
            Some(Step::Semaphore {
                semaphore: semaphore?,
                steps,
            })
        }
    }

    /// The index of semaphore `name` in `[semaphores]`; `None` when it is
    /// not defined (an error, unless `[semaphores]` could not be read).
    fn semaphore(&self, name: &str, v: &Node, k: &str) -> Option<usize> {
        if let Some(i) = self.semaphores.iter().position(|s| s.name == name) {
            return Some(i);
        }
        if !self.semaphores_known || self.lost(name) {
            // Not read, or declared where it is not read (its own error).
            return None;
        }
        let defined: Vec<&str> = self.semaphores.iter().map(|s| s.name.as_str()).collect();
        let note = if defined.is_empty() {
            "no semaphores are defined".to_string()
        } else {
            format!("defined semaphores: {}", list(&defined))
        };
        self.fail(
            Diag::new(
                format!("unknown semaphore `{name}`"),
                &v.span,
                "not defined in [semaphores]",
            )
            .key(k)
            .note(note)
            .help(format!(
                "add `{name} = 3` (its capacity) under [semaphores]"
            ))
            .relational(),
        )
    }
}

impl Validator<'_> {
    /// `name = "..."` beside any step: the step, named.
    fn parse_named(&mut self, node: &Node, table: &Table, n: &Entry, key: &str) -> Option<Step> {
        let name = match &n.value.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            _ => self.fail(
                type_error(
                    &n.value,
                    &join(key, "name"),
                    "the step's name (a non-empty string)",
                )
                .help("write { name = \"fetch\", io = \"20ms\" }"),
            ),
        };
        let rest = Node {
            value: Value::Table(Table {
                entries: table
                    .entries
                    .iter()
                    .filter(|e| e.key != "name")
                    .cloned()
                    .collect(),
            }),
            span: node.span.clone(),
        };
        let step = self.step(&rest, key)?;
        Some(Step::Named {
            name: name?,
            step: Box::new(step),
        })
    }

    /// `{ repeat = N, steps = [ ... ] }`: the nested steps `N` times in a row.
    fn parse_repeat(&mut self, table: &Table, r: &Entry, key: &str) -> Option<Step> {
        const HELP: &str = "write { repeat = 10, steps = [ { cpu = \"1ms\" }, { io = \"5ms\" } ] }";
        for e in table
            .entries
            .iter()
            .filter(|e| e.key != "repeat" && e.key != "steps")
        {
            self.report(
                unknown_key(e, key, "in a `repeat` step", &["repeat", "steps", "name"]).help(HELP),
            );
        }
        let k = join(key, "repeat");
        let times = self.ok(int_in(
            &r.value,
            &k,
            "repeat",
            1,
            i128::from(MAX_PROGRAM_OPS),
        ));
        let Some(nested) = table.get("steps") else {
            return self.fail(
                Diag::new(
                    "a `repeat` step needs `steps` beside it",
                    &r.key_span,
                    "what runs again and again?",
                )
                .key(join(key, "steps"))
                .help(HELP),
            );
        };
        let steps = self.steps(&nested.value, &join(key, "steps"));
        if Step::one_of_count(&steps) > 0 {
            return self.fail(
                Diag::new(
                    "a `one_of` step inside a `repeat`",
                    &r.key_span,
                    "a task takes one branch of one `one_of`",
                )
                .key(join(key, "steps"))
                .help("put the `repeat` inside the `one_of`'s branches"),
            );
        }
        let times = times? as u64;
        let ops = times.saturating_mul(Step::ops_of(&steps));
        if ops > MAX_PROGRAM_OPS {
            return self.fail(
                Diag::new(
                    format!(
                        "this `repeat` unrolls to {ops} operations, more than {MAX_PROGRAM_OPS}"
                    ),
                    &r.value.span,
                    "too many repetitions",
                )
                .key(k)
                .help("repeat fewer, longer steps: a `cpu` step of 10 × 1ms is `cpu = \"10ms\"`; for a loop of updates use `times` on the update step"),
            );
        }
        Some(Step::Repeat { times, steps })
    }

    /// `{ to_thread = true, steps = [ ... ] }`: `asyncio.to_thread` around the
    /// nested steps, in an asyncio workload, not nested in another `to_thread`.
    pub(in crate::scenario) fn parse_to_thread(
        &mut self,
        kind: &Entry,
        nested: Option<&Entry>,
        key: &str,
    ) -> Option<Step> {
        let k = join(key, "to_thread");
        if self.model_known && self.model.to_thread() != Support::Yes {
            return self.fail(
                Diag::new(
                    "`to_thread` steps are asyncio only",
                    &kind.key_span,
                    "this workload's model is not asyncio",
                )
                .key(k)
                .help(
                    "use model = \"asyncio\", or list the steps directly (a thread already runs them)",
                )
                .relational(),
            );
        }
        if self.in_to_thread {
            return self.fail(
                Diag::new(
                    "a `to_thread` step inside a `to_thread` body",
                    &kind.key_span,
                    "the body already runs in an executor thread",
                )
                .key(k)
                .help("list the steps directly"),
            );
        }
        match &kind.value.value {
            Value::Bool(true) => {}
            Value::Array(_) => {
                return self.fail(
                    Diag::new(
                        "`to_thread` takes `true` and its steps beside it",
                        &kind.value.span,
                        "expected true",
                    )
                    .key(k)
                    .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"),
                );
            }
            _ => {
                return self.fail(
                    type_error(&kind.value, &k, "true")
                        .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"),
                );
            }
        }
        let Some(steps_entry) = nested else {
            return self.fail(
                Diag::new(
                    "a `to_thread` step needs `steps` beside it",
                    &kind.key_span,
                    "what runs in the executor thread?",
                )
                .key(join(key, "steps"))
                .help("write { to_thread = true, steps = [ { cpu_nogil = \"5ms\" } ] }"),
            );
        };
        self.in_to_thread = true;
        let steps = self.steps(&steps_entry.value, &join(key, "steps"));
        self.in_to_thread = false;
        Some(Step::ToThread(steps))
    }
}

impl Validator<'_> {
    /// `{ wait_event = "go" }`, `{ set_event = "go" }`, `{ clear_event = "go" }`,
    /// `{ wait = "ready" }`, `{ notify = "ready" }` or `{ notify = "ready", n = 3 | "all" }`.
    pub(in crate::scenario) fn parse_sync_step(
        &mut self,
        kind: &Entry,
        n: Option<&Entry>,
        nested: Option<&Entry>,
        key: &str,
    ) -> Option<Step> {
        let what = kind.key.as_str();
        let k = join(key, what);
        let event = matches!(what, "wait_event" | "set_event" | "clear_event");
        let (object, table) = if event {
            ("event", "events")
        } else {
            ("condition", "conditions")
        };
        if let Some(steps) = nested {
            return self.fail(
                Diag::new(
                    format!("`steps` does not go with a `{what}` step"),
                    &steps.key_span,
                    format!("a `{what}` step has no nested steps"),
                )
                .key(join(key, "steps"))
                .help("list the steps that follow it after it"),
            );
        }
        let name = match &kind.value.value {
            Value::Str(s) if !s.is_empty() => s.as_str(),
            _ => {
                return self.fail(
                    type_error(&kind.value, &k, &format!("the {object}'s name"))
                        .help(format!("write {{ {what} = \"name\" }}")),
                );
            }
        };
        let found = self
            .syncs
            .iter()
            .position(|s| s.name == name && s.event.is_some() == event);
        let Some(index) = found else {
            let known = if event {
                self.events_known
            } else {
                self.conditions_known
            };
            if !known || self.lost(name) {
                // Not read, or declared where it is not read (its own error).
                return None;
            }
            let defined: Vec<&str> = self
                .syncs
                .iter()
                .filter(|s| s.event.is_some() == event)
                .map(|s| s.name.as_str())
                .collect();
            let note = if defined.is_empty() {
                format!("no {object}s are declared")
            } else {
                format!("declared {object}s: {}", list(&defined))
            };
            return self.fail(
                Diag::new(
                    format!("unknown {object} `{name}`"),
                    &kind.value.span,
                    format!("not declared in [{table}]"),
                )
                .key(k)
                .note(note)
                .help(format!("add `{name} = {{}}` under [{table}]"))
                .relational(),
            );
        };
        if !self.model_known {
            return None;
        }
        if self.model.sync_steps() != Support::Yes || self.in_to_thread {
            let place = if self.in_to_thread {
                "inside a `to_thread` body".to_string()
            } else {
                format!("on {}", self.model.name())
            };
            return self.fail(
                Diag::new(
                    format!("`{what}` steps {place} are not built yet in this version of gilsim"),
                    &kind.key_span,
                    "not supported yet",
                )
                .key(k)
                .relational(),
            );
        }
        let span = kind.key_span.clone();
        match &self.sync_uses[index] {
            Some((asyncio, first)) if *asyncio != self.model.coroutines() => {
                let mut diag = Diag::new(
                    format!(
                        "{object} `{name}` is used both by coroutines and by threads or processes"
                    ),
                    &span,
                    if self.model.coroutines() {
                        "used in a coroutine here"
                    } else {
                        "used outside asyncio here"
                    },
                )
                .key(k)
                .note(format!(
                    "an asyncio.{} is not thread-safe: a thread cannot wait on it or set it",
                    if event { "Event" } else { "Condition" }
                ))
                .help(format!("declare a second {object} for the other side"))
                .relational();
                if first.origin == span.origin {
                    diag = diag.secondary(first, "first used here");
                }
                return self.fail(diag);
            }
            Some(_) => {}
            None => self.sync_uses[index] = Some((self.model.coroutines(), span)),
        }
        Some(match what {
            "wait_event" => Step::WaitEvent(index),
            "set_event" => Step::SetEvent(index),
            "clear_event" => Step::ClearEvent(index),
            "wait" => Step::Wait(index),
            _ => Step::Notify {
                condition: index,
                n: self.ok(notify_count(n, key))?,
            },
        })
    }
}

/// `n` of a `notify` step: an integer ≥ 1 or `"all"`; default 1.
pub(in crate::scenario) fn notify_count(n: Option<&Entry>, key: &str) -> Res<Option<u32>> {
    let Some(n) = n else {
        return Ok(Some(1));
    };
    let k = join(key, "n");
    match &n.value.value {
        Value::Str(s) if s == "all" => Ok(None),
        Value::Int(_) => Ok(Some(
            int_in(&n.value, &k, "n", 1, i128::from(u32::MAX))? as u32
        )),
        _ => Err(Diag::new(
            format!(
                "expected an integer ≥ 1 or \"all\", found {}",
                n.value.value.type_name()
            ),
            &n.value.span,
            "expected how many waiters to wake: an integer ≥ 1, or \"all\"",
        )
        .key(k)
        .help("write n = 1, n = 3 or n = \"all\"")),
    }
}
