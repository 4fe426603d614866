//! `gilsim calibrate`: run the probes, fit what they cannot measure, write the profile.
//!
//! Repetitions are interleaved (every configuration once per round, rounds
//! repeated) so that a slow phase of a shared host spreads over all
//! configurations instead of biasing one.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::CalibrateArgs;
use super::costs;
use super::fit::{self, ConvoyTarget, IoLoop};
use super::probes::{self, ProbeDir, ProbeError};
use super::profile::{
    MachineInfo, Measurement, Parameter, Profile, PythonInfo, Source, Value, Value as ProfileValue,
};
use super::stats::{sigma_from_iqr, summarize};
use crate::commands::Failure;
use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::machine::MachineConfig;
use crate::python::{Build, PyVersion, PythonConfig};

/// Switch intervals of the convoy probe, µs.
pub const CONVOY_INTERVALS_US: &[u64] = &[5000, 1000];
/// A convoy repetition during which other processes used less than this
/// (on the probe's pinned cores, or the whole machine when not pinned)
/// many cores counts as quiet; the fit uses quiet repetitions when any exist.
/// On the 2-core VM this was written on, 0.2 cores of background work
/// already raised the 2-core convoy's I/O rate about tenfold.
pub const QUIET_CORES: f64 = 0.1;
/// The larger chunksize of the `Pool.map` probe.
pub const BIG_CHUNK: u32 = 16;
/// Switch interval of the hand-off probe, µs.
pub const HANDOFF_INTERVAL_US: u64 = 5000;

/// What `gilsim calibrate` produced.
#[derive(Debug, Clone)]
pub struct CalibrateReport {
    /// The profile written.
    pub profile: Profile,
    /// Where it was written.
    pub path: std::path::PathBuf,
    /// Notes for the user (refused pinning, skipped configurations).
    pub notes: Vec<String>,
}

fn run_failure(e: ProbeError) -> Failure {
    Failure::Run(e.to_string())
}

/// One convoy configuration of the probe.
#[derive(Debug, Clone)]
struct ConvoyConfig {
    name: String,
    cores: Option<Vec<u32>>,
    interval_us: u64,
    cpu_threads: u32,
}

/// The simulator's Python version for a probed `major.minor` (clamped to 3.8..3.14).
pub fn sim_version(minor: u32) -> PyVersion {
    PyVersion {
        major: 3,
        minor: minor.clamp(8, 14),
    }
}

/// `gilsim calibrate`.
pub fn calibrate(args: &CalibrateArgs) -> Result<CalibrateReport, Failure> {
    let mut notes = Vec::new();
    let load_before = load_average();
    let pinned_list = match &args.cores {
        Some(text) => Some(probes::parse_cpu_list(text).map_err(Failure::Usage)?),
        None => None,
    };
    let dir = ProbeDir::create(&args.python).map_err(run_failure)?;
    let info = dir.run("info.py", &json!({})).map_err(run_failure)?;
    let major = probes::number(&info, "info.py", "major").map_err(run_failure)? as u32;
    let minor = probes::number(&info, "info.py", "minor").map_err(run_failure)? as u32;
    let gil_disabled = probes::flag(&info, "gil_disabled");
    let affinity: Vec<u32> = info
        .get("affinity")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_u64())
                .map(|c| c as u32)
                .collect()
        })
        .unwrap_or_default();
    let online = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let main_list: Vec<u32> = pinned_list.clone().unwrap_or_else(|| {
        if affinity.is_empty() {
            (0..online).collect()
        } else {
            affinity.clone()
        }
    });
    let main_count = main_list.len().max(1) as u32;
    let can_pin = probes::flag(&info, "has_affinity");

    let reps = if args.quick { 3 } else { 7 };
    let effort = if args.quick {
        fit::Effort::QUICK
    } else {
        fit::Effort::FULL
    };
    let (scale, switch_s, convoy_s) = if args.quick {
        (0.3, 0.3, 0.3)
    } else {
        (1.0, 1.0, 1.0)
    };

    let mut configs = Vec::new();
    let mut sets: Vec<(Option<Vec<u32>>, u32)> = vec![(pinned_list.clone(), main_count)];
    if main_count >= 2 {
        if can_pin {
            sets.push((Some(vec![main_list[0]]), 1));
        } else {
            notes.push("os.sched_setaffinity is not available: no 1-core measurement".to_string());
        }
    }
    for (cores, count) in &sets {
        configs.push(ConvoyConfig {
            name: format!("convoy.{count}core.alone"),
            cores: cores.clone(),
            interval_us: 5000,
            cpu_threads: 0,
        });
        for &interval_us in CONVOY_INTERVALS_US {
            configs.push(ConvoyConfig {
                name: format!("convoy.{count}core.{interval_us}us"),
                cores: cores.clone(),
                interval_us,
                cpu_threads: 1,
            });
        }
    }

    let steps = reps * (4 + configs.len() as u64);
    let bar = super::progress_bar(steps + 7, "calibrating", args.progress);
    let sizes: Vec<u64> = if args.quick {
        vec![16, 65_536, 1 << 20]
    } else {
        vec![16, 65_536, 1 << 20, 4 << 20]
    };
    let map_tasks: u32 = if args.quick { 1000 } else { 2000 };
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
                &json!({"cores": cores_json(&pinned_list), "scale": scale, "parallel": main_count}),
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
        note_pin(&costs, &pinned_list, "costs.py", &mut pin_refused);
        bar.inc(1);
        bar.set_message("switch.py");
        let sw = dir
            .run(
                "switch.py",
                &json!({"cores": cores_json(&pinned_list), "interval_us": HANDOFF_INTERVAL_US, "seconds": switch_s}),
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
                &json!({"cores": cores_json(&pinned_list), "scale": scale, "starts": if args.quick { 2 } else { 3 },
                        "tasks": map_tasks, "big_chunk": BIG_CHUNK, "sizes": sizes,
                        "stream_messages": if args.quick { 8 } else { 16 }, "stream_bytes": 262_144}),
            )
            .map_err(run_failure)?;
        note_pin(&procs, &pinned_list, "procs.py", &mut pin_refused);
        bar.inc(1);
        bar.set_message("aio.py");
        let aio = dir
            .run(
                "aio.py",
                &json!({"cores": cores_json(&pinned_list), "n": if args.quick { 10_000 } else { 20_000 }}),
            )
            .map_err(run_failure)?;
        for (k, unit, v) in costs::derive_procs(&procs, &sizes)
            .map_err(run_failure)?
            .into_iter()
            .chain(costs::derive_aio(&aio).map_err(run_failure)?)
        {
            derived_units.insert(k.clone(), unit);
            push(&k, v);
        }
        bar.inc(1);
        for c in &configs {
            bar.set_message(c.name.clone());
            let out = dir
                .run(
                    "convoy.py",
                    &json!({"cores": cores_json(&c.cores), "interval_us": c.interval_us,
                            "cpu_threads": c.cpu_threads, "seconds": convoy_s, "warmup": 0.1}),
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
    // Busy: other processes used a quarter of a core or more during the
    // median convoy repetition (measured, unlike the lagging load average).
    let mut backgrounds: Vec<f64> = convoy_reps
        .values()
        .flatten()
        .filter_map(|&(_, b)| b)
        .collect();
    backgrounds.sort_by(f64::total_cmp);
    let busy = super::stats::quantile(&backgrounds, 0.5);
    if busy >= QUIET_CORES {
        notes.push(format!(
            "the machine was busy: other processes used {busy:.2} cores during the median convoy run \
             (load average before: {}): other work competes for the cores and hides the convoy; \
             calibrate again on a quiet machine for a quiet-machine profile",
            load_before.map_or("unknown".to_string(), |l| format!("{l:.2}"))
        ));
    }
    for (what, why) in &pin_refused {
        notes.push(format!("the OS refused to pin {what}: {why}"));
    }
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
    for (k, values) in &raw {
        let (unit, higher) = if k.ends_with(".background_cores") {
            ("cores", false)
        } else if let Some(unit) = derived_units.get(k) {
            (*unit, false)
        } else {
            units
                .iter()
                .find(|(name, _, _)| name == k)
                .map_or(("calls/s", true), |&(_, u, h)| (u, h))
        };
        measurements.insert(k.clone(), summarize(values, unit, higher));
    }
    let get = |k: &str| {
        measurements
            .get(k)
            .map(|m| m.median)
            .filter(|v| v.is_finite())
    };

    // Fitting.
    let version = sim_version(minor);
    let build = if gil_disabled && version.minor >= 13 {
        Build::FreeThreaded
    } else {
        Build::Gil
    };
    if gil_disabled {
        notes.push(
            "this is a free-threaded build: the convoy and hand-off probes see no GIL".to_string(),
        );
    }
    let mut machine = MachineConfig::default();
    let mut python = PythonConfig::defaults(version, build);
    let mut parameters: BTreeMap<String, Parameter> = BTreeMap::new();
    let defaults = MachineConfig::default();
    let py_defaults = python.clone();
    for (key, dist, why) in [
        (
            "machine.timer_slack",
            defaults.timer_slack,
            "not fitted: Linux's default slack for normal threads; the sleep probe sees it only summed with the wake-up latency it fits",
        ),
        (
            "machine.os_timeslice",
            Dist::Const(defaults.os_timeslice),
            "not fitted: no probe here has two runnable threads on one core without the GIL deciding who runs (CFS default)",
        ),
        (
            "python.release_overhead",
            py_defaults.release_overhead,
            "not fitted: not separable from the call it wraps by these probes",
        ),
    ] {
        insert(
            &mut parameters,
            key,
            Source::Default,
            why.to_string(),
            "-".to_string(),
            &dist,
        );
    }
    if let Some(m) = measurements
        .get("thread_start_ns")
        .filter(|m| m.median.is_finite())
    {
        let dist = Dist::LogNormal {
            median: m.median.round() as Nanos,
            sigma: sigma_from_iqr(m, 0.05, 1.0),
        };
        python.thread_start = dist;
        insert(
            &mut parameters,
            "python.thread_start",
            Source::Measured,
            "costs.py: threading.Thread(target=event.wait).start(), per thread (includes the wait for the new thread's _started); sigma from p25..p75".into(),
            iqr(m),
            &dist,
        );
    }

    for &(key, name, how) in costs::MAPPING {
        let Some(m) = measurements.get(name).filter(|m| m.median.is_finite()) else {
            let how = format!("not measured: {name} missing (start method not available?)");
            match cost_slot(key, &python) {
                Some(d) => insert(&mut parameters, key, Source::Default, how, "-".into(), &d),
                None => {
                    if let Some(value) = cost_number(key, &python) {
                        parameters.insert(
                            key.to_string(),
                            Parameter {
                                source: Source::Default,
                                how,
                                spread: "-".into(),
                                value: ProfileValue::Number { value },
                            },
                        );
                    }
                }
            }
            continue;
        };
        let value = match cost_slot(key, &python) {
            Some(Dist::LogNormal { sigma, .. }) => ProfileValue::LogNormal {
                median_ns: m.median.round().max(1.0) as Nanos,
                sigma,
            },
            Some(_) => ProfileValue::Const {
                ns: m.median.round().max(1.0) as Nanos,
            },
            None => ProfileValue::Number { value: m.median },
        };
        parameters.insert(
            key.to_string(),
            Parameter {
                source: Source::Measured,
                how: format!("{how}; median of the repetitions{}", if matches!(value, ProfileValue::LogNormal { .. }) { ", sigma kept at the default (repetitions give the spread of a mean, not of one call)" } else { "" }),
                spread: iqr(m),
                value,
            },
        );
    }
    super::profile::estimates(&parameters).apply_python(&mut python);
    bar.set_message("fitting wake-up latency (sleep)");
    match get("sleep_overshoot_ns") {
        Some(o) => {
            let f = fit::fit_sleep_latency(
                &machine,
                &python,
                fit::SleepTarget {
                    cores: main_count,
                    overshoot_ns: o,
                },
                effort,
            );
            machine.wakeup_latency = Dist::LogNormal {
                median: f.median_ns,
                sigma: f.sigma,
            };
            insert(
                &mut parameters,
                "machine.wakeup_latency",
                Source::Fitted,
                format!(
                    "costs.py: time.sleep(1 ms) returns {:.1} us late (timer slack + the wake-up of a core idle for 1 ms); \
                     {}-point log grid 1 us..1 ms then {} golden-section steps over ln(median) of (ln sim - ln real)^2 = {:.4}, \
                     {} candidates; sigma kept (one median cannot fix it)",
                    o / 1e3,
                    effort.grid,
                    effort.golden,
                    f.objective,
                    f.evaluations
                ),
                measurements
                    .get("sleep_overshoot_ns")
                    .map(iqr)
                    .unwrap_or_default(),
                &machine.wakeup_latency,
            );
        }
        None => insert(
            &mut parameters,
            "machine.wakeup_latency",
            Source::Default,
            "no sleep measurement".into(),
            "-".into(),
            &machine.wakeup_latency,
        ),
    }
    bar.inc(1);

    let io = match (get("io_python_ns"), get("io_call_ns")) {
        (Some(p), Some(c)) => IoLoop::from_measurements(p, c, &python.release_overhead),
        _ => return Err(Failure::Run("costs.py gave no I/O loop measurement".into())),
    };
    // Fit to the repetitions that ran on a quiet machine when there are
    // any: another process on a core hides the convoy.
    let mut targets = Vec::new();
    let mut quiet_measurements = Vec::new();
    for (_, count) in &sets {
        for &interval_us in CONVOY_INTERVALS_US {
            let name = format!("convoy.{count}core.{interval_us}us");
            let reps = convoy_reps.get(&name).cloned().unwrap_or_default();
            let quiet: Vec<f64> = reps
                .iter()
                .filter(|(_, b)| b.is_some_and(|b| b < QUIET_CORES))
                .map(|&(r, _)| r)
                .collect();
            let rate = if quiet.is_empty() {
                if !reps.is_empty() {
                    notes.push(format!(
                        "{name}: no repetition ran on a quiet machine (other processes used {} cores): fitted to all {}",
                        get(&format!("{name}.background_cores"))
                            .map_or("?".to_string(), |b| format!("{b:.2}")),
                        reps.len()
                    ));
                }
                get(&name)
            } else {
                let m = summarize(&quiet, "calls/s", true);
                let median = m.median;
                quiet_measurements.push((format!("{name}.quiet"), m));
                Some(median)
            };
            if let Some(rate) = rate {
                targets.push(ConvoyTarget {
                    cores: *count,
                    interval_us,
                    rate_per_s: rate,
                });
            }
        }
    }
    let spread_of = |targets: &[ConvoyTarget]| {
        targets
            .iter()
            .filter_map(|t| {
                measurements
                    .get(&format!("convoy.{}core.{}us", t.cores, t.interval_us))
                    .map(|m| format!("{} core(s) {} us: {}", t.cores, t.interval_us, iqr(m)))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let target_text = targets
        .iter()
        .map(|t| {
            format!(
                "{} core(s) at {} us: {:.0} calls/s",
                t.cores, t.interval_us, t.rate_per_s
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    bar.set_message("fitting wake-up latency (convoy)");
    if targets.is_empty() {
        return Err(Failure::Run(
            "the convoy probe gave no usable measurement".into(),
        ));
    }
    if targets.iter().all(|t| t.cores < 2) {
        // On one core no core is ever idle in the convoy: the polling
        // latency does not enter it, and a fit would pick an arbitrary edge.
        insert(
            &mut parameters,
            "machine.wakeup_latency_polling",
            Source::Default,
            "not identifiable on 1 core: the 1-core convoy never wakes an idle core".into(),
            "-".into(),
            &machine.wakeup_latency_polling,
        );
    } else {
        let w = fit::fit_latency_on_convoy(
            &machine,
            &python,
            &io,
            &targets,
            None,
            fit::Latency::Polling,
            fit::SIGMAS,
            effort,
        );
        machine.wakeup_latency_polling = Dist::LogNormal {
            median: w.median_ns,
            sigma: w.sigma,
        };
        let handoff_check = match (get("gil_handoff_ns"), main_count >= 2) {
            (Some(h), true) => {
                let sim = fit::simulated_handoff(&fit::handoff_scenario(
                    &machine,
                    &python,
                    main_count,
                    HANDOFF_INTERVAL_US,
                ));
                format!(
                    "; check, not fitted: switch.py's median GIL hand-off is {:.1} us for real, {} simulated with this fit",
                    h / 1e3,
                    sim.map_or("none".to_string(), |s| format!("{:.1} us", s / 1e3))
                )
            }
            _ => String::new(),
        };
        insert(
            &mut parameters,
            "machine.wakeup_latency_polling",
            Source::Fitted,
            format!(
                "convoy.py (os.write loop beside a CPU-bound thread; {target_text}); simulated with cpu = {} ns, cpu_nogil = {} ns; \
                 for sigma in {:?}: {}-point log grid 0.2 us..500 us then {} golden-section steps over ln(median); \
                 objective sum (ln sim - ln real)^2 = {:.4}, {} candidates{}{handoff_check}",
                io.python_ns,
                io.call_ns,
                fit::SIGMAS,
                effort.grid,
                effort.golden,
                w.objective,
                w.evaluations,
                if w.median_ns >= 495_000 || w.median_ns <= 205 {
                    "; AT THE EDGE of the search range: no wake-up latency reproduces these rates"
                } else {
                    ""
                }
            ),
            spread_of(&targets),
            &machine.wakeup_latency_polling,
        );
    }
    bar.inc(2);
    bar.set_message("fitting check latency");
    let c = fit::fit_check_latency(&machine, &python, &io, &targets, effort);
    match c.median_ns {
        Some(median) => {
            let sigma = match python.check_latency {
                Dist::LogNormal { sigma, .. } => sigma,
                _ => 0.5,
            };
            python.check_latency = Dist::LogNormal { median, sigma };
            insert(
                &mut parameters,
                "python.check_latency",
                Source::Fitted,
                format!(
                    "convoy objective on the grid {:?} ns: best {:.4}, range {:.4}{}",
                    fit::CHECK_GRID,
                    c.objective,
                    c.objective_range,
                    if fit::CHECK_GRID.first() == Some(&median)
                        || fit::CHECK_GRID.last() == Some(&median)
                    {
                        "; AT THE EDGE of the grid"
                    } else {
                        ""
                    }
                ),
                "-".into(),
                &python.check_latency,
            );
        }
        None => insert(
            &mut parameters,
            "python.check_latency",
            Source::Default,
            format!(
                "not identifiable: the convoy objective varies by only {:.4} (< {}) across {:?} ns",
                c.objective_range,
                fit::IDENTIFIABLE,
                fit::CHECK_GRID
            ),
            "-".into(),
            &python.check_latency,
        ),
    }
    bar.inc(1);
    for (key, name, grid, f) in [
        (
            "machine.context_switch",
            "context switch",
            fit::CONTEXT_SWITCH_GRID,
            fit::fit_context_switch as GridFit,
        ),
        (
            "machine.wakeup_granularity",
            "wake-up granularity",
            fit::GRANULARITY_GRID,
            fit::fit_wakeup_granularity as GridFit,
        ),
    ] {
        bar.set_message(format!("fitting {name}"));
        let c = f(&machine, &python, &io, &targets, effort);
        let current = if key == "machine.context_switch" {
            machine.context_switch
        } else {
            Dist::Const(machine.wakeup_granularity)
        };
        match c.median_ns {
            Some(v) => {
                let dist = match current {
                    Dist::LogNormal { sigma, .. } => Dist::LogNormal { median: v, sigma },
                    _ => Dist::Const(v),
                };
                if key == "machine.context_switch" {
                    machine.context_switch = dist;
                } else {
                    machine.wakeup_granularity = v;
                }
                insert(
                    &mut parameters,
                    key,
                    Source::Fitted,
                    format!(
                        "convoy objective on the grid {grid:?} ns (wake-up latencies and check latency as fitted): best {:.4}, range {:.4}{}",
                        c.objective,
                        c.objective_range,
                        if grid.first() == Some(&v) || grid.last() == Some(&v) {
                            "; AT THE EDGE of the grid: the best value may lie beyond it, or the convoy prefers an extreme for another reason (a busy machine)"
                        } else {
                            ""
                        }
                    ),
                    "-".into(),
                    &dist,
                );
            }
            None => insert(
                &mut parameters,
                key,
                Source::Default,
                format!(
                    "not fitted: not identifiable: the convoy objective varies by only {:.4} (< {}) across {grid:?} ns",
                    c.objective_range,
                    fit::IDENTIFIABLE
                ),
                "-".into(),
                &current,
            ),
        }
        bar.inc(1);
    }
    bar.set_message("fitting pickle_message (Pool.map)");
    let map_targets: Vec<(fit::PoolMap, f64)> = [1, BIG_CHUNK]
        .iter()
        .filter_map(|&c| {
            get(&format!("proc.map_chunk{c}_s")).map(|real| (map_probe(map_tasks, c), real))
        })
        .collect();
    if map_targets.is_empty() {
        insert(
            &mut parameters,
            "python.pickle_message",
            Source::Default,
            "not fitted: procs.py gave no Pool.map measurement".into(),
            "-".into(),
            &Dist::Const(python.process.pickle_message),
        );
    } else {
        let f = fit::fit_pickle_message(&machine, &python, main_count, &map_targets, effort);
        let direct = get("proc.pickle_message_direct_ns");
        python.process.pickle_message = f.ns;
        insert(
            &mut parameters,
            "python.pickle_message",
            Source::Fitted,
            format!(
                "procs.py: Pool(2, fork).map(noop, range({map_tasks}), chunksize) from Pool() to map's return ({}); \
                 simulated with the measured process costs; {}-point log grid 0.1..200 us then {} golden-section steps; \
                 objective sum (ln sim - ln real)^2 = {:.4} ({:.4} at the direct measurement {}), {} candidates",
                map_targets
                    .iter()
                    .map(|(m, r)| format!("chunksize {}: {:.1} ms", m.chunksize, r * 1e3))
                    .collect::<Vec<_>>()
                    .join(", "),
                effort.grid,
                effort.golden,
                f.objective,
                f.objective_start,
                direct.map_or("-".to_string(), |d| format!(
                    "{:.2} us: (Connection.send + recv - 1.5 pipe pairs) / 2",
                    d / 1e3
                )),
                f.evaluations
            ),
            measurements
                .get("proc.pickle_message_direct_ns")
                .map(|m| format!("direct: {}", iqr(m)))
                .unwrap_or_default(),
            &Dist::Const(f.ns),
        );
    }
    bar.inc(1);
    bar.finish_and_clear();

    measurements.extend(quiet_measurements);
    let profile = Profile {
        gilsim_version: env!("CARGO_PKG_VERSION").to_string(),
        date: utc_now(),
        quick: args.quick,
        python: PythonInfo {
            executable: probes::text(&info, "executable"),
            version: probes::text(&info, "version"),
            version_short: format!("{major}.{minor}"),
            gil_disabled,
        },
        machine: MachineInfo {
            cores_online: online,
            cores_list: args.cores.clone().unwrap_or_else(|| "all".to_string()),
            cores_used: main_count,
            pinned: pinned_list.is_some() && pin_refused.is_empty(),
            cpu_model: cpu_model(),
            cpuidle_driver: read_trimmed("/sys/devices/system/cpu/cpuidle/current_driver")
                .unwrap_or_else(|| "unknown".into()),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            load_average: match (load_before, load_average()) {
                (Some(a), Some(b)) => format!("before {a:.2}, after {b:.2}"),
                _ => String::new(),
            },
        },
        parameters,
        measurements,
    };
    profile
        .write(&args.out)
        .map_err(|e| Failure::Run(format!("cannot write {}: {e}", args.out.display())))?;
    Ok(CalibrateReport {
        profile,
        path: args.out.clone(),
        notes,
    })
}

type GridFit =
    fn(&MachineConfig, &PythonConfig, &IoLoop, &[ConvoyTarget], fit::Effort) -> fit::CheckFit;

/// The `Pool.map` probe of `procs.py` as a simulated workload: 2 forked
/// workers mapping a no-op (1 µs of Python: the call and its result's
/// append, an estimate) over small ints.
pub fn map_probe(tasks: u32, chunksize: u32) -> fit::PoolMap {
    fit::PoolMap {
        workers: 2,
        tasks,
        chunksize,
        steps: "[ { cpu = \"1us\" } ]".into(),
        args_bytes: 5,
        result_bytes: 2,
        memory_bytes: 0,
    }
}

/// The current value of a cost parameter of [`costs::MAPPING`] (`None`: a plain number).
fn cost_slot(key: &str, p: &PythonConfig) -> Option<Dist> {
    let pr = &p.process;
    let a = &p.asyncio;
    Some(match key {
        "python.pipe_syscall" => Dist::Const(pr.pipe_syscall),
        "python.fork_start_parent" => pr.start_parent[0],
        "python.spawn_start_parent" => pr.start_parent[1],
        "python.forkserver_start_parent" => pr.start_parent[2],
        "python.fork_start" => pr.start_child[0],
        "python.spawn_start" => pr.start_child[1],
        "python.forkserver_start" => pr.start_child[2],
        "python.forkserver_server_start" => pr.forkserver_start,
        "python.submit" => pr.submit,
        "python.pool_import" => pr.pool_import,
        "python.loop_callback" => a.loop_callback,
        "python.loop_poll" => a.loop_poll,
        "python.task_step" => a.task_step,
        "python.coroutine_create" => a.coroutine_create,
        _ => return None,
    })
}

/// The current value of a per-byte cost of [`costs::MAPPING`].
fn cost_number(key: &str, p: &PythonConfig) -> Option<f64> {
    let pr = &p.process;
    Some(match key {
        "python.pickle_ns_per_byte" => pr.pickle_ns_per_byte,
        "python.unpickle_ns_per_byte" => pr.unpickle_ns_per_byte,
        "python.pipe_ns_per_byte_small" => pr.pipe_ns_per_byte_small,
        "python.pipe_ns_per_byte_large" => pr.pipe_ns_per_byte_large,
        "python.fork_ns_per_mib" => pr.fork_ns_per_mib,
        "python.cow_ns_per_mib" => pr.cow_ns_per_mib,
        _ => return None,
    })
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

fn insert(
    parameters: &mut BTreeMap<String, Parameter>,
    key: &str,
    source: Source,
    how: String,
    spread: String,
    dist: &Dist,
) {
    if let Some(value) = Value::from_dist(dist) {
        parameters.insert(
            key.to_string(),
            Parameter {
                source,
                how,
                spread,
                value,
            },
        );
    }
}

/// `p25..p75 = a..b unit (n = N, best b)`.
pub fn iqr(m: &Measurement) -> String {
    format!(
        "p25..p75 = {:.4}..{:.4} {} (n = {}, best {:.4})",
        m.p25, m.p75, m.unit, m.n, m.best
    )
}

/// The 1-minute load average from `/proc/loadavg`.
pub fn load_average() -> Option<f64> {
    read_trimmed("/proc/loadavg")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A file's trimmed contents (`None` when missing or empty).
pub fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(Path::new(path))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The CPU model from `/proc/cpuinfo`, or `unknown`.
pub fn cpu_model() -> String {
    read_trimmed("/proc/cpuinfo")
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The current UTC time as RFC 3339 (`2026-12-03T07:30:00Z`).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (what [`rfc3339`] writes) to seconds since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Seconds since the Unix epoch as RFC 3339 UTC (Howard Hinnant's civil-from-days).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A number with about four significant digits.
fn short(v: f64) -> String {
    if v.abs() >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// The calibration summary for standard output: every parameter and measurement.
pub fn summary(r: &CalibrateReport) -> String {
    let p = &r.profile;
    let mut out = format!(
        "Python {} ({}), {} core(s) used of {}, {}, cpuidle {}, kernel {}\n\n",
        p.python.version_short,
        if p.python.gil_disabled {
            "free-threaded"
        } else {
            "with the GIL"
        },
        p.machine.cores_used,
        p.machine.cores_online,
        p.machine.cpu_model,
        p.machine.cpuidle_driver,
        p.machine.kernel
    );
    out.push_str(&format!(
        "{:<32} {:<9} {}\n",
        "parameter", "source", "value"
    ));
    for (k, param) in &p.parameters {
        let v = match param.value {
            Value::Const { ns } => format!("{ns} ns"),
            Value::LogNormal { median_ns, sigma } => format!(
                "lognormal median {:.1} us, sigma {sigma:.2}",
                median_ns as f64 / 1e3
            ),
            Value::Normal { mean_ns, sd_ns } => format!(
                "normal mean {:.1} us, sd {:.1} us",
                mean_ns as f64 / 1e3,
                sd_ns as f64 / 1e3
            ),
            Value::Number { value } => format!("{value:.3} ns/B"),
        };
        out.push_str(&format!("{k:<32} {:<9} {v}\n", param.source.to_string()));
    }
    out.push_str(&format!(
        "\n{:<40} {:>14} {:>30}\n",
        "measurement", "median", "p25..p75"
    ));
    for (k, m) in &p.measurements {
        out.push_str(&format!(
            "{k:<40} {:>14} {:>30} {}\n",
            short(m.median),
            format!("{}..{}", short(m.p25), short(m.p75)),
            m.unit
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("\nprofile: {}\n", r.path.display()));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        for secs in [0, 951_782_400, 1_700_000_000, 1_796_300_000] {
            assert_eq!(super::parse_rfc3339(&super::rfc3339(secs)), Some(secs));
        }
        assert_eq!(super::parse_rfc3339("yesterday"), None);
    }
}
