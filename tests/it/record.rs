//! `gilsim record` (issue 21): the scenario written from a canned probe
//! output (pure Rust), the user errors (exit 2, naming what failed; these
//! call `python3`), and a recorded scenario that runs under every model.

use std::path::{Path, PathBuf};
use std::process::Command;

use gilsim::engine::random::Dist;
use gilsim::record::measure::Recording;
use gilsim::record::phases::Kind;
use gilsim::record::writer::{Source, scenario_text};
use gilsim::record::{analyse, check};
use gilsim::simulation::{RunOptions, run};
use serde_json::{Value, json};

const MS: u64 = 1_000_000;

/// One call as the probe reports it: Python 2 ms, `zlib.compress` 10 ms
/// (the knocker ran during it), Python 1 ms, `sorted` 5 ms (it did not),
/// `time.sleep` 3 ms, `socket.recv` 4 ms, Python 1 ms, all times `f`;
/// the profiled pass's Python is 3x slower than the clean pass's.
fn call(start: u64, f: f64, ticks: &mut Vec<u64>) -> Value {
    let d = |ms: f64| (ms * f * MS as f64) as u64;
    let (mut t, mut c) = (start, 1_000 * MS + start);
    let (t_start, c_start) = (t, c);
    let mut c_calls = Vec::new();
    let python = |t: &mut u64, c: &mut u64, ms: f64| {
        *t += 3 * d(ms);
        *c += 3 * d(ms);
    };
    python(&mut t, &mut c, 2.0);
    let (t0, c0) = (t, c);
    t += d(10.0);
    c += d(10.0);
    ticks.extend((1..20).map(|i| t0 + i * (t - t0) / 20));
    c_calls.push(json!([t0, t, c0, c, "zlib.compress"]));
    python(&mut t, &mut c, 1.0);
    let (t0, c0) = (t, c);
    t += d(5.0);
    c += d(5.0);
    c_calls.push(json!([t0, t, c0, c, "builtins.sorted"]));
    let (t0, c0) = (t, c);
    t += d(3.0);
    c += 10_000;
    c_calls.push(json!([t0, t, c0, c, "time.sleep"]));
    let (t0, c0) = (t, c);
    t += d(4.0);
    c += 20_000;
    c_calls.push(json!([t0, t, c0, c, "socket.socket.recv"]));
    // One long dict.get of a thousand: preempted, not a C phase.
    let (t0, c0) = (t, c);
    t += 200_000;
    c_calls.push(json!([t0, t, c0, c, "dict.get"]));
    python(&mut t, &mut c, 1.0);
    let cpu = d(2.0) + d(10.0) + d(1.0) + d(5.0) + 30_000 + d(1.0);
    json!({
        "wall": cpu + d(7.0), "thread_cpu": cpu, "blocked": d(7.0),
        "start": t_start, "end": t, "cpu_start": c_start, "cpu_end": c,
        "c_calls": c_calls,
        // Beside a thread that always wants the GIL, at intervals of 20
        // and 60 ms, zlib.compress waited 4 intervals and 30 ms of the
        // machine's delays: 3 retakes and its return.
        "retakes": [["zlib.compress", d(10.0) + 80 * MS + 30 * MS, d(10.0)],
                    ["builtins.sorted", d(5.0) + 2 * MS, d(5.0)]],
        "retakes_long": [["zlib.compress", d(10.0) + 240 * MS + 33 * MS, d(10.0)],
                         ["builtins.sorted", d(5.0) + 3 * MS, d(5.0)]],
        "args_bytes": 1000, "args_dumps_ns": 2000, "args_loads_ns": 3000,
        "result_bytes": 100, "result_dumps_ns": 1100, "result_loads_ns": 1200,
        "peak_alloc": 50_000, "written": 4096,
    })
}

fn canned() -> Recording {
    let mut ticks = Vec::new();
    let calls: Vec<Value> = [1.0, 1.1, 0.9, 1.2]
        .iter()
        .enumerate()
        .map(|(i, &f)| call(i as u64 * 1_000 * MS, f, &mut ticks))
        .collect();
    let out = json!({
        "python": "3.11.7", "executable": "/usr/bin/python3", "free_threaded": false,
        "cores": 2, "items": 4, "items_held_bytes": 8000, "warmup_ns": 30 * MS,
        "knock_period_ns": 500_000, "tiny_pickle": [20, 1000, 1000],
        "retake_intervals_ns": [20 * MS, 60 * MS],
        "ticks": ticks, "c_call_counts": {"zlib.compress": 4, "builtins.sorted": 4,
            "time.sleep": 4, "socket.socket.recv": 4, "dict.get": 4000},
        "calls": calls,
    });
    Recording::from_json(out.as_object().expect("an object")).expect("a valid recording")
}

#[test]
fn the_canned_recording_becomes_ordered_steps_with_their_means() {
    let rec = canned();
    let (functions, steps) = analyse(&rec);
    let kind = |name: &str| {
        functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.kind)
    };
    assert_eq!(kind("zlib.compress"), Some(Kind::CpuNogil));
    assert_eq!(kind("builtins.sorted"), Some(Kind::CpuHeld));
    assert_eq!(kind("time.sleep"), Some(Kind::Sleep));
    assert_eq!(kind("socket.socket.recv"), Some(Kind::Io));
    assert_eq!(kind("dict.get"), None, "1 long call of 4000 is noise");
    let kinds: Vec<Kind> = steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Cpu,
            Kind::CpuNogil,
            Kind::Cpu,
            Kind::CpuHeld,
            Kind::Sleep,
            Kind::Io,
            Kind::Cpu
        ]
    );
    // Means over the four calls (factors 1.0, 1.1, 0.9, 1.2: mean 1.05),
    // Python at the clean pass's CPU, not the profiled pass's 3x.
    let expected = [2.0, 10.0, 1.0, 5.0, 3.0, 4.0, 1.0];
    for (s, ms) in steps.iter().zip(expected) {
        let want = ms * 1.05 * MS as f64;
        let got = s.dist.mean();
        assert!(
            (got - want).abs() / want < 0.03,
            "{:?}: mean {got} ns, expected about {want}",
            s.kind
        );
        assert!(
            matches!(s.dist, Dist::LogNormal { sigma, .. } if sigma > 0.05 && sigma < 0.3),
            "{:?} keeps the calls' spread: {:?}",
            s.kind,
            s.dist
        );
    }
    let retakes: Vec<u64> = steps.iter().map(|s| s.retakes).collect();
    assert_eq!(
        retakes,
        [0, 3, 0, 0, 0, 0, 0],
        "zlib.compress took the GIL back 3 times"
    );
    let (dumps, loads) = rec.pickle_rates().expect("pickled bytes");
    assert!(
        (dumps - (1000.0 + 100.0) * 4.0 / 4400.0).abs() < 1e-9,
        "{dumps}"
    );
    assert!(
        (loads - (2000.0 + 200.0) * 4.0 / 4400.0).abs() < 1e-9,
        "{loads}"
    );
}

#[test]
fn a_c_call_slowed_by_other_processes_is_not_a_wait() {
    // On a busy machine zlib.compress got less than half a core: CPU 45% of its wall
    // in every call, like a wait by its CPU share. The calls were blocked
    // only for the sleep and the recv (7 ms each): it computed.
    let mut rec = canned();
    for call in &mut rec.calls {
        let c = &mut call.c_calls[0];
        assert_eq!(c.name, "zlib.compress");
        c.t1 += (c.t1 - c.t0) * 6 / 5;
    }
    let (functions, _) = analyse(&rec);
    let kind = |name: &str| {
        functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.kind)
    };
    assert_eq!(kind("zlib.compress"), Some(Kind::CpuNogil));
    assert_eq!(kind("time.sleep"), Some(Kind::Sleep));
    assert_eq!(kind("socket.socket.recv"), Some(Kind::Io));
    // Without the time blocked (not Linux), the CPU share decides alone.
    for call in &mut rec.calls {
        call.blocked = None;
    }
    let (functions, _) = analyse(&rec);
    let kind = |name: &str| {
        functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.kind)
    };
    assert_eq!(kind("zlib.compress"), Some(Kind::Io));
}

fn written(rec: &Recording) -> String {
    let (functions, steps) = analyse(rec);
    scenario_text(&Source {
        target: "jobs:parse_page",
        items: "jobs:pages",
        path: Path::new("."),
        profile: None,
        rec,
        steps: &steps,
        functions: &functions,
        version: "3.11".into(),
        out: Path::new("output/record/parse_page.toml"),
    })
}

#[test]
fn the_written_scenario_is_a_sequential_batch_that_runs_under_every_model() {
    let rec = canned();
    let text = written(&rec);
    assert!(
        text.starts_with("# gilsim record jobs:parse_page --items jobs:pages"),
        "{text}"
    );
    assert!(
        text.contains("gilsim compare output/record/parse_page.toml"),
        "{text}"
    );
    assert!(
        !text.contains("duration"),
        "a batch has no duration:\n{text}"
    );
    let path = Path::new("output/record/parse_page.toml");
    let s = check::load(&text, path, &[]).expect("the written scenario loads");
    assert_eq!(s.name, "record-parse-page");
    assert_eq!(s.machine.cores, 2);
    assert_eq!(s.python.version.to_string(), "3.11");
    let w = &s.workloads[0];
    assert_eq!(w.name, "parse-page", "`_` becomes `-`");
    assert_eq!(w.model.name(), "sequential");
    let sequential = run(&s, 1, RunOptions::default()).expect("it runs");
    let makespan = sequential.workloads[0].sim_time_s;
    assert_eq!(sequential.workloads[0].tasks_completed, 4);
    // Four calls of 26 ms × 1.05 on average, one after another.
    assert!((makespan - 4.0 * 26e-3 * 1.05).abs() < 0.015, "{makespan}");
    for (model, extra) in [
        (
            "threads",
            vec!["workload.parse-page.run.workers=4".to_string()],
        ),
        (
            "processes",
            check::overrides("parse-page", "processes", 2, "fork"),
        ),
        ("asyncio", vec![]),
    ] {
        let mut o = vec![format!("workload.parse-page.run.model={model}")];
        o.extend(extra);
        let s = check::load(&text, path, &o).unwrap_or_else(|e| panic!("{model}: {e}"));
        let out = run(&s, 1, RunOptions::default()).unwrap_or_else(|e| panic!("{model}: {e:?}"));
        let w = &out.workloads[0];
        assert_eq!(w.tasks_completed, 4, "{model}");
        if model != "asyncio" {
            assert!(
                w.sim_time_s < makespan,
                "{model} overlaps the waits: {} s",
                w.sim_time_s
            );
        }
    }
}

fn gilsim(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("gilsim runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilsim-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    std::fs::write(
        dir.join("jobs.py"),
        "import hashlib, time\n\
         def items():\n    return [bytes(50_000) for _ in range(3)]\n\
         def work(buf):\n    time.sleep(0.002)\n    return hashlib.sha256(buf).hexdigest()\n\
         def raises(buf):\n    if len(items_seen) == 2:\n        raise ValueError('bad item')\n    items_seen.append(1)\n\
         items_seen = []\n",
    )
    .expect("a module");
    std::fs::write(dir.join("broken.py"), "import no_such_module_gilsim\n").expect("a module");
    dir
}

#[test]
fn a_recording_writes_a_scenario_that_loads() {
    let dir = project("ok");
    let (code, out, err) = gilsim(&["record", "jobs:work", "--items", "jobs:items"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    let file = dir.join("output/record/work.toml");
    let text = std::fs::read_to_string(&file).expect("the scenario is written");
    assert!(out.contains("wrote output/record/work.toml"), "{out}");
    let s = check::load(&text, &file, &[]).expect("it loads");
    let kinds: Vec<&str> = s.workloads[0]
        .steps
        .iter()
        .map(|st| match st {
            gilsim::workload::Step::Cpu(_) => "cpu",
            gilsim::workload::Step::CpuNogil(_) => "cpu_nogil",
            gilsim::workload::Step::CpuHeld(_) => "cpu_held",
            gilsim::workload::Step::Sleep(_) => "sleep",
            gilsim::workload::Step::Io(_) => "io",
            _ => "other",
        })
        .collect();
    assert!(
        kinds.contains(&"sleep"),
        "time.sleep(2 ms) is a sleep step: {kinds:?}\n{text}"
    );
    assert!(
        matches!(s.workloads[0].arrival, gilsim::workload::Arrival::Batch(3)),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_errors_exit_2_naming_what_failed() {
    let dir = project("errors");
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["record", "jobs:raises", "--items", "jobs:items"],
            &["`jobs:raises` raised on item", "ValueError: bad item"],
        ),
        (
            &["record", "jobs:work", "--items", "jobs:no_items"],
            &["has no items function `no_items`"],
        ),
        (
            &["record", "broken:work", "--items", "broken:items"],
            &["cannot import module `broken`", "no_such_module_gilsim"],
        ),
        (
            &["record", "jobs.work", "--items", "jobs:items"],
            &["function `jobs.work` is not MODULE:FUNCTION"],
        ),
        (
            &[
                "record",
                "jobs:work",
                "--items",
                "jobs:items",
                "--python",
                "/no/such/python3",
            ],
            &["python not found", "/no/such/python3"],
        ),
    ];
    for (args, needles) in cases {
        let (code, out, err) = gilsim(args, &dir);
        assert_eq!(code, 2, "{args:?}: exit {code}\n{out}{err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: stderr lacks {n:?}:\n{err}");
        }
    }
    assert!(
        !dir.join("output").exists(),
        "nothing is written on an error"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
