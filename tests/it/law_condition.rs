//! Law: `notify` (n = 1) wakes exactly one waiter, the longest waiting
//! first (FIFO); `n = "all"` wakes every one; a `wait` whose notify never
//! comes ends in the deadlock report (exit 1) naming each waiting thread.

use crate::common::{self, ScenarioBuilder, StepSpec, WorkloadBuilder, on_model, step};

use std::process::Command;

use gilsim::engine::random::Dist;
use gilsim::engine::time::{MS, US};
use gilsim::simulation::RunOutput;

/// Three waiters that enter `wait` 3, 6 and 9 ms after they start (one
/// workload each, so their order is known); a notifier that notifies
/// `notifies` waiters (`None`: all) at 20 ms, 30 ms, ... after it starts.
/// The first Pool()'s imports are left out (`pool_import`), so the
/// processes start within the 8 ms slack.
fn scenario(notifies: &[Option<u32>], model: &str) -> ScenarioBuilder {
    let mut steps = Vec::new();
    for (i, n) in notifies.iter().enumerate() {
        let gap = if i == 0 { 20 } else { 10 };
        steps.push(step::sleep(gap * MS));
        steps.push(StepSpec::Notify {
            condition: "ready".into(),
            n: *n,
        });
    }
    steps.push(step::cpu(10 * US));
    let mut b = ScenarioBuilder::new("cond")
        .seed(5)
        .cores(4)
        .python("pool_import", Dist::Const(0))
        .condition("ready")
        .workload(on_model(
            WorkloadBuilder::new("notifier").tasks(1).steps(steps),
            model,
            1,
        ));
    for k in 1..=3 {
        b = b.workload(on_model(
            WorkloadBuilder::new(&format!("w{k}")).tasks(1).steps(vec![
                step::sleep(3 * k * MS),
                step::wait("ready"),
                step::cpu(100 * US),
            ]),
            model,
            1,
        ));
    }
    b
}

/// Completion time (latency, every task arrived at 0) of each waiter, in ms.
fn done_ms(o: &RunOutput) -> Vec<f64> {
    (1..=3)
        .map(|k| {
            let w = o
                .workloads
                .iter()
                .find(|w| w.workload == format!("w{k}"))
                .unwrap();
            assert_eq!(w.tasks_completed, 1, "w{k} was never woken");
            w.latency_ms.unwrap()[0]
        })
        .collect()
}

fn run_cli(toml: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cond.toml");
    std::fs::write(&file, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        !dir.path().join("out/results.csv").exists(),
        "a deadlocked run writes no results"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn notify_wakes_one_waiter_in_fifo_order() {
    for model in ["threads", "processes", "asyncio"] {
        let o = common::simulate(&common::build(scenario(
            &[Some(1), Some(1), Some(1)],
            model,
        )));
        let done = done_ms(&o);
        // Notifies at about 20, 30 and 40 ms (plus start-up): one waiter each, first come first.
        for (k, &t) in done.iter().enumerate() {
            let notify = 10.0 * (k + 2) as f64;
            assert!(
                t >= notify && t < notify + 8.0,
                "{model}: w{} done at {t} ms, expected just after the notify at about {notify} ms: {done:?}",
                k + 1
            );
        }
    }
}

#[test]
fn notify_all_wakes_every_waiter() {
    for model in ["threads", "processes", "asyncio"] {
        let o = common::simulate(&common::build(scenario(&[None], model)));
        let done = done_ms(&o);
        for (k, &t) in done.iter().enumerate() {
            assert!(
                (20.0..28.0).contains(&t),
                "{model}: w{} done at {t} ms after a notify_all at about 20 ms",
                k + 1
            );
        }
    }
}

#[test]
fn notify_two_wakes_the_first_two() {
    let o = common::simulate(&common::build(scenario(&[Some(2), Some(1)], "threads")));
    let done = done_ms(&o);
    assert!(done[0] < 28.0 && done[1] < 28.0, "{done:?}");
    assert!(
        done[2] >= 30.0,
        "the third waiter woke on the first notify: {done:?}"
    );
}

#[test]
fn a_lost_notify_is_a_deadlock_naming_the_waiting_threads() {
    // One notify for three waiters: w2 and w3 wait forever.
    let (code, stderr) = run_cli(&scenario(&[Some(1)], "threads").to_toml());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("deadlock"), "{stderr}");
    for w in ["w2", "w3"] {
        assert!(
            stderr.contains(&format!(
                "of workload `{w}` waits for a `notify` of condition `ready`"
            )),
            "{w} not named:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("workload `w1`"),
        "w1 was notified:\n{stderr}"
    );
}

#[test]
fn a_lost_notify_among_processes_and_coroutines_is_a_deadlock() {
    let (code, stderr) = run_cli(&scenario(&[Some(1)], "processes").to_toml());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("of workload `w3` waits for a `notify` of condition `ready`"),
        "{stderr}"
    );
    let (code, stderr) = run_cli(&scenario(&[Some(1)], "asyncio").to_toml());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("2 coroutine(s) wait for a `notify` of asyncio.Condition `ready`"),
        "{stderr}"
    );
}

#[test]
fn an_event_never_set_is_a_deadlock() {
    let toml = "name = \"never\"\n[events]\ngo = {}\n[[workload]]\nname = \"waiters\"\ntasks = 2\n\
                steps = [ { wait_event = \"go\" } ]\n[workload.run]\nmodel = \"threads\"\nworkers = 2\n";
    let (code, stderr) = run_cli(toml);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr
            .matches("of workload `waiters` waits for event `go` to be set")
            .count(),
        2,
        "{stderr}"
    );
}
