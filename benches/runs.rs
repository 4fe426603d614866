//! Whole runs under criterion: the four scenarios the performance work is
//! measured on, each simulated once per iteration (no files written).
//! Run with `cargo bench --bench runs`; `benches/engine.rs` reports the
//! same kind of runs as events per second, and `benches/peers/` against
//! SimPy and AsyncFlow.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use gilsim::scenario::parse_str;
use gilsim::simulation::{RunOptions, run};

const SCENARIOS: [(&str, &str); 4] = [
    (
        "contended: 8 CPU threads, 4 cores, 1 s",
        r#"
name = "contended"
duration = "1s"
[machine]
cores = 4
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 8
"#,
    ),
    (
        "open loop: 2000/s on 16 threads, 1 s",
        r#"
name = "open-loop"
duration = "1s"
[machine]
cores = 4
[[workload]]
name = "requests"
rate = "2000/s"
steps = [ { cpu = "200us" }, { io = { exp = "5ms" } }, { cpu = "100us" } ]
[workload.run]
model = "threads"
workers = 16
"#,
    ),
    (
        "M/M/4 on a process pool of 4, 1,000 s",
        r#"
name = "mm4"
duration = "1000s"
[machine]
cores = 4
[[workload]]
name = "jobs"
rate = "3.2/s"
steps = [ { cpu = { exp = "1s" } } ]
[workload.run]
model = "processes"
workers = 4
"#,
    ),
    (
        "asyncio loop: 300/s, 2 ms CPU + 20 ms I/O + 1 ms CPU, 10 s",
        r#"
name = "loop"
duration = "10s"
[machine]
cores = 1
[[workload]]
name = "req"
rate = "300/s"
steps = [ { cpu = "2ms" }, { io = "20ms" }, { cpu = "1ms" } ]
[workload.run]
model = "asyncio"
"#,
    ),
];

fn runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    for (name, toml) in SCENARIOS {
        let scenario =
            parse_str(toml, Path::new("bench.toml"), &[]).unwrap_or_else(|e| panic!("{e}"));
        group.bench_function(name, |b| {
            b.iter(|| {
                run(&scenario, scenario.seed, RunOptions::default())
                    .unwrap_or_else(|d| panic!("{d:?}"))
                    .events
            })
        });
    }
    group.finish();
}

criterion_group!(benches, runs);
criterion_main!(benches);
