//! Fitting by simulation: parameters that no probe measures directly.
//!
//! For each fitted parameter, gilsim builds a scenario equivalent to a probe
//! (same cores, same switch interval, the I/O loop's Python and call costs
//! taken from the direct measurements), simulates it for candidate values
//! and keeps the value that minimises an objective against the real run.
//!
//! - `machine.wakeup_latency_polling` (lognormal median and sigma), which
//!   decides the convoy on 2 cores (docs/MODEL.md#the-convoy-effect): the CPU thread
//!   goes back to waiting right after it loses a race for the GIL, so its
//!   core is still polling when the next drop signals it. Objective = Σ over
//!   the measured convoy configurations (switch intervals 5 ms and 1 ms, on
//!   the measured core count, and on 1 core when one could be pinned) of
//!   (ln simulated I/O calls/s − ln real median)². Search: for each sigma in
//!   [`SIGMAS`], a log-spaced grid of medians from 0.2 µs to 500 µs
//!   ([`Effort`]), then a golden-section search over ln(median) between the
//!   best grid point's neighbours; the (median, sigma) with the lowest
//!   objective wins ([`fit_latency_on_convoy`]).
//! - `machine.wakeup_latency` (median; sigma kept): the sleep probe,
//!   `time.sleep(1 ms)` returning late by the timer slack plus the wake-up
//!   of a core idle for a millisecond ([`fit_sleep_latency`]); objective
//!   (ln simulated overshoot − ln real)².
//! - The GIL hand-off of two CPU-bound threads is simulated as a check and
//!   reported beside the real one; [`fit_polling_latency`] can fit the
//!   polling latency to it, but on the machine this was written on the
//!   real hand-off (about 40 µs) and the convoy (which implies about 10 µs)
//!   disagree, and the convoy is what the latency matters for.
//! - `python.check_latency` (median): the convoy objective on a grid of
//!   medians 0.25..8 µs. If the objective varies by less than
//!   [`IDENTIFIABLE`] across the grid, the probes cannot tell the values
//!   apart and the default is kept (reported as such).
//!
//! - `machine.context_switch` (median) and `machine.wakeup_granularity`:
//!   the same identifiability test on the convoy objective, over
//!   [`CONTEXT_SWITCH_GRID`] and [`GRANULARITY_GRID`] ([`fit_on_grid`]).
//! - `python.pickle_message`: measured directly, then fitted to real
//!   `Pool.map` makespans at chunksize 1 and 16 ([`fit_pickle_message`]).
//!
//! Every simulation uses fixed seeds ([`SEEDS`]; the rate is the geometric
//! mean over them), candidates are evaluated in parallel but reduced in
//! grid order, so the same measurements always give the same fit.
//!
//! The probes' scenarios (convoy, sleep, hand-off, `Pool.map`, asyncio
//! fan-out) are written with the scenario builder in `scenarios`.

use rayon::prelude::*;

use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos, US};
use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::scenario::Scenario;
use crate::simulation::{RunOptions, run};

mod scenarios;

pub use scenarios::{
    PoolMap, asyncio_scenario, beside_scenario, convoy_scenario, float_list_memory,
    handoff_scenario, pool_map_scenario, sleep_scenario, start_join_scenario,
};

/// How hard a fit searches: `--quick` uses [`Effort::QUICK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    /// Log-spaced grid points before the golden-section search.
    pub grid: usize,
    /// Golden-section steps.
    pub golden: usize,
    /// Simulated time per 1-core convoy candidate (several cores: 1 s).
    pub one_core: Nanos,
}

impl Effort {
    /// The default search: 12 grid points, 8 golden-section steps, 250 ms on 1 core.
    pub const FULL: Effort = Effort {
        grid: 12,
        golden: 8,
        one_core: 250 * MS,
    };
    /// `--quick`: 8 grid points, 5 golden-section steps, 100 ms on 1 core.
    pub const QUICK: Effort = Effort {
        grid: 8,
        golden: 5,
        one_core: 100 * MS,
    };
}

/// The seeds every candidate is simulated with.
pub const SEEDS: &[u64] = &[1, 2];
/// Sigmas tried for `machine.wakeup_latency`.
pub const SIGMAS: &[f64] = &[0.3, 0.6, 1.0];
/// The smallest objective range over the check-latency grid that counts as identifiable.
pub const IDENTIFIABLE: f64 = 0.02;

/// The convoy probe's I/O loop as simulator steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IoLoop {
    /// Python part of one iteration (a `cpu` step), ns.
    pub python_ns: Nanos,
    /// The GIL-releasing `os.write` (a `cpu_nogil` step), ns median.
    pub call_ns: Nanos,
}

impl IoLoop {
    /// From the measured loop costs: `io_python_ns` per iteration with a
    /// GIL-holding builtin in place of the call, `io_call_ns` with
    /// `os.write`. The call is what remains after the Python part and the
    /// GIL release/retake (`python.release_overhead`), at least 100 ns.
    pub fn from_measurements(
        io_python_ns: f64,
        io_call_ns: f64,
        release_overhead: &Dist,
    ) -> IoLoop {
        let python_ns = io_python_ns.max(1.0).round() as Nanos;
        let call = (io_call_ns - io_python_ns - release_overhead.mean()).max(100.0);
        IoLoop {
            python_ns,
            call_ns: call.round() as Nanos,
        }
    }

    /// One iteration of the convoy probe alone (ns), from a measurement
    /// lookup: on one core if measured, else on the `cores` probed.
    pub fn convoy_alone_ns(cores: u32, get: impl Fn(&str) -> Option<f64>) -> Option<f64> {
        get("convoy.1core.alone")
            .or_else(|| get(&format!("convoy.{cores}core.alone")))
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|rate| 1e9 / rate)
    }

    /// The convoy probe's own loop: `costs.py`'s loop as
    /// [`IoLoop::from_measurements`] splits it, plus the Python the convoy
    /// probe's loop runs around the call that `costs.py`'s does not (its
    /// clock and warm-up bookkeeping): what one iteration of the convoy
    /// probe alone on one core (`alone_ns`, 1e9 / its rate) takes beyond
    /// `io_call_ns`. Without that measurement, the costs loop's split.
    pub fn of_convoy_probe(
        io_python_ns: f64,
        io_call_ns: f64,
        alone_ns: Option<f64>,
        release_overhead: &Dist,
    ) -> IoLoop {
        let extra = alone_ns
            .filter(|a| a.is_finite())
            .map_or(0.0, |a| (a - io_call_ns).max(0.0));
        IoLoop::from_measurements(io_python_ns + extra, io_call_ns + extra, release_overhead)
    }
}

/// One measured convoy configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvoyTarget {
    /// Cores the probe ran on.
    pub cores: u32,
    /// `sys.setswitchinterval`, µs.
    pub interval_us: u64,
    /// Real I/O calls per second (median over repetitions).
    pub rate_per_s: f64,
}

/// The result of fitting a lognormal's median (and sigma).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormalFit {
    /// Fitted median, ns.
    pub median_ns: Nanos,
    /// Fitted (or fixed) sigma.
    pub sigma: f64,
    /// Objective at the fit.
    pub objective: f64,
    /// Candidates simulated.
    pub evaluations: usize,
}

/// The check-latency fit: a value, or none when the probes cannot identify it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckFit {
    /// The fitted median, when identifiable.
    pub median_ns: Option<Nanos>,
    /// Range (max − min) of the objective across the grid.
    pub objective_range: f64,
    /// Objective at the chosen (or default) value.
    pub objective: f64,
}

/// CPU-bound threads beside the sleeper of the requester-race probe.
pub const RACE_THREADS: u32 = 2;
/// The switch interval of the requester-race probe, µs.
pub const RACE_INTERVAL_US: u64 = 2000;

/// The fit of `python.gil_requester_wins`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequesterFit {
    /// The fitted probability.
    pub p: f64,
    /// Objective at the fit: (ln simulated − ln real)².
    pub objective: f64,
    /// Candidates simulated.
    pub evaluations: usize,
}

/// Fits `python.gil_requester_wins` to the sleeper's wake-ups per second
/// beside [`RACE_THREADS`] CPU-bound threads at [`RACE_INTERVAL_US`] on
/// `cores` cores (docs/MODEL.md, "The requester's race"). The rate falls
/// steeply as the share nears 1, so the search runs over the requester's
/// losing share 1 − p on a log scale, 0.02 to 1.
pub fn fit_requester_wins(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    cores: u32,
    real_rate: f64,
    effort: Effort,
) -> RequesterFit {
    let objective = |lose: f64| {
        let mut py = python.clone();
        py.gil_requester_wins = (1.0 - lose).clamp(0.0, 1.0);
        let s = beside_scenario(
            machine,
            &py,
            io,
            cores,
            RACE_INTERVAL_US,
            RACE_THREADS,
            Some(MS),
            sim_length(cores, effort),
        );
        let d = libm::log(simulated_rate(&s).max(1e-3)) - libm::log(real_rate.max(1e-3));
        d * d
    };
    let (lose, best, evaluations) = minimise_log(&objective, 0.02, 1.0, effort.grid, effort.golden);
    RequesterFit {
        p: (1.0 - lose).clamp(0.0, 1.0),
        objective: best,
        evaluations,
    }
}

/// The I/O thread's simulated calls per second with one seed (0 when it made none).
pub fn simulated_rate_seed(s: &Scenario, seed: u64) -> f64 {
    run(s, seed, RunOptions::default())
        .ok()
        .and_then(|o| {
            o.workloads
                .iter()
                .find(|w| w.workload == "io")
                .map(|w| w.throughput_per_s)
        })
        .unwrap_or(0.0)
}

/// The I/O thread's simulated calls per second: the geometric mean over [`SEEDS`].
pub fn simulated_rate(s: &Scenario) -> f64 {
    let mut log_sum = 0.0;
    for &seed in SEEDS {
        let rate = run(s, seed, RunOptions::default())
            .ok()
            .and_then(|o| {
                o.workloads
                    .iter()
                    .find(|w| w.workload == "io")
                    .map(|w| w.throughput_per_s)
            })
            .unwrap_or(0.0);
        log_sum += libm::log(rate.max(1e-3));
    }
    libm::exp(log_sum / SEEDS.len() as f64)
}

/// Simulated seconds per convoy candidate: 1 s on several cores, 0.25 s on
/// one (where the I/O thread makes hundreds of thousands of calls per second),
/// [`Effort::one_core`].
fn sim_length(cores: u32, effort: Effort) -> Nanos {
    if cores > 1 {
        1_000 * MS
    } else {
        effort.one_core
    }
}

/// The convoy objective: Σ (ln simulated − ln real)² over `targets`.
pub fn convoy_objective(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
) -> f64 {
    targets
        .iter()
        .map(|t| {
            let s = convoy_scenario(
                machine,
                python,
                io,
                t.cores,
                t.interval_us,
                1,
                sim_length(t.cores, effort),
            );
            let e = libm::log(simulated_rate(&s)) - libm::log(t.rate_per_s.max(1e-3));
            e * e
        })
        .sum()
}

/// Minimises `f` over `[lo, hi]` (positive) in log space: `grid` log-spaced
/// points, then `golden` golden-section steps between the best point's
/// neighbours. Returns (x, f(x), evaluations). Deterministic.
pub fn minimise_log(
    f: &(dyn Fn(f64) -> f64 + Sync),
    lo: f64,
    hi: f64,
    grid: usize,
    golden: usize,
) -> (f64, f64, usize) {
    let (a, b) = (libm::log(lo), libm::log(hi));
    let n = grid.max(3);
    let xs: Vec<f64> = (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect();
    let fs: Vec<f64> = xs.par_iter().map(|&x| f(libm::exp(x))).collect();
    let mut best = 0;
    for i in 1..n {
        if fs[i] < fs[best] {
            best = i;
        }
    }
    let (mut best_x, mut best_f) = (xs[best], fs[best]);
    let mut lo_x = xs[best.saturating_sub(1)];
    let mut hi_x = xs[(best + 1).min(n - 1)];
    let ratio = (libm::sqrt(5.0) - 1.0) / 2.0;
    let mut c = hi_x - ratio * (hi_x - lo_x);
    let mut d = lo_x + ratio * (hi_x - lo_x);
    let (mut fc, mut fd) = {
        let pair: Vec<f64> = [c, d].par_iter().map(|&x| f(libm::exp(x))).collect();
        (pair[0], pair[1])
    };
    let mut evaluations = n + 2;
    for _ in 0..golden {
        if fc < best_f {
            (best_x, best_f) = (c, fc);
        }
        if fd < best_f {
            (best_x, best_f) = (d, fd);
        }
        if fc <= fd {
            hi_x = d;
            d = c;
            fd = fc;
            c = hi_x - ratio * (hi_x - lo_x);
            fc = f(libm::exp(c));
        } else {
            lo_x = c;
            c = d;
            fc = fd;
            d = lo_x + ratio * (hi_x - lo_x);
            fd = f(libm::exp(d));
        }
        evaluations += 1;
    }
    for (x, fx) in [(c, fc), (d, fd)] {
        if fx < best_f {
            (best_x, best_f) = (x, fx);
        }
    }
    (libm::exp(best_x), best_f, evaluations)
}

/// Fits `machine.wakeup_latency` (median and sigma in [`SIGMAS`]) to the convoy targets.
pub fn fit_wakeup_latency(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
) -> LogNormalFit {
    fit_wakeup_latency_with(machine, python, io, targets, SIGMAS, effort)
}

/// How late the simulated `time.sleep(1 ms)` returns: the median loop
/// iteration minus 1 ms, ns, averaged over [`SEEDS`].
pub fn simulated_sleep_overshoot(s: &Scenario) -> f64 {
    let mut total = 0.0;
    for &seed in SEEDS {
        let p50 = run(s, seed, RunOptions::default())
            .ok()
            .and_then(|o| o.workloads.first().and_then(|w| w.latency_ms))
            .map_or(f64::NAN, |l| l[1]);
        total += p50 * 1e6 - 1e6;
    }
    total / SEEDS.len() as f64
}

/// The sleep probe's result, as a fit target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SleepTarget {
    /// Cores the probe ran on.
    pub cores: u32,
    /// Median overshoot of `time.sleep(1 ms)`, ns.
    pub overshoot_ns: f64,
}

/// [`fit_wakeup_latency`] over the given sigmas. On a tie the earlier sigma wins.
///
/// Median and sigma trade off: two convoy rates cannot always tell a
/// narrow distribution with a higher median from a wide one with a lower
/// median (what matters is how often a wake-up lands inside the call).
pub fn fit_wakeup_latency_with(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    sigmas: &[f64],
    effort: Effort,
) -> LogNormalFit {
    fit_wakeup_latency_joint(machine, python, io, targets, None, sigmas, effort)
}

/// The wake-up latency fit with, optionally, the sleep probe as one more
/// term of the objective: (ln simulated overshoot − ln real)², weighted
/// like one convoy configuration. The sleep probe measures the same
/// latency directly (a core idle for 1 ms) and keeps the fit sane when a
/// busy machine hides the convoy.
pub fn fit_wakeup_latency_joint(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    sleep: Option<SleepTarget>,
    sigmas: &[f64],
    effort: Effort,
) -> LogNormalFit {
    fit_latency_on_convoy(
        machine,
        python,
        io,
        targets,
        sleep,
        Latency::Deep,
        sigmas,
        effort,
    )
}

/// Which wake-up latency a fit varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// `machine.wakeup_latency`: a core idle for longer than `idle_poll_window`.
    Deep,
    /// `machine.wakeup_latency_polling`: a core idle for less (still polling).
    Polling,
}

impl Latency {
    /// Sets this latency in `m`.
    pub fn set(self, m: &mut MachineConfig, d: Dist) {
        match self {
            Latency::Deep => m.wakeup_latency = d,
            Latency::Polling => m.wakeup_latency_polling = d,
        }
    }

    /// The search range of the median, ns.
    pub fn range(self) -> (f64, f64) {
        match self {
            Latency::Deep => (1_000.0, 1_000_000.0),
            Latency::Polling => (200.0, 500_000.0),
        }
    }
}

/// Fits one wake-up latency (median over [`Latency::range`] and sigma in
/// `sigmas`) to the convoy targets, plus the sleep target when given. On
/// two cores the convoy is decided by the *polling* latency: the CPU thread
/// goes back to waiting right after losing a race, so its core is still
/// polling when the next drop signals it (docs/MODEL.md#the-machine-and-the-os-scheduler).
#[allow(clippy::too_many_arguments)]
pub fn fit_latency_on_convoy(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    sleep: Option<SleepTarget>,
    which: Latency,
    sigmas: &[f64],
    effort: Effort,
) -> LogNormalFit {
    let mut best: Option<LogNormalFit> = None;
    let (lo, hi) = which.range();
    for &sigma in sigmas {
        let objective = |median: f64| {
            let mut m = machine.clone();
            which.set(
                &mut m,
                Dist::LogNormal {
                    median: median.round() as Nanos,
                    sigma,
                },
            );
            let mut f = convoy_objective(&m, python, io, targets, effort);
            if let Some(t) = sleep {
                let sim = simulated_sleep_overshoot(&sleep_scenario(&m, python, t.cores));
                let e = libm::log(sim.max(1.0)) - libm::log(t.overshoot_ns.max(1.0));
                f += e * e;
            }
            f
        };
        let (median, f, evaluations) = minimise_log(&objective, lo, hi, effort.grid, effort.golden);
        let fit = LogNormalFit {
            median_ns: median.round() as Nanos,
            sigma,
            objective: f,
            evaluations: evaluations + best.map_or(0, |b| b.evaluations),
        };
        best = match best {
            Some(b) if b.objective <= fit.objective => Some(LogNormalFit {
                evaluations: fit.evaluations,
                ..b
            }),
            _ => Some(fit),
        };
    }
    best.unwrap_or(LogNormalFit {
        median_ns: 30 * US,
        sigma: 0.6,
        objective: f64::NAN,
        evaluations: 0,
    })
}

/// The simulated median GIL hand-off (a release, then another thread's
/// acquisition), ns, over [`SEEDS`]; `None` when there was none.
pub fn simulated_handoff(s: &Scenario) -> Option<f64> {
    let mut gaps = Vec::new();
    for &seed in SEEDS {
        let options = RunOptions {
            record_gil: true,
            ..RunOptions::default()
        };
        let Ok(o) = run(s, seed, options) else {
            continue;
        };
        let Some(log) = o.gil_log else { continue };
        let mut released: Option<(Nanos, usize)> = None;
        for &(t, thread, acquired) in &log {
            if acquired {
                if let Some((r, by)) = released.take().filter(|&(_, by)| by != thread) {
                    let _ = by;
                    gaps.push((t - r) as f64);
                }
            } else {
                released = Some((t, thread));
            }
        }
    }
    gaps.sort_by(f64::total_cmp);
    (!gaps.is_empty()).then(|| super::stats::quantile(&gaps, 0.5))
}

/// Fits `machine.wakeup_latency_polling`'s median (sigma kept) to the
/// measured median hand-off of the two-thread probe at `interval_us`.
pub fn fit_polling_latency(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    interval_us: u64,
    measured_handoff_ns: f64,
    effort: Effort,
) -> LogNormalFit {
    let sigma = match machine.wakeup_latency_polling {
        Dist::LogNormal { sigma, .. } => sigma,
        _ => 0.5,
    };
    let objective = |median: f64| {
        let mut m = machine.clone();
        m.wakeup_latency_polling = Dist::LogNormal {
            median: median.round() as Nanos,
            sigma,
        };
        let s = handoff_scenario(&m, python, cores, interval_us);
        match simulated_handoff(&s) {
            Some(h) => {
                let e = libm::log(h.max(1.0)) - libm::log(measured_handoff_ns.max(1.0));
                e * e
            }
            None => f64::INFINITY,
        }
    };
    let (median, f, evaluations) =
        minimise_log(&objective, 200.0, 500_000.0, effort.grid, effort.golden);
    LogNormalFit {
        median_ns: median.round() as Nanos,
        sigma,
        objective: f,
        evaluations,
    }
}

/// The check-latency grid, ns.
pub const CHECK_GRID: &[Nanos] = &[250, 500, 1_000, 2_000, 4_000, 8_000];

/// Fits `python.check_latency`'s median on the convoy objective (see the module header).
pub fn fit_check_latency(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
) -> CheckFit {
    let sigma = match python.check_latency {
        Dist::LogNormal { sigma, .. } => sigma,
        _ => 0.5,
    };
    fit_on_grid(
        machine,
        python,
        io,
        targets,
        effort,
        CHECK_GRID,
        &|_, p, median| p.check_latency = Dist::LogNormal { median, sigma },
    )
}

/// The context-switch grid (lognormal medians), ns.
pub const CONTEXT_SWITCH_GRID: &[Nanos] = &[500, 1_000, 2_000, 4_000, 8_000, 16_000];
/// The wake-up granularity grid, ns.
pub const GRANULARITY_GRID: &[Nanos] = &[250_000, 500_000, 1_000_000, 2_000_000, 4_000_000];

/// Fits `machine.context_switch`'s median (sigma kept) on the convoy objective, over [`CONTEXT_SWITCH_GRID`].
pub fn fit_context_switch(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
) -> CheckFit {
    let sigma = match machine.context_switch {
        Dist::LogNormal { sigma, .. } => sigma,
        _ => 0.3,
    };
    fit_on_grid(
        machine,
        python,
        io,
        targets,
        effort,
        CONTEXT_SWITCH_GRID,
        &|m, _, median| m.context_switch = Dist::LogNormal { median, sigma },
    )
}

/// Fits `machine.wakeup_granularity` (CFS's wake-up preemption threshold)
/// on the convoy objective, over [`GRANULARITY_GRID`].
pub fn fit_wakeup_granularity(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
) -> CheckFit {
    fit_on_grid(
        machine,
        python,
        io,
        targets,
        effort,
        GRANULARITY_GRID,
        &|m, _, ns| m.wakeup_granularity = ns,
    )
}

/// Evaluates the convoy objective at each grid value (set by `set`) and
/// keeps the best, or none when the objective's range across the grid is
/// below [`IDENTIFIABLE`] (the probes cannot tell the values apart). Ties go
/// to the earlier grid point.
#[allow(clippy::too_many_arguments)]
pub fn fit_on_grid(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    targets: &[ConvoyTarget],
    effort: Effort,
    grid: &[Nanos],
    set: &(dyn Fn(&mut MachineConfig, &mut PythonConfig, Nanos) + Sync),
) -> CheckFit {
    let fs: Vec<f64> = grid
        .par_iter()
        .map(|&v| {
            let mut m = machine.clone();
            let mut p = python.clone();
            set(&mut m, &mut p, v);
            convoy_objective(&m, &p, io, targets, effort)
        })
        .collect();
    let mut best = 0;
    for i in 1..fs.len() {
        if fs[i] < fs[best] {
            best = i;
        }
    }
    let max = fs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = max - fs.get(best).copied().unwrap_or(f64::NAN);
    if fs.is_empty() || range.is_nan() || range < IDENTIFIABLE {
        CheckFit {
            median_ns: None,
            objective_range: if range.is_finite() { range } else { 0.0 },
            objective: convoy_objective(machine, python, io, targets, effort),
        }
    } else {
        CheckFit {
            median_ns: Some(grid[best]),
            objective_range: range,
            objective: fs[best],
        }
    }
}

/// Fits `machine.wakeup_latency`'s median (sigma kept) to the sleep probe
/// alone: `time.sleep(1 ms)` returns late by the timer slack plus the
/// wake-up of a core idle for a millisecond.
pub fn fit_sleep_latency(
    machine: &MachineConfig,
    python: &PythonConfig,
    target: SleepTarget,
    effort: Effort,
) -> LogNormalFit {
    let sigma = match machine.wakeup_latency {
        Dist::LogNormal { sigma, .. } => sigma,
        _ => 0.6,
    };
    let objective = |median: f64| {
        let mut m = machine.clone();
        m.wakeup_latency = Dist::LogNormal {
            median: median.round() as Nanos,
            sigma,
        };
        let sim = simulated_sleep_overshoot(&sleep_scenario(&m, python, target.cores));
        let e = libm::log(sim.max(1.0)) - libm::log(target.overshoot_ns.max(1.0));
        e * e
    };
    let (median, f, evaluations) =
        minimise_log(&objective, 1_000.0, 1_000_000.0, effort.grid, effort.golden);
    LogNormalFit {
        median_ns: median.round() as Nanos,
        sigma,
        objective: f,
        evaluations,
    }
}

/// The first workload's simulated makespan (`sim_time_s`), mean over [`SEEDS`]; NaN on failure.
pub fn simulated_makespan(s: &Scenario) -> f64 {
    let mut total = 0.0;
    for &seed in SEEDS {
        match run(s, seed, RunOptions::default()) {
            Ok(o) => total += o.workloads.first().map_or(f64::NAN, |w| w.sim_time_s),
            Err(_) => return f64::NAN,
        }
    }
    total / SEEDS.len() as f64
}

/// The result of fitting one constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConstFit {
    /// Fitted value, ns.
    pub ns: Nanos,
    /// Objective at the fit.
    pub objective: f64,
    /// Objective at the starting (directly measured) value.
    pub objective_start: f64,
    /// Candidates simulated.
    pub evaluations: usize,
}

/// Fits `python.process.pickle_message` (the per-message CPU of pickling and
/// of the Python around it: `Connection.send`/`recv` and the pool's handler
/// loops, Lib/multiprocessing/pool.py) to real `Pool.map` makespans.
/// Objective: Σ (ln simulated makespan − ln real)² over `targets`; search:
/// a log grid from 100 ns to 200 µs, then golden-section steps ([`minimise_log`]).
/// Simulated without `pool_import`: the probe's pools are not its first.
pub fn fit_pickle_message(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    targets: &[(PoolMap, f64)],
    effort: Effort,
) -> ConstFit {
    let objective = |ns: f64| {
        let mut p = python.clone();
        p.process.pickle_message = ns.round().max(1.0) as Nanos;
        // procs.py imports multiprocessing.pool before its timed pools.
        p.process.pool_import = Dist::Const(0);
        targets
            .iter()
            .map(|(m, real)| {
                let sim = pool_map_scenario(machine, &p, cores, m)
                    .map_or(f64::NAN, |s| simulated_makespan(&s));
                let e = libm::log(sim.max(1e-9)) - libm::log(real.max(1e-9));
                if e.is_finite() { e * e } else { f64::INFINITY }
            })
            .sum::<f64>()
    };
    let start = objective(python.process.pickle_message as f64);
    let (ns, f, evaluations) =
        minimise_log(&objective, 100.0, 200_000.0, effort.grid, effort.golden);
    ConstFit {
        ns: ns.round() as Nanos,
        objective: f,
        objective_start: start,
        evaluations: evaluations + 1,
    }
}

/// The latest simulated end over all workloads (`sim_time_s`), mean over [`SEEDS`]; NaN on failure.
pub fn simulated_last_end(s: &Scenario) -> f64 {
    let mut total = 0.0;
    for &seed in SEEDS {
        match run(s, seed, RunOptions::default()) {
            Ok(o) => {
                total += o
                    .workloads
                    .iter()
                    .map(|w| w.sim_time_s)
                    .fold(f64::NAN, f64::max)
            }
            Err(_) => return f64::NAN,
        }
    }
    total / SEEDS.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fit finds the share that produced a simulated rate: the search
    /// can tell shares apart where the rate is steep, and 0.5 from 0.85.
    #[test]
    fn the_requester_share_is_recovered_from_a_simulated_rate() {
        let machine = MachineConfig::default();
        let io = IoLoop {
            python_ns: 260,
            call_ns: 130,
        };
        for truth in [0.5, 0.85] {
            let python = PythonConfig {
                gil_requester_wins: truth,
                ..PythonConfig::default()
            };
            let s = beside_scenario(
                &machine,
                &python,
                &io,
                2,
                RACE_INTERVAL_US,
                RACE_THREADS,
                Some(MS),
                sim_length(2, Effort::QUICK),
            );
            let rate = simulated_rate(&s);
            let f = fit_requester_wins(&machine, &python, &io, 2, rate, Effort::QUICK);
            assert!(
                (f.p - truth).abs() < 0.1,
                "share {truth}: {rate:.1} wakeups/s fitted to {:.3}",
                f.p
            );
        }
    }
}
