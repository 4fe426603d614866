//! The fits of `gilsim calibrate`: what no probe measures directly,
//! obtained by simulating the probe for candidate values (`super::super::fit`
//! documents each search): the wake-up latencies, the check latency, the
//! context switch and wake-up granularity, `pickle_message` and the GIL
//! requester's race.

use std::collections::BTreeMap;

use indicatif::ProgressBar;

use super::super::fit::{self, ConvoyTarget, IoLoop};
use super::super::profile::{Measurement, Parameter, Source, Value};
use super::super::stats::summarize;
use super::measured::{insert, iqr};
use super::{BIG_CHUNK, CONVOY_INTERVALS_US, Failure, HANDOFF_INTERVAL_US, QUIET_CORES, map_probe};
use crate::engine::random::Dist;
use crate::machine::MachineConfig;
use crate::python::PythonConfig;

/// What the fits are fitted to.
pub(super) struct Targets<'a> {
    /// The measurements of the rounds.
    pub measurements: &'a BTreeMap<String, Measurement>,
    /// Convoy repetitions with the background load they ran beside.
    pub convoy_reps: &'a BTreeMap<String, Vec<(f64, Option<f64>)>>,
    /// The core sets the convoy ran on: (CPU list, count).
    pub sets: &'a [(Option<Vec<u32>>, u32)],
    /// How many cores the probes ran on.
    pub main_count: u32,
    /// Tasks of the `Pool.map` probe.
    pub map_tasks: u32,
    /// How hard each search tries.
    pub effort: fit::Effort,
}

type GridFit =
    fn(&MachineConfig, &PythonConfig, &IoLoop, &[ConvoyTarget], fit::Effort) -> fit::CheckFit;

/// Runs every fit from `machine` and `python` (the measured values
/// applied), recording each parameter in `parameters` and what the user
/// should know in `notes`. Returns the quiet convoy measurements the fits used.
pub(super) fn fit_all(
    targets_in: &Targets<'_>,
    mut machine: MachineConfig,
    mut python: PythonConfig,
    parameters: &mut BTreeMap<String, Parameter>,
    notes: &mut Vec<String>,
    bar: &ProgressBar,
) -> Result<Vec<(String, Measurement)>, Failure> {
    let Targets {
        measurements,
        convoy_reps,
        sets,
        main_count,
        map_tasks,
        effort,
    } = *targets_in;
    let get = |k: &str| {
        measurements
            .get(k)
            .map(|m| m.median)
            .filter(|v| v.is_finite())
    };
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
                parameters,
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
            parameters,
            "machine.wakeup_latency",
            Source::Default,
            "no sleep measurement".into(),
            "-".into(),
            &machine.wakeup_latency,
        ),
    }
    bar.inc(1);

    let io = match (get("io_python_ns"), get("io_call_ns")) {
        (Some(p), Some(c)) => IoLoop::of_convoy_probe(
            p,
            c,
            IoLoop::convoy_alone_ns(main_count, get),
            &python.release_overhead,
        ),
        _ => return Err(Failure::Run("costs.py gave no I/O loop measurement".into())),
    };
    // Fit to the repetitions that ran on a quiet machine when there are
    // any: another process on a core hides the convoy.
    let mut targets = Vec::new();
    let mut quiet_measurements = Vec::new();
    for (_, count) in sets {
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
            parameters,
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
            parameters,
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
                parameters,
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
            parameters,
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
                    parameters,
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
                parameters,
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
            parameters,
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
            parameters,
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

    bar.set_message("fitting gil_requester_wins (a sleeper beside CPU threads)");
    let race = super::race_name(main_count);
    match get(&race).filter(|_| main_count >= 2) {
        Some(real) => {
            let f = fit::fit_requester_wins(&machine, &python, &io, main_count, real, effort);
            python.gil_requester_wins = f.p;
            let background = get(&format!("{race}.background_cores")).map_or(String::new(), |b| {
                format!(", beside {b:.2} cores of other processes")
            });
            insert_number(
                parameters,
                "python.gil_requester_wins",
                Source::Fitted,
                format!(
                    "convoy.py: a thread looping time.sleep(1 ms) beside {} CPU-bound threads at {} us on {} cores \
                     woke {:.1} times a second (median{background}); simulated with the fits above; \
                     {}-point log grid of 1 - p over 0.02..1 then {} golden-section steps; \
                     objective (ln sim - ln real)^2 = {:.4}, {} candidates",
                    fit::RACE_THREADS,
                    fit::RACE_INTERVAL_US,
                    main_count,
                    real,
                    effort.grid,
                    effort.golden,
                    f.objective,
                    f.evaluations
                ),
                measurements.get(&race).map(iqr).unwrap_or_default(),
                f.p,
            );
        }
        None => insert_number(
            parameters,
            "python.gil_requester_wins",
            Source::Default,
            if main_count < 2 {
                "not fitted: the race needs two cores (on one the holder cannot run while the requester does)".into()
            } else {
                "not fitted: convoy.py gave no sleeper-beside-CPU-threads measurement".into()
            },
            "-".into(),
            python.gil_requester_wins,
        ),
    }
    bar.inc(1);
    Ok(quiet_measurements)
}

fn insert_number(
    parameters: &mut BTreeMap<String, Parameter>,
    key: &str,
    source: Source,
    how: String,
    spread: String,
    value: f64,
) {
    parameters.insert(
        key.to_string(),
        Parameter {
            source,
            how,
            spread,
            value: Value::Number { value },
        },
    );
}
