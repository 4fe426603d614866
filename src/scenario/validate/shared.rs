//! `[shared]` variables and the `update` steps that name them
//! (docs/MODEL.md#shared-state).

use super::Validator;
use crate::engine::random::Dist;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::typed::{
    as_table, dist, int_in, join, list, suggest, type_error, unknown_key,
};
use crate::workload::{Model, SharedDef, Step, Update, UpdateKind};

/// Keys of an `update` step.
const UPDATE_KEYS: &[&str] = &["update", "kind", "times", "cost"];

/// One update's CPU time with its loop when the step does not say: a bare
/// `for` loop around `counter += 1` takes 40–60 ns per iteration on
/// CPython 3.8–3.13 on a current x86 core.
const DEFAULT_COST_NS: u64 = 50;

impl Validator<'_> {
    /// `[shared]`: `name = initial value` (an integer), in file order. A
    /// variable whose value is wrong is still declared, so that steps may
    /// name it. A name declared twice is refused by the TOML reader.
    pub(in crate::scenario) fn shared_vars(&mut self, entry: Option<&Entry>) -> Vec<SharedDef> {
        let Some(entry) = entry else {
            return Vec::new();
        };
        let Some(table) = self.ok(as_table(&entry.value, "shared")) else {
            self.shared_known = false;
            return Vec::new();
        };
        table
            .entries
            .iter()
            .map(|e| {
                let k = join("shared", &e.key);
                let initial = match &e.value.value {
                    Value::Int(_) => int_in(
                        &e.value,
                        &k,
                        "a shared variable's initial value",
                        i128::from(i64::MIN),
                        i128::from(i64::MAX),
                    ),
                    _ => Err(
                        type_error(&e.value, &k, "an integer (the variable's initial value)")
                            .help(format!("write {} = 0", e.key)),
                    ),
                };
                SharedDef {
                    name: e.key.clone(),
                    initial: self.or(initial, 0) as i64,
                }
            })
            .collect()
    }

    /// `{ update = "counter", kind = "iadd", times = 1000, cost = "50ns" }`.
    pub(in crate::scenario) fn parse_update(&mut self, table: &Table, key: &str) -> Option<Step> {
        let mut bad = false;
        for e in table
            .entries
            .iter()
            .filter(|e| !UPDATE_KEYS.contains(&e.key.as_str()))
        {
            self.report(unknown_key(e, key, "in an `update` step", UPDATE_KEYS).help(
                "an update step is { update = \"counter\", kind = \"iadd\", times = 1000 }; put other steps beside it in the list",
            ));
            bad = true;
        }
        let entry = table.get("update")?;
        let k = join(key, "update");
        let var = match &entry.value.value {
            Value::Str(name) if !name.is_empty() => self.shared_var(name, entry, &k),
            _ => self.fail(
                type_error(&entry.value, &k, "the name of a [shared] variable")
                    .help("write { update = \"counter\" } and declare counter = 0 under [shared]"),
            ),
        };
        let kind = match table.get("kind") {
            None => Some(UpdateKind::Iadd),
            Some(e) => {
                let names: Vec<&str> = UpdateKind::ALL.iter().map(|(n, _)| *n).collect();
                let k = join(key, "kind");
                match &e.value.value {
                    Value::Str(s) => match UpdateKind::ALL.iter().find(|(n, _)| n == s) {
                        Some((_, kind)) => Some(*kind),
                        None => {
                            let mut d = Diag::new(
                                format!("unknown update kind `{s}`"),
                                &e.value.span,
                                "not an update kind",
                            )
                            .key(k.as_str());
                            if let Some(close) = suggest(s, &names) {
                                d = d.help(format!("did you mean `{close}`?"));
                            }
                            self.fail(d.note(format!("update kinds: {}", list(&names))))
                        }
                    },
                    _ => self.fail(
                        type_error(&e.value, &k, "an update kind (a string)")
                            .note(format!("update kinds: {}", list(&names))),
                    ),
                }
            }
        };
        let times = match table.get("times") {
            None => Some(1),
            Some(e) => self
                .ok(int_in(
                    &e.value,
                    &join(key, "times"),
                    "times",
                    1,
                    i128::from(u64::MAX),
                ))
                .map(|n| n as u64),
        };
        let cost = match table.get("cost") {
            None => Some(Dist::Const(DEFAULT_COST_NS)),
            Some(e) => self.ok(dist(&e.value, &join(key, "cost"))),
        };
        if self.model_known && !self.model_shares_globals() {
            return self.fail(self.update_refused(entry, &k));
        }
        if bad {
            return None;
        }
        Some(Step::Update(Update {
            var: var?,
            kind: kind?,
            times: times?,
            cost: cost?,
        }))
    }

    /// True when the workload's threads share one interpreter's globals
    /// and a switch may fall inside an update.
    fn model_shares_globals(&self) -> bool {
        matches!(self.model, Model::Threads | Model::Sequential) && !self.in_to_thread
    }

    fn update_refused(&self, entry: &Entry, k: &str) -> Diag {
        let (why, help) = match self.model {
            Model::Processes(_) | Model::Subinterpreters(_) | Model::Shape(_) => (
                "each process (or interpreter) has its own copy of a module's globals",
                "use model = \"threads\"; across processes, share a multiprocessing.Value, which has its own lock",
            ),
            _ => (
                "updates in coroutines and to_thread bodies are not built yet in this version of gilsim",
                "use model = \"threads\" or \"sequential\"",
            ),
        };
        Diag::new(
            format!(
                "`update` steps need threads of one interpreter, not {}",
                self.model.name()
            ),
            &entry.key_span,
            why,
        )
        .key(k)
        .help(help)
        .relational()
    }

    /// The index of shared variable `name`; `None` when it is not declared
    /// (an error, unless `[shared]` could not be read).
    fn shared_var(&self, name: &str, entry: &Entry, k: &str) -> Option<usize> {
        if let Some(i) = self.shared.iter().position(|v| v.name == name) {
            return Some(i);
        }
        if !self.shared_known || self.lost(name) {
            return None;
        }
        let declared: Vec<&str> = self.shared.iter().map(|v| v.name.as_str()).collect();
        let note = if declared.is_empty() {
            "no variables are declared in [shared]".to_string()
        } else {
            format!("declared variables: {}", list(&declared))
        };
        let mut d = Diag::new(
            format!("unknown shared variable `{name}`"),
            &entry.value.span,
            "not declared in [shared]",
        )
        .key(k)
        .note(note)
        .help(format!("add `{name} = 0` under [shared]"))
        .relational();
        if let Some(close) = suggest(name, &declared) {
            d = d.help(format!("did you mean `{close}`?"));
        }
        self.fail(d)
    }
}
