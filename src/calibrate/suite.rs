//! The workloads `gilsim validate` runs for real and simulates (the list is
//! in [`super::validate`]'s header), built from the profile's measurements
//! only: ns per reference-loop iteration, sha256 MB/s, the I/O loop's costs;
//! and how each is simulated ([`Sim`]).

use rayon::prelude::*;
use serde_json::json;

use super::fit::{self, IoLoop};
use super::server::{self, ServerCosts, ServerRun};
use crate::engine::time::{MS, Nanos, US};
use crate::machine::MachineConfig;
use crate::python::PythonConfig;
use crate::scenario::Scenario;
use crate::scenario::builder::{ScenarioBuilder, StepSpec, WorkloadBuilder, step};
use crate::workload::StartMethod;

/// Seeds of the simulated distribution of a race-dominated workload.
pub const SPREAD_SEEDS: std::ops::RangeInclusive<u64> = 1..=8;

/// One validation workload: how it runs for real and how it is simulated.
pub(super) struct Case {
    pub(super) workload: String,
    pub(super) metric: &'static str,
    pub(super) probe: &'static str,
    pub(super) options: serde_json::Value,
    pub(super) field: &'static str,
    pub(super) higher: bool,
    pub(super) sim: Sim,
}

/// How a validation workload is simulated.
pub(super) enum Sim {
    /// A thread pool batch: makespan.
    Pool {
        /// `[semaphores]`: name and capacity.
        semaphores: &'static [(&'static str, u32)],
        workers: u32,
        tasks: u32,
        steps: Vec<StepSpec>,
    },
    /// The convoy probe: I/O calls per second.
    Convoy { count: u32, interval_us: u64 },
    /// The convoy probe's loop on `cores` cores beside `cpu_threads`
    /// CPU-bound threads, its call the pipe write or `time.sleep(sleep)`:
    /// calls per second.
    Beside {
        cores: u32,
        interval_us: u64,
        cpu_threads: u32,
        sleep: Option<Nanos>,
    },
    /// A `multiprocessing.Pool.map`: makespan.
    ProcessMap(fit::PoolMap),
    /// A loop of `Process(target=noop).start(); join()` with `method`: the
    /// first iteration's time (`first`) or the median of the others, ms.
    StartJoin {
        method: StartMethod,
        first: bool,
        call_ns: Nanos,
    },
    /// An asyncio fan-out (coroutine count and steps per workload): makespan.
    Asyncio(Vec<(u32, Vec<StepSpec>)>),
    /// A server in a deployment shape under open-loop load: served rate
    /// (`served`) or p99 latency in ms.
    Server {
        run: ServerRun,
        costs: ServerCosts,
        loop_ns: f64,
        served: bool,
    },
}

impl Sim {
    /// Simulates on `cores` (`None`: the cores the real run used).
    pub(super) fn run(
        &self,
        machine: &MachineConfig,
        python: &PythonConfig,
        io: &IoLoop,
        profile_cores: u32,
        cores: Option<u32>,
    ) -> f64 {
        match self {
            Sim::Pool {
                semaphores,
                workers,
                tasks,
                steps,
            } => pool_scenario(
                semaphores,
                machine,
                python,
                cores.unwrap_or(profile_cores),
                *workers,
                *tasks,
                steps,
            )
            .map_or(f64::NAN, |s| fit::simulated_makespan(&s)),
            Sim::ProcessMap(m) => {
                fit::pool_map_scenario(machine, python, cores.unwrap_or(profile_cores), m)
                    .map_or(f64::NAN, |s| fit::simulated_makespan(&s))
            }
            Sim::Asyncio(workloads) => {
                fit::asyncio_scenario(machine, python, cores.unwrap_or(profile_cores), workloads)
                    .map_or(f64::NAN, |s| fit::simulated_last_end(&s))
            }
            Sim::StartJoin {
                method,
                first,
                call_ns,
            } => start_join_ms(
                machine,
                python,
                cores.unwrap_or(profile_cores),
                *method,
                *first,
                *call_ns,
            ),
            Sim::Server {
                run,
                costs,
                loop_ns,
                served,
            } => run.simulate(
                machine,
                python,
                cores.unwrap_or(profile_cores),
                *loop_ns,
                costs,
                *served,
            ),
            Sim::Convoy { count, interval_us } => {
                let count = cores.unwrap_or(*count).max(1);
                let length = if count > 1 { 1_000 * MS } else { 250 * MS };
                fit::simulated_rate(&fit::convoy_scenario(
                    machine,
                    python,
                    io,
                    count,
                    *interval_us,
                    1,
                    length,
                ))
            }
            Sim::Beside { cores: own, .. } => fit::simulated_rate(&self.beside(
                machine,
                python,
                io,
                cores.unwrap_or(*own),
                1_000 * MS,
            )),
        }
    }

    /// The simulated p25..p75 over [`SPREAD_SEEDS`], for the convoy only.
    pub(super) fn range(
        &self,
        machine: &MachineConfig,
        python: &PythonConfig,
        io: &IoLoop,
        seconds: f64,
    ) -> Option<(f64, f64)> {
        let length = (seconds.max(0.05) * 1e9) as Nanos;
        let s = match self {
            Sim::Convoy { count, interval_us } => {
                fit::convoy_scenario(machine, python, io, *count, *interval_us, 1, length)
            }
            Sim::Beside { cores, .. } => self.beside(machine, python, io, *cores, length),
            _ => return None,
        };
        let mut rates: Vec<f64> = SPREAD_SEEDS
            .collect::<Vec<u64>>()
            .par_iter()
            .map(|&seed| fit::simulated_rate_seed(&s, seed))
            .collect();
        rates.sort_by(f64::total_cmp);
        Some((
            super::stats::quantile(&rates, 0.25),
            super::stats::quantile(&rates, 0.75),
        ))
    }

    pub(super) fn cores(&self, profile_cores: u32) -> u32 {
        match self {
            Sim::Pool { .. }
            | Sim::ProcessMap(_)
            | Sim::StartJoin { .. }
            | Sim::Asyncio(_)
            | Sim::Server { .. } => profile_cores,
            Sim::Convoy { count, .. } => *count,
            Sim::Beside { cores, .. } => *cores,
        }
    }

    /// A [`Sim::Beside`] on `cores` cores as a scenario of `length` after the warm-up.
    fn beside(
        &self,
        machine: &MachineConfig,
        python: &PythonConfig,
        io: &IoLoop,
        cores: u32,
        length: Nanos,
    ) -> Scenario {
        let &Sim::Beside {
            interval_us,
            cpu_threads,
            sleep,
            ..
        } = self
        else {
            unreachable!("beside() of another workload")
        };
        fit::beside_scenario(
            machine,
            python,
            io,
            cores,
            interval_us,
            cpu_threads,
            sleep,
            length,
        )
    }
}

/// A thread pool of `workers` running `tasks` tasks of `steps`, beside
/// `semaphores`, on `cores` cores; `None` when it does not validate.
fn pool_scenario(
    semaphores: &[(&str, u32)],
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    workers: u32,
    tasks: u32,
    steps: &[StepSpec],
) -> Option<Scenario> {
    let mut b = ScenarioBuilder::new("validate-pool")
        .path("validate.toml")
        .seed(1);
    for &(name, capacity) in semaphores {
        b = b.semaphore(name, capacity);
    }
    let pool = WorkloadBuilder::new("pool")
        .tasks(u64::from(tasks))
        .steps(steps.to_vec())
        .threads(workers);
    let mut s = b.workload(pool).build().ok()?;
    s.machine = machine.clone();
    s.machine.cores = cores;
    s.python = python.clone();
    Some(s)
}

/// The validation suite: the real workloads' options and their
/// simulations, whose step durations come from `loop_ns` (ns per
/// reference-loop iteration) and `sha_mb_s`.
#[allow(clippy::too_many_arguments)]
pub(super) fn suite(
    quick: bool,
    loop_ns: f64,
    sha_mb_s: f64,
    pinned: &Option<Vec<u32>>,
    cores: u32,
    tasks: u32,
    iterations: u64,
    mib: u64,
    convoy_s: f64,
    server_costs: &ServerCosts,
) -> Vec<Case> {
    let mut cases = Vec::new();
    for workers in [1u32, 4] {
        let cpu_ns = (iterations as f64 * loop_ns).round() as Nanos;
        cases.push(Case {
            workload: format!("cpu-pool-{workers}"),
            metric: "makespan_s",
            probe: "workload.py",
            options: json!({"kind": "cpu_pool", "workers": workers, "tasks": tasks, "iterations": iterations, "cores": pinned}),
            field: "makespan_s",
            higher: false,
            sim: Sim::Pool { semaphores: &[], workers, tasks, steps: vec![step::cpu(cpu_ns)] },
        });
    }
    // A lock held across a sleep and a loop; a semaphore of 3 around the same.
    let small = iterations / 10;
    let small_ns = (small as f64 * loop_ns).round() as Nanos;
    let sync_tasks = tasks * 5;
    cases.push(Case {
        workload: "lock-pool-4".into(),
        metric: "makespan_s",
        probe: "workload.py",
        options: json!({"kind": "lock_pool", "workers": 4, "tasks": sync_tasks, "iterations": small, "sleep_s": 0.001, "cores": pinned}),
        field: "makespan_s",
        higher: false,
        sim: Sim::Pool {
            semaphores: &[],
            workers: 4,
            tasks: sync_tasks,
            steps: vec![step::cpu(small_ns), step::lock("l", vec![step::sleep(MS), step::cpu(small_ns)])],
        },
    });
    cases.push(Case {
        workload: "semaphore-pool-8".into(),
        metric: "makespan_s",
        probe: "workload.py",
        options: json!({"kind": "sem_pool", "workers": 8, "tasks": sync_tasks, "iterations": small, "sleep_s": 0.004, "capacity": 3, "cores": pinned}),
        field: "makespan_s",
        higher: false,
        sim: Sim::Pool {
            semaphores: &[("s", 3)],
            workers: 8,
            tasks: sync_tasks,
            steps: vec![step::semaphore("s", vec![step::sleep(4 * MS), step::cpu(small_ns)])],
        },
    });
    for workers in [1u32, 4] {
        let hash_ns = ((mib << 20) as f64 / (sha_mb_s * 1e6) * 1e9).round() as Nanos;
        cases.push(Case {
            workload: format!("hash-pool-{workers}"),
            metric: "makespan_s",
            probe: "workload.py",
            options: json!({"kind": "hash_pool", "workers": workers, "tasks": tasks, "mib": mib, "cores": pinned}),
            field: "makespan_s",
            higher: false,
            sim: Sim::Pool { semaphores: &[], workers, tasks, steps: vec![step::cpu(2 * US), step::cpu_nogil(hash_ns)] },
        });
    }
    // Pool.map with payloads (lists of floats, pickled size as given, their
    // object memory declared as the tasks' `memory`) and chunksizes.
    let map_iterations = iterations / 15;
    let map_ns = (map_iterations as f64 * loop_ns).round() as Nanos;
    let map_tasks = if quick { 48u32 } else { 96 };
    for (payload, label, chunksize) in [
        (1024u64, "1KiB", 1u32),
        (1024, "1KiB", 8),
        (256 * 1024, "256KiB", 1),
        (256 * 1024, "256KiB", 8),
    ] {
        cases.push(Case {
            workload: format!("process-map-{label}-c{chunksize}"),
            metric: "makespan_s",
            probe: "workload.py",
            options: json!({"kind": "process_map", "workers": cores, "tasks": map_tasks, "iterations": map_iterations,
                            "payload_bytes": payload, "chunksize": chunksize, "cores": pinned}),
            field: "makespan_s",
            higher: false,
            sim: Sim::ProcessMap(fit::PoolMap {
                workers: cores,
                tasks: map_tasks,
                chunksize,
                steps: vec![step::cpu(map_ns)],
                args_bytes: payload,
                result_bytes: 2,
                // The real arguments are built before Pool() forks its
                // workers: the parent holds tasks x this much, which the
                // fork's page-table copy and the copy-on-write faults of
                // pickling them (python.fork_ns_per_mib, cow_ns_per_mib)
                // scale with. workload.py: count = payload_bytes // 9
                // floats, 24 B each, 8 B per list slot, 56 B of list.
                memory_bytes: fit::float_list_memory(payload),
            }),
        });
    }
    // An asyncio fan-out of light coroutines (a short loop, a 5 ms
    // asyncio.sleep, a short loop), alone and behind one CPU-heavy coroutine.
    let light = 200u64;
    let light_ns = (light as f64 * loop_ns).round() as Nanos;
    let fan = if quick { 1000u32 } else { 2000 };
    let heavy = iterations * 5;
    let heavy_ns = (heavy as f64 * loop_ns).round() as Nanos;
    let light_steps = vec![
        step::cpu(light_ns),
        step::sleep(5 * MS),
        step::cpu(light_ns),
    ];
    for (name, heavies) in [("asyncio-fanout", 0u32), ("asyncio-fanout-cpu-heavy", 1)] {
        let mut workloads = Vec::new();
        if heavies > 0 {
            workloads.push((heavies, vec![step::cpu(heavy_ns)]));
        }
        workloads.push((fan, light_steps.clone()));
        cases.push(Case {
            workload: name.into(),
            metric: "makespan_s",
            probe: "workload.py",
            options: json!({"kind": "asyncio_fanout", "workers": 1, "tasks": fan, "iterations": light, "sleep_s": 0.005,
                            "heavy": heavies, "heavy_iterations": heavy, "cores": pinned}),
            field: "makespan_s",
            higher: false,
            sim: Sim::Asyncio(workloads),
        });
    }
    let mut convoys: Vec<(Option<Vec<u32>>, u32, u64)> =
        vec![(pinned.clone(), cores, 2000), (pinned.clone(), cores, 500)];
    let first = pinned
        .as_ref()
        .and_then(|p| p.first().copied())
        .unwrap_or(0);
    if cores >= 2 {
        convoys.push((Some(vec![first]), 1, 2000));
    }
    for (set, count, interval_us) in convoys {
        cases.push(Case {
            workload: format!("convoy-{count}core-{interval_us}us"),
            metric: "io_calls_per_s",
            probe: "convoy.py",
            options: json!({"cores": set, "interval_us": interval_us, "cpu_threads": 1, "seconds": convoy_s, "warmup": 0.1}),
            field: "rate_per_s",
            higher: true,
            sim: Sim::Convoy { count, interval_us },
        });
    }
    for run in server::runs(loop_ns, quick) {
        for (metric, served) in [("served_per_s", true), ("p99_ms", false)] {
            cases.push(Case {
                workload: run.name(),
                metric,
                probe: "server.py",
                options: run.options(pinned),
                field: metric,
                higher: served,
                sim: Sim::Server {
                    run,
                    costs: *server_costs,
                    loop_ns,
                    served,
                },
            });
        }
    }
    contention(&mut cases, quick, loop_ns, pinned, cores, first, convoy_s);
    cases
}

/// Where several threads fight for the GIL and the pool's per-task cost:
/// a thread waking from `time.sleep(1 ms)` beside 1, 2 and 4 CPU-bound
/// threads at switch intervals of 5, 1 and 0.1 ms on 1 and 2 cores; the
/// convoy's write loop beside 2 CPU-bound threads on 2 cores; that loop
/// alone on one core; `Pool.map` of no-op tasks at chunksize 1 and 100.
/// `--quick` keeps one of each kind.
fn contention(
    cases: &mut Vec<Case>,
    quick: bool,
    loop_ns: f64,
    pinned: &Option<Vec<u32>>,
    cores: u32,
    first: u32,
    convoy_s: f64,
) {
    let mut sets: Vec<(Vec<u32>, u32)> = vec![(vec![first], 1)];
    let two: Vec<u32> = pinned
        .as_ref()
        .map_or(vec![0, 1], |p| p.iter().copied().take(2).collect());
    if cores >= 2 && two.len() == 2 {
        sets.push((two.clone(), 2));
    }
    let (threads, intervals): (&[u32], &[u64]) = if quick {
        (&[2], &[5000])
    } else {
        (&[1, 2, 4], &[5000, 1000, 100])
    };
    for (set, count) in &sets {
        for &k in threads {
            for &interval_us in intervals {
                cases.push(Case {
                    workload: format!("sleep-beside-{k}cpu-{count}core-{interval_us}us"),
                    metric: "wakeups_per_s",
                    probe: "convoy.py",
                    options: json!({"cores": set, "interval_us": interval_us, "cpu_threads": k,
                                    "sleep_s": 0.001, "seconds": convoy_s, "warmup": 0.1}),
                    field: "rate_per_s",
                    higher: true,
                    sim: Sim::Beside {
                        cores: *count,
                        interval_us,
                        cpu_threads: k,
                        sleep: Some(MS),
                    },
                });
            }
        }
    }
    let mut loops = vec![(vec![first], 1u32, 0u32, "loop-alone-1core".to_string())];
    if sets.len() == 2 {
        loops.push((two, 2, 2, "convoy-2cpu-2core-5000us".to_string()));
    }
    for (set, count, k, name) in loops {
        cases.push(Case {
            workload: name,
            metric: "io_calls_per_s",
            probe: "convoy.py",
            options: json!({"cores": set, "interval_us": 5000, "cpu_threads": k, "seconds": convoy_s, "warmup": 0.1}),
            field: "rate_per_s",
            higher: true,
            sim: Sim::Beside {
                cores: count,
                interval_us: 5000,
                cpu_threads: k,
                sleep: None,
            },
        });
    }
    // A start + join loop per start method; the forkserver's first start
    // also starts the server.
    let methods: &[(StartMethod, &str, bool)] = if quick {
        &[(StartMethod::Fork, "fork", false)]
    } else {
        &[
            (StartMethod::Fork, "fork", false),
            (StartMethod::Spawn, "spawn", false),
            (StartMethod::Forkserver, "forkserver-first", true),
            (StartMethod::Forkserver, "forkserver", false),
        ]
    };
    for &(method, name, first) in methods {
        let iterations = if method == StartMethod::Spawn { 12 } else { 40 };
        cases.push(Case {
            workload: format!("start-join-{name}"),
            metric: "start_join_ms",
            probe: "startjoin.py",
            options: json!({"method": method.name(), "tasks": iterations, "cores": pinned}),
            field: if first { "first_ms" } else { "median_ms" },
            higher: false,
            sim: Sim::StartJoin {
                method,
                first,
                call_ns: loop_ns.round().max(1.0) as Nanos,
            },
        });
    }
    let tasks = if quick { 2_000u32 } else { 10_000 };
    for chunksize in [1u32, 100] {
        cases.push(Case {
            workload: format!("process-map-noop-c{chunksize}"),
            metric: "makespan_s",
            probe: "workload.py",
            options: json!({"kind": "process_map", "workers": cores, "tasks": tasks, "iterations": 0,
                            "payload_bytes": 9, "chunksize": chunksize, "cores": pinned}),
            field: "makespan_s",
            higher: false,
            sim: Sim::ProcessMap(fit::PoolMap {
                workers: cores,
                tasks,
                chunksize,
                // `loop(0)`: a call and a return, about one iteration.
                steps: vec![step::cpu(loop_ns.round().max(1.0) as Nanos)],
                args_bytes: 9,
                result_bytes: 2,
                memory_bytes: fit::float_list_memory(9),
            }),
        });
    }
}

/// [`Sim::StartJoin`]: the simulated loop's first iteration (its latency's
/// maximum: the forkserver's also starts the server) or its median, in ms.
fn start_join_ms(
    machine: &MachineConfig,
    python: &PythonConfig,
    cores: u32,
    method: StartMethod,
    first: bool,
    call_ns: Nanos,
) -> f64 {
    let length = if method == StartMethod::Spawn {
        3_000
    } else {
        1_000
    } * MS;
    let Some(s) = fit::start_join_scenario(machine, python, cores, method, call_ns, length) else {
        return f64::NAN;
    };
    match crate::simulation::run(&s, s.seed, crate::simulation::RunOptions::default()) {
        Ok(o) => o
            .workloads
            .first()
            .and_then(|w| w.latency_ms)
            .map_or(f64::NAN, |l| if first { l[4] } else { l[1] }),
        Err(_) => f64::NAN,
    }
}
