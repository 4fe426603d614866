//! Helpers shared by the integration tests: scenarios from TOML text or
//! from the scenario builder, one-run shortcuts.
#![allow(dead_code)]

use std::path::Path;

pub use gilsim::scenario::builder::{Override, ScenarioBuilder, StepSpec, WorkloadBuilder, step};
use gilsim::scenario::{Reader, Scenario, parse_str};
use gilsim::simulation::{RunOptions, RunOutput, run};

/// Parses a scenario from TOML text, panicking with the rendered diagnostic on error.
pub fn scenario(toml: &str) -> Scenario {
    match parse_str(toml, Path::new("test.toml"), &[]) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse:\n{e}"),
    }
}

/// Parses with `--set` overrides.
pub fn scenario_with(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match parse_str(toml, Path::new("test.toml"), &sets) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse:\n{e}"),
    }
}

/// A builder's scenario, read as `test.toml`, panicking with the rendered
/// diagnostic and the TOML on error.
pub fn build(b: ScenarioBuilder) -> Scenario {
    build_set(b, &[])
}

/// A builder's scenario with typed `--set` overrides applied, read as `test.toml`.
pub fn build_set(b: ScenarioBuilder, sets: &[Override]) -> Scenario {
    let b = b.path("test.toml");
    let sets = gilsim::scenario::builder::args(sets);
    match b.build_with(&Reader::new(&sets)) {
        Ok(s) => s,
        Err(e) => panic!("test scenario does not parse:\n{e}\n{}", b.to_toml()),
    }
}

/// `w` run on the model named `model` (`sequential`, `threads`,
/// `processes`, `asyncio` or `subinterpreters`) with `workers` workers.
pub fn on_model(w: WorkloadBuilder, model: &str, workers: u32) -> WorkloadBuilder {
    match model {
        "sequential" => w.sequential(),
        "threads" => w.threads(workers),
        "processes" => w.processes(workers),
        "asyncio" => w
            .asyncio()
            .workers(gilsim::workload::Workers::Fixed(workers)),
        "subinterpreters" => w.subinterpreters(workers),
        other => panic!("no model named {other}"),
    }
}

/// Runs once with the scenario's seed, recording GIL hand-offs.
pub fn simulate(s: &Scenario) -> RunOutput {
    match run(
        s,
        s.seed,
        RunOptions {
            record_gil: true,
            drain: true,
            ..RunOptions::default()
        },
    ) {
        Ok(o) => o,
        Err(d) => panic!("unexpected deadlock: {d:?}"),
    }
}

/// Throughput of the named workload.
pub fn throughput(o: &RunOutput, workload: &str) -> f64 {
    o.workloads
        .iter()
        .find(|w| w.workload == workload)
        .map(|w| w.throughput_per_s)
        .unwrap_or_else(|| panic!("no workload {workload}"))
}

/// Checks that every interpreter's GIL log alternates acquire and release
/// and that each release is by the thread that acquired: never two holders
/// of one GIL at once.
pub fn assert_single_holder(o: &RunOutput) {
    let main = o.gil_log.as_ref().expect("GIL log recorded");
    let logs = o.gil_logs.as_ref().expect("GIL logs recorded");
    assert_eq!(&logs[0], main, "interpreter 0 is the main interpreter");
    for log in logs {
        assert_one_holder(log);
    }
}

fn assert_one_holder(log: &[(u64, usize, bool)]) {
    let mut holder: Option<usize> = None;
    let mut last_t = 0;
    for &(t, tid, acquired) in log {
        assert!(t >= last_t, "GIL log goes back in time");
        last_t = t;
        if acquired {
            assert_eq!(
                holder, None,
                "thread {tid} took the GIL at {t} while {holder:?} held it"
            );
            holder = Some(tid);
        } else {
            assert_eq!(
                holder,
                Some(tid),
                "thread {tid} released a GIL it did not hold at {t}"
            );
            holder = None;
        }
    }
}

/// Runs once with the scenario's seed, recording a timeline of `[start, end)`.
pub fn simulate_traced(s: &Scenario, start: u64, end: u64) -> RunOutput {
    match run(
        s,
        s.seed,
        RunOptions {
            record_gil: true,
            drain: true,
            trace_window: Some((start, end)),
            ..RunOptions::default()
        },
    ) {
        Ok(o) => o,
        Err(d) => panic!("unexpected deadlock: {d:?}"),
    }
}

/// Merges half-open `(start, end)` intervals into a sorted, disjoint list.
pub fn union(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    v.retain(|&(s, e)| s < e);
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// How much of `[s, e)` the disjoint sorted `set` covers.
pub fn covered(set: &[(u64, u64)], s: u64, e: u64) -> u64 {
    let from = set.partition_point(|&(_, end)| end <= s);
    set[from..]
        .iter()
        .take_while(|&&(start, _)| start < e)
        .map(|&(start, end)| end.min(e).saturating_sub(start.max(s)))
        .sum()
}

/// True when every interval of `a` lies inside the union `b`.
pub fn is_subset(a: &[(u64, u64)], b: &[(u64, u64)]) -> bool {
    a.iter().all(|&(s, e)| covered(b, s, e) == e - s)
}

/// Checks a recorded timeline against itself and the run's results:
/// lanes sorted, non-empty, non-overlapping, inside the window; thread
/// lanes gapless and canonical; running threads hold the GIL and a core; a
/// thread on one core at a time; drop requests made by a waiter against
/// another holder; and, when the window is the statistics window, core busy
/// time consistent with `cpu_utilization`.
pub fn assert_timeline_invariants(s: &Scenario, o: &RunOutput) {
    use gilsim::results::timeline::{CoreUse, Interval, ThreadState};
    let t = o.timeline.as_ref().expect("a timeline was recorded");
    assert!(
        t.end <= o.end.max(t.start),
        "the window is cut at the end of the run"
    );
    let stop = t.end;
    fn lane_ok<T: Copy + PartialEq + std::fmt::Debug>(
        name: &str,
        ivs: &[Interval<T>],
        start: u64,
        stop: u64,
    ) {
        let mut prev: Option<&Interval<T>> = None;
        for iv in ivs {
            assert!(iv.start < iv.end, "{name}: empty interval {iv:?}");
            assert!(
                iv.start >= start && iv.end <= stop,
                "{name}: {iv:?} outside [{start}, {stop})"
            );
            if let Some(p) = prev {
                assert!(p.end <= iv.start, "{name}: {p:?} overlaps {iv:?}");
                assert!(
                    p.end < iv.start || p.what != iv.what,
                    "{name}: {p:?} and {iv:?} should be one interval"
                );
            }
            prev = Some(iv);
        }
    }
    let gil_build = !t.gils.is_empty();
    assert_eq!(
        gil_build, s.python.gil_enabled,
        "one GIL lane iff the GIL is on"
    );
    assert_eq!(t.cores.len(), s.machine.cores as usize);
    assert_eq!(t.switch_interval, s.python.switch_interval());
    for (i, c) in t.cores.iter().enumerate() {
        assert_eq!(c.core, i);
        lane_ok(&format!("core {i}"), &c.intervals, t.start, stop);
    }
    for (i, g) in t.gils.iter().enumerate() {
        assert_eq!(g.interpreter, i, "GIL lanes by interpreter");
        lane_ok("GIL", &g.intervals, t.start, stop);
    }
    let mut labels = std::collections::BTreeSet::new();
    for (i, lane) in t.threads.iter().enumerate() {
        assert_eq!(lane.tid, i, "lane ids are indices");
        let processes = s.workloads.iter().any(|w| {
            matches!(
                w.model,
                gilsim::workload::Model::Processes(_)
                    | gilsim::workload::Model::Subinterpreters(_)
                    | gilsim::workload::Model::Shape(_)
            )
        });
        if processes {
            assert!(
                !gil_build || lane.interpreter < t.gils.len(),
                "{}: interpreter {} has no GIL lane",
                lane.label,
                lane.interpreter
            );
        } else {
            assert_eq!(lane.interpreter, 0);
        }
        assert!(
            labels.insert(lane.label.clone()),
            "duplicate label {}",
            lane.label
        );
        let (workload, index) = lane.label.rsplit_once('/').expect("label workload/index");
        assert!(
            s.workloads.iter().any(|w| w.name == workload),
            "{}",
            lane.label
        );
        // The asyncio loop's threads: `NAME/event-loop`, `NAME/executor-K`.
        let loop_thread = index == "event-loop"
            || index
                .strip_prefix("executor-")
                .is_some_and(|k| k.parse::<u32>().is_ok());
        let asyncio = s
            .workloads
            .iter()
            .any(|w| w.model == gilsim::workload::Model::Asyncio);
        assert!(
            index.parse::<u32>().is_ok() || processes || (asyncio && loop_thread),
            "{}",
            lane.label
        );
        lane_ok(&lane.label, &lane.intervals, t.start, stop);
        for w in lane.intervals.windows(2) {
            assert_eq!(
                w[0].end, w[1].start,
                "{}: a live thread is always in some state",
                lane.label
            );
        }
        if !gil_build {
            assert!(
                lane.intervals
                    .iter()
                    .all(|iv| iv.what != ThreadState::WaitingGil)
            );
        }
    }
    // Cross-checks, per thread.
    let of = |lane: &gilsim::results::timeline::ThreadLane, states: &[ThreadState]| {
        union(
            lane.intervals
                .iter()
                .filter(|iv| states.contains(&iv.what))
                .map(|iv| (iv.start, iv.end))
                .collect(),
        )
    };
    for lane in &t.threads {
        let tid = lane.tid;
        let running = of(lane, &[ThreadState::Running]);
        let on_core = of(lane, &[ThreadState::Running, ThreadState::RunningNogil]);
        let waiting_core = of(lane, &[ThreadState::WaitingCore]);
        let mut on_cores = Vec::new();
        let mut core_running = Vec::new();
        let mut switching = Vec::new();
        for c in &t.cores {
            for iv in &c.intervals {
                match iv.what {
                    CoreUse::Thread(x) if x == tid => core_running.push((iv.start, iv.end)),
                    CoreUse::Switching(x) if x == tid => switching.push((iv.start, iv.end)),
                    _ => continue,
                }
                on_cores.push((iv.start, iv.end));
            }
        }
        let total: u64 = on_cores.iter().map(|(s, e)| e - s).sum();
        let merged = union(on_cores);
        assert_eq!(
            merged.iter().map(|(s, e)| e - s).sum::<u64>(),
            total,
            "{}: on two cores at once",
            lane.label
        );
        assert_eq!(
            union(core_running),
            on_core,
            "{}: running iff a core runs it",
            lane.label
        );
        assert!(
            is_subset(&union(switching), &waiting_core),
            "{}: switched in while not waiting for a core",
            lane.label
        );
        if gil_build {
            // Any interpreter's GIL: a subinterpreter worker moves between two.
            let held = union(
                t.gils
                    .iter()
                    .flat_map(|g| g.intervals.iter())
                    .filter(|iv| iv.what == tid)
                    .map(|iv| (iv.start, iv.end))
                    .collect(),
            );
            assert!(
                is_subset(&running, &held),
                "{}: running without the GIL",
                lane.label
            );
            let mut allowed = running.clone();
            allowed.extend(waiting_core.iter().copied());
            assert!(
                is_subset(&held, &union(allowed)),
                "{}: holds the GIL while neither running nor preempted",
                lane.label
            );
        }
    }
    // Drop requests: by a lane, in time order, in the window, against another holder.
    for w in t.marks.windows(2) {
        assert!(w[0].at <= w[1].at, "marks out of order");
    }
    for m in &t.marks {
        assert!(gil_build, "a drop request without a GIL");
        assert!(
            m.at >= t.start && m.at < stop,
            "mark {m:?} outside the window"
        );
        assert!(m.tid < t.threads.len(), "mark {m:?} of no lane");
        // Another thread holds the GIL at that instant. Events at the same
        // instant may hand it over right after the mark (the holder's burst
        // ending then), so an interval ending at the mark counts, and so does
        // a hold too short to leave an interval (zero-length steps), seen in the log.
        let held_by_other = t.gils[m.interpreter]
            .intervals
            .iter()
            .any(|iv| iv.start <= m.at && m.at <= iv.end && iv.what != m.tid);
        let logged = o
            .gil_log
            .as_ref()
            .is_some_and(|log| log.iter().any(|&(at, _, acquired)| at == m.at && acquired));
        assert!(
            held_by_other || logged,
            "drop request {m:?} with no other holder"
        );
    }
    // Busy core time against cpu_utilization, when the window is the statistics window.
    if t.start == s.window.warmup && t.end == o.end && o.end > t.start {
        let (mut run, mut switch) = (0u64, 0u64);
        for c in &t.cores {
            for iv in &c.intervals {
                match iv.what {
                    CoreUse::Thread(_) => run += iv.end - iv.start,
                    CoreUse::Switching(_) => switch += iv.end - iv.start,
                }
            }
        }
        let busy =
            o.workloads[0].cpu_utilization * f64::from(s.machine.cores) * (o.end - t.start) as f64;
        let slack = 1.0 + busy * 1e-9;
        assert!(
            run as f64 <= busy + slack && busy <= (run + switch) as f64 + slack,
            "busy {busy} ns outside [{run}, {}]",
            run + switch
        );
    }
}

/// Runs once recording the GIL and the asyncio loop's passes, callbacks and timers.
pub fn simulate_loop(s: &Scenario) -> RunOutput {
    match run(
        s,
        s.seed,
        RunOptions {
            record_gil: true,
            drain: true,
            record_loop: true,
            ..RunOptions::default()
        },
    ) {
        Ok(o) => o,
        Err(d) => panic!("unexpected deadlock: {d:?}"),
    }
}

/// The result row of workload `name`.
pub fn row<'a>(o: &'a RunOutput, name: &str) -> &'a gilsim::results::WorkloadResult {
    o.workloads
        .iter()
        .find(|w| w.workload == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

/// Little's law on a stage's queue in steady state: the mean number in it
/// equals its arrival rate (its departure rate) × the mean wait, within
/// `tolerance` of the mean number; the queue must form (more than 1 item).
#[allow(dead_code)]
pub fn assert_littles_law(r: &gilsim::results::WorkloadResult, tolerance: f64) {
    let q = r.queue.expect("queue figures");
    let wait_s = q.wait_mean_ms.expect("items waited") / 1e3;
    let lambda = r.throughput_per_s;
    let little = lambda * wait_s;
    assert!(q.len_mean > 1.0, "the queue forms: {q:?}");
    assert!(
        (q.len_mean - little).abs() <= tolerance * q.len_mean,
        "L = {:.4}, λW = {lambda:.2}/s × {wait_s:.6} s = {little:.4}",
        q.len_mean
    );
}
