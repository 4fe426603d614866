//! Fitting recovers what the simulator itself generated: no real timing.

use gilsim::calibrate::fit::{self, ConvoyTarget, Effort, IoLoop};
use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::machine::MachineConfig;
use gilsim::python::PythonConfig;
use gilsim::scenario::builder::step;

#[test]
fn fitting_recovers_a_known_wakeup_latency_median() {
    let io = IoLoop {
        python_ns: 250,
        call_ns: 900,
    };
    let python = PythonConfig::default();
    let truth = 60 * US;
    let machine = MachineConfig {
        wakeup_latency: Dist::LogNormal {
            median: truth,
            sigma: 0.6,
        },
        ..MachineConfig::default()
    };
    let targets: Vec<ConvoyTarget> = [5000, 1000]
        .iter()
        .map(|&interval_us| {
            let s = fit::convoy_scenario(&machine, &python, &io, 2, interval_us, 1, 1_000 * MS);
            ConvoyTarget {
                cores: 2,
                interval_us,
                rate_per_s: fit::simulated_rate(&s),
            }
        })
        .collect();
    let start = MachineConfig::default();
    // With sigma known, the median is recovered (median and sigma trade off:
    // see `fit_wakeup_latency_with`).
    let a = fit::fit_wakeup_latency_with(&start, &python, &io, &targets, &[0.6], Effort::FULL);
    let ratio = a.median_ns as f64 / truth as f64;
    assert!(
        (1.0 / 1.3..=1.3).contains(&ratio),
        "fitted {} ns for {truth} ns: {a:?}",
        a.median_ns
    );
    // Deterministic: the same measurements give the same fit.
    let b = fit::fit_wakeup_latency_with(&start, &python, &io, &targets, &[0.6], Effort::FULL);
    assert_eq!(a, b);
    // Over every sigma, the fitted distribution reproduces the rates.
    let all = fit::fit_wakeup_latency(&start, &python, &io, &targets, Effort::FULL);
    assert!(all.objective <= 0.05, "{all:?}");
    assert_eq!(
        all,
        fit::fit_wakeup_latency(&start, &python, &io, &targets, Effort::FULL)
    );
}

#[test]
fn fitting_recovers_a_known_polling_latency() {
    let python = PythonConfig::default();
    let truth = 20 * US;
    let machine = MachineConfig {
        wakeup_latency_polling: Dist::LogNormal {
            median: truth,
            sigma: 0.5,
        },
        ..MachineConfig::default()
    };
    let s = fit::handoff_scenario(&machine, &python, 2, 5000);
    let measured = fit::simulated_handoff(&s).expect("hand-offs happen");
    let f = fit::fit_polling_latency(
        &MachineConfig::default(),
        &python,
        2,
        5000,
        measured,
        Effort::FULL,
    );
    let ratio = f.median_ns as f64 / truth as f64;
    assert!(
        (1.0 / 1.3..=1.3).contains(&ratio),
        "fitted {} ns for {truth} ns",
        f.median_ns
    );
}

#[test]
fn io_loop_costs_from_measurements() {
    let release = Dist::Const(300);
    let io = IoLoop::from_measurements(250.0, 1400.0, &release);
    assert_eq!(
        io,
        IoLoop {
            python_ns: 250,
            call_ns: 850
        }
    );
    // A call can never be negative.
    assert_eq!(
        IoLoop::from_measurements(250.0, 300.0, &release).call_ns,
        100
    );
}

#[test]
fn fitting_recovers_a_known_polling_latency_from_the_convoy() {
    let io = IoLoop {
        python_ns: 170,
        call_ns: 300,
    };
    let python = PythonConfig::default();
    let truth = 10 * US;
    let machine = MachineConfig {
        wakeup_latency_polling: Dist::LogNormal {
            median: truth,
            sigma: 0.5,
        },
        ..MachineConfig::default()
    };
    let targets: Vec<ConvoyTarget> = [5000, 1000]
        .iter()
        .map(|&interval_us| {
            let s = fit::convoy_scenario(&machine, &python, &io, 2, interval_us, 1, 1_000 * MS);
            ConvoyTarget {
                cores: 2,
                interval_us,
                rate_per_s: fit::simulated_rate(&s),
            }
        })
        .collect();
    let f = fit::fit_latency_on_convoy(
        &MachineConfig::default(),
        &python,
        &io,
        &targets,
        None,
        fit::Latency::Polling,
        &[0.5],
        Effort::FULL,
    );
    let ratio = f.median_ns as f64 / truth as f64;
    assert!(
        (1.0 / 1.3..=1.3).contains(&ratio),
        "fitted {} ns for {truth} ns: {f:?}",
        f.median_ns
    );
}

#[test]
fn fitting_recovers_a_known_deep_latency_from_the_sleep_probe() {
    let python = PythonConfig::default();
    let truth = 40 * US;
    let machine = MachineConfig {
        wakeup_latency: Dist::LogNormal {
            median: truth,
            sigma: 0.6,
        },
        ..MachineConfig::default()
    };
    let overshoot = fit::simulated_sleep_overshoot(&fit::sleep_scenario(&machine, &python, 2));
    let f = fit::fit_sleep_latency(
        &MachineConfig::default(),
        &python,
        fit::SleepTarget {
            cores: 2,
            overshoot_ns: overshoot,
        },
        Effort::FULL,
    );
    let ratio = f.median_ns as f64 / truth as f64;
    assert!(
        (1.0 / 1.3..=1.3).contains(&ratio),
        "fitted {} ns for {truth} ns",
        f.median_ns
    );
}

#[test]
fn fitting_recovers_a_known_pickle_message_from_pool_map() {
    let machine = MachineConfig::default();
    let mut truth = PythonConfig::default();
    truth.process.pickle_message = 20 * US;
    // As procs.py's timed pools: multiprocessing.pool imported before.
    truth.process.pool_import = gilsim::engine::random::Dist::Const(0);
    let targets: Vec<(fit::PoolMap, f64)> = [1, 16]
        .iter()
        .map(|&chunksize| {
            let m = gilsim::calibrate::runner::map_probe(400, chunksize);
            let s = fit::pool_map_scenario(&machine, &truth, 2, &m).expect("builds");
            let real = fit::simulated_makespan(&s);
            assert!(real.is_finite() && real > 0.0);
            (m, real)
        })
        .collect();
    let a = fit::fit_pickle_message(
        &machine,
        &PythonConfig::default(),
        2,
        &targets,
        Effort::QUICK,
    );
    let b = fit::fit_pickle_message(
        &machine,
        &PythonConfig::default(),
        2,
        &targets,
        Effort::QUICK,
    );
    assert_eq!(a, b, "deterministic");
    let ratio = a.ns as f64 / (20 * US) as f64;
    assert!((0.8..1.25).contains(&ratio), "fitted {} ns", a.ns);
    assert!(a.objective <= a.objective_start);
}

#[test]
fn an_asyncio_fan_out_is_simulated() {
    let s = fit::asyncio_scenario(
        &MachineConfig::default(),
        &PythonConfig::default(),
        2,
        &[
            (1, vec![step::cpu(20 * MS)]),
            (100, vec![step::cpu(10 * US), step::sleep(5 * MS)]),
        ],
    )
    .expect("builds");
    let end = fit::simulated_last_end(&s);
    // The heavy coroutine holds the loop for 20 ms; the sleeps end after it.
    assert!(end > 0.025 && end < 0.1, "{end}");
}

#[test]
fn a_pool_map_row_declares_its_arguments_memory_and_pays_for_it() {
    // workload.py's process_map: count = payload // 9 floats of 24 B, 8 B per slot, 56 B of list.
    assert_eq!(fit::float_list_memory(256 * 1024), 29_127 * 32 + 56);
    assert_eq!(fit::float_list_memory(1), 24 + 8 + 56);
    let machine = MachineConfig::default();
    let python = PythonConfig::default();
    let mut m = gilsim::calibrate::runner::map_probe(96, 1);
    m.args_bytes = 256 * 1024;
    let plain = fit::pool_map_scenario(&machine, &python, 2, &m).expect("builds");
    assert_eq!(plain.workloads[0].memory_bytes, 0);
    m.memory_bytes = fit::float_list_memory(m.args_bytes);
    let heavy = fit::pool_map_scenario(&machine, &python, 2, &m).expect("builds");
    assert_eq!(heavy.workloads[0].memory_bytes, m.memory_bytes);
    let (a, b) = (
        fit::simulated_makespan(&plain),
        fit::simulated_makespan(&heavy),
    );
    println!("96 x 256 KiB on a fork Pool(2): {a:.4} s, with the arguments' memory {b:.4} s");
    // The parent's task handler is the bottleneck: most of the faults show.
    let cow = 96.0 * m.memory_bytes as f64 / 1048576.0 * python.process.cow_ns_per_mib / 1e9;
    assert!(
        b - a > 0.5 * cow && b - a < 1.2 * cow,
        "+{} s for {cow} s of faults",
        b - a
    );
}

#[test]
fn the_convoy_probe_is_this_scenario() {
    let text = r#"
name = "calibrate-convoy"
seed = 1
duration = "1100ms"
warmup = "100ms"
[[workload]]
name = "io"
repeat = "forever"
steps = [ { cpu = "250ns" }, { cpu_nogil = { lognormal = { median = "900ns", sigma = 0.3 } } } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "threads"
workers = 2
"#;
    let mut expected =
        gilsim::scenario::parse_str(text, std::path::Path::new("calibration.toml"), &[])
            .expect("parses");
    let python = PythonConfig::default();
    expected.machine.cores = 4;
    expected.python.switch_interval_us = 1000;
    let io = IoLoop {
        python_ns: 250,
        call_ns: 900,
    };
    let s = fit::convoy_scenario(
        &MachineConfig::default(),
        &python,
        &io,
        4,
        1000,
        2,
        1_000 * MS,
    );
    assert_eq!(s, expected);
}
