//! `[semaphores]`, `[events]` and `[conditions]`: the synchronisation
//! objects that steps name.

use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Value};
use crate::scenario::typed::check_keys;
use crate::scenario::typed::{Res, as_table, int_in, join, type_error};
use crate::workload::{SemaphoreDef, SyncDef};

/// `[semaphores]`: `name = capacity`, in file order.
pub(in crate::scenario) fn semaphores(entry: Option<&Entry>) -> Res<Vec<SemaphoreDef>> {
    let Some(entry) = entry else {
        return Ok(Vec::new());
    };
    let table = as_table(&entry.value, "semaphores")?;
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
            )? as u32;
            Ok(SemaphoreDef {
                name: e.key.clone(),
                capacity,
            })
        })
        .collect()
}

/// `[events]` (`go = {}` or `go = { set = true }`) and `[conditions]` (`ready = {}`).
pub(in crate::scenario) fn syncs(
    events: Option<&Entry>,
    conditions: Option<&Entry>,
) -> Res<Vec<SyncDef>> {
    let mut defs = Vec::new();
    for (entry, event) in [(events, true), (conditions, false)] {
        let Some(entry) = entry else { continue };
        let table = as_table(&entry.value, &entry.key)?;
        for e in &table.entries {
            let k = join(&entry.key, &e.key);
            let help = if event {
                format!(
                    "write {} = {{}} (initially clear) or {} = {{ set = true }}",
                    e.key, e.key
                )
            } else {
                format!("write {} = {{}}", e.key)
            };
            let Value::Table(options) = &e.value.value else {
                return Err(type_error(&e.value, &k, "a table of options").help(help));
            };
            if let (false, Some(option)) = (event, options.entries.first()) {
                return Err(Diag::new(
                    format!("unknown key `{}` in [conditions]", option.key),
                    &option.key_span,
                    "a condition takes no options",
                )
                .key(join(&k, &option.key))
                .help(help));
            }
            check_keys(options, &k, "in [events]", &["set"]).map_err(|d| d.help(help.clone()))?;
            let set = match options.get("set") {
                Some(s) => match s.value.value {
                    Value::Bool(b) => b,
                    _ => return Err(type_error(&s.value, &join(&k, "set"), "true or false")),
                },
                None => false,
            };
            defs.push(SyncDef {
                name: e.key.clone(),
                event: event.then_some(set),
            });
        }
    }
    Ok(defs)
}
