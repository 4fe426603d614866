//! Temporary check: every calibration and validation scenario built with
//! the scenario builder equals the one the TOML text it replaces produced
//! (the old functions are copied here verbatim, with their steps as text).

use std::collections::BTreeMap;
use std::path::Path;

use super::super::fit::{self, IoLoop, PoolMap};
use super::super::profile::{
    MachineInfo, Parameter, Profile, PythonInfo, Source, Value as ProfileValue,
};
use super::{Sim, pool_scenario, profile_configs, suite};
use crate::engine::random::Dist;
use crate::engine::time::{MS, Nanos};
use crate::machine::MachineConfig;
use crate::python::{Build, Handoff, PyVersion, PythonConfig};
use crate::scenario::{Scenario, parse_str};

fn old_build(
    text: &str,
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    interval_us: u64,
) -> Scenario {
    let mut s = match parse_str(text, Path::new("calibration.toml"), &[]) {
        Ok(s) => s,
        Err(e) => unreachable!("generated calibration scenario does not parse: {e}"),
    };
    s.machine = machine.clone();
    s.machine.cores = cores.max(1);
    s.python = python.clone();
    s.python.switch_interval_us = interval_us.max(1);
    s
}

fn old_convoy_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    io: &IoLoop,
    cores: u32,
    interval_us: u64,
    cpu_threads: u32,
    seconds_ns: Nanos,
) -> Scenario {
    let mut text = format!(
        "name = \"calibrate-convoy\"\nseed = 1\nduration = \"{}ns\"\nwarmup = \"100ms\"\n\
         [[workload]]\nname = \"io\"\nrepeat = \"forever\"\n\
         steps = [ {{ cpu = \"{}ns\" }}, {{ cpu_nogil = {{ lognormal = {{ median = \"{}ns\", sigma = 0.3 }} }} }} ]\n\
         [workload.run]\nmodel = \"threads\"\nworkers = 1\n",
        seconds_ns + 100 * MS,
        io.python_ns.max(1),
        io.call_ns.max(1)
    );
    if cpu_threads > 0 {
        text.push_str(&format!(
            "[[workload]]\nname = \"cpu\"\nrepeat = \"forever\"\nsteps = [ {{ cpu = \"10ms\" }} ]\n\
             [workload.run]\nmodel = \"threads\"\nworkers = {cpu_threads}\n"
        ));
    }
    old_build(&text, machine, python, cores, interval_us)
}

fn old_sleep_scenario(machine: &MachineConfig, python: &PythonConfig, cores: u32) -> Scenario {
    let text = "name = \"calibrate-sleep\"\nseed = 1\nduration = \"300ms\"\n\
                [[workload]]\nname = \"s\"\nrepeat = \"forever\"\nsteps = [ { sleep = \"1ms\" } ]\n\
                [workload.run]\nmodel = \"threads\"\nworkers = 1\n";
    old_build(text, machine, python, cores, 5000)
}

fn old_handoff_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    interval_us: u64,
) -> Scenario {
    let mut text = String::from("name = \"calibrate-handoff\"\nseed = 1\nduration = \"1s\"\n");
    for name in ["a", "b"] {
        text.push_str(&format!(
            "[[workload]]\nname = \"{name}\"\nrepeat = \"forever\"\nsteps = [ {{ cpu = \"10ms\" }} ]\n\
             [workload.run]\nmodel = \"threads\"\nworkers = 1\n"
        ));
    }
    old_build(&text, machine, python, cores, interval_us)
}

/// `PoolMap` as it was: its steps as TOML.
struct OldPoolMap {
    workers: u32,
    tasks: u32,
    chunksize: u32,
    steps: String,
    args_bytes: u64,
    result_bytes: u64,
    memory_bytes: u64,
}

fn old_pool_map_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    m: &OldPoolMap,
) -> Option<Scenario> {
    let memory = if m.memory_bytes > 0 {
        format!("memory = \"{}B\"\n", m.memory_bytes)
    } else {
        String::new()
    };
    let text = format!(
        "name = \"calibrate-pool-map\"\nseed = 1\n[[workload]]\nname = \"pool\"\ntasks = {}\nsteps = {}\n\
         args_bytes = \"{}B\"\nresult_bytes = \"{}B\"\n{memory}\
         [workload.run]\nmodel = \"processes\"\napi = \"pool\"\nworkers = {}\nchunksize = {}\nstart_method = \"fork\"\n",
        m.tasks.max(1),
        m.steps,
        m.args_bytes,
        m.result_bytes,
        m.workers.max(1),
        m.chunksize.max(1)
    );
    let mut s = parse_str(&text, Path::new("calibration.toml"), &[]).ok()?;
    s.machine = machine.clone();
    s.machine.cores = cores.max(1);
    s.python = python.clone();
    Some(s)
}

fn old_asyncio_scenario(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    workloads: &[(u32, String)],
) -> Option<Scenario> {
    let mut text = String::from("name = \"validate-asyncio\"\nseed = 1\n");
    for (i, (tasks, steps)) in workloads.iter().enumerate() {
        text.push_str(&format!(
            "[[workload]]\nname = \"w{i}\"\ntasks = {}\nsteps = {steps}\n[workload.run]\nmodel = \"asyncio\"\n",
            (*tasks).max(1)
        ));
    }
    let mut s = parse_str(&text, Path::new("validate.toml"), &[]).ok()?;
    s.machine = machine.clone();
    s.machine.cores = cores.max(1);
    s.python = python.clone();
    Some(s)
}

/// `pool_makespan`'s scenario, before it ran.
fn old_pool_scenario(
    header: &str,
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    workers: u32,
    tasks: u32,
    steps: &str,
) -> Option<Scenario> {
    let text = format!(
        "name = \"validate-pool\"\nseed = 1\n{header}[[workload]]\nname = \"pool\"\ntasks = {tasks}\nsteps = {steps}\n\
         [workload.run]\nmodel = \"threads\"\nworkers = {workers}\n"
    );
    let Ok(mut s) = parse_str(&text, Path::new("validate.toml"), &[]) else {
        return None;
    };
    s.machine = machine.clone();
    s.machine.cores = cores;
    s.python = python.clone();
    Some(s)
}

/// The old suite's simulations, as text.
enum OldSim {
    Pool {
        header: &'static str,
        workers: u32,
        tasks: u32,
        steps: String,
    },
    Convoy {
        count: u32,
        interval_us: u64,
    },
    ProcessMap(OldPoolMap),
    Asyncio(Vec<(u32, String)>),
}

/// The `sim` of every case of the old `suite`, in order.
#[allow(clippy::too_many_arguments)]
fn old_sims(
    quick: bool,
    loop_ns: f64,
    sha_mb_s: f64,
    pinned: &Option<Vec<u32>>,
    cores: u32,
    tasks: u32,
    iterations: u64,
    mib: u64,
) -> Vec<OldSim> {
    let mut cases = Vec::new();
    for workers in [1u32, 4] {
        let cpu_ns = (iterations as f64 * loop_ns).round() as Nanos;
        cases.push(OldSim::Pool {
            header: "",
            workers,
            tasks,
            steps: format!("[ {{ cpu = \"{cpu_ns}ns\" }} ]"),
        });
    }
    let small = iterations / 10;
    let small_ns = (small as f64 * loop_ns).round() as Nanos;
    let sync_tasks = tasks * 5;
    cases.push(OldSim::Pool { header: "", workers: 4, tasks: sync_tasks, steps: format!("[ {{ cpu = \"{small_ns}ns\" }}, {{ lock = \"l\", steps = [ {{ sleep = \"1ms\" }}, {{ cpu = \"{small_ns}ns\" }} ] }} ]") });
    cases.push(OldSim::Pool { header: "[semaphores]\ns = 3\n", workers: 8, tasks: sync_tasks, steps: format!("[ {{ semaphore = \"s\", steps = [ {{ sleep = \"4ms\" }}, {{ cpu = \"{small_ns}ns\" }} ] }} ]") });
    for workers in [1u32, 4] {
        let hash_ns = ((mib << 20) as f64 / (sha_mb_s * 1e6) * 1e9).round() as Nanos;
        cases.push(OldSim::Pool {
            header: "",
            workers,
            tasks,
            steps: format!("[ {{ cpu = \"2us\" }}, {{ cpu_nogil = \"{hash_ns}ns\" }} ]"),
        });
    }
    let map_iterations = iterations / 15;
    let map_ns = (map_iterations as f64 * loop_ns).round() as Nanos;
    let map_tasks = if quick { 48u32 } else { 96 };
    for (payload, chunksize) in [(1024u64, 1u32), (1024, 8), (256 * 1024, 1), (256 * 1024, 8)] {
        cases.push(OldSim::ProcessMap(OldPoolMap {
            workers: cores,
            tasks: map_tasks,
            chunksize,
            steps: format!("[ {{ cpu = \"{map_ns}ns\" }} ]"),
            args_bytes: payload,
            result_bytes: 2,
            memory_bytes: fit::float_list_memory(payload),
        }));
    }
    let light = 200u64;
    let light_ns = (light as f64 * loop_ns).round() as Nanos;
    let fan = if quick { 1000u32 } else { 2000 };
    let heavy = iterations * 5;
    let heavy_ns = (heavy as f64 * loop_ns).round() as Nanos;
    let light_steps = format!(
        "[ {{ cpu = \"{light_ns}ns\" }}, {{ sleep = \"5ms\" }}, {{ cpu = \"{light_ns}ns\" }} ]"
    );
    for heavies in [0u32, 1] {
        let mut workloads = Vec::new();
        if heavies > 0 {
            workloads.push((heavies, format!("[ {{ cpu = \"{heavy_ns}ns\" }} ]")));
        }
        workloads.push((fan, light_steps.clone()));
        cases.push(OldSim::Asyncio(workloads));
    }
    let mut convoys: Vec<(u32, u64)> = vec![(cores, 2000), (cores, 500)];
    if cores >= 2 {
        convoys.push((1, 2000));
    }
    let _ = pinned;
    for (count, interval_us) in convoys {
        cases.push(OldSim::Convoy { count, interval_us });
    }
    cases
}

fn configs() -> Vec<(MachineConfig, PythonConfig)> {
    let m = MachineConfig {
        wakeup_latency: Dist::LogNormal {
            median: 12_345,
            sigma: 0.7,
        },
        ..MachineConfig::default()
    };
    let mut p = PythonConfig::defaults(
        PyVersion {
            major: 3,
            minor: 13,
        },
        Build::FreeThreaded,
    );
    p.gil_handoff = Handoff::Random;
    p.switch_interval_us = 777;
    vec![(MachineConfig::default(), PythonConfig::default()), (m, p)]
}

#[test]
fn the_probe_scenarios_are_the_texts_scenarios() {
    let mut compared = 0;
    for (m, p) in configs() {
        for (python_ns, call_ns) in [(0, 0), (1, 5), (73, 900), (1_234_567, 99_999)] {
            let io = IoLoop { python_ns, call_ns };
            for cores in [0, 1, 2, 8] {
                for interval in [0, 1, 500, 5000] {
                    for threads in [0, 1, 3] {
                        for length in [1, 100 * MS, 1_000 * MS] {
                            assert_eq!(
                                fit::convoy_scenario(&m, &p, &io, cores, interval, threads, length),
                                old_convoy_scenario(&m, &p, &io, cores, interval, threads, length)
                            );
                            compared += 1;
                        }
                    }
                    assert_eq!(
                        fit::handoff_scenario(&m, &p, cores, interval),
                        old_handoff_scenario(&m, &p, cores, interval)
                    );
                    compared += 1;
                }
                assert_eq!(
                    fit::sleep_scenario(&m, &p, cores),
                    old_sleep_scenario(&m, &p, cores)
                );
                compared += 1;
            }
        }
        for (tasks, chunksize) in [(0u32, 0u32), (400, 1), (400, 16), (3, 8)] {
            let new = super::super::runner::map_probe(tasks, chunksize);
            let old = OldPoolMap {
                workers: 2,
                tasks,
                chunksize,
                steps: "[ { cpu = \"1us\" } ]".into(),
                args_bytes: 5,
                result_bytes: 2,
                memory_bytes: 0,
            };
            for cores in [0, 1, 2, 4] {
                let built = fit::pool_map_scenario(&m, &p, cores, &new);
                assert!(built.is_some());
                assert_eq!(built, old_pool_map_scenario(&m, &p, cores, &old));
                let heavy = PoolMap {
                    memory_bytes: 12_345,
                    args_bytes: 256 * 1024,
                    ..new.clone()
                };
                let old_heavy = OldPoolMap {
                    memory_bytes: 12_345,
                    args_bytes: 256 * 1024,
                    steps: old.steps.clone(),
                    ..old
                };
                assert_eq!(
                    fit::pool_map_scenario(&m, &p, cores, &heavy),
                    old_pool_map_scenario(&m, &p, cores, &old_heavy)
                );
                compared += 2;
            }
        }
    }
    println!("{compared} probe scenarios compared");
}

#[test]
fn the_validation_scenarios_are_the_texts_scenarios() {
    let mut compared = 0;
    let io = IoLoop {
        python_ns: 250,
        call_ns: 900,
    };
    for (m, p) in configs() {
        for quick in [true, false] {
            for (loop_ns, sha_mb_s) in [(54.25, 1800.0), (12.345_678_9, 333.3), (1e-3, 1e6)] {
                for cores in [1u32, 2, 4] {
                    let (tasks, iterations, mib) = if quick {
                        (8u32, 300_000u64, 8u64)
                    } else {
                        (16, 300_000, 8)
                    };
                    let pinned = Some(vec![0, 1]);
                    let new = suite(
                        quick, loop_ns, sha_mb_s, &pinned, cores, tasks, iterations, mib, 0.4,
                    );
                    let old = old_sims(
                        quick, loop_ns, sha_mb_s, &pinned, cores, tasks, iterations, mib,
                    );
                    assert_eq!(new.len(), old.len());
                    for (n, o) in new.iter().zip(&old) {
                        match (&n.sim, o) {
                            (
                                Sim::Pool {
                                    semaphores,
                                    workers,
                                    tasks,
                                    steps,
                                },
                                OldSim::Pool {
                                    header,
                                    workers: w,
                                    tasks: t,
                                    steps: s,
                                },
                            ) => {
                                let a = pool_scenario(
                                    semaphores, &m, &p, cores, *workers, *tasks, steps,
                                );
                                assert!(a.is_some());
                                assert_eq!(a, old_pool_scenario(header, &m, &p, cores, *w, *t, s));
                            }
                            (Sim::ProcessMap(a), OldSim::ProcessMap(b)) => {
                                let a = fit::pool_map_scenario(&m, &p, cores, a);
                                assert!(a.is_some());
                                assert_eq!(a, old_pool_map_scenario(&m, &p, cores, b));
                            }
                            (Sim::Asyncio(a), OldSim::Asyncio(b)) => {
                                let a = fit::asyncio_scenario(&m, &p, cores, a);
                                assert!(a.is_some());
                                assert_eq!(a, old_asyncio_scenario(&m, &p, cores, b));
                            }
                            (
                                Sim::Convoy { count, interval_us },
                                OldSim::Convoy {
                                    count: c,
                                    interval_us: i,
                                },
                            ) => {
                                assert_eq!((count, interval_us), (c, i));
                                assert_eq!(
                                    fit::convoy_scenario(&m, &p, &io, *count, *interval_us, 1, MS),
                                    old_convoy_scenario(&m, &p, &io, *c, *i, 1, MS)
                                );
                            }
                            _ => panic!("the cases are not in the same order"),
                        }
                        compared += 1;
                    }
                }
            }
        }
    }
    println!("{compared} validation scenarios compared");
}

#[test]
fn the_profile_configs_are_the_texts_configs() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, version) in [
        ("profile.toml", "3.11"),
        ("with space \"quoted\" \\ back.toml", "3.13"),
        ("naïve ünïcode.toml", "3.9"),
    ] {
        let mut parameters = BTreeMap::new();
        parameters.insert(
            "machine.wakeup_latency".to_string(),
            Parameter {
                source: Source::Fitted,
                how: "test".into(),
                spread: "-".into(),
                value: ProfileValue::LogNormal {
                    median_ns: 47_000,
                    sigma: 0.6,
                },
            },
        );
        let profile = Profile {
            gilsim_version: "0.1.0".into(),
            date: "2026-12-03T07:00:00Z".into(),
            quick: true,
            python: PythonInfo {
                executable: "/usr/bin/python3".into(),
                version: format!("{version}.1"),
                version_short: version.into(),
                gil_disabled: false,
            },
            machine: MachineInfo {
                cores_online: 2,
                cores_list: "0,1".into(),
                cores_used: 2,
                pinned: true,
                cpu_model: "Test CPU".into(),
                cpuidle_driver: "haltpoll".into(),
                kernel: "6.1".into(),
                load_average: "-".into(),
            },
            parameters,
            measurements: BTreeMap::new(),
        };
        let path = dir.path().join(name);
        profile.write(&path).expect("written");
        // The old text.
        let shown = toml::Value::String(path.display().to_string()).to_string();
        let text = format!(
            "name = \"validate\"\n[python]\nversion = \"{version}\"\nprofile = {shown}\n\
             [[workload]]\nname = \"w\"\ntasks = 1\nsteps = [ {{ cpu = \"1ms\" }} ]\n"
        );
        let old = crate::scenario::Reader::new(&[])
            .with_profiles(super::super::profile::load_for_scenario)
            .parse_str(&text, Path::new("validate.toml"))
            .map(|s| (s.machine, s.python))
            .map_err(|e| e.to_string());
        let new = profile_configs(&path, &profile).map_err(|e| format!("{e:?}"));
        assert!(old.is_ok(), "{old:?}");
        assert_eq!(new.ok(), old.ok());
    }
}
