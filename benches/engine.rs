//! Engine throughput: simulated events per second of wall time, and peak
//! memory against simulated duration. Run with `cargo bench --bench engine`.
//!
//! (a) GIL contention: 8 CPU-bound threads on 4 cores for 10 simulated seconds.
//! (b) Open loop: Poisson arrivals at 2,000/s on a pool of 16 threads doing
//!     CPU and I/O, for 10 simulated seconds.
//! Memory: (b) is run in child processes for 10 s and 100 s of simulated time
//! and their peak resident set sizes (VmHWM) are compared.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use gilsim::scenario::parse_str;
use gilsim::simulation::{RunOptions, run};

const CONTENDED: &str = r#"
name = "bench-contended"
duration = "10s"
[machine]
cores = 4
[[workload]]
name = "cpu"
repeat = "forever"
steps = [ { cpu = "1ms" } ]
[workload.run]
model = "threads"
workers = 8
"#;

const OPEN_LOOP: &str = r#"
name = "bench-open-loop"
duration = "10s"
[machine]
cores = 4
[[workload]]
name = "requests"
rate = "2000/s"
steps = [ { cpu = "200us" }, { io = { exp = "5ms" } }, { cpu = "100us" } ]
[workload.run]
model = "threads"
workers = 16
"#;

fn once(toml: &str, sets: &[String]) -> (u64, f64) {
    let scenario = parse_str(toml, Path::new("bench.toml"), sets).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let out =
        run(&scenario, scenario.seed, RunOptions::default()).unwrap_or_else(|d| panic!("{d:?}"));
    (out.events, start.elapsed().as_secs_f64())
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child mode: run the open-loop scenario for a duration and print the peak RSS.
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        let duration = &args[i + 1];
        let (events, _) = once(OPEN_LOOP, &[format!("duration={duration}")]);
        println!("{events} {}", peak_rss_kb());
        return;
    }
    for (label, toml) in [
        ("(a) 8 CPU threads, 4 cores, 10 s", CONTENDED),
        ("(b) open loop 2000/s, 16 threads, 10 s", OPEN_LOOP),
    ] {
        let mut walls = Vec::new();
        let mut events = 0;
        for _ in 0..7 {
            let (e, wall) = once(toml, &[]);
            events = e;
            walls.push(wall);
        }
        walls.sort_by(f64::total_cmp);
        // Events per second alone rewards empty events; the wall time of the
        // same simulated 10 s does not.
        println!(
            "{label}: {events} events; {:.2} M events/s (median of 7; min {:.2}, max {:.2}); \
             {:.2} ms per run, {:.0} simulated s per wall s",
            events as f64 / walls[3] / 1e6,
            events as f64 / walls[6] / 1e6,
            events as f64 / walls[0] / 1e6,
            walls[3] * 1e3,
            10.0 / walls[3]
        );
    }
    let exe = &args[0];
    let mut peaks = Vec::new();
    for duration in ["10s", "100s"] {
        let out = Command::new(exe)
            .args(["--memory-child", duration])
            .output()
            .expect("run child");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        let events: u64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let kb: u64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        println!("(b) for {duration}: {events} events, peak RSS {kb} kB");
        peaks.push(kb as f64);
    }
    if peaks[0] > 0.0 {
        println!(
            "peak RSS, 100 s against 10 s of simulated time: {:+.1}%",
            (peaks[1] / peaks[0] - 1.0) * 100.0
        );
    }
}
