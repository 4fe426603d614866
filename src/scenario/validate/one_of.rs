//! `{ one_of = [ { weight = 99, steps = [...] }, { weight = 1, name = "report", steps = [...] } ] }`:
//! a request mix, one branch drawn per task by weight (docs/MODEL.md#steps).

use super::Validator;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Table, Value};
use crate::scenario::typed::{int_in, join, type_error, unknown_key};
use crate::workload::Step;
use crate::workload::step::Branch;

const HELP: &str = "write { one_of = [ { weight = 99, steps = [ { cpu = \"2ms\" } ] }, { weight = 1, name = \"report\", steps = [ { cpu = \"200ms\" } ] } ] }";

/// The largest branch weight.
const MAX_WEIGHT: i128 = 1_000_000_000;

impl Validator<'_> {
    /// A `one_of` step; `None` when it cannot be read (the errors are recorded).
    pub(in crate::scenario) fn parse_one_of(
        &mut self,
        table: &Table,
        o: &Entry,
        key: &str,
    ) -> Option<Step> {
        for e in table.entries.iter().filter(|e| e.key != "one_of") {
            self.report(unknown_key(e, key, "in a `one_of` step", &["one_of", "name"]).help(HELP));
        }
        let k = join(key, "one_of");
        if self.in_to_thread {
            return self.fail(
                Diag::new(
                    "a `one_of` step inside a `to_thread` body",
                    &o.key_span,
                    "a task's branch is drawn by the coroutine",
                )
                .key(k)
                .help("put the `one_of` around the `to_thread` steps instead"),
            );
        }
        let Value::Array(items) = &o.value.value else {
            return self.fail(type_error(&o.value, &k, "an array of branches").help(HELP));
        };
        if items.is_empty() {
            return self.fail(
                Diag::new(
                    "`one_of` needs at least one branch",
                    &o.value.span,
                    "no branch",
                )
                .key(k)
                .help(HELP),
            );
        }
        let mut branches = Vec::new();
        let mut ok = true;
        for (j, item) in items.iter().enumerate() {
            let bk = format!("{k}[{j}]");
            match self.branch(item, &bk) {
                Some(b) => {
                    let label = b.name.clone();
                    if let Some(name) = label
                        && branches
                            .iter()
                            .any(|x: &Branch| x.name.as_ref() == Some(&name))
                    {
                        self.report(
                            Diag::new(
                                format!("two branches are named `{name}`"),
                                &item.span,
                                "a second branch of that name",
                            )
                            .key(join(&bk, "name"))
                            .help("give each branch its own name: it labels its results"),
                        );
                        ok = false;
                    }
                    branches.push(b);
                }
                None => ok = false,
            }
        }
        if Step::one_of_count(
            &branches
                .iter()
                .flat_map(|b| b.steps.clone())
                .collect::<Vec<_>>(),
        ) > 0
        {
            return self.fail(
                Diag::new(
                    "a `one_of` step inside a `one_of` branch",
                    &o.key_span,
                    "a task takes one branch of one `one_of`",
                )
                .key(k)
                .help("flatten the mix: list every combination as a branch of one `one_of`"),
            );
        }
        ok.then_some(Step::OneOf(branches))
    }

    /// One branch: `weight`, `steps` and an optional `name`.
    fn branch(&mut self, node: &crate::scenario::document::Node, key: &str) -> Option<Branch> {
        let Value::Table(t) = &node.value else {
            return self.fail(
                type_error(node, key, "a branch like { weight = 1, steps = [ ... ] }").help(HELP),
            );
        };
        for e in t
            .entries
            .iter()
            .filter(|e| !["weight", "steps", "name"].contains(&e.key.as_str()))
        {
            self.report(
                unknown_key(e, key, "in a `one_of` branch", &["weight", "steps", "name"])
                    .help(HELP),
            );
        }
        let weight = match t.get("weight") {
            Some(w) => self.ok(int_in(
                &w.value,
                &join(key, "weight"),
                "weight",
                1,
                MAX_WEIGHT,
            )),
            None => self.fail(
                Diag::new(
                    "a branch needs a `weight`",
                    &node.span,
                    "how often is it taken?",
                )
                .key(join(key, "weight"))
                .help(HELP),
            ),
        };
        let name = match t.get("name").map(|n| &n.value) {
            None => Some(None),
            Some(n) => match &n.value {
                Value::Str(s) if !s.trim().is_empty() && !s.contains(',') => Some(Some(s.clone())),
                _ => self.fail(
                    type_error(
                        n,
                        &join(key, "name"),
                        "the branch's label (a non-empty string without commas)",
                    )
                    .help(HELP),
                ),
            },
        };
        let steps = match t.get("steps") {
            Some(s) => Some(self.steps(&s.value, &join(key, "steps"))),
            None => self.fail(
                Diag::new(
                    "a branch needs `steps`",
                    &node.span,
                    "what does a task of this branch run?",
                )
                .key(join(key, "steps"))
                .help(HELP),
            ),
        };
        Some(Branch {
            weight: weight? as u64,
            name: name?,
            steps: steps?,
        })
    }
}
