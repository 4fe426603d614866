//! Law: deployment shapes (docs/MODEL.md#shapes). Worker processes each
//! have their own GIL: pure-Python CPU scales with processes up to the
//! cores and not with threads in one process; an I/O-bound handler scales
//! with threads per process; `accept` hands a connection to a free worker,
//! `round-robin` and `reuseport` to a process whether it is busy or not.

use crate::common::*;
use gilsim::simulation::RunOutput;

const SHAPE: &str = r#"
name = "shape"
seed = 11
duration = "6s"
[machine]
cores = 4
[python]
version = "3.12"
[[workload]]
name = "web"
rate = "300/s"
steps = [ { cpu = "10ms" } ]
[workload.run]
model = "processes"
workers = 4
per_process = { model = "threads", workers = 8 }
"#;

fn run(sets: &[&str]) -> RunOutput {
    let o = simulate(&scenario_with(SHAPE, sets));
    assert_single_holder(&o);
    o
}

#[test]
fn cpu_scales_with_processes_not_with_threads_in_one_process() {
    let four = run(&[]);
    let one = run(&[
        "workload.web.run.workers=1",
        "workload.web.run.per_process.workers=32",
    ]);
    let (f, o) = (&four.workloads[0], &one.workloads[0]);
    println!(
        "4x8: {:.1}/s cpu {:.2}; 1x32: {:.1}/s cpu {:.2}",
        f.throughput_per_s, f.cpu_utilization, o.throughput_per_s, o.cpu_utilization
    );
    assert_eq!(f.workers, "4x8 threads");
    assert_eq!(o.workers, "1x32 threads");
    // 300/s × 10 ms = 3 cores of Python, in four interpreters.
    assert!(f.throughput_per_s > 280.0, "{}", f.throughput_per_s);
    assert!(f.cpu_utilization > 0.7, "{}", f.cpu_utilization);
    // One GIL: one core of the four, about 100 requests a second.
    assert!(o.cpu_utilization < 0.27, "{}", o.cpu_utilization);
    assert!(o.throughput_per_s < 105.0, "{}", o.throughput_per_s);
    // Every process's GIL was used: the main one and four workers'.
    let logs = four.gil_logs.as_ref().expect("recorded");
    assert_eq!(logs.len(), 5);
    assert!(logs[1..].iter().all(|l| !l.is_empty()));
}

#[test]
fn io_bound_handlers_scale_with_threads_per_process() {
    let io = [
        "workload.web.steps=[{cpu=\"1ms\"},{io=\"50ms\"}]",
        "workload.web.rate=150/s",
    ];
    let tput = |threads: u32| {
        let t = format!("workload.web.run.per_process.workers={threads}");
        let mut sets = vec!["workload.web.run.workers=2", t.as_str()];
        sets.extend(io);
        run(&sets).workloads[0].throughput_per_s
    };
    let (two, eight) = (tput(2), tput(8));
    println!("2x2: {two:.1}/s, 2x8: {eight:.1}/s");
    // 2 processes × 2 threads hold 4 requests of 51 ms: at most 78/s.
    assert!(two < 80.0, "{two}");
    assert!(eight > 140.0, "{eight}");
}

fn balanced(balance: &str) -> RunOutput {
    let b = format!("workload.web.run.balance={balance}");
    run(&[
        "workload.web.run.per_process={model=\"sequential\"}",
        "workload.web.steps=[{cpu={exp=\"10ms\"}}]",
        "workload.web.rate=320/s",
        b.as_str(),
    ])
}

#[test]
fn accept_hands_requests_to_idle_workers_round_robin_and_reuseport_do_not() {
    let accept = balanced("accept");
    let rr = balanced("round-robin");
    let hash = balanced("reuseport");
    let p99 = |o: &RunOutput| o.workloads[0].latency_ms.expect("latency")[3];
    let counts = |o: &RunOutput| o.accepted[0].clone().expect("a shape");
    println!(
        "p99: accept {:.1} ms {:?}, round-robin {:.1} ms {:?}, reuseport {:.1} ms {:?}",
        p99(&accept),
        counts(&accept),
        p99(&rr),
        counts(&rr),
        p99(&hash),
        counts(&hash)
    );
    // Dealt in turn: the counts differ by at most one.
    let c = counts(&rr);
    assert!(
        c.iter().max().unwrap() - c.iter().min().unwrap() <= 1,
        "{c:?}"
    );
    // One queue in front of four idle-seeking workers against four queues.
    assert!(
        p99(&accept) * 2.0 < p99(&rr),
        "{} {}",
        p99(&accept),
        p99(&rr)
    );
    assert!(p99(&rr) < p99(&hash), "{} {}", p99(&rr), p99(&hash));
    let c = counts(&hash);
    assert!(
        c.iter().max().unwrap() - c.iter().min().unwrap() > 1,
        "{c:?}"
    );
    for o in [&accept, &rr, &hash] {
        assert!(o.workloads[0].throughput_per_s > 300.0);
    }
}

#[test]
fn preload_shares_the_app_between_workers() {
    let rss = |preload: bool| {
        let p = format!("workload.web.run.preload={preload}");
        run(&["workload.web.run.app_memory=\"100MB\"", p.as_str()]).workloads[0].peak_rss_mb
    };
    let (shared, private) = (rss(true), rss(false));
    println!("preload {shared:.1} MB, no preload {private:.1} MB");
    // Four workers import it without preload, the master once with it.
    assert!((private - shared - 300.0).abs() < 1.0, "{private} {shared}");
}

#[test]
fn a_shape_is_deterministic() {
    let a = balanced("reuseport");
    let b = balanced("reuseport");
    assert_eq!(a, b);
}

#[test]
fn shape_keys_are_refused_where_they_do_not_apply() {
    let err_in = |text: &str, sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        match gilsim::scenario::parse_str(text, std::path::Path::new("test.toml"), &sets) {
            Ok(_) => panic!("{sets:?} was accepted"),
            Err(e) => e.to_string(),
        }
    };
    let err = |sets: &[&str]| err_in(SHAPE, sets);
    let e = err(&["workload.web.run.model=threads"]);
    assert!(
        e.contains("`per_process` applies to a deployment shape"),
        "{e}"
    );
    let e = err(&["workload.web.run.api=executor"]);
    assert!(e.contains("`api` shapes a multiprocessing pool"), "{e}");
    let e = err(&["workload.web.run.balance=hash"]);
    assert!(e.contains("unknown balance \"hash\""), "{e}");
    let e = err(&["workload.web.run.per_process.model=greenlets"]);
    assert!(e.contains("unknown per_process model `greenlets`"), "{e}");
    let e = err(&["workload.web.steps=[{lock=\"l\",steps=[{cpu=\"1ms\"}]}]"]);
    assert!(e.contains("`lock` steps in a deployment shape"), "{e}");
    let e = err_in(
        &SHAPE.replace("rate = \"300/s\"", "repeat = \"forever\""),
        &[],
    );
    assert!(e.contains("`repeat` on a deployment shape"), "{e}");
}

/// The same workload written as a plain run of `model`.
fn plain(model: &str, workers: &str) -> String {
    SHAPE
        .replace("model = \"processes\"", &format!("model = \"{model}\""))
        .replace("workers = 4\n", &format!("workers = {workers}\n"))
        .replace("per_process = { model = \"threads\", workers = 8 }\n", "")
}

#[test]
fn one_process_runs_what_the_plain_model_runs() {
    let io = "workload.web.steps=[{cpu=\"2ms\"},{io={exp=\"30ms\"}},{cpu=\"2ms\"}]";
    let rate = "workload.web.rate=150/s";
    // A thread pool inside one worker process draws what the pool draws.
    let threads = simulate(&scenario_with(&plain("threads", "8"), &[io, rate]));
    let shape = run(&["workload.web.run.workers=1", io, rate]);
    let (a, b) = (&threads.workloads[0], &shape.workloads[0]);
    assert_eq!(a.tasks_completed, b.tasks_completed);
    assert_eq!(a.latency_ms, b.latency_ms);
    // An event loop in one worker process: its own loop-cost stream, so
    // close rather than equal.
    let aio = simulate(&scenario_with(
        &plain("asyncio", "\"unlimited\""),
        &[io, rate],
    ));
    let one = run(&[
        "workload.web.run.workers=1",
        "workload.web.run.per_process={model=\"asyncio\"}",
        io,
        rate,
    ]);
    let p = |o: &RunOutput| o.workloads[0].latency_ms.expect("latency");
    println!("asyncio {:?}, 1x asyncio {:?}", p(&aio), p(&one));
    assert_eq!(one.workloads[0].workers, "1x asyncio");
    assert!((p(&aio)[0] / p(&one)[0] - 1.0).abs() < 0.05);
}

#[test]
fn event_loops_in_processes_scale_cpu_with_processes() {
    let aio = |n: &str| {
        let n = format!("workload.web.run.workers={n}");
        run(&[
            n.as_str(),
            "workload.web.run.per_process={model=\"asyncio\"}",
        ])
        .workloads[0]
            .clone()
    };
    let (one, four) = (aio("1"), aio("4"));
    println!(
        "1x asyncio {:.1}/s, 4x asyncio {:.1}/s",
        one.throughput_per_s, four.throughput_per_s
    );
    assert!(one.throughput_per_s < 105.0, "{}", one.throughput_per_s);
    assert!(four.throughput_per_s > 280.0, "{}", four.throughput_per_s);
    assert_eq!(four.workers, "4x asyncio");
}

#[test]
fn the_accept_queue_is_served_oldest_first() {
    // Overloaded: 4 loops admit 2 requests each, 8 × 1/34 ms ≈ 235/s < 600/s.
    let o = run(&[
        "workload.web.run.per_process={model=\"asyncio\",workers=2}",
        "workload.web.steps=[{cpu=\"2ms\"},{io=\"30ms\"},{cpu=\"2ms\"}]",
        "workload.web.rate=600/s",
    ]);
    let w = &o.workloads[0];
    let l = w.latency_ms.expect("latency");
    println!("{:.1}/s, latency {l:?}", w.throughput_per_s);
    assert!(w.throughput_per_s < 260.0);
    // Served in arrival order, the waits grow with the backlog: seconds, not
    // the 34 ms a request takes once accepted.
    assert!(l[1] > 1000.0, "{l:?}");
}

#[test]
fn compare_ranks_shapes_and_one_process_matches_its_thread_pool() {
    use gilsim::compare::{self, CompareArgs, Goal, parse_shapes};
    let dir = tempfile::tempdir().unwrap();
    let io = "workload.web.steps=[{cpu=\"2ms\"},{io={exp=\"20ms\"}},{cpu=\"2ms\"}]";
    let report = compare::render(&CompareArgs {
        file: "shape.toml".into(),
        source: Some(SHAPE.to_string()),
        models: Some(vec!["threads".into()]),
        workers: Some(vec![16]),
        shapes: Some(parse_shapes("1x16threads, 4x8threads, 4xasyncio, 8xsync").unwrap()),
        replications: Some(1),
        goal: Goal::Latency,
        out: Some(dir.path().to_path_buf()),
        overrides: vec![io.into(), "duration=3s".into()],
        svg_only: true,
        ..CompareArgs::default()
    })
    .unwrap_or_else(|e| panic!("{}", e.message()))
    .0;
    let by = |label: &str| {
        report
            .candidates
            .iter()
            .find(|c| c.label() == label)
            .and_then(|c| c.metrics.clone())
            .unwrap_or_else(|| panic!("no {label}: {}", report.text))
    };
    println!("{}", report.text);
    // One worker process running a pool of 16 is the pool of 16.
    let (pool, one) = (by("threads ×16"), by("1x16 threads"));
    assert_eq!(pool.throughput, one.throughput);
    assert_eq!(pool.p99_ms, one.p99_ms);
    // 300/s × 4 ms of Python: one GIL cannot keep up, four can.
    assert!(one.throughput.0 < 260.0, "{:?}", one.throughput);
    for shape in ["4x8 threads", "4x asyncio"] {
        let m = by(shape);
        assert!(m.throughput.0 > 280.0, "{shape} {:?}", m.throughput);
        assert!(m.p99_ms.unwrap().0 < one.p99_ms.unwrap().0 / 5.0);
    }
    assert!(report.text.contains("4x asyncio"));
    assert!(parse_shapes("4x0threads").is_err());
    assert!(parse_shapes("8xthreads").is_err());
    assert_eq!(
        parse_shapes("2 × 100 asyncio").unwrap(),
        vec![(2, gilsim::workload::PerProcess::Asyncio(Some(100)))]
    );
}

#[test]
fn a_shape_s_timeline_has_a_lane_per_thread_in_its_process() {
    for shape in [
        "workload.web.run.per_process={model=\"asyncio\"}",
        "workload.web.run.per_process={model=\"threads\",workers=3}",
        "workload.web.run.per_process={model=\"sequential\"}",
    ] {
        let s = scenario_with(SHAPE, &[shape, "workload.web.run.workers=2"]);
        let o = simulate_traced(&s, 0, 200_000_000);
        assert_timeline_invariants(&s, &o);
        let t = o.timeline.as_ref().unwrap();
        // The main interpreter and one per worker process.
        assert_eq!(t.gils.len(), 3, "{shape}");
        let interps: std::collections::BTreeSet<usize> =
            t.threads.iter().map(|l| l.interpreter).collect();
        assert_eq!(interps, [1, 2].into_iter().collect(), "{shape}");
    }
}
