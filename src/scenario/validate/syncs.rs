//! `[semaphores]`, `[events]` and `[conditions]`: the synchronisation
//! objects that steps name.

use super::Validator;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Value};
use crate::scenario::typed::{as_table, int_in, join, type_error};
use crate::workload::{SemaphoreDef, SyncDef};

impl Validator<'_> {
    /// `[semaphores]`: `name = capacity`, in file order. A semaphore whose
    /// capacity is wrong is still defined, so that steps may name it.
    pub(in crate::scenario) fn semaphores(&mut self, entry: Option<&Entry>) -> Vec<SemaphoreDef> {
        let Some(entry) = entry else {
            return Vec::new();
        };
        let Some(table) = self.ok(as_table(&entry.value, "semaphores")) else {
            self.semaphores_known = false;
            return Vec::new();
        };
        table
            .entries
            .iter()
            .map(|e| {
                let k = join("semaphores", &e.key);
                let capacity = int_in(
                    &e.value,
                    &k,
                    "a semaphore's capacity",
                    1,
                    i128::from(u32::MAX),
                );
                SemaphoreDef {
                    name: e.key.clone(),
                    capacity: self.or(capacity, 1) as u32,
                }
            })
            .collect()
    }

    /// `[events]` (`go = {}` or `go = { set = true }`) and `[conditions]`
    /// (`ready = {}`). An object whose options are wrong is still declared,
    /// so that steps may name it.
    pub(in crate::scenario) fn syncs(
        &mut self,
        events: Option<&Entry>,
        conditions: Option<&Entry>,
    ) -> Vec<SyncDef> {
        let mut defs = Vec::new();
        for (entry, event) in [(events, true), (conditions, false)] {
            let Some(entry) = entry else { continue };
            let Some(table) = self.ok(as_table(&entry.value, &entry.key)) else {
                if event {
                    self.events_known = false;
                } else {
                    self.conditions_known = false;
                }
                continue;
            };
            for e in &table.entries {
                let k = join(&entry.key, &e.key);
                let set = self.sync_options(e, &k, event);
                defs.push(SyncDef {
                    name: e.key.clone(),
                    event: event.then_some(set),
                });
            }
        }
        defs
    }

    /// The options of one event or condition: whether an event starts set.
    fn sync_options(&self, e: &Entry, k: &str, event: bool) -> bool {
        let help = if event {
            format!(
                "write {} = {{}} (initially clear) or {} = {{ set = true }}",
                e.key, e.key
            )
        } else {
            format!("write {} = {{}}", e.key)
        };
        let Value::Table(options) = &e.value.value else {
            self.report(type_error(&e.value, k, "a table of options").help(help));
            return false;
        };
        if !event {
            for option in &options.entries {
                self.report(
                    Diag::new(
                        format!("unknown key `{}` in [conditions]", option.key),
                        &option.key_span,
                        "a condition takes no options",
                    )
                    .key(join(k, &option.key))
                    .help(help.clone()),
                );
            }
            return false;
        }
        for option in options.entries.iter().filter(|o| o.key != "set") {
            self.report(
                crate::scenario::typed::unknown_key(option, k, "in [events]", &["set"])
                    .help(help.clone()),
            );
        }
        match options.get("set") {
            Some(s) => match s.value.value {
                Value::Bool(b) => b,
                _ => {
                    self.report(type_error(&s.value, &join(k, "set"), "true or false"));
                    false
                }
            },
            None => false,
        }
    }
}
