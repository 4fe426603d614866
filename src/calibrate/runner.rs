//! `gilsim calibrate`: run the probes, fit what they cannot measure, write the profile.
//!
//! Repetitions are interleaved (every configuration once per round, rounds
//! repeated) so that a slow phase of a shared host spreads over all
//! configurations instead of biasing one.
//!
//! - `rounds`: the probe rounds and the measurements they give;
//! - `measured`: the parameters taken from measurements, and those recorded
//!   at their default (both as the parameter table says);
//! - `fitting`: the parameters fitted by simulating a probe;
//! - `host`: the machine's description and the clock; `summary`: what is printed.

mod fitting;
mod host;
mod measured;
mod rounds;
mod summary;

pub use host::{cpu_model, load_average, parse_rfc3339, read_trimmed, rfc3339, utc_now};
pub use measured::iqr;
pub use summary::summary;

use std::collections::BTreeMap;

use serde_json::json;

use super::CalibrateArgs;
use super::fit;
use super::probes::{self, ProbeDir, ProbeError};
use super::profile::{MachineInfo, Parameter, Profile, PythonInfo};
use crate::engine::time::US;
use crate::failure::Failure;
use crate::machine::{KernelScheduler, MachineConfig};
use crate::python::{Build, PyVersion, PythonConfig};
use crate::scenario::builder::step;

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

/// The measurement of the requester-race probe on `count` cores.
fn race_name(count: u32) -> String {
    format!(
        "race.{count}core.{}cpu.{}us",
        fit::RACE_THREADS,
        fit::RACE_INTERVAL_US
    )
}

/// One convoy configuration of the probe.
#[derive(Debug, Clone)]
struct ConvoyConfig {
    name: String,
    cores: Option<Vec<u32>>,
    interval_us: u64,
    cpu_threads: u32,
    /// The I/O thread's `time.sleep` instead of `os.write` (0: `os.write`).
    sleep_s: f64,
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
            sleep_s: 0.0,
        });
        for &interval_us in CONVOY_INTERVALS_US {
            configs.push(ConvoyConfig {
                name: format!("convoy.{count}core.{interval_us}us"),
                cores: cores.clone(),
                interval_us,
                cpu_threads: 1,
                sleep_s: 0.0,
            });
        }
        if *count >= 2 {
            // The requester's race: a sleeper beside CPU-bound threads.
            configs.push(ConvoyConfig {
                name: race_name(*count),
                cores: cores.clone(),
                interval_us: fit::RACE_INTERVAL_US,
                cpu_threads: fit::RACE_THREADS,
                sleep_s: 0.001,
            });
        }
    }

    let steps = reps * (4 + configs.len() as u64);
    let bar = super::progress_bar(steps + 8, "calibrating", args.progress);
    let sizes: Vec<u64> = if args.quick {
        vec![16, 65_536, 1 << 20]
    } else {
        vec![16, 65_536, 1 << 20, 4 << 20]
    };
    let map_tasks: u32 = if args.quick { 1000 } else { 2000 };
    let rounds = rounds::run(
        &dir,
        &rounds::Plan {
            reps,
            quick: args.quick,
            pinned_list: &pinned_list,
            main_count,
            configs: &configs,
            sizes: &sizes,
            map_tasks,
            scale,
            switch_s,
            convoy_s,
        },
        &bar,
    )?;
    let convoy_reps = &rounds.convoy_reps;
    let pin_refused = &rounds.pin_refused;
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
    for (what, why) in pin_refused {
        notes.push(format!("the OS refused to pin {what}: {why}"));
    }
    let mut measurements = rounds::summarize_all(&rounds);

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
    if let Some(k) =
        KernelScheduler::of_linux(&kernel_release(), online, kernel_hz(), kernel_slice())
    {
        k.apply(&mut machine);
    }
    let mut python = PythonConfig::defaults(version, build);
    let mut parameters: BTreeMap<String, Parameter> = BTreeMap::new();
    measured::record_defaults(&mut parameters, &machine, &python);
    measured::record_measured(&mut parameters, &measurements, &machine, &python);
    super::profile::estimates(&parameters).apply_python(&mut python);
    let quiet_measurements = fitting::fit_all(
        &fitting::Targets {
            measurements: &measurements,
            convoy_reps,
            sets: &sets,
            main_count,
            map_tasks,
            effort,
        },
        machine,
        python,
        &mut parameters,
        &mut notes,
        &bar,
    )?;
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
            kernel: kernel_release(),
            hz: kernel_hz(),
            base_slice_ns: kernel_slice(),
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
        .map_err(|e| Failure::cannot_write(&args.out, e))?;
    Ok(CalibrateReport {
        profile,
        path: args.out.clone(),
        notes,
    })
}

fn kernel_release() -> String {
    read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into())
}

/// `CONFIG_HZ` from `/boot/config-<release>` or `/proc/config.gz` (through `zcat`).
fn kernel_hz() -> Option<u32> {
    let release = kernel_release();
    let text = std::fs::read_to_string(format!("/boot/config-{release}"))
        .ok()
        .or_else(|| {
            let out = std::process::Command::new("zcat")
                .arg("/proc/config.gz")
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })?;
    text.lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ="))
        .and_then(|v| v.trim().parse().ok())
}

/// The slice EEVDF gives this process (`se.slice` in `/proc/self/sched`,
/// Linux 6.6 and later), in nanoseconds.
fn kernel_slice() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/sched").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("se.slice"))
        .and_then(|rest| rest.trim_start().strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

/// The `Pool.map` probe of `procs.py` as a simulated workload: 2 forked
/// workers mapping a no-op (1 µs of Python: the call and its result's
/// append, an estimate) over small ints.
pub fn map_probe(tasks: u32, chunksize: u32) -> fit::PoolMap {
    fit::PoolMap {
        workers: 2,
        tasks,
        chunksize,
        steps: vec![step::cpu(US)],
        args_bytes: 5,
        result_bytes: 2,
        memory_bytes: 0,
    }
}
