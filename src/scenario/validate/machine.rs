//! `[machine]`: the cores and the OS scheduler.

use super::Validator;
use super::profile::ProfileParams;
use crate::machine::{MachineConfig, Scheduler};
use crate::python::params::{self, Section};
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::Entry;
use crate::scenario::param;
use crate::scenario::typed::{as_str, as_table, join};

impl Validator<'_> {
    /// The machine: the defaults, then the profile's values, then the
    /// table's keys (a key that is wrong keeps the value before it, and its
    /// error is recorded).
    pub(in crate::scenario) fn machine(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, ProfileParams)>,
    ) -> MachineConfig {
        let mut m = MachineConfig::default();
        if let Some((_, profile)) = profile {
            if let Some(k) = &profile.kernel {
                k.apply(&mut m);
            }
            profile.values.apply_machine(&mut m);
        }
        let Some(entry) = entry else {
            return m;
        };
        let Some(table) = self.ok(as_table(&entry.value, "machine")) else {
            return m;
        };
        self.known_keys(
            table,
            "machine",
            "in [machine]",
            &params::names(Section::Machine),
        );
        for e in &table.entries {
            let k = join("machine", &e.key);
            if e.key == "scheduler" {
                let scheduler = as_str(&e.value, &k).and_then(|text| match text {
                    "cfs" => Ok(Scheduler::Cfs),
                    "eevdf" => Ok(Scheduler::Eevdf),
                    other => Err(Diag::new(
                        format!("unknown scheduler \"{other}\""),
                        &e.value.span,
                        "expected \"cfs\" or \"eevdf\"",
                    )
                    .key(k.as_str())),
                });
                if let Some(s) = self.ok(scheduler) {
                    m.scheduler = s;
                }
                continue;
            }
            // Every other key was refused by `known_keys`.
            if let Some(param) = params::find_in(Section::Machine, &e.key)
                && let Some(slot) = param.machine_slot(&mut m)
                && let Err(d) = param::set(param, slot, &e.value, &k)
            {
                self.report(d);
            }
        }
        m
    }
}
