//! `[machine]`: the cores and the OS scheduler.

use super::Validator;
use super::profile::ProfileParams;
use crate::machine::MachineConfig;
use crate::python::params::{self, Section};
use crate::scenario::document::Entry;
use crate::scenario::param;
use crate::scenario::typed::check_keys;
use crate::scenario::typed::{Res, as_table, join};

impl Validator<'_> {
    /// The machine: the defaults, then the profile's values, then the
    /// table's keys.
    pub(in crate::scenario) fn machine(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, ProfileParams)>,
    ) -> Res<MachineConfig> {
        let mut m = MachineConfig::default();
        if let Some((_, profile)) = profile {
            profile.values.apply_machine(&mut m);
        }
        let Some(entry) = entry else {
            return Ok(m);
        };
        let table = as_table(&entry.value, "machine")?;
        check_keys(
            table,
            "machine",
            "in [machine]",
            &params::names(Section::Machine),
        )?;
        for e in &table.entries {
            let k = join("machine", &e.key);
            // Every key is a parameter: `check_keys` refused the others.
            if let Some(param) = params::find_in(Section::Machine, &e.key)
                && let Some(slot) = param.machine_slot(&mut m)
            {
                param::set(param, slot, &e.value, &k)?;
            }
        }
        Ok(m)
    }
}
