//! `[machine]`: the cores and the OS scheduler.

use super::diagnostic::Diag;
use super::document::Entry;
use super::keys::MACHINE_KEYS;
use super::keys::check_keys;
use super::typed::{Res, as_table, dist, duration, int_in, join};
use super::validator::Validator;
use crate::calibrate::profile::Profile;
use crate::machine::MachineConfig;

impl Validator<'_> {
    /// The machine: the defaults, then the profile's values, then the
    /// table's keys.
    pub(super) fn machine(
        &self,
        entry: Option<&Entry>,
        profile: Option<&(String, Profile)>,
    ) -> Res<MachineConfig> {
        let mut m = MachineConfig::default();
        if let Some((_, profile)) = profile {
            profile.apply_machine(&mut m);
        }
        let Some(entry) = entry else {
            return Ok(m);
        };
        let table = as_table(&entry.value, "machine")?;
        check_keys(table, "machine", "in [machine]", MACHINE_KEYS)?;
        for e in &table.entries {
            let k = join("machine", &e.key);
            let v = &e.value;
            match e.key.as_str() {
                "cores" => m.cores = int_in(v, &k, "cores", 1, 4096)? as u32,
                "os_timeslice" => {
                    m.os_timeslice = duration(v, &k)?;
                    if m.os_timeslice == 0 {
                        return Err(Diag::new(
                            "os_timeslice must be greater than zero",
                            &v.span,
                            "expected a positive duration",
                        )
                        .key(k));
                    }
                }
                "wakeup_granularity" => m.wakeup_granularity = duration(v, &k)?,
                "sleeper_credit" => m.sleeper_credit = duration(v, &k)?,
                "idle_poll_window" => m.idle_poll_window = duration(v, &k)?,
                "context_switch" => m.context_switch = dist(v, &k)?,
                "wakeup_latency_polling" => m.wakeup_latency_polling = dist(v, &k)?,
                "wakeup_latency" => m.wakeup_latency = dist(v, &k)?,
                _ => m.timer_slack = dist(v, &k)?,
            }
        }
        Ok(m)
    }
}
