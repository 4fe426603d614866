//! A builder scenario equals the one parsed from the same hand-written
//! TOML, for every step kind and run model, and is refused with the same
//! error.

use std::path::Path;

use super::*;
use crate::engine::time::{MS, US};
use crate::scenario::parse_str;

/// The scenario of a hand-written file.
fn file(text: &str) -> Scenario {
    match parse_str(text, Path::new("t.toml"), &[]) {
        Ok(s) => s,
        Err(e) => panic!("the hand-written file does not parse:\n{e}"),
    }
}

/// A builder's scenario, read as `t.toml`.
fn built(b: ScenarioBuilder) -> Scenario {
    let b = b.path("t.toml");
    match b.build() {
        Ok(s) => s,
        Err(e) => panic!(
            "the builder's scenario does not parse:\n{e}\n{}",
            b.to_toml()
        ),
    }
}

/// The error of a hand-written file and of a builder: message and key.
fn errors(text: &str, b: ScenarioBuilder) -> [(String, Option<String>); 2] {
    let of = |r: Result<Scenario, ScenarioError>| match r {
        Ok(_) => panic!("accepted"),
        Err(e) => (e.message().to_string(), e.key().map(str::to_string)),
    };
    [
        of(parse_str(text, Path::new("t.toml"), &[])),
        of(b.path("t.toml").build()),
    ]
}

fn one(w: WorkloadBuilder) -> ScenarioBuilder {
    ScenarioBuilder::new("t").workload(w)
}

#[test]
fn the_top_level_machine_and_python_keys() {
    let text = r#"
name = "top"
description = "a \"quoted\" line,\nand a second"
seed = 18446744073709551615
duration = "2s"
warmup = "100ms"
replications = 3
[machine]
cores = 4
context_switch = { lognormal = { median = "2us", sigma = 0.30000000000000004 } }
wakeup_granularity = "1ms"
[python]
version = "3.13"
build = "free-threaded"
gil = 1
switch_interval = "1ms"
gil_handoff = "random"
pickle_ns_per_byte = 0.1
thread_start = { uniform = ["10us", "20us"] }
[[workload]]
name = "jobs"
rate = "2.5/s"
steps = [ { cpu = "1ms" } ]
"#;
    let b = ScenarioBuilder::new("top")
        .description("a \"quoted\" line,\nand a second")
        .seed(u64::MAX)
        .duration(2_000 * MS)
        .warmup(100 * MS)
        .replications(3)
        .cores(4)
        .machine(
            "context_switch",
            Dist::LogNormal {
                median: 2 * US,
                sigma: 0.1 + 0.2,
            },
        )
        .machine("wakeup_granularity", Value::duration(MS))
        .python("version", "3.13")
        .python("build", "free-threaded")
        .python("gil", 1)
        .switch_interval(MS)
        .python("gil_handoff", "random")
        .python("pickle_ns_per_byte", 0.1)
        .python(
            "thread_start",
            Dist::Uniform {
                lo: 10 * US,
                hi: 20 * US,
            },
        )
        .workload(
            WorkloadBuilder::new("jobs")
                .rate(2.5)
                .steps(vec![step::cpu(MS)]),
        );
    assert_eq!(built(b), file(text));
}

#[test]
fn every_duration_step_and_distribution() {
    let text = r#"
name = "t"
[[workload]]
name = "w"
tasks = 3
steps = [
  { cpu = "10us" }, { cpu_held = { exp = "5us" } }, { cpu_nogil = { uniform = ["1us", "3us"] } },
  { io = { normal = { mean = "2ms", sd = "1ms" } } }, { sleep = { lognormal = { median = "1ms", sigma = 0.5 } } },
  { blocking_io = "1ms" },
]
[workload.run]
model = "threads"
workers = 2
"#;
    let b = one(WorkloadBuilder::new("w").tasks(3).threads(2).steps(vec![
        step::cpu(10 * US),
        step::cpu_held(Dist::Exp { mean: 5 * US }),
        step::cpu_nogil(Dist::Uniform { lo: US, hi: 3 * US }),
        step::io(Dist::Normal {
            mean: 2 * MS,
            sd: MS,
        }),
        step::sleep(Dist::LogNormal {
            median: MS,
            sigma: 0.5,
        }),
        step::blocking_io(MS),
    ]));
    assert_eq!(built(b), file(text));
}

#[test]
fn locks_semaphores_events_and_conditions() {
    let text = r#"
name = "t"
[semaphores]
"db pool" = 2
[events]
go = {}
ready = { set = true }
[conditions]
c = {}
[[workload]]
name = "w"
tasks = 2
steps = [
  { lock = "b", steps = [ { lock = "a", steps = [ { io = "1ms" } ] } ] },
  { semaphore = "db pool", steps = [ { sleep = "1ms" } ] },
  { wait_event = "ready" }, { set_event = "go" }, { clear_event = "go" },
  { notify = "c" }, { notify = "c", n = 3 }, { notify = "c", n = "all" },
]
[workload.run]
model = "threads"
workers = "per-task"
[[workload]]
name = "v"
tasks = 1
steps = [ { wait = "c" } ]
"#;
    let b = ScenarioBuilder::new("t")
        .semaphore("db pool", 2)
        .event("go", false)
        .event("ready", true)
        .condition("c")
        .workload(
            WorkloadBuilder::new("w")
                .tasks(2)
                .per_task_threads()
                .steps(vec![
                    step::lock("b", vec![step::lock("a", vec![step::io(MS)])]),
                    step::semaphore("db pool", vec![step::sleep(MS)]),
                    step::wait_event("ready"),
                    step::set_event("go"),
                    step::clear_event("go"),
                    step::notify("c"),
                    step::notify_n("c", 3),
                    step::notify_all("c"),
                ]),
        )
        .workload(
            WorkloadBuilder::new("v")
                .tasks(1)
                .steps(vec![step::wait("c")]),
        );
    let s = built(b);
    assert_eq!(s.locks, ["b", "a"]);
    assert_eq!(s, file(text));
}

#[test]
fn asyncio_with_to_thread_and_a_blocking_call() {
    let text = r#"
name = "t"
duration = "1s"
[[workload]]
name = "w"
repeat = "forever"
steps = [ { blocking_io = "1ms" }, { to_thread = true, steps = [ { cpu_nogil = "5ms" }, { blocking_io = "1ms" } ] } ]
[workload.run]
model = "asyncio"
workers = 3
[[workload]]
name = "u"
tasks = 5
steps = [ { sleep = "1ms" } ]
[workload.run]
model = "asyncio"
"#;
    let b = ScenarioBuilder::new("t")
        .duration(1_000 * MS)
        .workload(
            WorkloadBuilder::new("w")
                .forever()
                .asyncio()
                .workers(Workers::Fixed(3))
                .steps(vec![
                    step::blocking_io(MS),
                    step::to_thread(vec![step::cpu_nogil(5 * MS), step::blocking_io(MS)]),
                ]),
        )
        .workload(
            WorkloadBuilder::new("u")
                .tasks(5)
                .asyncio()
                .steps(vec![step::sleep(MS)]),
        );
    assert_eq!(built(b), file(text));
}

#[test]
fn sequential_processes_and_subinterpreters() {
    let text = r#"
name = "t"
[python]
version = "3.14"
[[workload]]
name = "plain"
tasks = 2
steps = [ { cpu = "1ms" } ]
[[workload]]
name = "seq"
tasks = 2
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "sequential"
[[workload]]
name = "pool"
tasks = 8
args_bytes = "1024B"
result_bytes = "2B"
memory = "1MB"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
workers = 2
api = "executor"
chunksize = 4
start_method = "spawn"
transfer = "shared_memory"
[[workload]]
name = "each"
tasks = 2
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
workers = "per-task"
[[workload]]
name = "sub"
tasks = 4
args_bytes = "10B"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "subinterpreters"
workers = 2
"#;
    let b = ScenarioBuilder::new("t")
        .python("version", "3.14")
        .workload(
            WorkloadBuilder::new("plain")
                .tasks(2)
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("seq")
                .tasks(2)
                .sequential()
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("pool")
                .tasks(8)
                .args_bytes(1024)
                .result_bytes(2)
                .memory(1_000_000)
                .processes(2)
                .api(ProcessApi::Executor)
                .chunksize(4)
                .start_method(StartMethod::Spawn)
                .transfer(Transfer::SharedMemory)
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("each")
                .tasks(2)
                .per_task_processes()
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("sub")
                .tasks(4)
                .args_bytes(10)
                .subinterpreters(2)
                .steps(vec![step::cpu(MS)]),
        );
    assert_eq!(built(b), file(text));
}

#[test]
fn pipeline_stages_queues_pipes_and_joins() {
    let text = r#"
name = "t"
[[workload]]
name = "a"
tasks = 4
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "b"
tasks = 4
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 1
[[workload]]
name = "join"
after = ["a", "b"]
queue = 2
steps = [ { io = "1ms" } ]
[workload.run]
model = "threads"
workers = 2
[[workload]]
name = "far"
after = "join"
channel = "pipe"
args_bytes = "100B"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "processes"
workers = 1
"#;
    let b = ScenarioBuilder::new("t")
        .workload(
            WorkloadBuilder::new("a")
                .tasks(4)
                .threads(1)
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("b")
                .tasks(4)
                .threads(1)
                .steps(vec![step::cpu(MS)]),
        )
        .workload(
            WorkloadBuilder::new("join")
                .after(["a", "b"], Some(2))
                .threads(2)
                .steps(vec![step::io(MS)]),
        )
        .workload(
            WorkloadBuilder::new("far")
                .after(["join"], None)
                .pipe()
                .args_bytes(100)
                .processes(1)
                .steps(vec![step::cpu(MS)]),
        );
    assert_eq!(built(b), file(text));
}

#[test]
fn invalid_scenarios_get_the_files_errors() {
    let to_thread = "name = \"t\"\n[[workload]]\nname = \"w\"\ntasks = 1\n\
                     steps = [ { to_thread = true, steps = [ { cpu = \"1ms\" } ] } ]\n\
                     [workload.run]\nmodel = \"threads\"\nworkers = 1\n";
    let b = one(WorkloadBuilder::new("w")
        .tasks(1)
        .threads(1)
        .steps(vec![step::to_thread(vec![step::cpu(MS)])]));
    let [a, b] = errors(to_thread, b);
    assert_eq!(a, b);
    assert_eq!(a.0, "`to_thread` steps are asyncio only");

    let semaphore = "name = \"t\"\n[[workload]]\nname = \"w\"\ntasks = 1\n\
                     steps = [ { semaphore = \"s\", steps = [ { cpu = \"1ms\" } ] } ]\n";
    let b = one(WorkloadBuilder::new("w")
        .tasks(1)
        .steps(vec![step::semaphore("s", vec![step::cpu(MS)])]));
    let [a, b] = errors(semaphore, b);
    assert_eq!(a, b);
    assert_eq!(a.0, "unknown semaphore `s`");

    let event = "name = \"t\"\n[conditions]\ngo = {}\n[[workload]]\nname = \"w\"\ntasks = 1\n\
                 steps = [ { wait_event = \"go\" } ]\n";
    let b = ScenarioBuilder::new("t").condition("go").workload(
        WorkloadBuilder::new("w")
            .tasks(1)
            .steps(vec![step::wait_event("go")]),
    );
    let [a, b] = errors(event, b);
    assert_eq!(a, b);
    assert_eq!(a.0, "unknown event `go`");

    let key = "name = \"t\"\n[python]\nswitch_intervals = \"1ms\"\n[[workload]]\nname = \"w\"\n\
               tasks = 1\nsteps = [ { cpu = \"1ms\" } ]\n";
    let b = ScenarioBuilder::new("t")
        .python("switch_intervals", Value::duration(MS))
        .workload(
            WorkloadBuilder::new("w")
                .tasks(1)
                .steps(vec![step::cpu(MS)]),
        );
    let [a, b] = errors(key, b);
    assert_eq!(a, b);

    let pipe = "name = \"t\"\n[[workload]]\nname = \"w\"\ntasks = 1\nchannel = \"pipe\"\n\
                steps = [ { cpu = \"1ms\" } ]\n";
    let b = one(WorkloadBuilder::new("w")
        .tasks(1)
        .pipe()
        .steps(vec![step::cpu(MS)]));
    let [a, b] = errors(pipe, b);
    assert_eq!(a, b);
    assert_eq!(
        a.0,
        "`channel` is how a stage's items reach it: it needs `after`"
    );

    let no_steps = "name = \"t\"\n[[workload]]\nname = \"w\"\ntasks = 1\n";
    let [a, b] = errors(no_steps, one(WorkloadBuilder::new("w").tasks(1)));
    assert_eq!(a, b);
    assert_eq!(a.0, "missing required key `steps` in workload `w`");
}

#[test]
fn floats_and_rates_read_back_exactly() {
    for sigma in [0.1 + 0.2, 1e-7, 1.0, 0.0, 123_456.789_012_345_6, 1e300] {
        let s = built(one(WorkloadBuilder::new("w")
            .tasks(1)
            .steps(vec![step::cpu(Dist::LogNormal { median: MS, sigma })])));
        assert_eq!(
            s.workloads[0].steps[0],
            crate::workload::Step::Cpu(Dist::LogNormal { median: MS, sigma })
        );
    }
    for rate in [300.0, 2.5, 0.1, 1234.5678, 1e-5] {
        let s = built(
            one(WorkloadBuilder::new("w")
                .rate(rate)
                .steps(vec![step::cpu(MS)]))
            .duration(MS),
        );
        assert_eq!(s.workloads[0].arrival, crate::workload::Arrival::Rate(rate));
    }
}

#[test]
fn overrides_render_what_set_takes() {
    assert_eq!(
        Override::new("machine.cores", 4).to_arg(),
        "machine.cores=4"
    );
    assert_eq!(
        Override::workload("w", "run.workers", "unlimited").to_arg(),
        "workload.w.run.workers=\"unlimited\""
    );
    assert_eq!(
        Override::sweep("workload.w.run.model", vec!["threads".into()]).to_arg(),
        "sweep.workload.w.run.model=[\"threads\"]"
    );
    assert_eq!(
        Override::new("python.switch_interval", Value::duration(MS)).to_string(),
        "python.switch_interval=\"1000000ns\""
    );
    assert_eq!(
        Override::text("python.build", "free-threaded").to_arg(),
        "python.build=free-threaded"
    );
    // An override read by `--set` is the key set in the builder.
    let w = || {
        WorkloadBuilder::new("w")
            .tasks(4)
            .threads(1)
            .steps(vec![step::cpu(MS)])
    };
    let sets = args(&[
        Override::workload("w", "run.workers", 3),
        Override::new("machine.context_switch", Dist::Exp { mean: 3 * US }),
    ]);
    let set = ScenarioBuilder::new("t")
        .workload(w())
        .path("t.toml")
        .build_with(&Reader::new(&sets));
    let direct = ScenarioBuilder::new("t")
        .machine("context_switch", Dist::Exp { mean: 3 * US })
        .workload(w().threads(3));
    assert_eq!(set.ok(), Some(built(direct)));
}
