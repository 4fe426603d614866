//! The probe rounds of `gilsim calibrate`: every probe and convoy
//! configuration once per round, rounds repeated, and the raw values
//! summarised into measurements (median, p25..p75, best-of-N).

use std::collections::BTreeMap;

use indicatif::ProgressBar;
use serde_json::json;

use super::super::costs;
use super::super::probes::{self, ProbeDir};
use super::super::profile::Measurement;
use super::super::stats::summarize;
use super::{BIG_CHUNK, ConvoyConfig, Failure, HANDOFF_INTERVAL_US, run_failure};

/// What the rounds run: their number, sizes and the convoy configurations.
pub(super) struct Plan<'a> {
    /// Rounds.
    pub reps: u64,
    /// `--quick`: fewer starts, messages and callbacks per probe.
    pub quick: bool,
    /// The CPU list the probes are pinned to (`--cores`).
    pub pinned_list: &'a Option<Vec<u32>>,
    /// How many cores the probes run on.
    pub main_count: u32,
    /// The convoy configurations.
    pub configs: &'a [ConvoyConfig],
    /// Round-trip payload sizes of `procs.py`.
    pub sizes: &'a [u64],
    /// Tasks of the `Pool.map` probe.
    pub map_tasks: u32,
    /// Scale of `costs.py` and `procs.py`.
    pub scale: f64,
    /// Seconds of `switch.py`.
    pub switch_s: f64,
    /// Seconds of each convoy run.
    pub convoy_s: f64,
}

/// What the rounds measured.
#[derive(Debug, Default)]
pub(super) struct Rounds {
    /// Every repetition's value, by measurement name.
    pub raw: BTreeMap<String, Vec<f64>>,
    /// The unit of each value derived by `costs`.
    pub derived_units: BTreeMap<String, &'static str>,
    /// Pinnings the OS refused: what, and why.
    pub pin_refused: BTreeMap<String, String>,
    /// Convoy repetitions with the background load they ran beside.
    pub convoy_reps: BTreeMap<String, Vec<(f64, Option<f64>)>>,
}

/// Runs the rounds.
pub(super) fn run(dir: &ProbeDir, plan: &Plan<'_>, bar: &ProgressBar) -> Result<Rounds, Failure> {
    let Plan {
        reps,
        quick,
        pinned_list,
        main_count,
        configs,
        sizes,
        map_tasks,
        scale,
        switch_s,
        convoy_s,
    } = *plan;
    let mut derived_units: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut raw: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut push = |k: &str, v: f64| raw.entry(k.to_string()).or_default().push(v);
    let mut pin_refused: BTreeMap<String, String> = BTreeMap::new();
    // Convoy repetitions with the background load they ran beside.
    let mut convoy_reps: BTreeMap<String, Vec<(f64, Option<f64>)>> = BTreeMap::new();
    let cores_json = |c: &Option<Vec<u32>>| json!(c);
    for _ in 0..reps {
        bar.set_message("costs.py");
        let costs = dir
            .run(
                "costs.py",
                &json!({"cores": cores_json(pinned_list), "scale": scale, "parallel": main_count}),
            )
            .map_err(run_failure)?;
        for field in [
            "cpu_loop_ns",
            "sha256_mb_s",
            "thread_start_ns",
            "lock_uncontended_ns",
            "lock_contended_ns",
            "io_call_ns",
            "io_python_ns",
            "sleep_overshoot_ns",
        ] {
            push(
                field,
                probes::number(&costs, "costs.py", field).map_err(run_failure)?,
            );
        }
        // Recorded, not simulated: the simulator's cores do not slow each other.
        if let Ok(v) = probes::number(&costs, "costs.py", "parallel_loop_ns") {
            push("parallel_loop_ns", v);
        }
        note_pin(&costs, pinned_list, "costs.py", &mut pin_refused);
        bar.inc(1);
        bar.set_message("switch.py");
        let sw = dir
            .run(
                "switch.py",
                &json!({"cores": cores_json(pinned_list), "interval_us": HANDOFF_INTERVAL_US, "seconds": switch_s}),
            )
            .map_err(run_failure)?;
        if let (Ok(s), Ok(h)) = (
            probes::number(&sw, "switch.py", "slice_median_ns"),
            probes::number(&sw, "switch.py", "handoff_median_ns"),
        ) {
            push("gil_slice_ns", s);
            push("gil_handoff_ns", h);
        }
        bar.inc(1);
        bar.set_message("procs.py");
        let procs = dir
            .run(
                "procs.py",
                &json!({"cores": cores_json(pinned_list), "scale": scale, "starts": if quick { 2 } else { 3 },
                        "tasks": map_tasks, "big_chunk": BIG_CHUNK, "sizes": sizes,
                        "stream_messages": if quick { 8 } else { 16 }, "stream_bytes": 262_144}),
            )
            .map_err(run_failure)?;
        note_pin(&procs, pinned_list, "procs.py", &mut pin_refused);
        bar.inc(1);
        bar.set_message("aio.py");
        let aio = dir
            .run(
                "aio.py",
                &json!({"cores": cores_json(pinned_list), "n": if quick { 10_000 } else { 20_000 }}),
            )
            .map_err(run_failure)?;
        for (k, unit, v) in costs::derive_procs(&procs, sizes)
            .map_err(run_failure)?
            .into_iter()
            .chain(costs::derive_aio(&aio).map_err(run_failure)?)
        {
            derived_units.insert(k.clone(), unit);
            push(&k, v);
        }
        bar.inc(1);
        for c in configs {
            bar.set_message(c.name.clone());
            let out = dir
                .run(
                    "convoy.py",
                    &json!({"cores": cores_json(&c.cores), "interval_us": c.interval_us,
                            "cpu_threads": c.cpu_threads, "sleep_s": c.sleep_s,
                            "seconds": convoy_s, "warmup": 0.1}),
                )
                .map_err(run_failure)?;
            note_pin(&out, &c.cores, &c.name, &mut pin_refused);
            if c.cores.is_some() && !probes::flag(&out, "pinned") {
                // Not on the cores it claims: not a usable measurement.
                bar.inc(1);
                continue;
            }
            let rate = probes::number(&out, "convoy.py", "rate_per_s").map_err(run_failure)?;
            push(&c.name, rate);
            let background = out
                .get("background_cores")
                .and_then(serde_json::Value::as_f64);
            if let Some(b) = background {
                push(&format!("{}.background_cores", c.name), b);
            }
            convoy_reps
                .entry(c.name.clone())
                .or_default()
                .push((rate, background));
            bar.inc(1);
        }
    }
    Ok(Rounds {
        raw,
        derived_units,
        pin_refused,
        convoy_reps,
    })
}

/// Every measurement's statistics over its repetitions, in its unit.
pub(super) fn summarize_all(rounds: &Rounds) -> BTreeMap<String, Measurement> {
    let units: &[(&str, &str, bool)] = &[
        ("cpu_loop_ns", "ns", false),
        ("parallel_loop_ns", "ns", false),
        ("sha256_mb_s", "MB/s", true),
        ("thread_start_ns", "ns", false),
        ("lock_uncontended_ns", "ns", false),
        ("lock_contended_ns", "ns", false),
        ("io_call_ns", "ns", false),
        ("io_python_ns", "ns", false),
        ("sleep_overshoot_ns", "ns", false),
        ("gil_slice_ns", "ns", false),
        ("gil_handoff_ns", "ns", false),
    ];
    let mut measurements: BTreeMap<String, Measurement> = BTreeMap::new();
    for (k, values) in &rounds.raw {
        let (unit, higher) = if k.ends_with(".background_cores") {
            ("cores", false)
        } else if let Some(unit) = rounds.derived_units.get(k) {
            (*unit, false)
        } else {
            units
                .iter()
                .find(|(name, _, _)| name == k)
                .map_or(("calls/s", true), |&(_, u, h)| (u, h))
        };
        measurements.insert(k.clone(), summarize(values, unit, higher));
    }
    measurements
}

fn note_pin(
    out: &serde_json::Map<String, serde_json::Value>,
    cores: &Option<Vec<u32>>,
    what: &str,
    refused: &mut BTreeMap<String, String>,
) {
    let error = probes::text(out, "pin_error");
    if let Some(c) = cores.as_ref().filter(|_| !error.is_empty()) {
        refused.insert(format!("{what} to CPUs {c:?}"), error);
    }
}
